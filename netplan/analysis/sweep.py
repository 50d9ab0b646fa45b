"""The failure sweep of a scenario: every plane, every failure state of a policy, every sample.

This is the one place where a scenario's demand meets the failure core
(:func:`netplan.analysis.failures.sweep_failures`). The analysis, the fixed-routing planner
and the batch ``analyze`` stage all call :func:`sweep_scenario`; they differ only in how they
reduce its result.

Nodes a what-if takes out for the whole scenario (a data centre outage, say) stay failed in
every state, the no-failure state included.

A sweep reports its progress to the ``progress`` it is given, or else to the one set with
:func:`sweep_progress` around code that sweeps on the caller's behalf (the analysis, the
fixed-routing planner), so a long sweep on a large network shows where it stands.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from netplan.analysis.failure_states import FailureState, failure_states
from netplan.analysis.failures import FailureSweep, StepProgress, sweep_failures
from netplan.demand import Demand, PlaneDemand
from netplan.model.plane_graph import PlaneGraph


@dataclass(frozen=True, eq=False)
class PlaneSweep:
    """The sweep of one plane of a scenario.

    Attributes
    ----------
    plane : str
    graph : PlaneGraph
        The plane as the what-ifs leave it.
    demand : PlaneDemand
    states : tuple of FailureState
        The policy's states, the no-failure state first, with the scenario's lost nodes.
    sweeps : tuple of FailureSweep
        One per year of the horizon (``by_year``), or one over every (year, hour) sample.
    """

    plane: str
    graph: PlaneGraph
    demand: PlaneDemand
    states: tuple[FailureState, ...]
    sweeps: tuple[FailureSweep, ...]


def with_permanent_failures(states: Sequence[FailureState],
                            permanent_nodes: tuple[int, ...]) -> tuple[FailureState, ...]:
    """``states`` with nodes lost for the whole scenario (what-ifs) added to every one.

    Examples
    --------
    >>> s = with_permanent_failures([FailureState("none", "none")], (3,))
    >>> s[0].name, s[0].nodes
    ('none', (3,))
    """
    if not permanent_nodes:
        return tuple(states)
    return tuple(
        FailureState(state.name, state.kind, state.links,
                     tuple(sorted(set(state.nodes) | set(permanent_nodes))))
        for state in states
    )


_PROGRESS: ContextVar[StepProgress | None] = ContextVar("netplan_sweep_progress", default=None)


@contextmanager
def sweep_progress(progress: StepProgress | None) -> Iterator[None]:
    """Within the block, every :func:`sweep_scenario` reports to ``progress``.

    For callers of code that sweeps on their behalf (:func:`netplan.analyze`, the
    fixed-routing planner): ``progress(done, total, message)`` after every batch of failure
    states. With ``progress`` None, whatever was set outside the block stays.

    Examples
    --------
    >>> import netplan
    >>> from netplan.demand import build_demand
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> seen = []
    >>> with sweep_progress(lambda done, total, message: seen.append(done)):
    ...     study = netplan.analyze(topo, s)
    >>> seen[0] == 0 and seen == sorted(seen) and len(seen) > 2
    True
    """
    if progress is None:
        yield
        return
    token = _PROGRESS.set(progress)
    try:
        yield
    finally:
        _PROGRESS.reset(token)


def sweep_scenario(demand: Demand, policy: str | Sequence[str], *,
                   by_year: bool, progress: StepProgress | None = None) -> tuple[PlaneSweep, ...]:
    """Sweep every plane of a scenario's demand over the failure states of ``policy``.

    Parameters
    ----------
    demand : Demand
        From :func:`netplan.demand.build_demand`; its what-ifs name the topology swept.
    policy : str or sequence of str
        Failure policy (``none``, ``n-1``, ``n-1-nodes``, ``srlg``, ``n-2``).
    by_year : bool
        One sweep per year of the horizon (each over that year's 24 hours), which says in
        which year each worst case falls; or one sweep over every (year, hour) sample.
    progress : callable, optional
        ``progress(done, total, message)`` as each plane (and year) starts and after every
        batch of failure states, counting states over the whole scenario; default: the one
        set by :func:`sweep_progress`, if any.

    Returns
    -------
    tuple of PlaneSweep
        In the order of the demand's planes.

    Examples
    --------
    >>> import netplan
    >>> from netplan.demand import build_demand
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("growth-5y"), topo)
    >>> planes = sweep_scenario(build_demand(topo, s), "n-1", by_year=True)
    >>> [(p.plane, len(p.sweeps)) for p in planes]
    [('extranet', 6), ('intranet', 6)]
    """
    topology = demand.whatif.topology
    report = progress if progress is not None else _PROGRESS.get()
    planes = []
    for plane, pd in demand.planes.items():
        graph = topology.plane_graph(plane)
        index = graph.node_index
        permanent = tuple(index[n] for n in demand.whatif.failed_nodes if n in index)
        states = with_permanent_failures(failure_states(graph, policy), permanent)
        if by_year:
            samples = [(f"{plane} {year}", pd.total_gbps[yi]) for yi, year in enumerate(pd.years)]
        else:
            samples = [(plane, pd.total_gbps.reshape(-1, pd.od_src.size))]
        planes.append((plane, pd, graph, states, samples))
    counter = _StateCounter(report, sum(len(p[3]) * len(p[4]) for p in planes))
    out = []
    for plane, pd, graph, states, samples in planes:
        sweeps = tuple(sweep_failures(graph, pd.od_src, pd.od_dst, block, states,
                                      progress=counter.sweep(label, len(states)))
                       for label, block in samples)
        out.append(PlaneSweep(plane, graph, pd, states, sweeps))
    return tuple(out)


class _StateCounter:
    """Failure states swept so far over a scenario's planes and years, for ``progress``."""

    def __init__(self, report: StepProgress | None, total: int):
        self.report, self.total, self.done = report, total, 0

    def sweep(self, label: str, n_states: int) -> StepProgress | None:
        """The ``progress`` of the next :func:`sweep_failures` (reported as it starts)."""
        if self.report is None:
            return None
        start, message = self.done, f"sweeping failure states: {label}"
        self.done += n_states
        self.report(start, self.total, message)
        return lambda done, _total, _message: self.report(start + done, self.total, message)
