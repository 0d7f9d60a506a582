#!/usr/bin/env python3
"""Checks the module layering that docs/library.md states: every #include "fluxion/<m>/..."
in a library's headers (include/fluxion/<module>/) and sources (src/<module>/) names the
module itself or one it may include, and no library includes the command line (apps/).
Prints each violation as file:line and exits 1 when there is one."""
import os
import re
import sys

ALLOWED = {
    "core": set(),
    "isotope": {"core"},
    "io": {"core", "isotope"},
    "sampling": {"core", "isotope", "io"},
    "cbm": {"core", "isotope", "io", "sampling"},
    "mfa": {"core", "isotope", "io", "sampling"},
    "learn": {"core", "isotope", "io", "sampling", "cbm"},
    "scflux": {"core", "isotope", "io"},
    "dynamics": {"core", "isotope", "io", "scflux"},
    "service": {"core", "isotope", "io"},
}

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
include = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
problems, files = [], 0
found_modules = set(os.listdir(os.path.join(root, "include", "fluxion")))
unknown = found_modules - set(ALLOWED)
for m in sorted(unknown):
    problems.append(f"include/fluxion/{m}: a module the layering does not name (add it to tests/architecture/check_includes.py and docs/library.md)")
for module, allowed in ALLOWED.items():
    for top in (os.path.join(root, "include", "fluxion", module), os.path.join(root, "src", module)):
        for directory, _, names in os.walk(top):
            for name in sorted(names):
                if not name.endswith((".hpp", ".cpp", ".h")):
                    continue
                path = os.path.join(directory, name)
                files += 1
                with open(path, encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        m = include.match(line)
                        if not m:
                            continue
                        target = m.group(1)
                        rel = os.path.relpath(path, root)
                        if target.startswith("fluxion/"):
                            parts = target.split("/")
                            used = parts[1] if len(parts) > 2 else None
                            if used and used != module and used not in allowed:
                                problems.append(f"{rel}:{number}: module '{module}' includes '{target}' ({used} is not below {module})")
                        elif "apps/" in target or target in ("commands.hpp", "option_binding.hpp", "sampler_options.hpp"):
                            problems.append(f"{rel}:{number}: a library includes the command line ({target})")
for p in problems:
    print(p)
print(f"check_includes: {files} files, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
