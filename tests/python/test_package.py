"""The package itself: version, errors, models in and out of cobrapy."""
import subprocess

import numpy as np
import pytest

import fluxion


def test_version_and_commit_are_the_command_lines(fluxion_binary):
    out = subprocess.run([fluxion_binary, "version"], capture_output=True, text=True, check=True).stdout
    assert fluxion.__version__ in out
    assert fluxion.git_commit in out


def test_input_error_is_a_value_error_with_the_cli_message(tmp_path):
    assert issubclass(fluxion.InputError, ValueError)
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\tequation\nr1\tA => => B\n")
    with pytest.raises(fluxion.InputError) as e:
        fluxion.load_model(str(bad))
    assert "bad.tsv:2:9: error: reaction 'r1': a second arrow '=>'" in str(e.value)
    with pytest.raises(fluxion.InputError, match="no_such_model"):
        fluxion.load_model("no_such_model")


def test_bad_options_name_the_argument_and_say_why(textbook):
    model = fluxion.from_cobra(textbook)
    with pytest.raises(fluxion.InputError, match=r"fraction: must be between 0 and 1, not 2"):
        fluxion.fba(model, fraction=2)
    with pytest.raises(fluxion.InputError, match=r"colour: is not an option here"):
        fluxion.fba(model, colour="red")
    with pytest.raises(fluxion.InputError, match=r"fva: 'maybe' is not true or false"):
        fluxion.fba(model, fva="maybe")
    with pytest.raises(fluxion.InputError, match=r"not_a_reaction"):
        fluxion.fba(model, knockout=["not_a_reaction"])
    with pytest.raises(fluxion.InputError, match=r"no objective"):
        fluxion.fba("simple")
    with pytest.raises(fluxion.InputError, match="model: give a fluxion.Model"):
        fluxion.fba(42)


def test_help_reads_like_the_command_lines():
    doc = fluxion._core.fba.__doc__
    for option in ("pfba", "fva", "fraction", "knockout_genes", "set_bounds"):
        assert option in doc
    assert "cobrapy's fraction_of_optimum" in doc


def test_model_from_cobra_and_back_keeps_reactions_bounds_rules_and_objective(textbook):
    model = fluxion.from_cobra(textbook)
    assert len(model.reactions) == len(textbook.reactions) == 95
    assert len(model.metabolites) == len(textbook.metabolites)
    back = fluxion.to_cobra(model)
    assert [r.id for r in back.reactions] == [r.id for r in textbook.reactions]
    for ours, theirs in zip(back.reactions, textbook.reactions):
        assert ours.bounds == pytest.approx(theirs.bounds)
        assert ours.gene_reaction_rule == theirs.gene_reaction_rule
        assert ours.objective_coefficient == theirs.objective_coefficient
        assert {m.id: c for m, c in ours.metabolites.items()} == {m.id: c for m, c in theirs.metabolites.items()}
    assert back.slim_optimize() == pytest.approx(textbook.slim_optimize(), abs=1e-9)


def test_stoichiometry_and_flux_space(textbook):
    s, metabolites, reactions = fluxion.stoichiometry(fluxion.from_cobra(textbook))
    assert s.shape == (len(metabolites), len(reactions))
    assert metabolites == [m.id for m in textbook.metabolites]  # none is a boundary in textbook
    dense = s.toarray()
    for j, r in enumerate(textbook.reactions):
        for m, c in r.metabolites.items():
            assert dense[metabolites.index(m.id), j] == c
    space = fluxion.flux_space(textbook)
    assert space["rank"] == np.linalg.matrix_rank(dense)
    k = fluxion.from_cobra(textbook).null_space()
    assert k.shape == (len(reactions), len(reactions) - space["rank"])
    np.testing.assert_allclose(dense @ k, 0, atol=1e-10)
    np.testing.assert_allclose(k.T @ k, np.eye(k.shape[1]), atol=1e-10)


def test_help_lists_every_option_with_its_default():
    doc = fluxion.fit.__doc__
    for line in ("starts (integer, default 10)", "seed (integer, default 1)", "profile (text)", "mid_sd (number)"):
        assert line in doc
    assert "fraction (number, default 1)" in fluxion.fba.__doc__
