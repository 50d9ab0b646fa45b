"""Records (lists of dicts) as CSV text: the one writer every table of netplan goes through.

Two choices differ between tables and are explicit here: the header (a fixed column list,
written even when there are no rows, or the union of the records' keys in the order first
seen) and how floats are written (with ``digits`` significant digits, or with ``repr``'s
digits so that the file holds every digit). Floats are always plain decimals, never in
scientific notation (``80151700``, not ``8.01517e+07``), so that every spreadsheet and
reader takes them as written. ``None`` is written as an empty cell.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

#: Text a spreadsheet would read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def records_to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None, *,
                   digits: int | None = None, text_safe: bool = False) -> str:
    """CSV text of ``rows``.

    Parameters
    ----------
    rows : iterable of mapping
    columns : sequence of str, optional
        The header, in order; keys not in it are left out. Default: the union of the rows'
        keys in the order first seen.
    digits : int, optional
        Significant digits of floats (those of ``f"{x:.{digits}g}"``); default those of
        ``repr``, every digit. Either way written as a plain decimal.
    text_safe : bool
        For tables holding names from the inputs: text that would start a formula in a
        spreadsheet gets a leading ``'``, and control and bidi characters become visible.

    Examples
    --------
    >>> print(records_to_csv([{"a": 1, "b": 0.1}, {"a": 2, "c": None}]), end="")
    a,b,c
    1,0.1,
    2,,
    >>> print(records_to_csv([{"x": 2 / 3, "y": "z"}], ["x"], digits=3), end="")
    x
    0.667
    >>> print(records_to_csv([], ["link", "load_gbps"]), end="")
    link,load_gbps
    >>> print(records_to_csv([{"cny": 80151696.1, "gbps": 1.5e-05}], digits=6), end="")
    cny,gbps
    80151700,0.000015
    >>> print(records_to_csv([{"name": "=1+2", "n": -1.5}], text_safe=True), end="")
    name,n
    '=1+2,-1.5
    >>> print(records_to_csv([{"cny": 1e16, "gbps": 1.5e-05}]), end="")
    cny,gbps
    10000000000000000.0,0.000015
    """
    rows = list(rows)
    if columns is None:
        seen: dict[str, None] = {}
        for row in rows:
            for key in row:
                seen.setdefault(key, None)
        columns = list(seen)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value, digits, text_safe) for key, value in row.items()})
    return buffer.getvalue()


def _cell(value: Any, digits: int | None, text_safe: bool = False) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return plain_decimal(value, digits)
    if text_safe and isinstance(value, str):
        from netplan.io.text import document_safe

        value = document_safe(value)
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return value


def plain_decimal(value: float, digits: int | None = None) -> str:
    """``value`` as a plain decimal: ``digits`` significant digits (default every digit).

    The digits are those ``repr`` (or ``f"{value:.{digits}g}"``) gives; only the exponent
    is written out, so numbers with no exponent read as before. NaN and infinities are
    written as ``repr`` writes them.

    Parameters
    ----------
    value : float
    digits : int, optional

    Returns
    -------
    str

    Examples
    --------
    >>> plain_decimal(8.01517e7, 6), plain_decimal(2.5e-7), plain_decimal(0.1), plain_decimal(3.0)
    ('80151700', '0.00000025', '0.1', '3.0')
    >>> plain_decimal(-1.25e-5, 2), plain_decimal(float("nan"))
    ('-0.000013', 'nan')
    """
    text = repr(value) if digits is None else f"{value:.{digits}g}"
    if "e" not in text or not math.isfinite(value):
        return text
    exact = Decimal(text)
    plain = format(exact, "f")
    if digits is None and "." not in plain:
        plain += ".0"  # a float, as repr writes whole floats
    return plain
