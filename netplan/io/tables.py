"""Records (lists of dicts) as CSV text: the one writer every table of netplan goes through.

Two choices differ between tables and are explicit here: the header (a fixed column list,
written even when there are no rows, or the union of the records' keys in the order first
seen) and how floats are written (with ``digits`` significant digits, or with ``repr`` so
that the file holds every digit). ``None`` is written as an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def records_to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None, *,
                   digits: int | None = None) -> str:
    """CSV text of ``rows``.

    Parameters
    ----------
    rows : iterable of mapping
    columns : sequence of str, optional
        The header, in order; keys not in it are left out. Default: the union of the rows'
        keys in the order first seen.
    digits : int, optional
        Significant digits of floats (``f"{x:.{digits}g}"``); default ``repr``, every digit.

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
        writer.writerow({key: _cell(value, digits) for key, value in row.items()})
    return buffer.getvalue()


def _cell(value: Any, digits: int | None) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if digits is None else f"{value:.{digits}g}"
    return value
