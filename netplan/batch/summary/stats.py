"""Pure statistics over a batch's variants: exceedance, quantiles, robust capacity, upgrades.

Every function takes and returns numpy arrays whose axis 0 is the variant, ignoring NaN
(a link removed in a draw, a year beyond a variant's horizon), so each can be checked by
hand. Distribution quantiles interpolate linearly (Hyndman & Fan type 7); robust quantiles
use the inverted empirical CDF (type 1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

QUANTILES: tuple[float, ...] = (0.05, 0.5, 0.95)
ROBUST_Q = 0.9
_TOL = 1e-12

# Capacities within this many Gbit/s of the installed one count as not upgraded.
_UPGRADE_TOL_GBPS = 1e-9


def _per_variant(target, values: np.ndarray) -> np.ndarray:
    """``target`` (a number or one per variant) shaped to broadcast against ``values``."""
    shape = (-1,) + (1,) * (values.ndim - 1)
    return np.reshape(np.broadcast_to(np.asarray(target, float), values.shape[:1]), shape)


def exceedance(
    normal_util: np.ndarray, failure_util: np.ndarray, target_normal, target_failure
) -> tuple[np.ndarray, np.ndarray]:
    """Probability, over variants, that a link is over target; and the variants counted.

    Parameters
    ----------
    normal_util, failure_util : ndarray, shape (variant, ...)
        Utilisation without failures and in the worst failure state; NaN where the
        variant has no value (link removed, year beyond its horizon).
    target_normal, target_failure : float or array of shape (variant,)
        Each variant's targets.

    Returns
    -------
    probability, count : ndarray, shape (...)
        ``probability`` is NaN where no variant has a value.

    Examples
    --------
    >>> n = np.array([[0.5], [0.8], [0.6], [np.nan]])
    >>> f = np.array([[0.7], [0.85], [0.95], [0.5]])
    >>> p, c = exceedance(n, f, 0.7, 0.9)
    >>> p.tolist(), c.tolist()
    ([0.6666666666666666], [3])
    """
    normal_util = np.asarray(normal_util, dtype=float)
    failure_util = np.asarray(failure_util, dtype=float)
    tn = _per_variant(target_normal, normal_util)
    tf = _per_variant(target_failure, normal_util)
    valid = np.isfinite(normal_util) & np.isfinite(failure_util)
    over = valid & ((normal_util > tn + _TOL) | (failure_util > tf + _TOL))
    count = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        probability = np.where(count > 0, over.sum(axis=0) / np.maximum(count, 1), np.nan)
    return probability, count


def quantiles(values: np.ndarray, qs: Sequence[float] = QUANTILES) -> np.ndarray:
    """Linear-interpolation quantiles over axis 0, ignoring NaN: shape ``(len(qs), ...)``.

    Examples
    --------
    >>> quantiles(np.array([[1.0], [2.0], [3.0], [4.0], [np.nan]]), (0.05, 0.5, 0.95)).ravel()
    array([1.15, 2.5 , 3.85])
    """
    values = np.asarray(values, dtype=float)
    out = np.full((len(qs), *values.shape[1:]), np.nan)
    has = np.isfinite(values).any(axis=0)
    if has.any():
        out[:, has] = np.nanquantile(values[:, has], qs, axis=0)
    return out


def required_capacity(
    normal_load_gbps: np.ndarray, failure_load_gbps: np.ndarray, target_normal, target_failure
) -> np.ndarray:
    """Capacity each variant needs on each link: worst load / target, for both states.

    ``max(normal load / max_utilisation_normal, failure load / max_utilisation_failure)``.

    Examples
    --------
    >>> required_capacity(np.array([[7.0]]), np.array([[8.1]]), 0.7, 0.9).tolist()
    [[10.0]]
    """
    normal = np.asarray(normal_load_gbps, dtype=float)
    failure = np.asarray(failure_load_gbps, dtype=float)
    tn = _per_variant(target_normal, normal)
    tf = _per_variant(target_failure, normal)
    return np.fmax(normal / tn, failure / tf) * np.where(
        np.isfinite(normal) & np.isfinite(failure), 1.0, np.nan
    )


def robust_quantile(values: np.ndarray, q: float = ROBUST_Q) -> np.ndarray:
    """The smallest value that at least a fraction ``q`` of the variants do not exceed.

    Over axis 0, ignoring NaN: with *n* values sorted, the ``ceil(q·n)``-th one.

    Examples
    --------
    >>> robust_quantile(np.array([5.0, 1.0, 4.0, 2.0, 3.0]), 0.9)
    array(5.)
    >>> robust_quantile(np.array([5.0, 1.0, 4.0, 2.0, 3.0]), 0.8)
    array(4.)
    """
    if not 0 < q <= 1:
        raise ValueError(f"q must lie in (0, 1], got {q}")
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape[1:], np.nan)
    has = np.isfinite(values).any(axis=0)
    if np.ndim(has) == 0:
        return np.asarray(np.nanquantile(values, q, method="inverted_cdf")) if has else out
    if has.any():
        out[has] = np.nanquantile(values[:, has], q, axis=0, method="inverted_cdf")
    return out


def upgrade_probability(
    planned_gbps: np.ndarray, installed_gbps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Probability, over variants, that a link's planned capacity exceeds the installed one.

    Parameters
    ----------
    planned_gbps : ndarray, shape (variant, link, ...)
        Capacity each variant's plan installs (NaN where the variant has no value).
    installed_gbps : ndarray, shape (variant, link)
        Capacity installed before the plan, per variant.

    Returns
    -------
    probability, count : ndarray, shape (link, ...)
        ``probability`` is NaN where no variant has a value. Plans never shrink a link, so
        with a year axis this is the probability that the link is upgraded by that year.

    Examples
    --------
    >>> planned = np.array([[[1.0, 2.5]], [[1.0, 1.0]], [[2.0, 2.0]], [[np.nan, np.nan]]])
    >>> installed = np.array([[1.0], [1.0], [1.0], [np.nan]])
    >>> p, c = upgrade_probability(planned, installed)
    >>> p.tolist(), c.tolist()
    ([[0.3333333333333333, 0.6666666666666666]], [[3, 3]])
    """
    planned = np.asarray(planned_gbps, dtype=float)
    installed = np.asarray(installed_gbps, dtype=float)
    installed = np.reshape(installed, installed.shape + (1,) * (planned.ndim - installed.ndim))
    valid = np.isfinite(planned) & np.isfinite(installed)
    upgraded = valid & (planned > installed + _UPGRADE_TOL_GBPS)
    count = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        probability = np.where(count > 0, upgraded.sum(axis=0) / np.maximum(count, 1), np.nan)
    return probability, count



def percent_label(q: float) -> str:
    """The percentile label of quantile ``q`` in column names (``p5``, ``p50``, ``p2_5``).

    Parameters
    ----------
    q : float
        A quantile in [0, 1].

    Returns
    -------
    str
        ``100 q`` without trailing zeros, a dot written as ``_``.

    Examples
    --------
    >>> percent_label(0.05), percent_label(0.5), percent_label(0.025)
    ('5', '50', '2_5')
    """
    text = f"{q * 100:g}"
    return text.replace(".", "_")
