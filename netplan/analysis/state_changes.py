"""Per-state values kept as their changes from one base row: what a failure sweep stores.

A failure changes the routes of the od pairs it touches and the loads of the arcs they
cross; everything else keeps its no-failure value. So instead of a dense (states x arcs) or
(states x ods) array, a sweep keeps the base row once and, per state, only the entries that
differ from it (compressed by state, like a CSR matrix). Dense rows are rebuilt for any
range of states on demand, bit for bit; pairs that meet a condition are found without
rebuilding anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["StateChanges", "row_blocks"]


def row_blocks(n_rows: int, row_size: int, max_elements: int) -> Iterator[tuple[int, int]]:
    """Ranges of rows whose dense block stays within ``max_elements`` (at least one row).

    Examples
    --------
    >>> list(row_blocks(5, 10, 20))
    [(0, 2), (2, 4), (4, 5)]
    >>> list(row_blocks(2, 10**6, 10))
    [(0, 1), (1, 2)]
    """
    step = max(1, max_elements // max(row_size, 1))
    for lo in range(0, n_rows, step):
        yield lo, min(lo + step, n_rows)


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise ``a != b``, bit for bit for floats (so -0.0 and NaN round-trip)."""
    if a.dtype.kind == "f":
        return a.view(np.int64 if a.itemsize == 8 else np.int32) != b.astype(a.dtype).view(
            np.int64 if a.itemsize == 8 else np.int32)
    return a != b


@dataclass(frozen=True, eq=False)
class StateChanges:
    """Rows of one or more per-state arrays, stored as changes from their base rows.

    Attributes
    ----------
    base : tuple of ndarray, each shape (n_cols,)
        The value every state has unless it changes it (one array per quantity).
    ptr : ndarray of int64, shape (n_states + 1,)
        The changes of state ``s`` are entries ``ptr[s]:ptr[s + 1]``.
    cols : ndarray of int32, shape (n_changes,)
        Column of every change, increasing within a state.
    values : tuple of ndarray, each shape (n_changes,)
        The changed values (one array per quantity, dtype may be narrower than the base's).

    Examples
    --------
    Two states over three columns; the second changes column 2 only.

    >>> import numpy as np
    >>> base = np.array([1.0, 2.0, 3.0])
    >>> ch = StateChanges.from_rows((base,), (np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 9.0]]),))
    >>> ch.ptr.tolist(), ch.cols.tolist(), ch.values[0].tolist()
    ([0, 0, 1], [2], [9.0])
    >>> ch.rows(0, 2)[0].tolist()
    [[1.0, 2.0, 3.0], [1.0, 2.0, 9.0]]
    """

    base: tuple[np.ndarray, ...]
    ptr: np.ndarray
    cols: np.ndarray
    values: tuple[np.ndarray, ...]

    @property
    def n_states(self) -> int:
        """Number of states (rows)."""
        return int(self.ptr.size - 1)

    @property
    def n_cols(self) -> int:
        """Number of columns of every row."""
        return int(self.base[0].size)

    @property
    def n_changes(self) -> int:
        """Stored entries over all states."""
        return int(self.cols.size)

    @property
    def nbytes(self) -> int:
        """Memory held, in bytes."""
        arrays = (*self.base, self.ptr, self.cols, *self.values)
        return int(sum(a.nbytes for a in arrays))

    @classmethod
    def from_rows(cls, base: Sequence[np.ndarray], rows: Sequence[np.ndarray],
                  dtypes: Sequence | None = None) -> StateChanges:
        """The changes of dense ``rows`` (each shape (n_states, n_cols)) from ``base``.

        An entry is kept when any quantity differs from its base value (floats bit for bit).
        ``dtypes`` narrows the stored values (e.g. int32 for sample indices).
        """
        base = tuple(np.asarray(b) for b in base)
        n_states = rows[0].shape[0]
        changed = np.zeros(rows[0].shape, dtype=bool)
        for row, b in zip(rows, base, strict=True):
            changed |= _differs(row, np.broadcast_to(b, row.shape))
        r, c = np.nonzero(changed)
        dtypes = dtypes or [row.dtype for row in rows]
        values = tuple(row[r, c].astype(dt, copy=False) for row, dt in zip(rows, dtypes,
                                                                          strict=True))
        ptr = np.r_[0, np.cumsum(np.bincount(r, minlength=n_states))].astype(np.int64)
        return cls(base, ptr, c.astype(np.int32), values)

    @classmethod
    def concat(cls, parts: Sequence[StateChanges]) -> StateChanges:
        """The states of ``parts`` one after the other (same base rows).

        Examples
        --------
        >>> import numpy as np
        >>> base = (np.zeros(2),)
        >>> a = StateChanges.from_rows(base, (np.array([[0.0, 1.0]]),))
        >>> b = StateChanges.from_rows(base, (np.array([[2.0, 0.0], [0.0, 0.0]]),))
        >>> StateChanges.concat([a, b]).rows(0, 3)[0].tolist()
        [[0.0, 1.0], [2.0, 0.0], [0.0, 0.0]]
        """
        first = parts[0]
        offsets = np.cumsum([0] + [p.n_changes for p in parts[:-1]])
        ptr = np.concatenate([first.ptr[:1]] + [p.ptr[1:] + off for p, off in zip(
            parts, offsets, strict=True)])
        cols = np.concatenate([p.cols for p in parts])
        values = tuple(np.concatenate([p.values[q] for p in parts])
                       for q in range(len(first.values)))
        return cls(first.base, ptr.astype(np.int64), cols, values)

    def rows(self, lo: int, hi: int) -> tuple[np.ndarray, ...]:
        """Dense rows of states ``lo:hi``, one (hi - lo, n_cols) array per quantity."""
        n = hi - lo
        a, b = int(self.ptr[lo]), int(self.ptr[hi])
        r = np.repeat(np.arange(n), np.diff(self.ptr[lo : hi + 1]))
        c = self.cols[a:b]
        out = []
        for base, values in zip(self.base, self.values, strict=True):
            block = np.repeat(base[None, :], n, axis=0)
            block[r, c] = values[a:b]
            out.append(block)
        return tuple(out)

    def state_of_change(self) -> np.ndarray:
        """The state of every stored change, shape (n_changes,)."""
        return np.repeat(np.arange(self.n_states), np.diff(self.ptr))

    def values_at(self, states: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, ...]:
        """Values of the (state, column) entries given, one array per quantity.

        Examples
        --------
        >>> import numpy as np
        >>> ch = StateChanges.from_rows((np.array([5, 6]),), (np.array([[5, 6], [7, 6]]),))
        >>> ch.values_at(np.array([0, 1, 1]), np.array([0, 0, 1]))[0].tolist()
        [5, 7, 6]
        """
        states = np.asarray(states, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        keys = self.state_of_change() * self.n_cols + self.cols  # increasing
        want = states * self.n_cols + cols
        pos = np.minimum(np.searchsorted(keys, want), max(keys.size - 1, 0))
        hit = (keys[pos] == want) if keys.size else np.zeros(want.size, dtype=bool)
        out = []
        for base, values in zip(self.base, self.values, strict=True):
            got = base[cols].copy()
            got[hit] = values[pos[hit]]
            out.append(got)
        return tuple(out)

    def pairs_where(self, base_hit: np.ndarray, change_hit: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Every (state, column) whose value meets a condition, in state then column order.

        Parameters
        ----------
        base_hit : ndarray of bool, shape (n_cols,)
            The condition on the base row: it holds in every state that leaves the column.
        change_hit : ndarray of bool, shape (n_changes,)
            The condition on every stored change.

        Examples
        --------
        >>> import numpy as np
        >>> ch = StateChanges.from_rows((np.array([0, 3]),),
        ...                             (np.array([[0, 3], [4, 3], [0, 1]]),))
        >>> s, c = ch.pairs_where(ch.base[0] > 2, ch.values[0] > 2)
        >>> list(zip(s.tolist(), c.tolist()))
        [(0, 1), (1, 0), (1, 1)]
        """
        n_cols = self.n_cols
        keys = self.state_of_change() * n_cols + self.cols
        hit_keys = keys[change_hit]
        base_cols = np.flatnonzero(base_hit)
        if base_cols.size:
            grid = (np.arange(self.n_states)[:, None] * n_cols + base_cols[None, :]).ravel()
            grid = grid[~np.isin(grid, keys, assume_unique=True)]
            hit_keys = np.union1d(hit_keys, grid)
        return hit_keys // max(n_cols, 1), hit_keys % max(n_cols, 1)
