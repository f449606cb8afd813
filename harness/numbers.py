"""How a number reads in text: the one convention of the report, the claims' sentences,
``attnbench compare``'s report and the CLI.  Every number shown to a reader goes through
one of these functions; machine-readable outputs (CSV, JSON, SQLite) keep full precision
and never come here.

- a measurement (:func:`number`): SIG = 3 significant figures, trailing zeros dropped;
  fixed notation from 1e-4 to below 10^SIG, else mantissa and exponent without '+' or
  padding: 0.00786, 2.38, 812, 1.23e4, 1e-6; a whole value below 10^6 whole (4096).  Table cells use TABLE_SIG = 4 (a table is
  looked up, a sentence is read; :func:`attnbench.report.tables.format_value`).
- a given value (:func:`given`: a parameter, a constant, a setting): the shortest text
  that reads back as the same float, integers whole: 2.373, 0.1, 1e-6, 20.
- a count (:func:`count`): whole, in groups of three apart by a narrow no-break space
  (U+202F, as SI writes them) from 10 000 on: 1643, 15 235.
- a size n, d, m (:func:`size`): 2^k for a power of two >= 1024, else a count.
- seconds (:func:`seconds`): SIG figures in ns, µs, ms, s (below 10 min), min (below
  10 h) or h; bytes
  (:func:`nbytes`): in B, KiB, MiB, GiB or TiB (powers of 1024).
- a ratio (:func:`ratio`): ×8.71; a share (:func:`percent`): 95%, < 1%, > 99%; an
  interval (:func:`interval`): [0.47, 0.96]; a range (:func:`span`): 8.71–10.7, -2 to -0.4.
- missing (None, NaN): n/a; infinite: ∞ and -∞; the minus sign is ASCII '-'.

Cost: O(digits) per number.
"""

from __future__ import annotations

import math

SIG = 3
TABLE_SIG = 4
GROUP = "\u202f"  # narrow no-break space: 15 235 never breaks across lines
MISSING = "n/a"
# (unit, its size, the least value shown in it): 599 s and 9.98 min, then 10 min, 10 h
_TIME_UNITS = (("h", 3600.0, 10), ("min", 60.0, 10), ("s", 1.0, 1), ("ms", 1e-3, 1),
               ("µs", 1e-6, 1), ("ns", 1e-9, 0))  # fmt: skip
_BYTE_UNITS = tuple((unit, 1024.0**k, 1 if k else 0)
                    for k, unit in reversed(tuple(enumerate(("B", "KiB", "MiB", "GiB", "TiB")))))  # fmt: skip


def _float(value):
    """``value`` as a float, None (missing) when it is None, NaN or pandas.NA."""
    try:
        value = float(value)
    except TypeError:  # None, pandas.NA
        return None
    return None if math.isnan(value) else value


def _special(value):
    """The text of a missing or infinite value, or None for a finite one."""
    if value is None:
        return MISSING
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return None


def _compact(text):
    """Python's exponent written short: '1e-06' -> '1e-6', '1.5e+20' -> '1.5e20'."""
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}e{int(exponent)}" if e else text


def number(value, sig=SIG):
    """A measurement to ``sig`` significant figures (Python's 'g' rules, short exponent);
    a whole value below 10^6 whole, as a count (4096, not 4.1e3)."""
    value = _float(value)
    special = _special(value)
    if special is not None:
        return special
    if value.is_integer() and abs(value) < 1e6:
        return count(value)
    return _compact(f"{value:.{sig}g}")


def given(value):
    """A given value as given: integers whole, else the shortest text that reads back."""
    if isinstance(value, bool):
        return str(value)
    value = _float(value)
    special = _special(value)
    if special is not None:
        return special
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return _compact(repr(value))


def count(value):
    """A whole number (rounded), grouped by three with GROUP from five digits on."""
    value = _float(value)
    special = _special(value)
    if special is not None:
        return special
    whole = round(value)
    digits = str(abs(whole))
    if len(digits) > 4:
        head = len(digits) % 3 or 3
        digits = GROUP.join([digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)])
    return f"-{digits}" if whole < 0 else digits


def size(value, smallest=1024):
    """A size (n, d, m): 2^k when a power of two >= ``smallest``, a whole number as a
    count, anything else as a measurement."""
    value = _float(value)
    if value is None or math.isinf(value) or not value.is_integer():
        return number(value)
    whole = int(value)
    power = whole.bit_length() - 1
    return f"2^{power}" if whole >= smallest and whole == 1 << power else count(whole)


def _scaled(value, units, sig):
    """``value`` in the first of ``units`` in which it rounds to at least that unit's
    least value; a mantissa of 10^sig or more shown whole (1023 KiB, not 1.02e3 KiB)."""
    value = _float(value)
    special = _special(value)
    if special is not None:
        return special
    for unit, scale, least in units:
        if float(f"{abs(value) / scale:.{sig}g}") >= least:
            break
    mantissa = value / scale
    shown = str(round(mantissa)) if abs(mantissa) >= 10**sig else number(mantissa, sig)
    return f"{shown} {unit}"


def seconds(value, sig=SIG):
    """A duration in seconds, to ``sig`` figures in ns, µs, ms, s, min or h: 120 µs."""
    return "0 s" if _float(value) == 0 else _scaled(value, _TIME_UNITS, sig)


def nbytes(value, sig=SIG):
    """A memory size in bytes, to ``sig`` figures in B, KiB, MiB, GiB or TiB: 1.5 GiB."""
    return "0 B" if _float(value) == 0 else _scaled(value, _BYTE_UNITS, sig)


def ratio(value, sig=SIG):
    """A factor: ×8.71 (× then a measurement)."""
    text = number(value, sig)
    return text if text == MISSING else f"×{text}"


def percent(value):
    """A share (a fraction) in whole percent: 95%; '< 1%' and '> 99%' near the ends, so
    that only none and all read 0% and 100%."""
    value = _float(value)
    special = _special(value)
    if special is not None:
        return special
    whole = round(100 * value)
    if whole == 0 and value > 0:
        return "< 1%"
    if whole == 100 and value < 1:
        return "> 99%"
    return f"{whole}%"


def interval(low, high, fmt=number):
    """A confidence interval, each end through ``fmt``: [0.47, 0.96]."""
    return f"[{fmt(low)}, {fmt(high)}]"


def span(low, high, fmt=number):
    """A range of values, each end through ``fmt``: 8.71–10.7, one value when both ends
    read the same, 'to' where an end is negative (-2 to -0.4, not -2–-0.4)."""
    first, last = fmt(low), fmt(high)
    if first == last:
        return first
    return f"{first} to {last}" if first.startswith("-") or last.startswith("-") else f"{first}–{last}"
