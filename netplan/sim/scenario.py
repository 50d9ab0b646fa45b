"""Simulate (or evaluate in closed form) a scenario on a topology, per service.

:func:`simulate_scenario` builds the inputs with :func:`netplan.sim.build.sim_inputs`,
runs each configured hour of day, and aggregates per service: blocking = blocked / offered
over the service's classes; response-time percentiles over the pooled responses of the
service's classes in each replication, then a Student-t interval across replications.
In analytic mode blocking and mean response time are the arrival-weighted means of the
class values (exact for the aggregate, given the class values); the closed forms give no
percentiles, so those are left empty (method ``"none"``).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from netplan.errors import Problem, ValidationError
from netplan.io.atomic import write_text_atomic
from netplan.sim.arrivals import expected_sessions
from netplan.sim.build import sim_inputs
from netplan.sim.closed_form import analytic
from netplan.sim.engines.tables import compile_model
from netplan.sim.model import ServerPool
from netplan.sim.replication import mean_ci, run_replications, summarise

__all__ = ["MAX_SESSIONS", "SimScenarioResult", "check_session_budget", "expected_session_count",
           "portal_under_failure", "simulate_scenario"]

log = logging.getLogger(__name__)

PERCENTILES = (50.0, 95.0, 99.0)
MAX_SESSIONS = 500_000_000
"""Most sessions a simulation may run (all hours and replications, warm-up included) unless
the caller raises it: about half an hour of the compiled engine on two cores, four times
the largest shipped scenario."""
IDLE_POOL = "(no server pool)"
"""A pool no class uses, for a model without one: the engines keep a column per pool."""
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class SimScenarioResult:
    """Per-service, per-pool and per-link results of one scenario run.

    Attributes
    ----------
    summary : dict
        JSON-ready: settings, ``services`` (per hour and service: blocking and response
        percentiles with CI, method, target and whether it is met), ``pools``, ``links``.
    link_series : dict
        Hour -> (times_s, utilisation[samples, links]) mean over replications.
    pool_series : dict
        Hour -> (times_s, waiting[samples, pools]) mean over replications.
    link_ids, pool_ids : tuple of str
    """

    summary: dict
    link_series: dict = field(default_factory=dict)
    pool_series: dict = field(default_factory=dict)
    link_ids: tuple = ()
    pool_ids: tuple = ()

    def to_json(self) -> dict:
        """The dict a run directory stores as ``results["simulation"]``."""
        return json.loads(json.dumps(self.summary))

    def services_csv(self) -> str:
        """One row per (hour, service, metric)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["hour", "service", "metric", "mean", "ci_low", "ci_high", "n", "method",
                    "target", "meets_target"])
        for row in self.summary["services"]:
            for name in ("blocking", "response_mean_s", "response_p50_s", "response_p95_s",
                     "response_p99_s"):
                m = row[name]
                on = row.get("response_target_on")
                tgt = row["target_blocking"] if name == "blocking" else (
                    row["target_response_s"] if name == on else None)
                w.writerow([row["hour"], row["service"], name, _fmt(m["mean"]),
                            _fmt(m["ci_low"]), _fmt(m["ci_high"]), m["n"], m["method"],
                            _fmt(tgt), "" if tgt is None else row["meets_target"]])
        return buf.getvalue()

    def _series_csv(self, series: dict, ids: Sequence[str], what: str) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["hour", "time_s", *ids])
        for hour in sorted(series):
            times, values = series[hour]
            for t, row in zip(times, values, strict=True):
                w.writerow([hour, _fmt(t), *(_fmt(v) for v in row)])
        log.debug("%s series: %d hours", what, len(series))
        return buf.getvalue()

    def save(self, directory) -> list[Path]:
        """Write ``sim_summary.json`` and the CSV time series atomically; return the paths."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        files = {
            "sim_summary.json": json.dumps(self.summary, indent=1, sort_keys=True,
                                           ensure_ascii=False) + "\n",
            "sim_services.csv": self.services_csv(),
            "sim_link_utilisation.csv": self._series_csv(self.link_series, self.link_ids,
                                                         "link"),
            "sim_pool_queue.csv": self._series_csv(self.pool_series, self.pool_ids, "pool"),
        }
        out = []
        for name, text in files.items():
            write_text_atomic(d / name, text)
            out.append(d / name)
        return out


def _fmt(v):
    if v is None:
        return ""
    v = float(v)
    return "" if math.isnan(v) else repr(round(v, 10))


def _num(v) -> float | None:
    v = float(v)
    return None if math.isnan(v) or math.isinf(v) else round(v, 12)


def _stat(mean, lo, hi, n, method: str) -> dict:
    return {"mean": _num(mean), "ci_low": _num(lo), "ci_high": _num(hi), "n": int(n),
            "method": method}


def _meets(row: dict) -> bool | None:
    """Blocking against its target; the response-time target against the p95 (the mean
    when only the mean is known, which is necessary but not sufficient)."""
    verdicts = []
    if row["target_blocking"] is not None and row["blocking"]["mean"] is not None:
        verdicts.append(row["blocking"]["mean"] <= row["target_blocking"])
    if row["target_response_s"] is not None:
        which = "response_p95_s" if row["response_p95_s"]["mean"] is not None else (
            "response_mean_s")
        row["response_target_on"] = which
        if row[which]["mean"] is not None:
            verdicts.append(row[which]["mean"] <= row["target_response_s"])
    return all(verdicts) if verdicts else None


def simulate_scenario(
    topology,
    scenario,
    *,
    method: str = "simulate",
    seed: int | None = None,
    replications: int | None = None,
    hours: Sequence[int] | None = None,
    duration_s: float | None = None,
    warmup_s: float | None = None,
    year: int | None = None,
    demand=None,
    confidence: float = 0.95,
    progress: Progress | None = None,
    workers: int = 1,
    max_sessions: float = MAX_SESSIONS,
) -> SimScenarioResult:
    """Run the scenario's services through the simulator or the closed forms.

    Parameters
    ----------
    topology, scenario
        As loaded by :func:`netplan.load_topology` / :func:`netplan.load_scenario`. The
        topology is simulated as it is sized: to check a plan, pass the topology sized by
        the plan (:meth:`netplan.planning.plan.Plan.sized_topology`).
    method : {"simulate", "analytic"}
    seed, replications, hours, duration_s, warmup_s : optional
        Override ``scenario.seed`` and ``scenario.simulation``.
    year : int, optional
        Demand year (default: the horizon's last).
    demand : netplan.demand.Demand, optional
        Precomputed ``netplan.demand.build_demand(topology, scenario)``, not built again.
        The demand does not depend on link capacities, so the demand of the unsized
        topology serves the sized one (see :func:`netplan.sim.build.sim_inputs`).
    confidence : float
        Level of the Student-t intervals across replications.
    progress : callable, optional
        ``progress(done, total, message)`` after every replication (or hour).
    workers : int
        Replications run side by side in this many forked processes (results do not
        depend on it: every replication has its own seed).
    max_sessions : float
        With ``method="simulate"``, the run is refused before it starts (a
        :class:`~netplan.errors.ValidationError`, exit code 2) when it would create more
        sessions than this on average (:func:`expected_session_count`); default
        :data:`MAX_SESSIONS`.

    Returns
    -------
    SimScenarioResult

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> scen = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> res = simulate_scenario(topo, scen, method="analytic")
    >>> row = [r for r in res.summary["services"] if r["service"] == "video_conference"][0]
    >>> row["blocking"]["method"], row["meets_target"]
    ('kaufman_roberts_fixed_point', True)
    """
    seed, reps, hours, dur, warm = _settings(scenario, method, seed, replications, hours,
                                             duration_s, warmup_s)
    network, classes, pools, reroute, labels = sim_inputs(
        topology, scenario, year=year, demand=demand
    )
    if method == "simulate":
        _check_budget(classes, hours, reps, dur, warm, max_sessions)
    svc_of = np.array([labels.services.index(s) for s in labels.class_service])
    n_svc = len(labels.services)
    targets = {s.id: s.targets for s in scenario.services}
    rows: list[dict] = []
    pool_rows: list[dict] = []
    link_rows: list[dict] = []
    link_series: dict = {}
    pool_series: dict = {}
    total_steps = len(hours) * (reps if method == "simulate" else 1)
    step = 0
    # The engines keep a column per pool: a model without one runs with an idle pool that
    # no class uses, left out of the results.
    run_pools = pools or [ServerPool(IDLE_POOL, servers=1)]
    cm = (compile_model(network, classes, run_pools, reroute=reroute)
          if method == "simulate" else None)
    sessions = 0
    for hour in hours:
        rates = np.array([c.arrival_rate_per_s[hour] for c in classes])
        if method == "analytic":
            res = analytic(network, classes, pools, hour=int(hour), reroute=reroute)
            step += 1
            if progress:
                progress(step, total_steps, f"hour {hour}: closed forms")
            per_svc = _analytic_services(res, rates, svc_of, n_svc)
        else:
            children = np.random.SeedSequence([seed, int(hour)]).spawn(reps)
            # Hour-long video sessions would need hours of warm-up from an empty network:
            # start from their equilibrium and let the warm-up settle the rest.
            options = {"warmup_s": warm, "duration_s": dur, "start_hour": float(hour),
                       "keep_raw": True, "warm_start": warm > 0}

            def replication_done(k: int, hour: int = int(hour), first: int = step) -> None:
                if progress:
                    progress(first + k, total_steps, f"hour {hour}: replication {k}/{reps}")

            runs = run_replications(cm, children, options, workers, replication_done)
            step += reps
            res = summarise(runs, class_ids=cm.class_ids, link_ids=network.link_ids,
                            pool_ids=tuple(p.id for p in run_pools), confidence=confidence,
                            seed=seed, warmup_s=warm, duration_s=dur)
            sessions += res.sessions
            per_svc = _simulated_services(runs, svc_of, n_svc, confidence)
            interval = dur / 400.0
            ls = [r["_link_samples"] for r in runs]
            n_s = min(x.shape[0] for x in ls)
            times = warm + interval * np.arange(1, n_s + 1)
            link_series[hour] = (times, np.mean([x[:n_s] for x in ls], axis=0))
            qs = [r["_queue_samples"] for r in runs]
            pool_series[hour] = (times, np.mean([x[:n_s] for x in qs], axis=0)[:, :len(pools)])
        for k, sid in enumerate(labels.services):
            tg = targets[sid]
            row = {"hour": int(hour), "service": sid,
                   "kind": next(s.session.kind for s in scenario.services if s.id == sid),
                   "offered_per_s": _num(rates[svc_of == k].sum()),
                   "target_blocking": tg.max_blocking,
                   "target_response_s": tg.max_response_time_s, **per_svc[k]}
            row["meets_target"] = _meets(row)
            rows.append(row)
        for p, pid in enumerate(res.pool_ids[:len(pools)]):
            pool_rows.append({"hour": int(hour), "pool": pid, **{
                name: _stat(res[name].mean[p], res[name].ci_low[p], res[name].ci_high[p],
                            res[name].n[p], res[name].method[p])
                for name in ("pool_utilisation", "pool_mean_queue_length", "pool_mean_wait_s")}})
        u = res["link_utilisation_mean"]
        top = np.argsort(-np.nan_to_num(u.mean), kind="stable")[:20]
        for k in top:
            link_rows.append({"hour": int(hour), "link": network.link_ids[k],
                              "utilisation": _stat(u.mean[k], u.ci_low[k], u.ci_high[k],
                                                   u.n[k], u.method[k])})
    summary = {
        "method": "simulation" if method == "simulate" else "analytic",
        "seed": seed if method == "simulate" else None,
        "replications": reps if method == "simulate" else 0,
        "confidence": confidence,
        "hours": [int(h) for h in hours],
        "duration_s": dur,
        "warmup_s": warm,
        "year": labels.year,
        "scenario": scenario.name,
        "links": network.n_links,
        "classes": len(classes),
        "sessions": int(sessions),
        "services": rows,
        "pools": pool_rows,
        "busiest_links": link_rows,
    }
    under_failure = portal_under_failure(network, classes, pools, reroute, labels, scenario,
                                         hours)
    if under_failure:
        summary["services_under_failure"] = under_failure
    return SimScenarioResult(summary, link_series, pool_series, network.link_ids,
                             tuple(p.id for p in pools))


def portal_under_failure(network, classes, pools, reroute, labels, scenario,
                         hours: Sequence[int]) -> list[dict]:
    """The portal's mean response in the single link failure that hurts it most, per hour.

    A portal (a service of group ``portal`` with a response-time target) is evaluated in
    closed form (:func:`netplan.sim.closed_form.analytic`, whatever the run's method: one
    evaluation per failure state is cheap, a simulation per state would not be) with each
    link its requests and pages use down in turn, the rest of the network carrying its own
    rerouted traffic. A failure elsewhere leaves the portal's paths as they are. Scenarios
    whose failure policy is ``none`` only get the normal state.

    Returns
    -------
    list of dict
        Per portal and hour: ``failure`` (``link:ID``), ``response_mean_s`` (None when the
        failure cuts it off), ``cut_off``, ``method`` and the targets.

    Examples
    --------
    >>> import netplan
    >>> from netplan.sim.build import sim_inputs
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> scen = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> net, classes, pools, reroute, labels = sim_inputs(topo, scen)
    >>> [row] = portal_under_failure(net, classes, pools, reroute, labels, scen, [10])
    >>> row["service"], row["failure"].startswith("link:"), row["method"]
    ('portal', True, 'analytic')
    """
    if set(scenario.failure_policy) <= {"none"}:
        return []
    base_ids = np.array([lid[:-1] for lid in network.link_ids])  # "ex-a>" and "ex-a<" -> "ex-a"
    rows = []
    for service in scenario.services:
        limit = service.targets.max_response_time_s
        mine = [i for i, c in enumerate(labels.class_service) if c == service.id]
        if service.group != "portal" or limit is None or not mine:
            continue
        used = sorted({str(base_ids[a]) for i in mine for path in classes[i].paths for a in path})
        for hour in hours:
            worst = None
            for link in used:
                res = analytic(network, classes, pools, hour=int(hour), reroute=reroute,
                               failed_links=base_ids == link)
                mean = _portal_mean(res, classes, mine, int(hour))
                if worst is None or mean > worst[1]:
                    worst = (link, mean)
            if worst is None:
                continue
            rows.append({"hour": int(hour), "service": service.id, "failure": f"link:{worst[0]}",
                         "response_mean_s": _num(worst[1]), "cut_off": math.isinf(worst[1]),
                         "method": "analytic", "target_response_s": limit,
                         "response_share": service.targets.response_share})
    return rows


def _portal_mean(res, classes, mine: list[int], hour: int) -> float:
    """Arrival-weighted mean response of the portal's classes; inf when one is cut off."""
    rates = np.array([classes[i].arrival_rate_per_s[hour] for i in mine])
    values = np.asarray(res["response_mean_s"].mean)[mine]
    live = rates > 0
    if not live.any():
        return 0.0
    if np.isnan(values[live]).any() or np.isinf(values[live]).any():
        return math.inf
    return float((rates[live] * values[live]).sum() / rates[live].sum())


def expected_session_count(classes, hours: Sequence[int], replications: int,
                           duration_s: float, warmup_s: float) -> float:
    """Mean number of sessions a simulation creates: every hour, every replication.

    Per hour and replication, :func:`netplan.sim.arrivals.expected_sessions` over the
    warm-up and the measured time (with the streams in progress at the start when there
    is a warm-up, as :func:`simulate_scenario` runs it).

    Examples
    --------
    >>> from netplan.sim.model import TrafficClass
    >>> web = TrafficClass("web", "elastic", paths=[[0]], arrival_rate_per_s=2.0, size_mbit=1.0)
    >>> expected_session_count([web], hours=[9, 10], replications=10, duration_s=600,
    ...                        warmup_s=120)
    28800.0
    """
    rates = np.array([np.zeros(24) if c.arrival_rate_per_s is None else c.arrival_rate_per_s
                      for c in classes], dtype=float).reshape(-1, 24)
    holding = np.array([float(c.holding_s or 0.0) for c in classes])
    streams = np.array([c.kind == "stream" for c in classes], dtype=bool)
    span = float(warmup_s) + float(duration_s)
    per_replication = sum(
        expected_sessions(rates, holding, streams, float(h), span, warmup_s > 0) for h in hours
    )
    # A class replaying recorded arrivals brings them all, whatever the rates.
    recorded = sum(len(c.arrival_times_s) for c in classes if c.arrival_times_s is not None)
    return (per_replication + recorded * len(hours)) * int(replications)


def _check_budget(classes, hours, reps: int, dur: float, warm: float,
                  max_sessions: float) -> None:
    """Refuse, before it starts, a simulation that would create too many sessions."""
    expected = expected_session_count(classes, hours, reps, dur, warm)
    if expected <= max_sessions:
        return
    raise ValidationError([Problem("", "simulation", (
        f"the simulation would run about {expected:.3g} sessions ({reps} replications × "
        f"{len(hours)} hour(s) × {warm + dur:g} s each), more than the limit of "
        f"{max_sessions:.3g}: shorten simulation.duration_s or warmup_s, simulate fewer "
        "hours or replications, use the closed forms (--method analytic), or raise the "
        "limit (--max-sessions; max_sessions= in Python)"))])


def check_session_budget(topology, scenario, *, demand=None,
                         max_sessions: float = MAX_SESSIONS) -> None:
    """Refuse at once a simulation of ``scenario`` that would exceed ``max_sessions``.

    For callers that simulate late in a long run (``plan --sim simulate``): the same check
    :func:`simulate_scenario` makes, before anything else is computed.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> scen = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> check_session_budget(topo, scen, max_sessions=1e3)
    Traceback (most recent call last):
    ...
    netplan.errors.ValidationError: ...more than the limit of 1e+03...
    """
    _, reps, hours, dur, warm = _settings(scenario, "simulate", None, None, None, None, None)
    _, classes, _, _, _ = sim_inputs(topology, scenario, demand=demand)
    _check_budget(classes, hours, reps, dur, warm, max_sessions)


def _settings(scenario, method, seed, replications, hours, duration_s, warmup_s) -> tuple:
    """Seed, replications, hours, duration and warm-up: the scenario's, or the overrides."""
    if method not in ("simulate", "analytic"):
        raise ValidationError([Problem("", "method", f"simulate or analytic, got {method!r}")])
    settings = scenario.simulation
    seed = scenario.seed if seed is None else int(seed)
    reps = settings.replications if replications is None else int(replications)
    hours = list(settings.hours if hours is None else hours)
    dur = settings.duration_s if duration_s is None else float(duration_s)
    warm = settings.warmup_s if warmup_s is None else float(warmup_s)
    problems = []
    if any(not (isinstance(h, int | np.integer) and 0 <= h < 24) for h in hours) or not hours:
        problems.append(Problem("", "hours", "whole hours of day 0..23"))
    if method == "simulate" and reps < 2:
        problems.append(Problem("", "replications", "needs at least 2 for an interval"))
    if not dur > 0 or not warm >= 0:
        problems.append(Problem("", "duration_s", "duration > 0 and warm-up >= 0"))
    if problems:
        raise ValidationError(problems)
    return seed, reps, hours, dur, warm


def _simulated_services(runs, svc_of, n_svc, confidence) -> list[dict]:
    n_r = len(runs)
    block = np.full((n_r, n_svc), np.nan)
    pct = np.full((len(PERCENTILES), n_r, n_svc), np.nan)
    mean_r = np.full((n_r, n_svc), np.nan)
    for r, run in enumerate(runs):
        off = np.bincount(svc_of, weights=run["offered"], minlength=n_svc)
        blk = np.bincount(svc_of, weights=run["blocked"], minlength=n_svc)
        with np.errstate(invalid="ignore", divide="ignore"):
            block[r] = np.where(off > 0, blk / np.where(off > 0, off, 1), np.nan)
        for k in range(n_svc):
            parts = [run["_responses"][c] for c in np.flatnonzero(svc_of == k)]
            allr = np.concatenate(parts) if parts else np.empty(0)
            if allr.size:
                pct[:, r, k] = np.percentile(allr, PERCENTILES)
                mean_r[r, k] = allr.mean()
    out = []
    bm, bl, bh, bn = mean_ci(block, confidence, bounds=(0.0, 1.0))
    stats = [mean_ci(pct[i], confidence, bounds=(0.0, np.inf)) for i in range(len(PERCENTILES))]
    rm, rl, rh, rn = mean_ci(mean_r, confidence, bounds=(0.0, np.inf))
    for k in range(n_svc):
        row = {"blocking": _stat(bm[k], bl[k], bh[k], bn[k], "simulation"),
               "response_mean_s": _stat(rm[k], rl[k], rh[k], rn[k], "simulation")}
        for i, p in enumerate(PERCENTILES):
            m, lo, hi, n = (x[k] for x in stats[i])
            row[f"response_p{int(p)}_s"] = _stat(m, lo, hi, n, "simulation")
        out.append(row)
    return out


def _analytic_services(res, rates, svc_of, n_svc) -> list[dict]:
    out = []
    b = res["blocking"]
    for k in range(n_svc):
        idx = np.flatnonzero(svc_of == k)
        w = rates[idx]
        vals = b.mean[idx]
        ok = ~np.isnan(vals)
        mean = float((w[ok] * vals[ok]).sum() / w[ok].sum()) if w[ok].sum() > 0 else math.nan
        methods = sorted({b.method[c] for c in idx[ok]}) or ["none"]
        row = {"blocking": _stat(mean, mean, mean, 0, "+".join(methods))}
        m = res["response_mean_s"]
        v = m.mean[idx]
        good = ~np.isnan(v) & (w > 0)
        if good.any():
            val = float((w[good] * v[good]).sum() / w[good].sum())
            meth = "+".join(sorted({m.method[c] for c in idx[good]}))
        else:
            val, meth = math.nan, "none"
        row["response_mean_s"] = _stat(val, val, val, 0, meth)
        for p in PERCENTILES:  # the closed forms give means only
            row[f"response_p{int(p)}_s"] = _stat(math.nan, math.nan, math.nan, 0, "none")
        out.append(row)
    return out
