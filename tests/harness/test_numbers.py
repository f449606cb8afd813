"""attnbench.numbers: exact renderings of the one number convention, edge cases included,
and a source check that the text-making modules use it instead of inline format specs."""

import ast
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attnbench.numbers import (
    GROUP,
    count,
    given,
    interval,
    nbytes,
    number,
    percent,
    ratio,
    seconds,
    size,
    span,
)

ROOT = Path(__file__).resolve().parents[2]
NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.0, "0"), (-0.0, "0"), (2.38, "2.38"), (2.3849, "2.38"), (1.0, "1"), (-3.135, "-3.13"),
        (0.00786, "0.00786"), (0.0001234, "0.000123"), (2.38e-5, "2.38e-5"), (1e-6, "1e-6"),
        (812.4, "812"), (1234.5, "1.23e3"), (4096.0, "4096"), (215790.0, f"215{GROUP}790"),
        (-1e5, f"-100{GROUP}000"), (2097152.0, "2.1e6"), (1e300, "1e300"),
        (-4.5e-300, "-4.5e-300"), (NAN, "n/a"), (None, "n/a"), (pd.NA, "n/a"), (INF, "∞"),
        (-INF, "-∞"), (np.float32(0.5), "0.5"), (np.int64(7), "7"),
    ],
)  # fmt: skip
def test_number_is_three_significant_figures(value, shown):
    assert number(value) == shown


def test_number_takes_other_figures():
    assert number(1234.5, 4) == "1234" and number(12345.6, 4) == "1.235e4"
    assert number(12345.0, 2) == f"12{GROUP}345"  # whole: every digit is measured
    assert number(3.14159, 2) == "3.1" and number(0.0, 5) == "0"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (2.373, "2.373"), (0.1, "0.1"), (1e-6, "1e-6"), (20.0, "20"), (4, "4"), (-0.25, "-0.25"),
        (1e16, "1e16"), (1.5e-20, "1.5e-20"), (0.30000000000000004, "0.30000000000000004"),
        (NAN, "n/a"), (INF, "∞"), (True, "True"),
    ],
)  # fmt: skip
def test_given_reads_back(value, shown):
    assert given(value) == shown
    if isinstance(value, float) and math.isfinite(value):
        assert float(given(value)) == value


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0"), (7, "7"), (1643, "1643"), (9999, "9999"), (15235, f"15{GROUP}235"),
        (215790.0, f"215{GROUP}790"), (-1234567, f"-1{GROUP}234{GROUP}567"),
        (np.int64(100000), f"100{GROUP}000"), (1918.4, "1918"), (NAN, "n/a"), (-INF, "-∞"),
    ],
)  # fmt: skip
def test_count_groups_by_three_from_five_digits(value, shown):
    assert count(value) == shown


def test_the_group_separator_does_not_break():
    assert GROUP == "\u202f"  # narrow no-break space


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (4096, "2^12"), (2**21, "2^21"), (1024.0, "2^10"), (512, "512"), (1000, "1000"),
        (3 * 2**12, f"12{GROUP}288"), (0.5, "0.5"), (NAN, "n/a"), (INF, "∞"),
    ],
)  # fmt: skip
def test_size_is_a_power_of_two_or_whole(value, shown):
    assert size(value) == shown


def test_size_takes_where_powers_start():
    assert size(64, smallest=16) == "2^6" and size(8, smallest=16) == "8"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0 s"), (5e-9, "5 ns"), (1e-10, "0.1 ns"), (1.2e-6, "1.2 µs"), (1e-4, "100 µs"),
        (9.996e-4, "1 ms"), (0.5, "500 ms"), (0.9996, "1 s"), (25.04, "25 s"), (100, "100 s"),
        (599, "599 s"), (1643, "27.4 min"), (36000, "10 h"), (1e6, "278 h"), (1e8, "27778 h"),
        (-0.002, "-2 ms"), (NAN, "n/a"), (INF, "∞"),
    ],
)  # fmt: skip
def test_seconds_pick_their_unit(value, shown):
    assert seconds(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0 B"), (1, "1 B"), (1023, "1023 B"), (1024, "1 KiB"), (1536, "1.5 KiB"),
        (2**20 - 1, "1 MiB"), (1023.4 * 2**10, "1023 KiB"), (2 * 2**30, "2 GiB"),
        (1.5 * 2**40, "1.5 TiB"), (2**60, "1048576 TiB"), (NAN, "n/a"),
    ],
)  # fmt: skip
def test_bytes_are_in_powers_of_1024(value, shown):
    assert nbytes(value) == shown


def test_ratio_percent_interval_span():
    assert ratio(8.706) == "×8.71" and ratio(0.00123) == "×0.00123" and ratio(NAN) == "n/a"
    assert ratio(24.05, 2) == "×24"
    assert [percent(p) for p in (0.95, 0.71, 0, 1, 0.004, 0.996, 1.5, -0.2)] == [
        "95%", "71%", "0%", "100%", "< 1%", "> 99%", "150%", "-20%"
    ]  # fmt: skip
    assert percent(NAN) == "n/a" and percent(INF) == "∞"
    assert interval(0.47, 0.96) == "[0.47, 0.96]" and interval(NAN, 2.0) == "[n/a, 2]"
    assert interval(1, 15235, count) == f"[1, 15{GROUP}235]"
    assert span(8.706, 10.71) == "8.71–10.7" and span(3.0, 3.001) == "3"
    assert span(-2.0, -0.4) == "-2 to -0.4" and span(-1.0, 2.0) == "-1 to 2"
    assert span(1e-4, 1e-2, given) == "0.0001–0.01"


# --- the rule stays: text-making modules format numbers only through attnbench.numbers ---

TEXT_MODULES = sorted(
    [
        *(ROOT / "harness" / "report").glob("*.py"),
        *(ROOT / "harness" / "analysis" / "claims").glob("*.py"),
        *(ROOT / "harness" / "compare").glob("*.py"),
        ROOT / "harness" / "analysis" / "regime.py",
        ROOT / "harness" / "cli.py",
        ROOT / "harness" / "api.py",
    ]
)
# a float presentation type ('.3g', 'g', '.2f', '.0%', ',', '_', 'e', 'n') or a precision
FLOAT_SPEC = re.compile(r"[eEfFgGn%]$|\.\d|^[,_]$|[,_]\.")
PERCENT_SPEC = re.compile(r"%[-+ #0]*\d*\.?\d*[eEfFgG]")


def _spec_text(node):
    """The literal text of a format spec (a JoinedStr), nested fields as '{}'."""
    return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


def _string(node):
    """The text of a string literal node, else None."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _by_hand(node):
    """What ``node`` does to format a number by hand, or None: a float format spec in an
    f-string, round() in an f-string, format(x, spec), '...'.format(...) with a spec, or
    '%.2f' % x."""
    if isinstance(node, ast.FormattedValue):
        if node.format_spec is not None and FLOAT_SPEC.search(_spec_text(node.format_spec)):
            return f"format spec ':{_spec_text(node.format_spec)}'"
        call = node.value.func if isinstance(node.value, ast.Call) else None
        return "round() in an f-string" if isinstance(call, ast.Name) and call.id == "round" else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return "format(value, spec)" if node.func.id == "format" and len(node.args) == 2 else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        text = _string(node.func.value)
        spec = node.func.attr == "format" and text and re.search(r"\{[^{}]*:[^{}]*\}", text)
        return "str.format with a spec" if spec else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        text = _string(node.left)
        return "'%' formatting" if text and PERCENT_SPEC.search(text) else None
    return None


def inline_formats(source, name="<source>"):
    """Where ``source`` formats a number by hand, as 'name:line: what'."""
    return [
        f"{name}:{node.lineno}: {what}"
        for node in ast.walk(ast.parse(source))
        if (what := _by_hand(node))
    ]


def test_the_check_sees_every_kind_of_inline_format():
    source = (
        'a = f"{x:.3g} {y:g} {z:.0%} {w:,} {v:.2f} {u:e}"\n'
        'b = format(x, ".2f")\n'
        'c = "{:.1f}".format(x)\n'
        'd = "%.1f s" % x\n'
        'e = f"{round(x, 2)}"\n'
        'f = f"{x:{width}.{prec}f}"\n'
    )
    found = inline_formats(source)
    assert len(found) == 11, found
    assert not inline_formats('ok = f"{name!r:>10} {count(n)} {s:<8}" + "%s" % x + "{}".format(x)')


@pytest.mark.parametrize("path", TEXT_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_text_modules_format_numbers_through_attnbench_numbers(path):
    found = inline_formats(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not found, "use attnbench.numbers instead of:\n" + "\n".join(found)
