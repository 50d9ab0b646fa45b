"""From a batch to its variants: grid products, Monte Carlo draws, scenario lists, and seeds.

Every variant gets its own seed from the batch seed: variant *i* uses the child
``numpy.random.SeedSequence(seed, spawn_key=(i,))`` — what ``SeedSequence(seed).spawn(n)[i]``
gives — so a variant's draws and seed depend only on the batch seed and its index, never
on the number of variants, the executor or the order in which variants run. Adding draws to a
Monte Carlo batch therefore keeps the existing ones unchanged.
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy.special import ndtr, ndtri

from netplan.batch.definition import BatchDefinition, Distribution
from netplan.batch.targets import Target, failure_pool
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology

REMOVED_LINKS = "removed_links"
"""Parameter column listing the links a Monte Carlo draw removed (``;``-separated)."""


class BatchInputs(Protocol):
    """What :func:`expand` reads of a batch (a :class:`netplan.batch.spec.Batch` has it all)."""

    @property
    def definition(self) -> BatchDefinition:
        """The batch definition."""

    @property
    def topology(self) -> Topology:
        """The topology every variant runs on."""

    @property
    def scenario(self) -> Scenario | None:
        """The scenario the parameters vary (None for a ``scenarios`` list)."""

    @property
    def scenarios(self) -> tuple[tuple[str, Scenario], ...]:
        """For a ``scenarios`` list: each file's path and scenario."""

    @property
    def targets(self) -> dict[str, Target]:
        """Parameter name → :class:`~netplan.batch.targets.Target`."""


@dataclass(frozen=True)
class Variant:
    """One member of a batch.

    Attributes
    ----------
    index : int
        Position in the batch (0-based).
    id : str
        ``v00000``-style identifier, stable for a given index.
    parameters : dict
        The varied values, JSON-ready, by parameter name.
    seed : int
        The variant's seed (derived from the batch seed and the index).
    scenario : dict
        The resolved scenario as plain data (parameters applied, seed set); workers
        validate it with :func:`netplan.io.scenario_io.build_scenario`.
    """

    index: int
    id: str
    parameters: dict[str, Any]
    seed: int
    scenario: dict[str, Any]


def variant_id(index: int) -> str:
    """The identifier of the variant at ``index``.

    Examples
    --------
    >>> variant_id(7)
    'v00007'
    """
    return f"v{index:05d}"


def variant_seeds(seed: int, index: int) -> tuple[np.random.Generator, int]:
    """The generator for variant ``index``'s draws and its integer seed.

    Examples
    --------
    >>> rng, s = variant_seeds(42, 3)
    >>> rng2, s2 = variant_seeds(42, 3)
    >>> s == s2 and rng.random() == rng2.random()
    True
    >>> variant_seeds(42, 4)[1] != s
    True
    """
    child = np.random.SeedSequence(seed, spawn_key=(index,))
    draws, own = child.spawn(2)
    value = int(own.generate_state(1, dtype=np.uint64)[0]) >> 1  # fits a scenario's 63-bit seed
    return np.random.Generator(np.random.PCG64(draws)), value


def draw(dist: Distribution, rng: np.random.Generator) -> Any:
    """One value from ``dist``, by inverting its CDF at a single uniform draw.

    Each parameter uses exactly one uniform number, so the stream stays aligned whatever
    the distributions are.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = draw(Distribution(dist="normal", mean=0.2, sd=0.1, low=0.0, high=0.3), rng)
    >>> 0.0 <= x <= 0.3
    True
    >>> draw(Distribution(dist="choice", values=["a", "b"], weights=[0, 1]), rng)
    'b'
    """
    u = float(rng.random())
    if dist.dist == "uniform":
        return dist.low + u * (dist.high - dist.low)
    if dist.dist == "normal":
        lo = 0.0 if dist.low is None else float(ndtr((dist.low - dist.mean) / dist.sd))
        hi = 1.0 if dist.high is None else float(ndtr((dist.high - dist.mean) / dist.sd))
        p = lo + u * (hi - lo)
        p = min(max(p, np.nextafter(0.0, 1.0)), np.nextafter(1.0, 0.0))
        value = dist.mean + dist.sd * float(ndtri(p))
        # Rounding at the inverse CDF may step a hair outside the bounds.
        if dist.low is not None:
            value = max(value, dist.low)
        if dist.high is not None:
            value = min(value, dist.high)
        return value
    if dist.dist == "triangular":
        a, c, b = dist.low, dist.mode, dist.high
        split = (c - a) / (b - a)
        if u < split:
            return a + math.sqrt(u * (b - a) * (c - a))
        return b - math.sqrt((1.0 - u) * (b - a) * (b - c))
    if dist.dist == "lognormal":
        p = min(max(u, np.nextafter(0.0, 1.0)), np.nextafter(1.0, 0.0))
        return math.exp(dist.mu + dist.sigma * float(ndtri(p)))
    weights = np.ones(len(dist.values)) if dist.weights is None else np.asarray(dist.weights)
    cumulative = np.cumsum(weights) / weights.sum()
    pick = int(np.searchsorted(cumulative, u, side="right"))
    return dist.values[min(pick, len(dist.values) - 1)]


def apply_parameter(scenario: dict[str, Any], target: Target, value: Any) -> None:
    """Write ``value`` into the scenario data ``scenario`` (in place) where ``target`` says.

    Examples
    --------
    >>> data = {"services": [{"id": "video", "active_fraction": 0.5}]}
    >>> apply_parameter(data, Target("s", "service", ("video", "active_fraction")), 0.7)
    >>> apply_parameter(data, Target("g", "growth", ("video",)), 0.3)
    >>> apply_parameter(data, Target("x", "scale", ("video",)), 2.0)
    >>> data["services"][0]["active_fraction"], data["growth_per_year"], data["overrides"]
    (0.7, {'video': 0.3}, [{'action': 'scale_service', 'service': 'video', 'factor': 2.0}])
    """
    kind, path = target.kind, target.path
    if kind == "growth":
        scenario.setdefault("growth_per_year", {})[path[0]] = value
    elif kind == "service":
        service = next(s for s in scenario["services"] if s["id"] == path[0])
        if len(path) == 3:
            sub = service.get(path[1]) or {}
            service[path[1]] = {**sub, path[2]: value}
        else:
            service[path[1]] = value
    elif kind == "scale":
        _append_override(scenario, {"action": "scale_service", "service": path[0], "factor": value})
    elif kind == "scale_district":
        _append_override(scenario, {"action": "scale_district", "node": path[0], "factor": value})
    elif kind == "remove_link":
        if value not in (None, ""):
            _append_override(scenario, {"action": "remove_link", "link": value})
    elif kind == "field":
        if len(path) == 1:
            scenario[path[0]] = value
        else:
            scenario[path[0]] = {**(scenario.get(path[0]) or {}), path[1]: value}
    else:  # pragma: no cover - parse_target makes only the kinds above
        raise ValueError(f"unknown target kind {kind!r}")


def _append_override(scenario: dict[str, Any], override: dict[str, Any]) -> None:
    scenario["overrides"] = [*scenario.get("overrides", []), override]


def _plain(value: Any) -> Any:
    """JSON-ready Python scalars (numpy numbers become int/float)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def expand(batch: BatchInputs) -> tuple[Variant, ...]:
    """Every variant of ``batch``, in order.

    ``grid``: the Cartesian product, the last parameter varying fastest. ``monte_carlo``:
    ``draws`` variants, the parameters drawn in the order they are written, then the link
    failures. ``scenarios``: one variant per file, parameter ``scenario`` naming it.

    Examples
    --------
    >>> import netplan
    >>> from netplan.batch.spec import build_batch
    >>> b = build_batch({"name": "g", "scenario": str(netplan.default_scenario_path()),
    ...                  "stage": "demand", "grid": {"horizon_years": [0, 1],
    ...                  "scale.video_conference": [1.0, 2.0]}})
    >>> [v.parameters["scale.video_conference"] for v in expand(b)]
    [1.0, 2.0, 1.0, 2.0]
    """
    from netplan.io.scenario_io import scenario_to_dict

    definition = batch.definition
    out: list[Variant] = []
    if definition.scenarios is not None:
        for index, (path, scenario) in enumerate(batch.scenarios):
            _, seed = variant_seeds(definition.seed, index)
            data = scenario_to_dict(scenario) | {"seed": seed}
            out.append(Variant(index, variant_id(index), {"scenario": path}, seed, data))
        return tuple(out)

    base = scenario_to_dict(batch.scenario)
    if definition.grid is not None:
        names = list(definition.grid)
        combos = itertools.product(*(definition.grid[name] for name in names))
        rows = [dict(zip(names, (_plain(v) for v in combo), strict=True)) for combo in combos]
        for index, parameters in enumerate(rows):
            _, seed = variant_seeds(definition.seed, index)
            out.append(_variant(batch, base, index, parameters, seed, ()))
        return tuple(out)

    mc = definition.monte_carlo
    pool = (
        failure_pool(batch.topology, batch.scenario, mc.link_failures.plane)
        if mc.link_failures is not None
        else []
    )
    for index in range(mc.draws):
        rng, seed = variant_seeds(definition.seed, index)
        parameters = {name: _plain(draw(dist, rng)) for name, dist in mc.parameters.items()}
        removed: tuple[str, ...] = ()
        if mc.link_failures is not None:
            picks = rng.choice(len(pool), size=mc.link_failures.count, replace=False)
            removed = tuple(pool[i] for i in sorted(int(p) for p in picks))
            parameters[REMOVED_LINKS] = ";".join(removed)
        out.append(_variant(batch, base, index, parameters, seed, removed))
    return tuple(out)


def _variant(
    batch: BatchInputs,
    base: dict[str, Any],
    index: int,
    parameters: dict[str, Any],
    seed: int,
    removed: tuple[str, ...],
) -> Variant:
    data = copy.deepcopy(base)
    for name, value in parameters.items():
        if name in batch.targets:
            apply_parameter(data, batch.targets[name], value)
    for link in removed:
        _append_override(data, {"action": "remove_link", "link": link})
    data["seed"] = seed
    return Variant(index, variant_id(index), parameters, seed, data)
