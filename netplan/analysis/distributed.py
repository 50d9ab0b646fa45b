"""The failure sweep spread over many processes or machines: failure states in parts.

Every failure state is re-routed and reduced on its own (its worst load per arc over the
samples does not depend on which other states share its batch), so the states of a sweep
can be cut into parts and swept anywhere: each part gets the graph, the demand and the
no-failure routes, returns its states' worst loads, reachability and latencies as changes
from the no-failure routes (:class:`~netplan.analysis.state_changes.StateChanges`), and the
parts are put back in state order. The final reductions over states and links run where
the sweep was called. Results are identical to one process, whatever the number of parts.

Any :class:`concurrent.futures.Executor` does: a process pool, or a Dask cluster's
(``client.get_executor()``; ``egov-netplan analyze --dask ADDRESS`` or ``--dask-local``).
"""

from __future__ import annotations

import concurrent.futures as cf
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from netplan.analysis import failures
from netplan.analysis.reroute import no_failure_routes
from netplan.analysis.state_changes import StateChanges

__all__ = ["spread_states", "state_parts"]


def state_parts(n_states: int, n_parts: int, batch_size: int) -> list[tuple[int, int]]:
    """Cut ``range(n_states)`` into at most ``n_parts`` ranges of whole batches.

    Examples
    --------
    >>> state_parts(10, 3, 2)
    [(0, 4), (4, 8), (8, 10)]
    >>> state_parts(3, 8, 5)
    [(0, 3)]
    """
    n_batches = -(-n_states // max(batch_size, 1))
    per_part = -(-n_batches // max(1, min(n_parts, n_batches))) * batch_size
    return [(lo, min(lo + per_part, n_states)) for lo in range(0, n_states, per_part)]


def _sweep_part(graph, base, states, src, dst, demand, no_failure, batch_size, sample_chunk,
                max_block_elements):
    """One part, where it runs: the failure pass of its states, there and then.

    With ``base`` None the part routes the no-failure state itself: the same routes, bit
    for bit, for much less than shipping their distance table (destinations x nodes).
    Returns the part's results and what it cost there: processor seconds and the peak
    resident memory of the process that ran it.
    """
    cpu = time.process_time()
    token = failures._STATE_SPREAD.set(None)  # an in-process executor must not spread again
    try:
        if base is None:
            base = no_failure_routes(graph, src, dst)
        out = failures._failure_pass(graph, base, states, src, dst, demand, no_failure,
                                     batch_size, sample_chunk, max_block_elements)
    finally:
        failures._STATE_SPREAD.reset(token)
    return out, {"states": len(states), "cpu_s": time.process_time() - cpu,
                 "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float | None:
    """Peak resident memory of this process in MB (None where the platform does not say)."""
    try:
        import resource
    except ImportError:  # not on every platform
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS


@contextmanager
def spread_states(executor: cf.Executor, parts: int) -> Iterator[list[dict]]:
    """Within the block, every failure sweep sends its states to ``executor`` in ``parts``.

    Parameters
    ----------
    executor : concurrent.futures.Executor
        Runs the parts (its workers import netplan).
    parts : int
        How many parts to cut each sweep's states into (two or three per worker keeps
        them all busy while bounding what each holds at once).

    Yields
    ------
    list of dict
        Filled as parts finish: per part, the graph's name, its first state, how many
        states, the processor seconds it took and the peak resident memory (MB) of the
        process that ran it (``peak_rss_mb``, None where the platform does not say).

    Examples
    --------
    Two worker threads, three parts: the same worst loads as one process.

    >>> from netplan.model.plane_graph import PlaneGraph
    >>> from netplan.analysis.failures import failure_states, sweep_failures
    >>> g = PlaneGraph.from_links("t", list("ABC"), ["ab", "bc", "ca"], list("ABC"),
    ...                           list("BCA"), capacity_gbps=[10.0, 2.0, 10.0])
    >>> states = failure_states(g, "n-1")
    >>> one = sweep_failures(g, ["A"], ["B"], [[1.0], [0.5]], states, batch_size=1)
    >>> with cf.ThreadPoolExecutor(2) as pool, spread_states(pool, parts=3) as done:
    ...     spread = sweep_failures(g, ["A"], ["B"], [[1.0], [0.5]], states, batch_size=1)
    >>> (spread.state_arc_load_gbps == one.state_arc_load_gbps).all()
    np.True_
    >>> sorted(part["states"] for part in done)
    [2, 2]
    """

    def run(graph, base, states, src, dst, demand, no_failure, batch_size, sample_chunk,
            max_block_elements, progress):
        demand = np.asarray(demand, dtype=np.float64)  # a memmap travels as its values
        cuts = state_parts(len(states), parts, batch_size)
        futures = {
            executor.submit(_sweep_part, graph, None, states[lo:hi], src, dst, demand,
                            no_failure, batch_size, sample_chunk, max_block_elements): i
            for i, (lo, hi) in enumerate(cuts)
        }
        done_states, results = 0, [None] * len(cuts)
        for future in cf.as_completed(futures):
            i = futures[future]
            results[i], cost = future.result()
            log.append({"graph": graph.name, "first_state": cuts[i][0]} | cost)
            done_states += cuts[i][1] - cuts[i][0]
            if progress is not None:
                progress(done_states, len(states), f"failure states of {graph.name}")
        return failures._PerState(
            arcs=StateChanges.concat([r.arcs for r in results]),
            ods=StateChanges.concat([r.ods for r in results]),
        )

    log: list[dict] = []
    token = failures._STATE_SPREAD.set(run)
    try:
        yield log
    finally:
        failures._STATE_SPREAD.reset(token)
