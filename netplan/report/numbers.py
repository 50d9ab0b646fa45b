"""How the report writes numbers: years, counts, money, percentages and log-axis ticks.

Every number the report shows (table cells, hover boxes, axis titles and ticks, sentences)
is formatted here, so a year never reads ``2,026`` and an amount reads the same in a table
as in a chart. Money follows the reader's language: English gives whole yuan with thousands
separators (``1,790,000 CNY``); Chinese gives 元 for small amounts and 万元 (10,000 元)
for large ones (``179.0 万元``), as Chinese budgets are written.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

__all__ = [
    "column_kind",
    "format_count",
    "format_money",
    "format_number",
    "format_percent",
    "format_value",
    "format_year",
    "MONEY_TICKFORMAT",
    "log_ticks",
    "money_axis",
    "with_unit",
]

#: Chinese amounts from this many yuan on are written in 万元.
WAN_CNY = 10_000.0

# Integers below this are written without a thousands separator (2026, 1500 racks); the
# separator only helps from five digits on.
_PLAIN_BELOW = 10_000

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_year(value: Any) -> str:
    """A calendar year as written: digits only, never a thousands separator.

    Examples
    --------
    >>> format_year(2026), format_year(2031.0), format_year("2027")
    ('2026', '2031', '2027')
    """
    if isinstance(value, str):
        return value
    return str(int(value))


def format_count(value: Any) -> str:
    """A count or an identifier number (racks, modules, seeds): digits only.

    Examples
    --------
    >>> format_count(12), format_count(20261128)
    ('12', '20261128')
    """
    return str(int(value))


def format_percent(fraction: float, digits: int = 1) -> str:
    """A fraction as a percentage with ``digits`` decimals.

    Examples
    --------
    >>> format_percent(0.9126), format_percent(0.5, 0), format_percent(1.25)
    ('91.3%', '50%', '125.0%')
    """
    return f"{100.0 * float(fraction):.{digits}f}%"


def format_money(value_cny: float, lang: str = "zh") -> str:
    """An amount of money in the reader's language, with its unit.

    English: whole yuan with thousands separators and ``CNY``. Chinese: whole 元 below
    10,000 元, else 万元 with one decimal.

    Parameters
    ----------
    value_cny : float
        The amount in yuan (CNY).
    lang : {"zh", "en"}

    Examples
    --------
    >>> format_money(1_790_000, "en"), format_money(1_790_000, "zh")
    ('1,790,000 CNY', '179.0 万元')
    >>> format_money(9500, "zh"), format_money(424_252_471.81, "zh"), format_money(-60000, "en")
    ('9,500 元', '42,425.2 万元', '-60,000 CNY')
    """
    value = float(value_cny)
    if lang != "zh":
        return f"{value:,.0f} CNY"
    if abs(value) < WAN_CNY:
        return f"{value:,.0f} 元"
    return f"{value / WAN_CNY:,.1f} 万元"


def money_axis(lang: str = "zh") -> tuple[float, str]:
    """How a chart's money axis is drawn: divide amounts by ``scale``, label with ``unit``.

    One unit for the whole axis, so ticks compare: yuan in English, 万元 in Chinese.

    Examples
    --------
    >>> money_axis("en"), money_axis("zh")
    ((1.0, 'CNY'), (10000.0, '万元'))
    """
    return (WAN_CNY, "万元") if lang == "zh" else (1.0, "CNY")


#: d3 tick format for money axes: thousands separators, no trailing zeros.
MONEY_TICKFORMAT = ",~f"


def with_unit(label: str, unit: str, lang: str = "zh") -> str:
    """A label followed by its unit in brackets of the reader's language.

    Examples
    --------
    >>> with_unit("建设投资", "万元", "zh"), with_unit("Capex", "CNY", "en")
    ('建设投资（万元）', 'Capex (CNY)')
    """
    return f"{label}（{unit}）" if lang == "zh" else f"{label} ({unit})"


def format_number(value: float) -> str:
    """A plain quantity (Gbit/s, seconds …): precision that suits its size.

    Integers below 10,000 have no separator; larger numbers have thousands separators;
    numbers below 1 keep three significant digits.

    Examples
    --------
    >>> format_number(2026), format_number(12000), format_number(1234.5)
    ('2026', '12,000', '1,234')
    >>> format_number(2.5), format_number(0.0321), format_number(0), format_number(float("inf"))
    ('2.50', '0.0321', '0', '∞')
    """
    if isinstance(value, numbers.Integral):
        n = int(value)
        return str(n) if abs(n) < _PLAIN_BELOW else f"{n:,d}"
    v = float(value)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:,.2f}"
    return f"{v:.3g}"


def column_kind(column: str | None) -> str:
    """What a table column holds, from its name: ``year``, ``count``, ``money``,
    ``percent`` or ``number``.

    Years are ``year``, ``*_year``; counts and identifiers are ``hour``, ``*_hour``,
    ``seed``, ``id``, ``*_id``; money is ``*_cny``; utilisations are ``utilisation``,
    ``*_utilisation``.

    Examples
    --------
    >>> [column_kind(c) for c in ("year", "cause_year", "capex_cny", "worst_utilisation",
    ...                           "cause_hour", "seed", "load_gbps", None)]
    ['year', 'year', 'money', 'percent', 'count', 'count', 'number', 'number']
    """
    name = (column or "").lower()
    if name == "year" or name.endswith("_year"):
        return "year"
    if name in ("hour", "seed", "id") or name.endswith(("_hour", "_id")):
        return "count"
    if name.endswith("_cny"):
        return "money"
    if name == "utilisation" or name.endswith("_utilisation"):
        return "percent"
    return "number"


def format_value(value: float, lang: str = "zh", column: str | None = None,
                 spec: str | None = None) -> str:
    """A number for a table cell, as its column (see :func:`column_kind`) asks.

    Years and counts are digits only and money follows the language, whatever ``spec``
    says; other columns use ``spec`` (a Python format spec) when given, utilisations are
    percentages, the rest :func:`format_number`.

    Examples
    --------
    >>> format_value(2026, "en", "cause_year"), format_value(2026, "en", "year", ",d")
    ('2026', '2026')
    >>> format_value(178113.2, "en", "marginal_cost_cny", ",.0f")
    '178,113 CNY'
    >>> format_value(178113.2, "zh", "marginal_cost_cny"), format_value(0.913, "zh", "worst_utilisation")
    ('17.8 万元', '91.3%')
    >>> format_value(2.5, "en", "x", ".1%")
    '250.0%'
    """
    kind = column_kind(column)
    if math.isinf(float(value)):
        return format_number(value)
    if kind == "year":
        return format_year(value)
    if kind == "count" and float(value).is_integer():
        return format_count(value)
    if kind == "money":
        return format_money(value, lang)
    if spec:
        return format(value, spec)
    if kind == "percent":
        return format_percent(value)
    return format_number(value)


def _tick_text(value: float) -> str:
    """A log-axis tick: a decimal from 0.001 to 99,999, else m×10ⁿ."""
    if 1e-3 <= value < 1e5:
        return f"{value:,.10f}".rstrip("0").rstrip(".")
    exponent = math.floor(math.log10(value) + 1e-9)
    mantissa = round(value / 10.0**exponent)
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    return power if mantissa == 1 else f"{mantissa}×{power}"


def log_ticks(values: Sequence[float | None]) -> tuple[list[float], list[str], list[float]]:
    """Readable ticks for a log axis that shows ``values``.

    When the values span more than two decades the ticks are the powers of ten and the axis
    covers whole decades; otherwise they step 1, 2, 5, 10, … and the axis runs from the
    tick below the smallest value to the tick above the largest. (plotly's own minor log
    ticks read ``2, 5, 2, 0.1``, which looks like a sequence, not a scale.)

    Parameters
    ----------
    values : sequence of float or None
        Everything the axis has to show; ``None`` and values ≤ 0 are ignored.

    Returns
    -------
    tickvals : list of float
    ticktext : list of str
    range_log10 : list of float
        The axis range as plotly wants it for a log axis: ``[log10(low), log10(high)]``,
        with a little room at both ends.

    Examples
    --------
    >>> vals, text, rng = log_ticks([0.00197, 2.04])
    >>> text, [round(r, 2) for r in rng]
    (['0.001', '0.01', '0.1', '1', '10'], [-3.05, 1.05])
    >>> log_ticks([0.09, 2.0])[1]
    ['0.05', '0.1', '0.2', '0.5', '1', '2']
    >>> log_ticks([2e-6, 3e-4])[1]
    ['10⁻⁶', '10⁻⁵', '10⁻⁴', '0.001']
    >>> log_ticks([2e-6, 3e-6])[1]
    ['2×10⁻⁶', '5×10⁻⁶']
    >>> log_ticks([0.1])[1]
    ['0.05', '0.1', '0.2']
    >>> log_ticks([None, 0.0])
    ([], [], [])
    """
    positive = [float(v) for v in values if v is not None and v > 0 and math.isfinite(v)]
    if not positive:
        return [], [], []
    lowest, highest = min(positive), max(positive)
    low = math.floor(math.log10(lowest) + 1e-9)
    high = math.ceil(math.log10(highest) - 1e-9)
    if math.log10(highest / lowest) > 2:
        ticks = [10.0**e for e in range(low, high + 1)]
    else:
        steps = [m * 10.0**e for e in range(low - 1, high + 1) for m in (1, 2, 5)]
        below = max(v for v in steps if v <= lowest * (1 + 1e-9))
        above = min(v for v in steps if v >= highest * (1 - 1e-9))
        ticks = [v for v in steps if below <= v <= above]
        if len(ticks) == 1:  # one value on a tick: show the steps either side too
            i = steps.index(ticks[0])
            ticks = steps[max(i - 1, 0): i + 2]
    ticks = [float(f"{v:.12g}") for v in ticks]
    pad = 0.05  # decades of room so marks at the ends are not cut in half
    return ticks, [_tick_text(v) for v in ticks], [
        math.log10(ticks[0]) - pad, math.log10(ticks[-1]) + pad]
