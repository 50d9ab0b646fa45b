"""Availability and equity of a run, before and after its purchases, as a run saves them.

A run's ``results.json`` holds them under ``"availability"`` and ``"equity"`` in the shape
:func:`run_results` gives; the report and the exports read only that (they never
recompute), and ``availability.csv`` / ``equity.csv`` in the run directory are the rows of
the network after the plan (:func:`after_rows`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from netplan.availability.api import AvailabilityResult
from netplan.availability.equity import EquityResult

__all__ = ["after_rows", "run_results"]


def _availability_part(result: AvailabilityResult) -> dict:
    return {"summary": result.summary(), "rows": [dict(r) for r in result.rows]}


def _equity_part(result: EquityResult) -> dict:
    return {"summary": result.summary(), "rows": [dict(r) for r in result.rows]}


def run_results(
    availability_before: AvailabilityResult,
    availability_after: AvailabilityResult,
    equity_before: EquityResult,
    equity_after: EquityResult,
    purchases: Sequence[Mapping] = (),
) -> dict[str, dict]:
    """``{"availability": …, "equity": …}`` for ``results.json``.

    Parameters
    ----------
    availability_before, availability_after : AvailabilityResult
        The network as it stands (the scenario's what-ifs applied), and after the plan's
        purchases (capacity and any candidate links built).
    equity_before, equity_after : EquityResult
        The same two networks.
    purchases : sequence of mappings
        Candidate links the plan builds for availability targets, each with at least
        ``link``, ``districts`` (the districts it brings to target) and ``capex_cny``.

    Returns
    -------
    dict
        ``availability``: ``{"before": {"summary", "rows"}, "after": {…}, "purchases": […],
        "estimate": True}``; ``equity``: ``{"before": {"summary", "rows"}, "after": {…},
        "estimate": True}``. Rows are those of :data:`~netplan.availability.api.AVAILABILITY_COLUMNS`
        and :data:`~netplan.availability.equity.EQUITY_COLUMNS` (plus the judged lower
        bound); every figure is an estimate, as the failure rates are.

    Examples
    --------
    >>> import netplan
    >>> from netplan.availability import availability, equity
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> a = availability(topo)
    >>> e = equity(topo, availability=a)
    >>> out = run_results(a, a, e, e)
    >>> sorted(out), out["availability"]["after"]["summary"]["districts"]
    (['availability', 'equity'], 40)
    """
    return {
        "availability": {
            "before": _availability_part(availability_before),
            "after": _availability_part(availability_after),
            "purchases": [dict(p) for p in purchases],
            "estimate": True,
        },
        "equity": {
            "before": _equity_part(equity_before),
            "after": _equity_part(equity_after),
            "estimate": True,
        },
    }


def after_rows(results: Mapping, part: str) -> list[dict]:
    """The rows of ``part`` (``"availability"`` or ``"equity"``) after the plan, or ``[]``
    for a run saved without them.

    Examples
    --------
    >>> after_rows({}, "availability")
    []
    """
    return list(results.get(part, {}).get("after", {}).get("rows", []))
