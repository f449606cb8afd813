"""attnbench.contract: every rule of the contract fails on a reducer that breaks it (the
plug-ins in tests/algorithms/broken_plugins/), and the battery reports which rule and why.
That the built-in reducers pass every rule is tests/algorithms/test_contract.py."""

import re
import subprocess
import sys
import textwrap
import types

import pytest

from _support import BROKEN_PLUGINS as BROKEN
from _support import isolated_registry
from attnbench.algorithms import UnknownReducerError
from attnbench.algorithms.zero import Zero
from attnbench.contract.checks import (
    BAD_INPUTS,
    RULES,
    check_reducer,
    parametrize_with_checks,
    reducer_checks,
)
from attnbench.contract.results import FAILED, PASSED, XFAIL, RuleFailure

# plug-in file: {rule it breaks: what the reason must say}
BREAKS = {
    "no_cost_model": {"attributes": r"cost_model = '' is not one of"},
    "no_docstring": {"docstring": r"neither class NoDocstring nor module .* has a docstring"},
    "accepts_nan": {
        "bad_input:nan": r"fit\(X nan\) raised no error; expected ValueError matching 'NaN'",
        "bad_input:inf": r"raised no error; expected ValueError matching 'infinity'",
        "bad_input:nan_sparse": r"raised no error; expected ValueError matching 'NaN'",
    },
    "skips_validation": {f"bad_input:{case}": rf"fit\(X {case}\)" for case in BAD_INPUTS},
    "skips_param_checks": {
        "bad_params:n_components": r"n_components=BadType\(\) raised TypeError\(\"int\(\) arg",
        "bad_params:eps": r"eps=BadType\(\) raised TypeError\(.*; expected TypeError matching 'eps'",
        "bad_params:delta": r"delta=BadType\(\) raised TypeError",
    },
    "skips_one_param": {
        "bad_params:candidates": r"candidates=BadType\(\) raised no error; expected TypeError"
    },
    "undeclared_param": {
        "params_declared": r"parameter 'scale' has no declared constraints in _parameter_constr"
    },
    "float32_output": {"output": r"fit_transform returned dtype float32, not float64"},
    "wrong_shape": {"output": r"returned shape \(8, \d+\), expected \(n, n_components_\)"},
    "rounds_integers": {"input_dtypes": r"integer X against the same X as float64"},
    "sparse_path_differs": {"formats_agree": r"CSR input against dense C input: not equal"},
    "ignores_seed": {"seeded_determinism": r"two fits with equal seeds \(dense[^)]*\): not equal"},
    "fixed_seed": {"seed_dependence": r"deterministic = False, but random_state 1 and 2"},
    "transform_differs": {"fit_then_transform": r"fit\(X\)\.transform\(X\) vs fit_transform"},
    "no_feature_check": {"transform_feature_count": r"raised no error; expected ValueError"},
    "mutates_x": {"no_mutation": r"changed the dense input X in place"},
    "densifies": {"input_sparsity": r"traced a peak of \d+ MiB, dense X is 488 MiB"},
    "never_empty": {"n_components": r"n_components=0 gave m = 1, expected 0"},
    "unsorted_selection": {"sampling_selection": r"not a sorted array of distinct integers"},
    "zero_gives_nan": {"all_zero_input": r"all-zero dense X .* with \d+ NaN"},
    "sets_attribute_in_init": {
        "sklearn:check_no_attributes_set_in_init": r"Found attributes \['eps_squared'\]"
    },
}


@pytest.fixture(scope="module")
def broken_reports():
    """The battery's report on each broken plug-in, loaded from its file."""
    with isolated_registry():
        return {stem: check_reducer(str(BROKEN / f"{stem}.py")) for stem in BREAKS}


def test_every_broken_plugin_is_listed():
    assert {path.stem for path in BROKEN.glob("*.py")} == set(BREAKS)


def test_every_rule_has_a_plugin_that_breaks_it():
    broken = {rule for breaks in BREAKS.values() for rule in breaks}
    assert set(RULES) <= broken, set(RULES) - broken
    assert any(rule.startswith("sklearn:") for rule in broken)
    assert any(rule.startswith("bad_params:") for rule in broken)


def test_one_unchecked_parameter_fails_only_its_own_rule(broken_reports):
    """A reducer that validates every declared parameter but one fails exactly the
    bad_params rule of that one; the generated bad values of the others are rejected."""
    report = broken_reports["skips_one_param"]
    assert [r.rule for r in report.failures] == ["bad_params:candidates"]
    rules = {r.rule: r.status for r in report.results}
    assert rules["bad_params:eps"] == rules["bad_params:b"] == PASSED


@pytest.mark.parametrize("stem", sorted(BREAKS))
def test_broken_plugin_fails_the_rule_it_breaks(stem, broken_reports):
    report = broken_reports[stem]
    failed = {result.rule: result.reason for result in report.failures}
    assert not report.passed
    for rule, pattern in BREAKS[stem].items():
        assert rule in failed, f"{stem} should fail {rule}:\n{report}"
        assert re.search(pattern, failed[rule]), failed[rule]
        assert re.search(f"{re.escape(rule)}: failed \\(.*{pattern}", str(report))


def test_a_builtin_passes_as_name_class_and_instance():
    reports = [check_reducer(r, which="contract") for r in ("zero", Zero, Zero())]
    assert all(report.passed and report.reducer == "zero" for report in reports)
    assert len({tuple(report.results) for report in reports}) == 1
    assert {r.status for r in reports[0].results} == {PASSED, "skipped"}


def test_expected_failures_are_xfail_and_strict():
    known = check_reducer(
        str(BROKEN / "never_empty.py"), which="contract", expected_failures={"n_components": "why"}
    )
    assert next(r for r in known.results if r.rule == "n_components").status == XFAIL
    assert known.passed
    wrong = check_reducer("zero", which="contract", expected_failures={"output": "why"})
    result = next(r for r in wrong.results if r.rule == "output")
    assert result.status == FAILED and "expected to fail (why) but passed" in result.reason


def test_object_dtype_is_the_expected_sklearn_failure():
    report = check_reducer("zero", which="sklearn")
    assert report.passed
    xfails = [r.rule for r in report.results if r.status == XFAIL]
    assert xfails == ["sklearn:check_dtype_object"]


class NeedsArgument(Zero):
    """A reducer whose constructor has a required argument (scikit-learn forbids it)."""

    name = "needs_argument"

    def __init__(self, scale):
        self.scale = scale


def test_constructor_without_defaults_is_a_failed_rule():
    report = check_reducer(NeedsArgument)
    assert [(r.rule, r.status) for r in report.results] == [("construct", FAILED)]
    assert "cannot build an instance with default parameters" in report.results[0].reason


def test_unknown_names_and_bad_arguments_raise():
    with pytest.raises(UnknownReducerError, match="Did you mean: gaussian"):
        check_reducer("gausian")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        check_reducer("no_such_file.py")
    with pytest.raises(ValueError, match="which must be"):
        check_reducer("zero", which="some")


def test_pytest_helper_params_and_a_failing_check():
    mark = parametrize_with_checks(["zero"])
    names, params = mark.args
    assert names == "reducer, check"
    ids = [p.id for p in params]
    assert "zero-attributes" in ids and "zero-sklearn:check_dtype_object" in ids
    xfail = next(p for p in params if p.id == "zero-sklearn:check_dtype_object")
    assert xfail.marks[0].kwargs["strict"] is True
    with isolated_registry():
        pairs = {
            check.rule: (reducer, check)
            for reducer, check in reducer_checks(str(BROKEN / "fixed_seed.py"), which="contract")
        }
    reducer, check = pairs["seed_dependence"]
    with pytest.raises(RuleFailure, match="declares deterministic = False"):
        check(reducer)
    reducer, check = pairs["output"]
    check(reducer)  # a rule the plug-in keeps passes silently


def test_an_authors_pytest_runs_the_battery(tmp_path):
    """The README recipe: a reducer author's own test file, run by pytest."""
    test_file = tmp_path / "test_my_reducer.py"
    test_file.write_text(
        textwrap.dedent(
            f"""
            from attnbench.contract import parametrize_with_checks

            @parametrize_with_checks(["zero", {str(BROKEN / "fixed_seed.py")!r}], which="contract")
            def test_contract(reducer, check):
                check(reducer)
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    failed = re.findall(r"^FAILED .*\[(.*?)\]", result.stdout, flags=re.MULTILINE)
    assert failed == ["broken_fixed_seed-seed_dependence"], result.stdout
    assert "declares deterministic = False" in result.stdout
    assert re.search(r"1 failed, \d+ passed", result.stdout)


def test_docstring_rule_reads_the_reducers_own_module(monkeypatch):
    """A class in an undocumented dotted module fails, although its top package has a
    docstring (``__import__("a.b.c")`` returns ``a``: the old test could not fail)."""
    module = types.ModuleType("attnbench.algorithms._undocumented")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    undocumented = type("Undocumented", (Zero,), {"__module__": module.__name__, "__doc__": None})
    [result] = check_reducer(undocumented, which="contract").failures
    assert result.rule == "docstring" and "attnbench.algorithms._undocumented" in result.reason
