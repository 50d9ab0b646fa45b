"""The report's "by system" view: each service of the programme, its traffic, targets and share.

Everything here is read from a run's saved results: the scenario's services (group, system,
targets), the busy-hour totals, the latency findings, the plan's purchases and the
simulation's mean response times. Shares of the purchases and the portal's response-time
bins are estimates and say so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from netplan.io.run_dir import RunData
from netplan.planning.rows import system_label, systems_in_reason
from netplan.report.html import Section, Table
from netplan.report.i18n import t
from netplan.report.reasons_zh import failure_zh

#: Bin edges of page response time (seconds), as in the survey of government sites.
RESPONSE_BINS_S: tuple[float, ...] = (1.0, 3.0, 10.0, 60.0)
GROUP_ORDER: tuple[str, ...] = ("portal", "application_system", "base_database", "sensing", "common")


def response_time_bins(mean_s: float, edges_s: Sequence[float] = RESPONSE_BINS_S) -> list[float]:
    """Share of page loads under each edge, and the share over the last, for a mean response time.

    The response time is taken as exponential with the simulated mean (the M/M/1 sojourn
    time): the share under *t* is 1 - exp(-t / mean). An estimate of the spread around a mean.

    Examples
    --------
    >>> [round(x, 4) for x in response_time_bins(1.0, (1.0, 3.0))]
    [0.6321, 0.9502, 0.0498]
    >>> response_time_bins(0.0, (1.0,))
    [1.0, 0.0]
    """
    if mean_s <= 0:
        return [1.0] * len(edges_s) + [0.0]
    under = [1.0 - math.exp(-edge / mean_s) for edge in edges_s]
    return [*under, 1.0 - under[-1]]


def _name(service: dict, lang: str) -> str:
    return service.get("name_zh") if lang == "zh" and service.get("name_zh") else service["name"]


def system_rows(run: RunData, lang: str) -> list[dict]:
    """One row per system (flows of a system summed): traffic, targets, findings, shares."""
    res = run.results
    services = res["scenario"]["services"]
    busy = res["analysis"]["busy_hour"]
    years = sorted({r["year"] for r in busy})
    gbps = {(r["service"], r["year"]): r["total_gbps"] for r in busy}
    plane_total = {}
    for r in busy:
        if r["year"] == years[0]:
            plane_total[r["plane"]] = plane_total.get(r["plane"], 0.0) + r["total_gbps"]
    capex = _capex_per_plane(res)
    violations = res["analysis"]["sla_violations"]
    rows: dict[str, dict] = {}
    for s in services:
        system = s.get("system") or s["id"]
        row = rows.setdefault(system, {
            "system": system, "name": _name(s, lang).split("（")[0].split(" — ")[0],
            "group": t(f"group.{s.get('group', 'common')}", lang), "plane": s["plane"],
            "first_gbps": 0.0, "last_gbps": 0.0, "share": 0.0, "capex_share_cny": 0.0,
            "targets": set(), "normal": 0, "failure": 0, "_order": s.get("group", "common")})
        first = gbps.get((s["id"], years[0]), 0.0) if years else 0.0
        row["first_gbps"] += first
        row["last_gbps"] += gbps.get((s["id"], years[-1]), 0.0) if years else 0.0
        share = first / plane_total[s["plane"]] if plane_total.get(s["plane"]) else 0.0
        row["share"] += share
        row["capex_share_cny"] += share * capex.get(s["plane"], 0.0)
        row["targets"] |= _targets(s.get("targets") or {}, lang)
        limit = (s.get("targets") or {}).get("max_latency_ms")
        if limit is not None:
            hits = [v for v in violations if v["plane"] == s["plane"]
                    and abs(v["target_ms"] - limit) < 1e-9]
            row["normal"] += sum(v["failure"] == "none" for v in hits)
            row["failure"] += sum(v["failure"] != "none" for v in hits)
    out = sorted(rows.values(), key=lambda r: GROUP_ORDER.index(r.pop("_order")))
    driven = driven_links(res)
    spent = sum(capex.values())
    for row in out:
        row["capex_share"] = row["capex_share_cny"] / spent if spent > 0 else 0.0
        row["plane"] = t(f"plane.{row['plane']}", lang)
        row["targets"] = ", ".join(sorted(row["targets"])) or "—"
        links = sorted(driven.get(row["system"], {}).items(), key=lambda x: (-x[1], x[0]))
        row["links"] = ", ".join(f"{link} {share:.0%}" for link, share in links[:3]) or "—"
    return out


def driven_links(res: dict) -> dict[str, dict[str, float]]:
    """Per system, the links whose purchase its load forces: link → its share of the load
    in the state and hour that size the link (as the purchase's reason names it)."""
    label_of = {}
    for s in res["scenario"]["services"]:
        label_of.setdefault(system_label(s["name"], s.get("name_zh", "")), s.get("system") or s["id"])
    out: dict[str, dict[str, float]] = {}
    for row in (res.get("plan") or {}).get("rows", []):
        if not row.get("purchase") or row.get("item") != "link":
            continue
        for head, en, zh, share in systems_in_reason(row.get("reason", "")):
            system = label_of.get(f"{en} ({zh})" if zh else en)
            if head == "load by system" and system is not None:
                mine = out.setdefault(system, {})
                mine[row["id"]] = max(mine.get(row["id"], 0.0), share)
    return out


def _targets(targets: dict, lang: str) -> set[str]:
    shown = []
    if targets.get("max_latency_ms") is not None:
        shown.append(f"≤ {targets['max_latency_ms']:g} ms")
    if targets.get("max_response_time_s") is not None:
        share = targets.get("response_share")
        prefix = f"{share:.0%} " if share else ""
        shown.append(f"{prefix}≤ {targets['max_response_time_s']:g} s")
    if targets.get("max_blocking") is not None:
        shown.append(t("bysys.blocking", lang).format(share=targets["max_blocking"]))
    return set(shown)


def _capex_per_plane(res: dict) -> dict[str, float]:
    """Capex of the purchases per plane; racks count on the extranet, whose DCs they serve."""
    out: dict[str, float] = {}
    for row in (res.get("plan") or {}).get("rows", []):
        if row.get("purchase"):
            plane = row.get("plane") or "extranet"
            out[plane] = out.get(plane, 0.0) + float(row.get("capex_cny", 0.0))
    return out


def portal_rows(run: RunData, lang: str) -> list[dict]:
    """The portal's page response-time bins at the simulated busy hour, with their target:
    after the purchases without failure, and in the link failure that hurts it most."""
    res = run.results
    portals = [s for s in res["scenario"]["services"] if s.get("group") == "portal"]
    sim = res.get("simulation") or {}
    rows = []
    for portal in portals:
        targets = portal.get("targets") or {}
        for entry in sim.get("services", []):
            mean = (entry.get("response_mean_s") or {}).get("mean")
            if entry["service"] == portal["id"] and mean is not None:
                rows.append(_portal_row(portal, entry["hour"], t("bysys.state_normal", lang),
                                        mean, targets, lang))
        for entry in sim.get("services_under_failure", []):
            if entry["service"] == portal["id"]:
                state = t("bysys.state_failure", lang).format(
                    failure=failure_zh(entry["failure"]) if lang == "zh" else entry["failure"])
                mean = None if entry.get("cut_off") else entry["response_mean_s"]
                rows.append(_portal_row(portal, entry["hour"], state, mean, targets, lang))
    return rows


def _portal_row(portal: dict, hour: int, state: str, mean_s: float | None, targets: dict,
                lang: str) -> dict:
    """One row of the portal's bins; ``mean_s`` None: cut off, every page load over 60 s."""
    bins = response_time_bins(mean_s) if mean_s is not None else [0.0, 0.0, 0.0, 0.0, 1.0]
    return {"system": _name(portal, lang), "state": state, "hour": hour,
            "mean_s": mean_s, "under_1s": bins[0],
            "under_3s": bins[1], "under_10s": bins[2], "over_60s": bins[4],
            "target": _response_target(targets, lang),
            "meets": _meets(mean_s, targets, lang) if mean_s is not None else t("report.no", lang)}


def _response_target(targets: dict, lang: str) -> str:
    limit = targets.get("max_response_time_s")
    if limit is None:
        return "—"
    share = targets.get("response_share") or 0.5
    return t("bysys.target_share", lang).format(share=share, limit=limit)


def _meets(mean_s: float, targets: dict, lang: str) -> str:
    limit = targets.get("max_response_time_s")
    if limit is None:
        return "—"
    share = targets.get("response_share") or 0.5
    # The share under the target's own limit, from the same exponential spread.
    under = response_time_bins(mean_s, (limit,))[0]
    return t("report.yes", lang) if under >= share else t("report.no", lang)


def bysystem_section(run: RunData, lang: str) -> Section:
    """The "by system" section: a table of systems and the portal's response-time bins."""
    # A system's id need not be a service's (a base database's flows share one): the
    # table names it.
    columns = ("name", "group", "plane", "first_gbps", "last_gbps", "share",
               "capex_share", "targets", "normal", "failure", "links")
    labels = {c: t(f"bysys.{c}", lang) for c in columns}
    tables = [Table(system_rows(run, lang), columns, labels,
                    formats={"first_gbps": ".3f", "last_gbps": ".3f", "share": ".1%",
                             "capex_share": ".1%"})]
    text = [t("bysys.text", lang)]
    portal = portal_rows(run, lang)
    if portal:
        pcols = ("system", "state", "hour", "mean_s", "under_1s", "under_3s", "under_10s",
                 "over_60s", "target", "meets")
        tables.append(Table(portal, pcols, {c: t(f"bysys.{c}", lang) for c in pcols},
                            caption=t("bysys.portal_caption", lang),
                            formats={"mean_s": ".3f", "under_1s": ".1%", "under_3s": ".1%",
                                     "under_10s": ".1%", "over_60s": ".1%"}))
        text.append(t("bysys.portal_text", lang))
    elif any(s.get("group") == "portal" for s in run.results["scenario"]["services"]):
        text.append(t("bysys.portal_no_sim", lang))
    return Section(t("sec.bysystem", lang), text, [], tables)
