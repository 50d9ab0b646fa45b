"""Solve SNDlib instances with the design MILP and express the answer in SNDlib terms.

Supported model codes (letters in SNDlib order: demands, links, capacities, fixed charge,
routing, admissible paths, hop limits, survivability)::

    demands  U | D        links  U | B | D      capacities  M | E | L   fixed charge  N | Y
    routing  C | S        paths  A | E          hop limits  N | I       survivability N | U

Hop limits (``I``) need single-path routing (``S``) or an explicit path list (``E``).
Integer and OSPF routing, 1+1 and shared path protection, and node hardware are rejected
with a message naming what is supported.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass

import numpy as np

from netplan.errors import Problem, ValidationError
from netplan.io.sndlib import (
    SndlibModel,
    SndlibNetwork,
    SndlibSolution,
    read_model,
    read_network,
)
from netplan.planning.design.milp import solve_design
from netplan.planning.design.problem import DesignProblem, DesignResult

log = logging.getLogger(__name__)

__all__ = [
    "SUPPORTED_MODELS",
    "SndlibResult",
    "SolutionCost",
    "design_problem",
    "solution_cost",
    "solve_sndlib",
    "solve_sndlib_instance",
]

SUPPORTED_MODELS = (
    "DEMAND_MODEL U|D, LINK_MODEL U|B|D, LINK_CAPACITY_MODEL M|E|L, FIXED_CHARGE_MODEL N|Y, "
    "ROUTING_MODEL C|S, ADMISSIBLE_PATH_MODEL A|E, HOP_LIMIT_MODEL N|I (I needs routing S or "
    "paths E), SURVIVABILITY_MODEL N|U"
)
_ROUTING = {"CONTINUOUS": "continuous", "SINGLE_PATH": "single_path"}
_SURVIVABILITY = {"NO_SURVIVABILITY": "none", "UNRESTRICTED_FLOW_RECONFIGURATION": "unrestricted"}
_LINKS = {"UNDIRECTED": "undirected", "BIDIRECTED": "bidirected", "DIRECTED": "directed"}
_CAPACITY = {
    "MODULAR_LINK_CAPACITIES": "modular",
    "EXPLICIT_LINK_CAPACITIES": "explicit",
    "LINEAR_LINK_CAPACITIES": "linear",
}


def _unsupported(model: SndlibModel, key: str, value: str) -> Problem:
    return Problem(
        model.file,
        key,
        f"{value} is not supported (model {model.code}); supported: {SUPPORTED_MODELS}",
    )


def design_problem(network: SndlibNetwork, model: SndlibModel) -> DesignProblem:
    """Translate an SNDlib network and model into a :class:`DesignProblem`.

    Parameters
    ----------
    network : SndlibNetwork
    model : SndlibModel

    Returns
    -------
    DesignProblem

    Raises
    ------
    ValidationError
        For model variants outside :data:`SUPPORTED_MODELS` or inconsistent inputs.

    Examples
    --------
    >>> from netplan.io.sndlib import parse_network, parse_model
    >>> net = parse_network('''?SNDlib native format; type: network; version: 1.0
    ... NODES ( A ( 0 0 ) B ( 1 0 ) )
    ... LINKS ( L1 ( A B ) 0 0 0 0 ( 10 5 ) )
    ... DEMANDS ( D1 ( A B ) 1 7 UNLIMITED )''')
    >>> keys = ["DEMAND_MODEL = UNDIRECTED", "LINK_MODEL = UNDIRECTED",
    ...     "LINK_CAPACITY_MODEL = MODULAR_LINK_CAPACITIES", "FIXED_CHARGE_MODEL = NO",
    ...     "ROUTING_MODEL = INTEGER", "ADMISSIBLE_PATH_MODEL = ALL_PATHS",
    ...     "HOP_LIMIT_MODEL = IGNORE_HOP_LIMITS", "SURVIVABILITY_MODEL = NO_SURVIVABILITY"]
    >>> model = parse_model("?SNDlib native format; type: model; version: 1.0\\n"
    ...     + "\\n".join(keys), file="m.txt")
    >>> try:
    ...     design_problem(net, model)
    ... except ValidationError as err:
    ...     print(err.problems[0].field, "-", err.problems[0].message[:48])
    ROUTING_MODEL - INTEGER is not supported (model U-U-M-N-I-A-N-N)
    """
    problems: list[Problem] = []
    if model.node_model != "NO_NODE_HARDWARE":
        problems.append(_unsupported(model, "NODE_MODEL", model.node_model))
    if model.routing_model not in _ROUTING:
        problems.append(_unsupported(model, "ROUTING_MODEL", model.routing_model))
    if model.survivability_model not in _SURVIVABILITY:
        problems.append(_unsupported(model, "SURVIVABILITY_MODEL", model.survivability_model))
    if model.demand_model == "UNDIRECTED" and model.link_model != "UNDIRECTED":
        problems.append(
            Problem(
                model.file,
                "LINK_MODEL",
                f"undirected demands need undirected links, not {model.link_model}",
            )
        )
    hops_on = model.hop_limit_model == "INDIVIDUAL_HOP_LIMITS"
    explicit = model.admissible_path_model == "EXPLICIT_LIST"
    limited = any(d.max_hops is not None for d in network.demands)
    if hops_on and limited and not explicit and model.routing_model != "SINGLE_PATH":
        problems.append(
            _unsupported(
                model, "HOP_LIMIT_MODEL", "INDIVIDUAL_HOP_LIMITS with continuous all-path routing"
            )
        )
    if problems:
        raise ValidationError(problems)

    nidx = network.node_index()
    lidx = network.link_index()
    links, demands = network.links, network.demands
    module_link = [i for i, lk in enumerate(links) for _ in lk.module_capacities]
    candidate = None
    if explicit:
        missing = [d.id for d in demands if not network.admissible_paths.get(d.id)]
        if missing:
            raise ValidationError(
                [
                    Problem(
                        network.file,
                        f"ADMISSIBLE_PATHS[{missing[0]}]",
                        f"ADMISSIBLE_PATH_MODEL is EXPLICIT_LIST but {len(missing)} demand(s) "
                        "have no admissible path",
                    )
                ]
            )
        candidate = [
            [[lidx[x] for x in links_] for _, links_ in network.admissible_paths[d.id]]
            for d in demands
        ]
    return DesignProblem(
        n_nodes=len(network.nodes),
        link_src=[nidx[lk.source] for lk in links],
        link_dst=[nidx[lk.target] for lk in links],
        pre_capacity=[lk.pre_capacity for lk in links],
        pre_cost=[lk.pre_cost for lk in links],
        routing_cost=[lk.routing_cost for lk in links],
        module_link=np.asarray(module_link, dtype=np.int64),
        module_capacity=[c for lk in links for c in lk.module_capacities],
        module_cost=[c for lk in links for c in lk.module_costs],
        demand_src=[nidx[d.source] for d in demands],
        demand_dst=[nidx[d.target] for d in demands],
        demand_volume=[d.volume for d in demands],
        link_model=_LINKS[model.link_model],
        demand_directed=model.demand_model == "DIRECTED",
        capacity_model=_CAPACITY[model.link_capacity_model],
        routing=_ROUTING[model.routing_model],
        survivability=_SURVIVABILITY[model.survivability_model],
        setup_cost=[lk.setup_cost for lk in links] if model.fixed_charge_model == "YES" else None,
        demand_max_hops=[d.max_hops or 0 for d in demands] if hops_on else None,
        candidate_paths=candidate,
    )


@dataclass(frozen=True, eq=False)
class SndlibResult:
    """A solved SNDlib instance.

    ``modules`` maps link id to the installed ``(module capacity, count)`` pairs (pre-installed
    capacity excluded); ``flows`` maps a state (``"NOS"`` or the failing link id) to, per
    demand id, its ``(flow, link ids)`` paths with the flow in the base unit.
    """

    network: str
    model_code: str
    status: str
    total_cost: float
    bound: float
    gap: float
    modules: dict[str, tuple[tuple[float, int], ...]]
    capacity: dict[str, float]
    flows: dict[str, dict[str, tuple[tuple[float, tuple[str, ...]], ...]]]
    cost_modules: float
    cost_pre: float
    cost_setup: float
    cost_routing: float
    solve_time_s: float
    design: DesignResult
    sndlib_network: SndlibNetwork

    @property
    def has_design(self) -> bool:
        """True when a feasible design was found."""
        return self.design.has_design

    def to_solution(self) -> SndlibSolution:
        """The design as an SNDlib solution (write it with
        :func:`netplan.io.sndlib.write_solution`)."""
        net = self.sndlib_network
        configs: dict[str, tuple[tuple[float, float], ...]] = {}
        for lk in net.links:
            counts: dict[float, float] = {}
            if lk.pre_capacity > 0:
                counts[lk.pre_capacity] = 1.0
            for cap, n in self.modules.get(lk.id, ()):
                counts[cap] = counts.get(cap, 0.0) + n
            configs[lk.id] = tuple(counts.items())
        unit = {d.id: d.routing_unit for d in net.demands}
        routings = {
            state: {
                did: tuple((flow / unit[did], links) for flow, links in plist)
                for did, plist in per.items()
            }
            for state, per in self.flows.items()
        }
        return SndlibSolution(configs, routings, name=f"{self.network} {self.model_code}")


def solve_sndlib_instance(
    network: SndlibNetwork,
    model: SndlibModel,
    *,
    time_limit_s: float = 60.0,
    gap: float = 1e-4,
    formulation: str = "auto",
) -> SndlibResult:
    """Solve a parsed SNDlib instance (see :func:`solve_sndlib`).

    Parameters
    ----------
    network : SndlibNetwork
    model : SndlibModel
    time_limit_s, gap : float
        HiGHS's time limit and relative MIP gap.
    formulation : {"auto", "aggregated", "disaggregated", "path"}

    Returns
    -------
    SndlibResult
    """
    problem = design_problem(network, model)
    res = solve_design(problem, time_limit_s=time_limit_s, gap=gap, formulation=formulation)
    log.info(
        "%s %s: %s, cost %.6g, bound %.6g, gap %.3g, %.1f s",
        network.name,
        model.code,
        res.status,
        res.objective,
        res.bound,
        res.gap,
        res.solve_time_s,
    )
    links, demands = network.links, network.demands
    modules: dict[str, tuple[tuple[float, int], ...]] = {}
    capacity: dict[str, float] = {}
    flows: dict[str, dict[str, tuple[tuple[float, tuple[str, ...]], ...]]] = {}
    if res.has_design:
        pos = 0
        for i, lk in enumerate(links):
            pairs = []
            for cap in lk.module_capacities:
                n = res.module_count[pos]
                pos += 1
                if n > 0:
                    pairs.append((cap, int(n) if float(n).is_integer() else float(n)))
            modules[lk.id] = tuple(pairs)
            capacity[lk.id] = float(res.capacity[i])
        for s, failed in enumerate(res.states):
            name = "NOS" if not failed else "+".join(links[i].id for i in failed)
            flows[name] = {
                d.id: tuple(
                    (amount, tuple(links[i].id for i in path)) for amount, path in res.paths[s][k]
                )
                for k, d in enumerate(demands)
            }
    return SndlibResult(
        network=network.name,
        model_code=model.code,
        status=res.status,
        total_cost=res.objective,
        bound=res.bound,
        gap=res.gap,
        modules=modules,
        capacity=capacity,
        flows=flows,
        cost_modules=res.cost_modules,
        cost_pre=res.cost_pre,
        cost_setup=res.cost_setup,
        cost_routing=res.cost_routing,
        solve_time_s=res.solve_time_s,
        design=res,
        sndlib_network=network,
    )


def solve_sndlib(
    network_path: str | os.PathLike,
    model_path: str | os.PathLike,
    time_limit_s: float = 60.0,
    gap: float = 1e-4,
    *,
    formulation: str = "auto",
) -> SndlibResult:
    """Read an SNDlib network and model file and solve the design MILP.

    Parameters
    ----------
    network_path, model_path : path
        SNDlib native files.
    time_limit_s : float
        HiGHS time limit.
    gap : float
        Relative MIP gap at which HiGHS stops (0 proves optimality).
    formulation : str
        See :func:`netplan.planning.design.milp.solve_design`.

    Returns
    -------
    SndlibResult
        Status, total cost, bound, gap, modules per link and flows per state and demand.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "net.txt").write_text('''?SNDlib native format; type: network; version: 1.0
    ... NODES ( A ( 0 0 ) B ( 1 0 ) C ( 1 1 ) )
    ... LINKS ( L1 ( A B ) 0 0 0 0 ( 10 4 ) L2 ( B C ) 0 0 0 0 ( 10 4 )
    ...         L3 ( A C ) 0 0 0 0 ( 10 9 ) )
    ... DEMANDS ( D1 ( A C ) 1 12 UNLIMITED )''')
    >>> _ = (d / "model.txt").write_text('''?SNDlib native format; type: model; version: 1.0
    ... DEMAND_MODEL = UNDIRECTED
    ... LINK_MODEL = UNDIRECTED
    ... LINK_CAPACITY_MODEL = MODULAR_LINK_CAPACITIES
    ... FIXED_CHARGE_MODEL = NO
    ... ROUTING_MODEL = CONTINUOUS
    ... ADMISSIBLE_PATH_MODEL = ALL_PATHS
    ... HOP_LIMIT_MODEL = IGNORE_HOP_LIMITS
    ... SURVIVABILITY_MODEL = NO_SURVIVABILITY''')
    >>> r = solve_sndlib(d / "net.txt", d / "model.txt", time_limit_s=10, gap=0)
    >>> r.status, r.total_cost, r.modules["L1"], r.modules["L3"]
    ('optimal', 16.0, ((10.0, 2),), ())
    """
    return solve_sndlib_instance(
        read_network(network_path),
        read_model(model_path),
        time_limit_s=time_limit_s,
        gap=gap,
        formulation=formulation,
    )


# --------------------------------------------------------------------------------------------
# Cost of a given solution


@dataclass(frozen=True)
class SolutionCost:
    """Cost terms of an SNDlib solution as SNDlib defines them."""

    pre_installed: float
    modules: float
    setup: float
    routing: float

    @property
    def total(self) -> float:
        return self.pre_installed + self.modules + self.setup + self.routing


def solution_cost(
    network: SndlibNetwork, model: SndlibModel, solution: SndlibSolution
) -> SolutionCost:
    """Price an SNDlib solution following the SNDlib solution-format rules.

    Link configurations include the pre-installed capacity; the remaining pairs must be
    installable modules of the link. Routing cost: with no survivability, routing cost × flow
    in the normal state; with 1+1 protection, Σ over links and demands of the largest flow of
    the demand on the link in any state; with shared protection or unrestricted
    reconfiguration, Σ over links of the largest total flow in any state. A failure state
    routes a demand by its own ``ROUTINGS <link>`` section, else by ``DEFAULT_BACKUP`` when
    the link breaks the demand's normal routing, else by the normal routing.

    Parameters
    ----------
    network : SndlibNetwork
    model : SndlibModel
    solution : SndlibSolution

    Returns
    -------
    SolutionCost

    Examples
    --------
    >>> from netplan.io.sndlib import parse_network, parse_model, parse_solution
    >>> net = parse_network('''?SNDlib native format; type: network; version: 1.0
    ... NODES ( A ( 0 0 ) B ( 1 0 ) )
    ... LINKS ( L1 ( A B ) 5 2 1 0 ( 5 3 ) )
    ... DEMANDS ( D1 ( A B ) 1 7 UNLIMITED )''')
    >>> keys = ["DEMAND_MODEL = UNDIRECTED", "LINK_MODEL = UNDIRECTED",
    ...     "LINK_CAPACITY_MODEL = MODULAR_LINK_CAPACITIES", "FIXED_CHARGE_MODEL = NO",
    ...     "ROUTING_MODEL = CONTINUOUS", "ADMISSIBLE_PATH_MODEL = ALL_PATHS",
    ...     "HOP_LIMIT_MODEL = IGNORE_HOP_LIMITS", "SURVIVABILITY_MODEL = NO_SURVIVABILITY"]
    >>> model = parse_model("?SNDlib native format; type: model; version: 1.0\\n"
    ...     + "\\n".join(keys))
    >>> sol = parse_solution('''?SNDlib native format; type: solution; version: 1.0
    ... LINK-CONFIGURATIONS ( L1 ( 5 2 ) )
    ... ROUTINGS NOS ( D1 ( 7 ( L1 ) ) )''')
    >>> c = solution_cost(net, model, sol)
    >>> c.pre_installed, c.modules, c.routing, c.total
    (2.0, 3.0, 7.0, 12.0)
    """
    problems: list[Problem] = []
    lidx = network.link_index()
    links = network.links
    installed = np.zeros(len(links))
    modules_cost = 0.0
    for lid, pairs in solution.link_configurations.items():
        if lid not in lidx:
            problems.append(Problem(solution.file, f"LINK-CONFIGURATIONS[{lid}]", "unknown link"))
            continue
        lk = links[lidx[lid]]
        counts: dict[float, float] = {}
        for cap, n in pairs:
            counts[cap] = counts.get(cap, 0.0) + n
        if lk.pre_capacity > 0:
            if counts.get(lk.pre_capacity, 0.0) < 1:
                problems.append(
                    Problem(
                        solution.file,
                        f"LINK-CONFIGURATIONS[{lid}]",
                        f"pre-installed capacity {lk.pre_capacity:g} is not listed",
                    )
                )
                continue
            counts[lk.pre_capacity] -= 1.0
        for cap, n in counts.items():
            if n <= 0:
                continue
            match = [k for k, c in enumerate(lk.module_capacities) if math.isclose(c, cap)]
            if not match:
                problems.append(
                    Problem(
                        solution.file,
                        f"LINK-CONFIGURATIONS[{lid}]",
                        f"capacity {cap:g} is not a module of link {lid}",
                    )
                )
                continue
            modules_cost += n * lk.module_costs[match[0]]
            installed[lidx[lid]] += n * cap
    if problems:
        raise ValidationError(problems)
    capacity = installed + np.array([lk.pre_capacity for lk in links])
    setup = 0.0
    if model.fixed_charge_model == "YES":
        setup = float(sum(lk.setup_cost for lk, c in zip(links, capacity, strict=True) if c > 0))
    pre = float(sum(lk.pre_cost for lk in links))
    routing = _routing_cost(network, model, solution)
    return SolutionCost(pre, modules_cost, setup, routing)


def _routing_cost(network: SndlibNetwork, model: SndlibModel, solution: SndlibSolution) -> float:
    lidx = network.link_index()
    rc = np.array([lk.routing_cost for lk in network.links])
    if not np.any(rc > 0):
        return 0.0
    unit = {d.id: d.routing_unit for d in network.demands}
    nos = solution.routings.get("NOS", {})

    def flows_of(plist, did) -> np.ndarray:
        f = np.zeros(len(rc))
        for amount, lids in plist:
            for lid in lids:
                f[lidx[lid]] += amount * unit[did]
        return f

    demand_ids = [d.id for d in network.demands]
    base = {did: flows_of(nos.get(did, ()), did) for did in demand_ids}
    states = [base]
    if model.survivability_model != "NO_SURVIVABILITY":
        backup = solution.routings.get("DEFAULT_BACKUP", {})
        for lk in network.links:
            own = solution.routings.get(lk.id, {})
            state = {}
            for did in demand_ids:
                hit = base[did][lidx[lk.id]] > 0
                if did in own:
                    state[did] = flows_of(own[did], did)
                elif hit and did in backup:
                    state[did] = flows_of(backup[did], did)
                else:
                    state[did] = base[did]
            states.append(state)
    per = np.stack([np.stack([s[did] for did in demand_ids]) for s in states])  # (S, D, L)
    if model.survivability_model == "ONE_PLUS_ONE_PROTECTION":
        return float(rc @ per.max(axis=0).sum(axis=0))
    return float(rc @ per.sum(axis=1).max(axis=0))
