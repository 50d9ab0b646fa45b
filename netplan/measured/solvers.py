"""The fits behind deduction: minimum divergence from a prior, subject to the counters.

For one time slot, with routing matrix ``A`` (measured rows only), counters ``y`` with
standard errors ``s`` and a prior ``p > 0``, the estimate solves::

    minimise  sum_j x_j log(x_j / p_j) - x_j + p_j  +  1/2 sum_l ((A x - y)_l / s_l)^2

(the Kullback-Leibler divergence from the prior plus the counters' misfit). Its solution is
``x = p * exp(A^T lam)``, positive by construction, where ``lam`` minimises the smooth
convex dual ``sum_j p_j exp((A^T lam)_j) - lam.y + 1/2 sum_l s_l^2 lam_l^2``. Newton's
method on the dual needs one ``m × m`` solve per iteration (``m`` = measured links): here all
time slots take their Newton steps together, the Hessians ``A diag(x_t) A^T`` of every slot
coming from one sparse product.

:func:`fit_per_slot` solves the same problem slot by slot with scipy (the reference for the
benchmark); :func:`fit_least_squares` is the weighted least-squares tomogravity fit
(bounded, slot by slot, scipy ``lsq_linear``), kept for comparison.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["FitResult", "fit_least_squares", "fit_min_divergence", "fit_per_slot"]

DEFAULT_REL_ERROR = 0.001
"""Standard error of a counter, relative to its value: counters are taken as nearly exact."""

ERROR_FLOOR = 0.01
"""Least standard error, as a fraction of the slot's largest counter (idle links)."""

_MAX_EXP = 600.0


def one_blas_thread():
    """A context in which BLAS runs on one thread, where threadpoolctl is installed.

    The Newton systems are small (one per slot, measured links squared): a threaded BLAS
    only adds hand-offs, and on a busy machine its spinning threads made each solve tens of
    times slower than one thread (docs/benchmarks.md).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it the solve is only slower on busy machines
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


@dataclass(frozen=True)
class FitResult:
    """Deduced od demand of every slot, ``gbps`` shape (n_slots, n_od), and how the fit went."""

    gbps: np.ndarray
    iterations: int
    converged: bool


def _scaled(y: np.ndarray, measured: np.ndarray, prior: np.ndarray, rel_error: float):
    """Counters, prior and variances in units of each slot's largest counter."""
    top = np.where(measured, y, 0.0).max(axis=1, keepdims=True)
    scale = np.where(top > 0, top, 1.0)
    ys, ps = y / scale, prior / scale
    std = rel_error * np.maximum(ys, ERROR_FLOOR)
    return scale, ys, ps, np.where(measured, std**2, 1.0)


def hessian_pattern(matrix: sp.spmatrix) -> sp.csr_matrix:
    """The (m*m, n) matrix that turns an od vector x into ``A diag(x) A^T``, flattened.

    Examples
    --------
    >>> a = sp.csr_matrix(np.array([[1.0, 0.5], [0.0, 0.5]]))
    >>> x = np.array([2.0, 4.0])
    >>> (hessian_pattern(a) @ x).reshape(2, 2).tolist() == (a.toarray() * x @ a.toarray().T).tolist()
    True
    """
    csc = sp.csc_matrix(matrix)
    m, n = csc.shape
    rows, cols, vals = [], [], []
    for j in range(n):
        lo, hi = csc.indptr[j], csc.indptr[j + 1]
        r, v = csc.indices[lo:hi], csc.data[lo:hi]
        rows.append((r[:, None] * m + r[None, :]).ravel())
        vals.append((v[:, None] * v[None, :]).ravel())
        cols.append(np.full(r.size * r.size, j))
    if not rows:
        return sp.csr_matrix((m * m, n))
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(m * m, n))


def _primal(ps: np.ndarray, matrix_t: sp.csr_matrix, lam: np.ndarray) -> np.ndarray:
    return ps * np.exp(np.clip((matrix_t @ lam.T).T, -_MAX_EXP, _MAX_EXP))


def _dual(x: np.ndarray, lam: np.ndarray, ys: np.ndarray, var: np.ndarray,
          measured: np.ndarray) -> np.ndarray:
    return x.sum(axis=1) - (measured * lam * ys).sum(axis=1) + 0.5 * (
        measured * var * lam**2).sum(axis=1)


def fit_min_divergence(matrix: sp.spmatrix, y: np.ndarray, measured: np.ndarray,
                       prior: np.ndarray, rel_error: float = DEFAULT_REL_ERROR, *,
                       max_iter: int = 200, tol: float = 1e-8) -> FitResult:
    """Minimum-divergence fit of every time slot at once (Newton on the dual, batched).

    Parameters
    ----------
    matrix : sparse matrix, shape (m, n)
        Routing matrix: rows are measured quantities (arcs, node totals), columns ods.
    y : ndarray, shape (n_slots, m)
        Measured values (Gbit/s); ignored where ``measured`` is False.
    measured : ndarray of bool, shape (n_slots, m)
    prior : ndarray, shape (n_slots, n)
        Positive prior of every od (Gbit/s); an od with prior 0 stays 0.
    rel_error : float
        Standard error of a counter relative to its value.

    Returns
    -------
    FitResult

    Examples
    --------
    Two ods share one link; a second link sees only the first od. The counters pin both.

    >>> a = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 0.0]]))
    >>> fit = fit_min_divergence(a, np.array([[3.0, 1.0]]), np.ones((1, 2), bool),
    ...                          np.array([[1.0, 1.0]]), rel_error=1e-6)
    >>> np.round(fit.gbps, 4).tolist(), fit.converged
    ([[1.0, 2.0]], True)
    """
    a = sp.csr_matrix(matrix, dtype=float)
    m = a.shape[0]
    n_slots = y.shape[0]
    scale, ys, ps, var = _scaled(y, measured, prior, rel_error)
    pattern = hessian_pattern(a)
    a_t = a.T.tocsr()
    complete = bool(measured.all())
    both = None if complete else measured[:, :, None] & measured[:, None, :]
    diag = np.arange(m)
    lam = np.zeros((n_slots, m))
    x = _primal(ps, a_t, lam)
    converged = False
    iteration = 0
    with one_blas_thread():
        for iteration in range(1, max_iter + 1):  # noqa: B007 (reported)
            grad = measured * ((a @ x.T).T - ys + var * lam)
            # slots already converged take no more steps
            live = np.flatnonzero(np.abs(grad).max(axis=1, initial=0.0) >= tol)
            if live.size == 0:
                converged = True
                break
            hess = (pattern @ x[live].T).T.reshape(live.size, m, m)
            if not complete:
                hess *= both[live]  # a missing counter's row and column drop out
            hess[:, diag, diag] += np.where(measured[live], var[live], 1.0)
            step = -np.linalg.solve(hess, grad[live, :, None])[:, :, 0]
            lam[live], x[live] = _line_search(lam[live], x[live], step, grad[live], ps[live], a_t,
                                              ys[live], var[live], measured[live])
    return FitResult(gbps=x * scale, iterations=iteration, converged=converged)


def _line_search(lam, x, step, grad, ps, a_t, ys, var, measured):
    """Backtrack each slot's Newton step until its dual decreases enough (Armijo)."""
    before = _dual(x, lam, ys, var, measured)
    slope = (grad * step).sum(axis=1)
    alpha = np.ones(lam.shape[0])
    for _ in range(60):
        trial = lam + alpha[:, None] * step
        x_trial = _primal(ps, a_t, trial)
        ok = _dual(x_trial, trial, ys, var, measured) <= before + 1e-4 * alpha * slope
        if ok.all():
            break
        alpha = np.where(ok, alpha, alpha / 2.0)
    return trial, x_trial


def fit_per_slot(matrix: sp.spmatrix, y: np.ndarray, measured: np.ndarray, prior: np.ndarray,
                 rel_error: float = DEFAULT_REL_ERROR) -> FitResult:
    """The problem of :func:`fit_min_divergence`, one slot at a time with scipy (reference).

    Examples
    --------
    >>> a = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 0.0]]))
    >>> fit = fit_per_slot(a, np.array([[3.0, 1.0]]), np.ones((1, 2), bool),
    ...                    np.array([[1.0, 1.0]]), rel_error=1e-6)
    >>> np.round(fit.gbps, 4).tolist()
    [[1.0, 2.0]]
    """
    dense = sp.csr_matrix(matrix).toarray()
    scale, ys, ps, var = _scaled(y, measured, prior, rel_error)
    out = np.zeros_like(ps)
    iterations, converged = 0, True
    with one_blas_thread():  # as the batched fit, so that timings compare like with like
        for t in range(y.shape[0]):
            rows = np.flatnonzero(measured[t])
            out[t], nit, ok = _one_slot(dense[rows], ys[t, rows], var[t, rows], ps[t])
            iterations += nit
            converged = converged and ok
    return FitResult(gbps=out * scale, iterations=iterations, converged=converged)


def _one_slot(a: np.ndarray, b: np.ndarray, v: np.ndarray, p: np.ndarray):
    """One slot's dual minimised by scipy's trust-region Newton: (x, iterations, success)."""
    from scipy.optimize import minimize

    def primal(lam):
        return p * np.exp(np.clip(lam @ a, -_MAX_EXP, _MAX_EXP))

    def fun(lam):
        x = primal(lam)
        return x.sum() - lam @ b + 0.5 * v @ lam**2, a @ x - b + v * lam

    def hess(lam):
        return (a * primal(lam)) @ a.T + np.diag(v)

    res = minimize(fun, np.zeros(b.size), jac=True, hess=hess, method="trust-exact",
                   options={"gtol": 1e-10, "maxiter": 500})
    return primal(res.x), int(res.nit), bool(res.success)


def fit_least_squares(matrix: sp.spmatrix, y: np.ndarray, measured: np.ndarray,
                      prior: np.ndarray, rel_error: float = DEFAULT_REL_ERROR) -> FitResult:
    """Weighted least-squares tomogravity with x >= 0, slot by slot (scipy ``lsq_linear``).

    Minimises ``sum_l ((A x - y)_l / s_l)^2 + sum_j (x_j - p_j)^2 / p_j`` over x >= 0: the
    prior's weights make large ods move more, as in tomogravity.

    Examples
    --------
    >>> a = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 0.0]]))
    >>> fit = fit_least_squares(a, np.array([[3.0, 1.0]]), np.ones((1, 2), bool),
    ...                         np.array([[1.0, 1.0]]), rel_error=1e-6)
    >>> np.round(fit.gbps, 4).tolist()
    [[1.0, 2.0]]
    """
    from scipy.optimize import lsq_linear

    a = sp.csr_matrix(matrix, dtype=float)
    scale, ys, ps, var = _scaled(y, measured, prior, rel_error)
    out = np.zeros_like(ps)
    iterations = 0
    for t in range(y.shape[0]):
        rows = np.flatnonzero(measured[t])
        std = np.sqrt(var[t, rows])
        weight = 1.0 / np.sqrt(np.maximum(ps[t], 1e-12))
        stacked = sp.vstack([sp.diags(1.0 / std) @ a[rows], sp.diags(weight)]).tocsr()
        target = np.concatenate([ys[t, rows] / std, ps[t] * weight])
        res = lsq_linear(stacked, target, bounds=(0.0, np.inf), method="trf",
                         lsmr_tol="auto", tol=1e-12, max_iter=2000)
        iterations += int(res.nit)
        out[t] = res.x
    return FitResult(gbps=out * scale, iterations=iterations, converged=True)
