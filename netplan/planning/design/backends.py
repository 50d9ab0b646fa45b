"""Two ways to hand the design MILP to HiGHS: ``scipy.optimize.milp`` and ``highspy``.

Both take the same arrays (``ModelBuilder.arrays()``) and return a :class:`SolverOutcome`.
``highspy`` (HiGHS's own Python module, a separate package from the HiGHS copy inside scipy)
also accepts a first design as a MIP start, reports every improving design through a callback
(the time and cost of the first one, progress in the log) and lets the same model be solved
again with changed costs or bounds without building it anew. ``scipy`` can do none of these.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

log = logging.getLogger(__name__)

__all__ = ["SOLVERS", "SolverOutcome", "choose_solver", "solve_arrays"]

SOLVERS = ("auto", "highspy", "scipy")
_SCIPY_STATUS = {0: "optimal", 2: "infeasible", 3: "unbounded", 4: "error"}


@dataclass
class SolverOutcome:
    """What a backend returns: the status, the solution and what the search went through.

    ``status`` is ``optimal``, ``limit`` (a time or other limit stopped the search),
    ``infeasible``, ``unbounded`` or ``error``; ``x`` is None without a solution; ``bound`` is
    the dual (lower) bound, ``nan`` when unknown. ``incumbents`` lists ``(seconds, objective)``
    of every improving design in the order found (``highspy`` only).
    """

    status: str
    x: np.ndarray | None
    objective: float
    bound: float
    node_count: int
    message: str
    backend: str
    incumbents: list[tuple[float, float]] = field(default_factory=list)


def choose_solver(solver: str) -> str:
    """The backend to use: ``highspy`` when asked for or, for ``auto``, when installed.

    Parameters
    ----------
    solver : {"auto", "highspy", "scipy"}

    Returns
    -------
    str
        ``"highspy"`` or ``"scipy"``.

    Raises
    ------
    ValueError
        An unknown name, or ``highspy`` asked for but not installed.

    Examples
    --------
    >>> choose_solver("scipy")
    'scipy'
    >>> choose_solver("auto") in ("highspy", "scipy")
    True
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver {solver!r} is not one of {', '.join(SOLVERS)}")
    have = importlib.util.find_spec("highspy") is not None
    if solver == "highspy" and not have:
        raise ValueError("solver 'highspy' is not installed (pip install highspy)")
    if solver == "auto":
        return "highspy" if have else "scipy"
    return solver


def solve_arrays(
    arrays,
    *,
    backend: str,
    time_limit_s: float,
    gap: float,
    options: dict,
    start: tuple[np.ndarray, np.ndarray] | None = None,
    stop: threading.Event | None = None,
    found: list[float] | None = None,
    feed: Callable[[], np.ndarray | None] | None = None,
    progress: dict | None = None,
    pool: list[np.ndarray] | None = None,
) -> SolverOutcome:
    """Solve ``min c x`` over ``rlb <= A x <= rub``, ``lb <= x <= ub``, integrality ``integ``.

    Parameters
    ----------
    arrays : tuple
        ``(c, lb, ub, integ, A, rlb, rub)`` with ``A`` a sparse matrix.
    backend : {"highspy", "scipy"}
    time_limit_s, gap : float
        HiGHS's time limit and relative MIP gap.
    options : dict
        Further HiGHS options.
    start : (index, value) arrays, optional
        A MIP start (``highspy`` only): values of some columns, the rest completed by HiGHS.
    stop : threading.Event, optional
        ``highspy`` only: the search stops (as at a time limit) soon after it is set, so
        that a solve running in another thread can be ended early.
    found : list, optional
        ``highspy`` only: the objective of every improving design is appended to it as soon
        as it is found, for another thread to read.
    feed : callable, optional
        ``highspy`` only: asked now and then during the search for a complete solution found
        elsewhere (another thread's), or None; HiGHS takes it when it is feasible and better.
    progress : dict, optional
        ``highspy`` only: its ``"bound"`` is kept at the search's current dual bound, for
        another thread to read.
    pool : list, optional
        ``highspy`` only: a copy of every improving solution is appended to it, the last
        one found last.

    Returns
    -------
    SolverOutcome

    Examples
    --------
    ``min x0 + 2 x1`` with ``x0 + x1 >= 1.5``, both integer: one of each, cost 3 (two of x0
    would cost 2 — it wins).

    >>> A = sp.csr_array(np.array([[1.0, 1.0]]))
    >>> arrays = (np.array([1.0, 2.0]), np.zeros(2), np.full(2, 5.0), np.ones(2), A,
    ...           np.array([1.5]), np.array([np.inf]))
    >>> out = solve_arrays(arrays, backend="scipy", time_limit_s=10, gap=0, options={})
    >>> out.status, out.objective, out.x.tolist()
    ('optimal', 2.0, [2.0, 0.0])
    """
    if backend == "highspy":
        return _solve_highspy(arrays, time_limit_s, gap, options, start, stop, found, feed,
                              progress, pool)
    return _solve_scipy(arrays, time_limit_s, gap, options)


def _solve_scipy(arrays, time_limit_s, gap, options) -> SolverOutcome:
    from scipy.optimize import Bounds, LinearConstraint, milp

    c, lb, ub, integ, A, rlb, rub = arrays
    opts = {
        "time_limit": float(time_limit_s),
        "mip_rel_gap": float(gap),
        "disp": False,
        # scipy maps disp to log_to_console only; this switches HiGHS's log off entirely.
        "output_flag": False,
        **options,
    }
    with warnings.catch_warnings():
        # scipy passes options it does not know to HiGHS verbatim, with a warning saying so.
        warnings.filterwarnings("ignore", "Unrecognized options", RuntimeWarning)
        res = milp(
            c,
            integrality=integ,
            bounds=Bounds(lb, ub),
            constraints=LinearConstraint(A, rlb, rub) if A.shape[0] else None,
            options=opts,
        )
    if res.status == 1:
        status = "limit"
    else:
        status = _SCIPY_STATUS.get(res.status, "error")
    bound = getattr(res, "mip_dual_bound", None)
    return SolverOutcome(
        status=status,
        x=res.x,
        objective=float(res.fun) if res.x is not None else math.nan,
        bound=float(bound) if bound is not None and np.isfinite(bound) else math.nan,
        node_count=int(getattr(res, "mip_node_count", 0) or 0),
        message=str(res.message),
        backend="scipy",
    )


def _highspy_status(h, model_status) -> str:
    import highspy

    s = highspy.HighsModelStatus
    if model_status == s.kOptimal:
        return "optimal"
    if model_status == s.kInfeasible:
        return "infeasible"
    if model_status in (s.kUnbounded, s.kUnboundedOrInfeasible):
        return "unbounded"
    if model_status in (
        s.kTimeLimit, s.kIterationLimit, s.kSolutionLimit, s.kInterrupt, s.kObjectiveBound,
        s.kObjectiveTarget, s.kMemoryLimit,
    ):  # fmt: skip
        return "limit"
    return "error"


def _load_highspy(arrays, time_limit_s, gap, options):
    import highspy

    c, lb, ub, integ, A, rlb, rub = arrays
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    csc = sp.csc_array(A)
    csc.sort_indices()
    inf = h.getInfinity()
    clip = lambda v: np.clip(np.asarray(v, float), -inf, inf)  # noqa: E731
    h.passModel(
        int(c.size), int(A.shape[0]), int(csc.nnz), 1, 1, 0.0,
        np.asarray(c, float), clip(lb), clip(ub), clip(rlb), clip(rub),
        csc.indptr[:-1].astype(np.int32), csc.indices.astype(np.int32),
        csc.data.astype(float), np.asarray(integ, np.int32),
    )  # fmt: skip
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(gap))
    for key, value in options.items():
        h.setOptionValue(key, value)
    return h


def _solve_highspy(arrays, time_limit_s, gap, options, start, stop=None, found=None, feed=None,
                   progress=None, pool=None):
    import highspy

    h = _load_highspy(arrays, time_limit_s, gap, options)
    incumbents: list[tuple[float, float]] = []
    t0 = time.perf_counter()
    kinds = highspy.cb.HighsCallbackType

    def on_improving(kind, message, out, inp, user_data) -> None:
        if kind == kinds.kCallbackMipInterrupt:
            if progress is not None and abs(float(out.mip_dual_bound)) < h.getInfinity():
                progress["bound"] = float(out.mip_dual_bound)
            if stop is not None and stop.is_set():
                inp.user_interrupt = True
            return
        if kind == kinds.kCallbackMipUserSolution:
            x = feed()
            if x is not None:
                inp.setSolution(np.asarray(x, float))
            return
        if found is not None:
            found.append(float(out.objective_function_value))
        if pool is not None:
            pool.append(np.array(out.mip_solution, float))
        incumbents.append((time.perf_counter() - t0, float(out.objective_function_value)))
        log.info(
            "design MILP: design of cost %.6g after %.1f s (bound %.6g)",
            incumbents[-1][1],
            incumbents[-1][0],
            float(out.mip_dual_bound),
        )

    h.setCallback(on_improving, None)
    h.startCallback(kinds.kCallbackMipImprovingSolution)
    if stop is not None or progress is not None:
        h.startCallback(kinds.kCallbackMipInterrupt)
    if feed is not None:
        h.startCallback(kinds.kCallbackMipUserSolution)
    if start is not None:
        idx, val = start
        h.setSolution(int(idx.size), np.asarray(idx, np.int32), np.asarray(val, float))
    h.run()
    model_status = h.getModelStatus()
    info = h.getInfo()
    status = _highspy_status(h, model_status)
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, float) if has_x else None
    bound = float(info.mip_dual_bound)
    return SolverOutcome(
        status=status if (x is not None or status != "optimal") else "error",
        x=x,
        objective=float(info.objective_function_value) if has_x else math.nan,
        bound=bound if np.isfinite(bound) and abs(bound) < h.getInfinity() else math.nan,
        node_count=int(info.mip_node_count),
        message=h.modelStatusToString(model_status),
        backend="highspy",
        incumbents=incumbents,
    )
