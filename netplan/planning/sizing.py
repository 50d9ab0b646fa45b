"""Tier sizing across years: the cheapest never-shrinking upgrade path of every link.

With routing fixed, each link needs a known capacity in every planning year (the worst-case
load divided by the target utilisation). Capacity is bought in modules of a catalogue tier
(1G, 10G, 100G circuits …). For every link and year choose a tier and a module count that
covers the requirement, such that

* capacity never shrinks from one year to the next (nor below what is installed today);
* staying on a tier and adding modules buys only the added modules;
* changing tier buys all modules of the new tier (the old ones are retired);
* every installed module costs its opex every year;

and the discounted total cost, Σ_y (capex_y + opex_y) / (1 + r)^y with the first planning
year undiscounted, is least. A dynamic programme over years whose state is (tier, modules)
finds the exact optimum, vectorised over links. The module states, what they cost and the
discount factors are defined here once, for the routed planner too.

What a plan buys stays: a link leaves a tier whose modules the plan bought (retiring them)
only when that is cheaper over the horizon, the new modules' capex included, than the
cheapest sequence that keeps every module it buys. Each link is therefore also sized with
that rule as a constraint whenever its unconstrained optimum replaces bought modules; the
replacement is kept only if it saves more than rounding, and the saving is reported
(:attr:`SizingResult.replacement_saving_cny`). Modules installed before the plan may be
replaced freely: they are not bought, and replacing them is priced like any tier change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from netplan.errors import Problem, ValidationError

log = logging.getLogger(__name__)

__all__ = [
    "SizingResult",
    "TierCatalogue",
    "discount_factors",
    "module_table",
    "replaces_bought",
    "size_tiers",
    "state_costs",
]

_CHUNK_ELEMENTS = 4_000_000  # links × states² per DP step, bounds the memory of one step
# A replacement of bought modules must save more than this share of the link's cost: below
# it the two sequences cost the same up to floating-point rounding, and what is bought stays.
_TIE_RTOL = 1e-9


@dataclass(frozen=True, eq=False)
class TierCatalogue:
    """Circuit tiers that can be bought per link, costs per module.

    Parameters
    ----------
    name : sequence of str
    capacity_gbps : (T,) float
    capex_cny : (T,) float
        One-off cost per module.
    opex_cny_per_year : (T,) float
        Running cost per module and year.
    capex_cny_per_km, opex_cny_per_km_year : (T,) float, optional
        Length-dependent terms per module (per km of the link), zero by default.
    max_modules : int or (T,) int
        Most modules of a tier on one link (parallel circuits), 1 by default.

    Examples
    --------
    >>> cat = TierCatalogue(["1G", "10G"], [1, 10], [1e4, 5e4], [2e3, 6e3], max_modules=4)
    >>> cat.max_capacity_gbps
    40.0
    """

    name: tuple[str, ...]
    capacity_gbps: np.ndarray
    capex_cny: np.ndarray
    opex_cny_per_year: np.ndarray
    capex_cny_per_km: np.ndarray | None = None
    opex_cny_per_km_year: np.ndarray | None = None
    max_modules: np.ndarray | int = 1

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        T = len(self.name)
        set_(self, "name", tuple(str(x) for x in self.name))
        problems: list[Problem] = []
        for fld in (
            "capacity_gbps",
            "capex_cny",
            "opex_cny_per_year",
            "capex_cny_per_km",
            "opex_cny_per_km_year",
        ):
            v = getattr(self, fld)
            arr = np.zeros(T) if v is None else np.asarray(v, dtype=float).reshape(-1)
            set_(self, fld, arr)
            if arr.size != T:
                problems.append(
                    Problem("", f"tiers.{fld}", f"has {arr.size} entries, expected {T}")
                )
            elif not np.all(np.isfinite(arr)) or np.any(arr < 0):
                problems.append(Problem("", f"tiers.{fld}", "must be finite and >= 0"))
        mm = np.broadcast_to(np.asarray(self.max_modules), (T,)).astype(float)
        if np.any(mm < 1) or np.any(mm != np.round(mm)):
            problems.append(Problem("", "tiers.max_modules", "must be integers >= 1"))
        set_(self, "max_modules", mm.astype(np.int64))
        if T == 0:
            problems.append(Problem("", "tiers", "the catalogue is empty"))
        elif self.capacity_gbps.size == T and np.any(self.capacity_gbps <= 0):
            problems.append(Problem("", "tiers.capacity_gbps", "must be > 0"))
        if problems:
            raise ValidationError(problems)

    @property
    def max_capacity_gbps(self) -> float:
        """The largest capacity one link can get."""
        return float((self.capacity_gbps * self.max_modules).max())


@dataclass(frozen=True, eq=False)
class SizingResult:
    """Tier, modules and cost per link and year (arrays of shape (L, Y)).

    ``tier`` is an index into the catalogue (``-1``: nothing installed); ``purchase`` marks
    the years in which modules are bought; ``shortfall_gbps`` is the requirement above the
    largest possible capacity (zero when the catalogue suffices). Money is undiscounted
    except ``discounted_cost_cny`` (per link) and ``total_discounted_cost_cny``.

    ``modules_bought`` is the number of new modules bought in the year (all of them on a
    tier change, the added ones otherwise) and ``unit_capex_cny`` the capex of one module of
    the year's tier on that link (per-km part included; 0 with nothing installed), so that
    ``capex_cny == modules_bought * unit_capex_cny`` exactly. ``replaces`` marks the years
    in which the link leaves the tier it had (its modules are retired).
    ``replacement_saving_cny`` is, per link, how much cheaper (discounted) the sequence is
    than the cheapest one that keeps every module it buys; it is 0 unless the sequence
    replaces modules bought within the plan.
    """

    tier: np.ndarray
    modules: np.ndarray
    capacity_gbps: np.ndarray
    capex_cny: np.ndarray
    opex_cny: np.ndarray
    purchase: np.ndarray
    shortfall_gbps: np.ndarray
    discount_factor: np.ndarray
    discounted_cost_cny: np.ndarray
    tier_names: tuple[str, ...]
    modules_bought: np.ndarray
    unit_capex_cny: np.ndarray
    replaces: np.ndarray
    replacement_saving_cny: np.ndarray

    @property
    def total_discounted_cost_cny(self) -> float:
        return float(self.discounted_cost_cny.sum())

    @property
    def feasible(self) -> np.ndarray:
        """Per link: True when every year's requirement is covered."""
        return ~(self.shortfall_gbps > 0).any(axis=1)

    def to_records(self, link_ids=None, years=None) -> list[dict]:
        """One dict per link and year."""
        L, Y = self.tier.shape
        link_ids = list(range(L)) if link_ids is None else list(link_ids)
        years = list(range(Y)) if years is None else list(years)
        out = []
        for i in range(L):
            for y in range(Y):
                t = int(self.tier[i, y])
                out.append(
                    {
                        "link": link_ids[i],
                        "year": years[y],
                        "tier": self.tier_names[t] if t >= 0 else "",
                        "modules": int(self.modules[i, y]),
                        "capacity_gbps": float(self.capacity_gbps[i, y]),
                        "capex_cny": float(self.capex_cny[i, y]),
                        "opex_cny": float(self.opex_cny[i, y]),
                        "purchase": bool(self.purchase[i, y]),
                        "shortfall_gbps": float(self.shortfall_gbps[i, y]),
                    }
                )
        return out


def discount_factors(discount_rate: float, n_years: int) -> np.ndarray:
    """Weight of every planning year's money: ``1 / (1 + r)**y`` for ``y = 0 .. n_years-1``.

    Parameters
    ----------
    discount_rate : float
        Yearly rate ``r``.
    n_years : int
        Planning years; the first is undiscounted.

    Returns
    -------
    (n_years,) float

    Examples
    --------
    >>> discount_factors(0.25, 3).tolist()
    [1.0, 0.8, 0.64]
    """
    return (1.0 + float(discount_rate)) ** -np.arange(n_years, dtype=float)


def module_table(catalogue: TierCatalogue) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every module state of a link: tier index, module count and capacity.

    State 0 is "nothing installed" (tier ``-1``, no modules); then ``(tier, n)`` for
    ``n = 1 .. max_modules`` of every tier, in catalogue order.

    Parameters
    ----------
    catalogue : TierCatalogue

    Returns
    -------
    tier, modules : (S,) int
    capacity_gbps : (S,) float

    Examples
    --------
    >>> cat = TierCatalogue(["1G", "10G"], [1, 10], [1, 5], [1, 2], max_modules=[2, 1])
    >>> [a.tolist() for a in module_table(cat)]
    [[-1, 0, 0, 1], [0, 1, 2, 1], [0.0, 1.0, 2.0, 10.0]]
    """
    tier = [-1]
    modules = [0]
    for t, m in enumerate(catalogue.max_modules):
        tier += [t] * int(m)
        modules += list(range(1, int(m) + 1))
    tier_a = np.asarray(tier, dtype=np.int64)
    mod_a = np.asarray(modules, dtype=np.int64)
    cap = np.where(tier_a >= 0, catalogue.capacity_gbps[np.maximum(tier_a, 0)] * mod_a, 0.0)
    return tier_a, mod_a, cap


def state_costs(
    catalogue: TierCatalogue, state_tier: np.ndarray, state_modules: np.ndarray, length_km
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What modules cost on links of given lengths, per tier and per module state.

    Parameters
    ----------
    catalogue : TierCatalogue
    state_tier, state_modules : (S,) int
        The module states (see :func:`module_table`).
    length_km : (L,) float
        Link lengths for the per-km cost terms.

    Returns
    -------
    unit_capex_cny : (L, T) float
        One module of each tier, bought on each link.
    capex_cny : (L, S) float
        Buying every module of each state from scratch.
    opex_cny : (L, S) float
        Running each state for a year.

    Examples
    --------
    >>> cat = TierCatalogue(["1G"], [1], [10], [2], capex_cny_per_km=[1], max_modules=2)
    >>> tier, n, _ = module_table(cat)
    >>> unit, capex, opex = state_costs(cat, tier, n, [5.0])
    >>> unit.tolist(), capex.tolist(), opex.tolist()
    ([[15.0]], [[0.0, 15.0, 30.0]], [[0.0, 2.0, 4.0]])
    """
    length = np.asarray(length_km, dtype=float).reshape(-1)
    t_idx = np.maximum(state_tier, 0)
    unit_capex = (
        catalogue.capex_cny[None, :] + catalogue.capex_cny_per_km[None, :] * length[:, None]
    )
    unit_opex = (
        catalogue.opex_cny_per_year[None, :]
        + catalogue.opex_cny_per_km_year[None, :] * length[:, None]
    )
    held = state_tier[None, :] >= 0
    opex = np.where(held, state_modules[None, :] * unit_opex[:, t_idx], 0.0)
    capex = np.where(held, state_modules[None, :] * unit_capex[:, t_idx], 0.0)
    return unit_capex, capex, opex


def size_tiers(
    required_gbps,
    catalogue: TierCatalogue,
    *,
    discount_rate: float,
    length_km=None,
    initial_tier=None,
    initial_modules=None,
    keep_bought: bool = False,
) -> SizingResult:
    """Choose per link and year a tier and module count, exactly, at least discounted cost.

    Parameters
    ----------
    required_gbps : (L, Y) float
        Capacity each link needs in each planning year.
    catalogue : TierCatalogue
    discount_rate : float
        Yearly rate ``r``; year ``y`` (0-based) is weighted ``1 / (1 + r)**y``.
    length_km : (L,) float, optional
        Link lengths for the per-km cost terms (zero if omitted).
    initial_tier, initial_modules : (L,) int, optional
        What is installed before the first year (``-1`` / ``0``: nothing). It is already
        paid for, costs opex while kept, and capacity never drops below it.
    keep_bought : bool
        Never replace a module bought within the plan, even where that would pay (the
        cheapest sequence that keeps what it buys). By default a replacement is made when
        it is cheaper over the horizon.

    Returns
    -------
    SizingResult
        Modules bought within the plan are replaced only when that is cheaper over the
        horizon (see the module's docstring); ``replacement_saving_cny`` says by how much.

    Examples
    --------
    One link needing 3, 8 then 15 Gbit/s; 10G modules cost 100 each, 1G modules 30, opex
    zero, no discounting. Buying 10G once (100) beats 3 × 1G then a switch to 10G:

    >>> cat = TierCatalogue(["1G", "10G"], [1, 10], [30, 100], [0, 0], max_modules=[8, 2])
    >>> r = size_tiers([[3, 8, 15]], cat, discount_rate=0.0)
    >>> r.tier.tolist(), r.modules.tolist(), r.capex_cny.tolist()
    ([[1, 1, 1]], [[1, 1, 2]], [[100.0, 0.0, 100.0]])

    1 then 3 Gbit/s; 1G modules cost 2 and 10 a year, 10G 25 and 12 a year (at most two
    1G). A 1G module then a 10G one costs 12 + 37 = 49, exactly as much as 10G from the
    start (37 + 12): the plan keeps what it buys and no module is replaced.

    >>> cat = TierCatalogue(["1G", "10G"], [1, 10], [2, 25], [10, 12], max_modules=[2, 1])
    >>> r = size_tiers([[1, 3]], cat, discount_rate=0.0)
    >>> r.tier.tolist(), r.discounted_cost_cny.tolist(), r.replacement_saving_cny.tolist()
    ([[1, 1]], [49.0], [0.0])
    """
    req = np.asarray(required_gbps, dtype=float)
    if req.ndim == 1:
        req = req[:, None]
    problems: list[Problem] = []
    if req.ndim != 2:
        problems.append(Problem("", "required_gbps", "must be a (links, years) array"))
    elif not np.all(np.isfinite(req)) or np.any(req < 0):
        problems.append(Problem("", "required_gbps", "must be finite and >= 0"))
    if not (0.0 <= float(discount_rate) < 1.0):
        problems.append(Problem("", "discount_rate", f"must be in [0, 1), got {discount_rate}"))
    if problems:
        raise ValidationError(problems)
    L, Y = req.shape
    length = np.zeros(L) if length_km is None else np.asarray(length_km, float).reshape(-1)
    if length.size != L or not np.all(np.isfinite(length)) or np.any(length < 0):
        raise ValidationError([Problem("", "length_km", f"must be {L} finite values >= 0")])

    s_tier, s_n, s_cap = module_table(catalogue)
    init = _initial_states(L, catalogue, s_tier, s_n, initial_tier, initial_modules)

    max_cap = catalogue.max_capacity_gbps
    shortfall = np.maximum(req - max_cap, 0.0)
    if np.any(shortfall > 0):
        bad = np.flatnonzero(shortfall.max(axis=1) > 0)
        log.warning(
            "%d link(s) need more than the largest tier allows (%.6g Gbit/s), e.g. link %d "
            "by %.6g Gbit/s",
            bad.size,
            max_cap,
            int(bad[0]),
            float(shortfall[bad[0]].max()),
        )
    need = np.minimum(req, max_cap)
    # Capacity never below what is already installed.
    need = np.maximum(need, s_cap[init][:, None])

    # Per link and state: opex of the state, and capex of buying its modules from scratch.
    unit_capex, capex_state, opex_state = state_costs(catalogue, s_tier, s_n, length)  # (L, S)
    df = discount_factors(discount_rate, Y)
    table = _StateTable(s_tier, s_n, s_cap)
    costs = (capex_state, opex_state, unit_capex)
    holds = _holds_bought(table, init)
    saving = np.zeros(L)
    if keep_bought:
        path, _ = _cheapest_paths(table, need, init, df, costs, holds)
        return _result(table, path, init, df, costs, shortfall, saving, catalogue.name)
    path, cost = _cheapest_paths(table, need, init, df, costs)
    churn = np.flatnonzero(_replaces_bought(table, path, init))
    if churn.size:
        # What is bought stays unless replacing it is cheaper over the horizon.
        kept, kept_cost = _cheapest_paths(
            table, need[churn], init[churn], df, tuple(c[churn] for c in costs), holds[churn]
        )
        pays = kept_cost > cost[churn] + _TIE_RTOL * np.maximum(1.0, np.abs(cost[churn]))
        path[churn[~pays]] = kept[~pays]
        saving[churn[pays]] = kept_cost[pays] - cost[churn[pays]]
    return _result(table, path, init, df, costs, shortfall, saving, catalogue.name)


@dataclass(frozen=True, eq=False)
class _StateTable:
    """The module states of :func:`module_table` and which moves between them are allowed."""

    tier: np.ndarray
    modules: np.ndarray
    capacity_gbps: np.ndarray

    @property
    def same_tier(self) -> np.ndarray:
        """(prev, new): both states hold modules of one tier."""
        return (self.tier[:, None] == self.tier[None, :]) & (self.tier[:, None] >= 0)

    @property
    def grow(self) -> np.ndarray:
        """(prev, new): capacity never shrinks, modules are never removed from a tier."""
        t, n, cap = self.tier, self.modules, self.capacity_gbps
        ok = cap[None, :] >= cap[:, None] - 1e-9
        ok &= ~self.same_tier | (n[None, :] >= n[:, None])
        ok &= (t[None, :] >= 0) | (t[:, None] < 0)  # 'nothing' only after nothing
        return ok


def _cheapest_paths(table: _StateTable, need, init, df, costs, holds=None):
    """The least discounted cost state sequence of every link, and its cost.

    ``holds`` (links, states), when given, marks the states holding modules bought within
    the plan; from those a link may not change tier.
    """
    capex_state, opex_state, unit_capex = costs
    s_tier, s_cap = table.tier, table.capacity_gbps
    L, Y = need.shape
    S = s_tier.size
    same_tier, grow = table.same_tier, table.grow
    other_tier = s_tier[:, None] != s_tier[None, :]  # (prev, new)
    V = np.full((L, S), np.inf)
    V[np.arange(L), init] = 0.0
    back = np.zeros((Y, L, S), dtype=np.int32)
    chunk = max(1, _CHUNK_ELEMENTS // (S * S))
    for y in range(Y):
        feas = s_cap[None, :] >= need[:, y : y + 1] - 1e-9  # (L, S)
        V_new = np.empty_like(V)
        for lo in range(0, L, chunk):
            hi = min(L, lo + chunk)
            capex = _transition_capex(
                lo, hi, capex_state, unit_capex, s_tier, table.modules, same_tier
            )
            step = capex + opex_state[lo:hi, None, :]
            cand = V[lo:hi, :, None] + df[y] * step
            ok = grow[None, :, :] & feas[lo:hi, None, :]
            if holds is not None:
                ok = ok & ~(holds[lo:hi, :, None] & other_tier[None, :, :])
            cand = np.where(ok, cand, np.inf)
            arg = np.argmin(cand, axis=1)
            back[y, lo:hi] = arg
            V_new[lo:hi] = np.take_along_axis(cand, arg[:, None, :], axis=1)[:, 0, :]
        V = V_new

    if not np.all(np.isfinite(V.min(axis=1))):
        raise AssertionError("sizing DP found no path although requirements were clipped")
    path = np.empty((L, Y), dtype=np.int64)
    path[:, Y - 1] = np.argmin(V, axis=1)
    for y in range(Y - 1, 0, -1):
        path[:, y - 1] = back[y, np.arange(L), path[:, y]]
    return path, V.min(axis=1)


def _holds_bought(table: _StateTable, init) -> np.ndarray:
    """(links, states): the state holds modules bought within the plan.

    A state holds bought modules when it is of another tier than what was installed before
    the plan, or has more modules of that tier.
    """
    tier0, n0 = table.tier[init], table.modules[init]
    held = table.tier[None, :] >= 0
    other = table.tier[None, :] != tier0[:, None]
    more = table.modules[None, :] > n0[:, None]
    return held & (other | more)


def _replaces_bought(table: _StateTable, path, init) -> np.ndarray:
    """(links,): the sequence leaves, in some year, a tier holding modules it bought."""
    t, n = table.tier, table.modules
    return replaces_bought(t[path], n[path], t[init], n[init]).any(axis=1)


def replaces_bought(tier, modules, initial_tier, initial_modules) -> np.ndarray:
    """Per link and year: the link leaves a tier holding modules bought within the plan.

    A link holds bought modules when its tier differs from what was installed before the
    plan, or it has more modules of that tier; leaving such a tier retires them.

    Parameters
    ----------
    tier, modules : (L, Y) int
        Tier index (``-1``: nothing) and modules per link and year.
    initial_tier, initial_modules : (L,) int
        What was installed before the first year.

    Returns
    -------
    (L, Y) bool

    Examples
    --------
    1G bought, kept, then replaced by 10G; a 1G module installed before is replaced first:

    >>> replaces_bought([[0, 0, 1], [1, 1, 1]], [[1, 1, 1], [1, 1, 2]], [-1, 0], [0, 1]).tolist()
    [[False, False, True], [False, False, False]]
    """
    tier = np.asarray(tier, dtype=np.int64)
    modules = np.asarray(modules, dtype=np.int64)
    t0 = np.asarray(initial_tier, dtype=np.int64).reshape(-1, 1)
    n0 = np.asarray(initial_modules, dtype=np.int64).reshape(-1, 1)
    prev_t = np.concatenate([t0, tier[:, :-1]], axis=1)
    prev_n = np.concatenate([n0, modules[:, :-1]], axis=1)
    held = (prev_t >= 0) & ((prev_t != t0) | (prev_n > n0))
    return held & (tier != prev_t)


def _result(table: _StateTable, path, init, df, costs, shortfall, saving, names) -> SizingResult:
    """The sizing result of chosen state sequences: what each year holds, buys and costs."""
    capex_state, opex_state, unit_capex = costs
    s_tier, s_n = table.tier, table.modules
    prev = np.concatenate([init[:, None], path[:, :-1]], axis=1)
    rows = np.arange(path.shape[0])[:, None]
    tier = s_tier[path]
    modules = s_n[path]
    opex = opex_state[rows, path]
    same = (s_tier[prev] == tier) & (tier >= 0)
    bought = np.where(same, modules - s_n[prev], modules)
    unit = np.where(tier >= 0, unit_capex[rows, np.maximum(tier, 0)], 0.0)
    capex = bought * unit
    discounted = ((capex + opex) * df[None, :]).sum(axis=1)
    return SizingResult(
        tier=tier,
        modules=modules,
        capacity_gbps=table.capacity_gbps[path],
        capex_cny=capex,
        opex_cny=opex,
        purchase=path != prev,
        shortfall_gbps=shortfall,
        discount_factor=df,
        discounted_cost_cny=discounted,
        tier_names=names,
        modules_bought=bought,
        unit_capex_cny=unit,
        replaces=(s_tier[prev] >= 0) & (tier != s_tier[prev]),
        replacement_saving_cny=saving,
    )


def _transition_capex(lo, hi, capex_state, unit_capex, s_tier, s_n, same_tier) -> np.ndarray:
    """Capex of moving from each state to each state, for links lo..hi: (l, prev, new)."""
    t_idx = np.maximum(s_tier, 0)
    full = np.broadcast_to(capex_state[lo:hi, None, :], (hi - lo, s_tier.size, s_tier.size))
    added = (s_n[None, :] - s_n[:, None]).clip(min=0)  # (prev, new)
    extra = added[None, :, :] * unit_capex[lo:hi][:, t_idx][:, None, :]
    return np.where(same_tier[None, :, :], extra, full)


def _initial_states(L, cat, s_tier, s_n, initial_tier, initial_modules) -> np.ndarray:
    if initial_tier is None and initial_modules is None:
        return np.zeros(L, dtype=np.int64)
    it = np.broadcast_to(np.asarray(-1 if initial_tier is None else initial_tier), (L,))
    im = np.broadcast_to(np.asarray(0 if initial_modules is None else initial_modules), (L,))
    out = np.zeros(L, dtype=np.int64)
    problems = []
    for i in range(L):
        t, n = int(it[i]), int(im[i])
        if t < 0 or n == 0:
            if (t < 0) != (n == 0):
                problems.append(
                    Problem("", f"initial_tier[{i}]", "tier and module count must both be set")
                )
            continue
        if t >= len(cat.name) or n < 0 or n > cat.max_modules[t]:
            problems.append(
                Problem(
                    "",
                    f"initial_modules[{i}]",
                    f"tier {t} with {n} modules is outside the catalogue",
                )
            )
            continue
        out[i] = int(np.flatnonzero((s_tier == t) & (s_n == n))[0])
    if problems:
        raise ValidationError(problems)
    return out
