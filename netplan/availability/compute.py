"""Two-terminal unavailability by path decomposition, with a probability cut-off.

The state space of a plane's independent components is split into disjoint events, each
fixing some components up and some down (the classic path decomposition of Dotson and
Gobien): in an event, find a working path from the district to the destination over
components not known to be down; if there is none, the whole event is *down* (its
probability counts fully); if every component on the path is known up, the event is *up*;
otherwise it splits into "the path's free components all up" (up) and, for each free
component ``c_i`` in turn, "``c_1 … c_{i-1}`` up and ``c_i`` down". The events partition the
states, so the sum of the down events is the exact unavailability.

The cut-off: an event whose undecided probability (its probability times the chance that
not all its path's free components are up) is below ``prob_cutoff`` is not split further.
Its undecided mass is added to ``neglected``, so the true unavailability lies in
``[unavailability, unavailability + neglected]``. With ``prob_cutoff=0`` the result is
exact.

The *dominant cut* is the most probable minimal cut among those in the likeliest down
events (each reduced to a minimal set of components that still separates the pair).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from netplan.availability.model import PlaneModel

__all__ = ["PairResult", "PlaneSolver", "pair_unavailability"]

_CUTS_EXAMINED = 8
"""Down events reduced to minimal cuts when looking for the dominant one: an event's
probability also counts the components known up, so the likeliest event need not hold the
likeliest cut."""


@dataclass(frozen=True)
class PairResult:
    """Unavailability of one (source, destination) pair.

    Attributes
    ----------
    unavailability : float
        Probability mass of the states found to separate the pair (a lower bound; exact
        when ``neglected`` is 0).
    neglected : float
        Mass of the states left unresolved by the cut-off: the true value is at most
        ``unavailability + neglected``.
    dominant_cut : tuple of int
        Components of the most probable minimal cut (empty when none was found).
    dominant_cut_probability : float
        Probability that every component of that cut is down.
    events : int
        Events examined (a measure of the work done).
    """

    unavailability: float
    neglected: float
    dominant_cut: tuple[int, ...]
    dominant_cut_probability: float
    events: int


class PlaneSolver:
    """The adjacency of one plane in the form the decomposition walks; reused across pairs.

    Examples
    --------
    >>> from netplan.availability.model import PlaneModel
    >>> m = PlaneModel.from_arrays(["s", "t"], [("a", "s", "t"), ("b", "s", "t")],
    ...                            node_q=[0.0, 0.0], link_q=[0.1, 0.2])
    >>> r = PlaneSolver(m).pair(0, 1)
    >>> round(r.unavailability, 12), r.neglected
    (0.02, 0.0)
    """

    def __init__(self, model: PlaneModel):
        self.model = model
        self.q = [float(x) for x in model.q]
        self.p = [1.0 - x for x in self.q]
        node_comp = model.node_component
        adjacency: list[list[tuple[int, int, tuple[int, ...]]]] = [[] for _ in model.node_ids]
        for e, (a, b) in enumerate(model.link_ends):
            comps = model.link_components[e]
            mask = 0
            for c in comps:
                mask |= 1 << c
            # Stepping over link e onto node w needs e's components and w's up.
            adjacency[a].append((b, mask | (1 << node_comp[b]), (*comps, node_comp[b])))
            adjacency[b].append((a, mask | (1 << node_comp[a]), (*comps, node_comp[a])))
        self.adjacency = adjacency
        self.node_comp = node_comp

    def path(self, s: int, t: int, down: int) -> list[int] | None:
        """Components along a shortest working path from ``s`` to ``t`` (None: separated)."""
        if (down >> self.node_comp[s]) & 1:
            return None
        previous: dict[int, tuple[int, tuple[int, ...]] | None] = {s: None}
        queue = [s]
        adjacency = self.adjacency
        found = s == t
        for v in queue:
            if found:
                break
            for w, mask, comps in adjacency[v]:
                if w in previous or mask & down:
                    continue
                previous[w] = (v, comps)
                if w == t:
                    found = True
                    break
                queue.append(w)
        if not found:
            return None
        out: list[int] = []
        v = t
        while previous[v] is not None:
            v_prev, comps = previous[v]
            out.extend(reversed(comps))
            v = v_prev
        out.append(self.node_comp[s])
        out.reverse()
        return list(dict.fromkeys(out))

    def pair(self, s: int, t: int, prob_cutoff: float = 0.0) -> PairResult:
        """Unavailability of the pair (node indices ``s``, ``t``); see the module docstring."""
        q, p = self.q, self.p
        down_mass = neglected = 0.0
        likeliest: list[tuple[float, int]] = []  # a few of the most probable down events
        events = 0
        stack = [(0, 0, 1.0)]  # (components known up, known down, probability)
        while stack:
            up, down, mass = stack.pop()
            events += 1
            path = self.path(s, t, down)
            if path is None:
                down_mass += mass
                if len(likeliest) < _CUTS_EXAMINED:
                    heapq.heappush(likeliest, (mass, down))
                elif mass > likeliest[0][0]:
                    heapq.heapreplace(likeliest, (mass, down))
                continue
            free = [c for c in path if not (up >> c) & 1]
            if not free:
                continue
            all_up = 1.0
            for c in free:
                all_up *= p[c]
            undecided = mass * (1.0 - all_up)
            if undecided < prob_cutoff:
                neglected += undecided
                continue
            for c in free:
                stack.append((up, down | (1 << c), mass * q[c]))
                up |= 1 << c
                mass *= p[c]
        cut, cut_probability = self._dominant(s, t, [down for _, down in likeliest])
        return PairResult(down_mass, neglected, cut, cut_probability, events)

    def _dominant(self, s: int, t: int, downs: list[int]) -> tuple[tuple[int, ...], float]:
        """The most probable of the minimal cuts within the given down events."""
        best: tuple[tuple[int, ...], float] = ((), 0.0)
        for down in downs:
            cut = self._minimal(s, t, down)
            probability = 1.0
            for c in cut:
                probability *= self.q[c]
            if cut and (probability, best[0]) > (best[1], cut):
                best = (cut, probability)
        return best

    def _minimal(self, s: int, t: int, down: int) -> tuple[int, ...]:
        """Drop components from ``down`` while it still separates the pair (likeliest kept)."""
        comps = [c for c in range(self.model.n_components) if (down >> c) & 1]
        for c in sorted(comps, key=lambda c: self.q[c]):
            trial = down & ~(1 << c)
            if self.path(s, t, trial) is None:
                down = trial
        return tuple(c for c in comps if (down >> c) & 1)


def pair_unavailability(model: PlaneModel, source: str, destination: str, *,
                        prob_cutoff: float = 0.0) -> PairResult:
    """Unavailability between two nodes of ``model``, by their ids.

    Examples
    --------
    >>> from netplan.availability.model import PlaneModel
    >>> m = PlaneModel.from_arrays(["a", "b", "c"], [("ab", "a", "b"), ("bc", "b", "c")],
    ...                            node_q=[0.0, 0.1, 0.0], link_q=[0.0, 0.0])
    >>> r = pair_unavailability(m, "a", "c")
    >>> round(r.unavailability, 12), [m.components[c] for c in r.dominant_cut]
    (0.1, ['node:b'])
    """
    index = model.node_index
    return PlaneSolver(model).pair(index[source], index[destination], prob_cutoff)
