"""Module states of a link and what moving between them costs in one year.

The states are those of :func:`netplan.planning.sizing.module_table`: state 0 is "nothing
installed", then ``(tier, n)`` for ``n = 1 .. max_modules`` of every tier, in catalogue
order. From last year's state a link may move to any state that does not shrink its
capacity; staying on a tier buys only the added modules, changing tier buys every module of
the new tier, and the year's opex is paid on every installed module. A candidate link also
pays its fixed build charge in the year it first gets capacity. With last year's state
known, each state's cost this year is a constant, so choosing one state per link is a
linear (binary) decision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netplan.planning.sizing import TierCatalogue, module_table, state_costs

__all__ = ["ModuleStates", "module_states", "year_options"]

_CAP_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class ModuleStates:
    """Every state a link can be in: tier index (``-1`` = nothing), modules and capacity."""

    tier: np.ndarray
    modules: np.ndarray
    capacity_gbps: np.ndarray

    @property
    def size(self) -> int:
        """Number of states, 'nothing' included."""
        return int(self.tier.size)

    def index(self, tier: int, modules: int) -> int:
        """The state holding ``modules`` modules of tier ``tier`` (0 for nothing)."""
        if tier < 0 or modules <= 0:
            return 0
        hit = np.flatnonzero((self.tier == tier) & (self.modules == modules))
        if hit.size == 0:
            raise KeyError((tier, modules))
        return int(hit[0])


def module_states(catalogue: TierCatalogue) -> ModuleStates:
    """The states of a link for ``catalogue``, in the order the sizing programme uses.

    Parameters
    ----------
    catalogue : TierCatalogue

    Returns
    -------
    ModuleStates

    Examples
    --------
    >>> cat = TierCatalogue(["1G", "10G"], [1, 10], [1, 5], [1, 2], max_modules=[2, 1])
    >>> st = module_states(cat)
    >>> st.tier.tolist(), st.modules.tolist(), st.capacity_gbps.tolist()
    ([-1, 0, 0, 1], [0, 1, 2, 1], [0.0, 1.0, 2.0, 10.0])
    """
    return ModuleStates(*module_table(catalogue))


def year_options(
    catalogue: TierCatalogue,
    states: ModuleStates,
    previous,
    *,
    length_km=None,
    build_capex_cny=None,
    capacity_max_gbps=None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which states each link may take this year and what each costs (undiscounted CNY).

    Parameters
    ----------
    catalogue : TierCatalogue
    states : ModuleStates
    previous : (L,) int
        Every link's state last year (or what is installed before the first year).
    length_km : (L,) float, optional
        Lengths for the per-km cost terms.
    build_capex_cny : (L,) float, optional
        Fixed charge paid when a link moves from nothing to some capacity (candidates).
    capacity_max_gbps : (L,) float, optional
        Most capacity a link can take (``inf`` or NaN: the catalogue's limit). A link
        already above it keeps what it has.

    Returns
    -------
    allowed : (L, S) bool
    capex_cny : (L, S) float
        This year's purchase (modules bought, plus the build charge).
    opex_cny : (L, S) float
        This year's running cost of the state.

    Examples
    --------
    A link on one 1G module (state 1) may keep it (opex only), add a second 1G module
    (capex of one module), or move to 10G (capex of the 10G module); it may not drop to
    nothing.

    >>> cat = TierCatalogue(["1G", "10G"], [1, 10], [1, 5], [1, 2], max_modules=[2, 1])
    >>> ok, capex, opex = year_options(cat, module_states(cat), [1])
    >>> ok.tolist(), capex.tolist(), opex.tolist()
    ([[False, True, True, True]], [[0.0, 0.0, 1.0, 5.0]], [[0.0, 1.0, 2.0, 2.0]])
    """
    prev = np.asarray(previous, dtype=np.int64).reshape(-1)
    L = prev.size
    length = np.zeros(L) if length_km is None else np.asarray(length_km, float).reshape(-1)
    build = np.zeros(L) if build_capex_cny is None else np.asarray(build_capex_cny, float)
    cmax = (
        np.full(L, np.inf)
        if capacity_max_gbps is None
        else np.asarray(capacity_max_gbps, dtype=float).reshape(-1)
    )
    cmax = np.where(np.isnan(cmax), np.inf, cmax)
    s_tier, s_n, s_cap = states.tier, states.modules, states.capacity_gbps
    t_idx = np.maximum(s_tier, 0)
    unit_capex, full, opex = state_costs(catalogue, s_tier, s_n, length)
    p_tier, p_n, p_cap = s_tier[prev], s_n[prev], s_cap[prev]
    same = (s_tier[None, :] == p_tier[:, None]) & (p_tier[:, None] >= 0)
    added = np.clip(s_n[None, :] - p_n[:, None], 0, None)
    capex = np.where(same, added * unit_capex[:, t_idx], full)
    # A link given capacity for the first time pays its build charge.
    first = (p_tier[:, None] < 0) & (s_tier[None, :] >= 0)
    capex = capex + np.where(first, build[:, None], 0.0)
    allowed = s_cap[None, :] >= p_cap[:, None] - _CAP_TOL
    allowed &= ~same | (s_n[None, :] >= p_n[:, None])
    allowed &= (s_tier[None, :] >= 0) | (p_tier[:, None] < 0)
    allowed &= (s_cap[None, :] <= cmax[:, None] + _CAP_TOL) | (
        np.arange(states.size) == prev[:, None]
    )
    return allowed, capex, opex
