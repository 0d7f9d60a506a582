#!/bin/bash
# docs/options.md is `fluxion options`'s output: the options as the program declares them.
# usage: check_options.sh FLUXION SOURCE_DIR
set -u
fluxion=$1 source=$2
if ! diff -u "$source/docs/options.md" <("$fluxion" options) > /tmp/fluxion-options.diff.$$; then
  head -40 /tmp/fluxion-options.diff.$$
  rm -f /tmp/fluxion-options.diff.$$
  echo "docs/options.md is stale: run  $fluxion options > docs/options.md"
  exit 1
fi
rm -f /tmp/fluxion-options.diff.$$
echo "docs/options.md matches the declarations"
