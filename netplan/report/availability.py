"""The report's availability and equity section, read from a run's saved results.

A run saves, under ``results["availability"]`` and ``results["equity"]``, the rows and
summaries of the network before and after the plan and the candidate links bought for
availability targets (:func:`netplan.availability.results.run_results`). This section
shows them: two district maps (expected downtime, access bandwidth per resident), the
districts that miss their target (or the worst five), the spread across districts before
and after the plan, and the purchases made for the targets. Nothing is recomputed; a run
saved without these keys has no such section. Every figure is an estimate, as the failure
rates and the demand are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from netplan.io.run_dir import RunData
from netplan.report.html import Section, Table
from netplan.report.i18n import display_name, t

__all__ = ["MAX_MISSES_SHOWN", "availability_section", "district_downtime", "district_per_resident",
           "judged_downtime", "misses", "spread_rows", "worst_districts"]

#: The most rows of the misses table; the rest are in ``availability.csv`` and ``plan.xlsx``.
MAX_MISSES_SHOWN = 50
#: The equity figure the second map shows.
PER_RESIDENT = "access_kbps_per_resident"


def judged_downtime(row: Mapping[str, Any]) -> float:
    """A row's downtime in minutes a year on the measure its target is judged on.

    ``network`` judges the network between the two end nodes; ``end_to_end`` (the default)
    the whole path.

    Examples
    --------
    >>> row = {"judged_on": "network", "downtime_min_per_year": 50.0,
    ...        "network_downtime_min_per_year": 3.5}
    >>> judged_downtime(row), judged_downtime(row | {"judged_on": "end_to_end"})
    (3.5, 50.0)
    """
    if row.get("judged_on") == "network":
        return float(row["network_downtime_min_per_year"])
    return float(row["downtime_min_per_year"])


def district_downtime(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Per district, its largest :func:`judged_downtime` over planes and destinations.

    A district is cut off from some service whenever any of its destinations is, so the
    map shows the worst one.

    Examples
    --------
    >>> rows = [{"district": "a", "plane": p, "downtime_min_per_year": m}
    ...         for p, m in (("extranet", 50.0), ("intranet", 61.0))]
    >>> district_downtime(rows)
    {'a': 61.0}
    """
    out: dict[str, float] = {}
    for row in rows:
        value = judged_downtime(row)
        if value > out.get(row["district"], float("-inf")):
            out[row["district"]] = value
    return out


def district_per_resident(rows: Sequence[Mapping[str, Any]]) -> tuple[str | None, dict[str, float]]:
    """The plane whose access bandwidth per resident the map shows, and its values.

    The extranet (the plane that serves the public) when it has values, else the first
    plane that has; districts without a population are left out.

    Examples
    --------
    >>> rows = [{"district": "a", "plane": "intranet", "access_kbps_per_resident": 2.0},
    ...         {"district": "a", "plane": "extranet", "access_kbps_per_resident": 5.0},
    ...         {"district": "b", "plane": "extranet", "access_kbps_per_resident": None}]
    >>> district_per_resident(rows)
    ('extranet', {'a': 5.0})
    """
    by_plane: dict[str, dict[str, float]] = {}
    for row in rows:
        value = row.get(PER_RESIDENT)
        if value is not None:
            by_plane.setdefault(row["plane"], {})[row["district"]] = float(value)
    if not by_plane:
        return None, {}
    plane = "extranet" if "extranet" in by_plane else next(iter(by_plane))
    return plane, by_plane[plane]


def misses(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Rows that miss their target, the furthest below it first.

    Examples
    --------
    >>> rows = [{"district": "a", "meets": False, "judged_lower_bound": 0.99, "target": 0.999},
    ...         {"district": "b", "meets": True, "judged_lower_bound": 0.9999, "target": 0.999},
    ...         {"district": "c", "meets": False, "judged_lower_bound": 0.9, "target": 0.999}]
    >>> [r["district"] for r in misses(rows)]
    ['c', 'a']
    """
    missed = [r for r in rows if r.get("meets") is False]
    return sorted(missed, key=lambda r: r["judged_lower_bound"] - r["target"])


def worst_districts(rows: Sequence[Mapping[str, Any]], n: int = 5) -> list[Mapping[str, Any]]:
    """The row of each of the ``n`` districts with the most :func:`judged_downtime`.

    Examples
    --------
    >>> rows = [{"district": d, "downtime_min_per_year": m}
    ...         for d, m in (("a", 5.0), ("a", 9.0), ("b", 7.0), ("c", 1.0))]
    >>> [(r["district"], r["downtime_min_per_year"]) for r in worst_districts(rows, 2)]
    [('a', 9.0), ('b', 7.0)]
    """
    worst: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        kept = worst.get(row["district"])
        if kept is None or judged_downtime(row) > judged_downtime(kept):
            worst[row["district"]] = row
    return sorted(worst.values(), key=lambda r: -judged_downtime(r))[:n]


def spread_rows(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per (plane, figure): the spread before and after the plan, side by side.

    ``before`` and ``after`` are equity summaries (``{"spreads": [...]}``); a figure
    missing on one side gives None there.

    Examples
    --------
    >>> b = {"spreads": [{"plane": "extranet", "figure": "x", "worse": "low", "max_min_ratio": 4.0,
    ...                   "gini": 0.3, "worst_five": ["a"]}]}
    >>> a = {"spreads": [{"plane": "extranet", "figure": "x", "worse": "low", "max_min_ratio": 2.0,
    ...                   "gini": 0.2, "worst_five": ["b"]}]}
    >>> row = spread_rows(b, a)[0]
    >>> row["ratio_before"], row["ratio_after"], row["gini_after"], row["worst_after"]
    (4.0, 2.0, 0.2, ['b'])
    """
    def keyed(summary):
        return {(s["plane"], s["figure"]): s for s in summary.get("spreads", [])}

    old, new = keyed(before), keyed(after)
    rows = []
    for key in dict.fromkeys([*old, *new]):
        b, a = old.get(key, {}), new.get(key, {})
        rows.append({
            "plane": key[0], "figure": key[1], "worse": a.get("worse", b.get("worse")),
            "districts": a.get("districts", b.get("districts")),
            "min_before": b.get("min"), "max_before": b.get("max"),
            "min_after": a.get("min"), "max_after": a.get("max"),
            "ratio_before": b.get("max_min_ratio"), "ratio_after": a.get("max_min_ratio"),
            "gini_before": b.get("gini"), "gini_after": a.get("gini"),
            "worst_before": list(b.get("worst_five", [])),
            "worst_after": list(a.get("worst_five", [])),
        })
    return rows


# ------------------------------------------------------------------------------ the section
def availability_section(run: RunData, lang: str = "zh") -> Section | None:
    """The section "Availability and equity", or None for a run saved without them.

    Examples
    --------
    >>> from netplan.io.run_dir import RunData
    >>> availability_section(RunData(results={}, arrays={})) is None
    True
    """
    res = run.results
    avail, equity = res.get("availability"), res.get("equity")
    if not avail and not equity:
        return None
    names = _names(res, lang)
    text = [t("avail.text", lang)]
    figures: list[Any] = []
    tables: list[Table] = []
    if avail:
        text += _availability_text(avail, lang)
        figures.append(_downtime_map(res, avail, lang))
        tables.append(_misses_table(avail, names, lang))
        purchases = _purchases_table(avail, names, lang)
        if purchases is not None:
            tables.append(purchases)
        elif any(r.get("target") is not None for r in _after(avail)):
            text.append(t("avail.no_purchase", lang))
    if equity:
        figure = _per_resident_map(res, equity, lang)
        if figure is not None:
            figures.append(figure)
        judged = _judged_on(_after(avail)) if avail else "end_to_end"
        text += _spread_text(equity, judged, lang)
        tables.append(_spread_table(equity, names, lang))
    return Section(t("sec.availability", lang), text, figures, tables)


def _names(results: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {n["id"]: display_name(n.get("name"), n.get("name_zh"), lang) or n["id"]
            for n in results.get("topology", {}).get("nodes", [])}


def _after(part: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(part.get("after", {}).get("rows", []))


def _before(part: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(part.get("before", {}).get("rows", []))


def _judged_on(rows: Sequence[Mapping[str, Any]]) -> str:
    return rows[0].get("judged_on", "end_to_end") if rows else "end_to_end"


def _availability_text(avail: Mapping[str, Any], lang: str) -> list[str]:
    """How many rows miss their target after the plan (and before), or that none is set."""
    after, before = _after(avail), _before(avail)
    judged = t(f"avail.judged.{_judged_on(after)}", lang)
    if not any(r.get("target") is not None for r in after):
        return [t("avail.no_target", lang).format(judged=judged)]
    return [t("avail.missed", lang).format(
        missed=len(misses(after)), rows=sum(r.get("target") is not None for r in after),
        before=len(misses(before)), judged=judged)]


# ------------------------------------------------------------------------------ the maps
def _drawn_links(results: Mapping[str, Any], bought: Sequence[str]) -> list[Mapping[str, Any]]:
    """The candidate links bought for availability: the fill is what the maps show, so the
    rest of the network (drawn on the network map above) is left out."""
    wanted = set(bought)
    return [link for link in results["topology"]["links"] if link["id"] in wanted]


def _with_outline(nodes: Sequence[Mapping[str, Any]], values: Mapping[str, float]
                  ) -> dict[str, float]:
    """``values`` of the districts that have an outline of their own on the map."""
    from netplan.report.geo import district_rings, feature_name

    outlines = {name for name, _ in district_rings()}
    kept = {n["id"] for n in nodes if n.get("kind") == "district" and n.get("name_zh")
            and feature_name(n["name_zh"]) in outlines}
    return {d: v for d, v in values.items() if d in kept}


def _district_map(results: Mapping[str, Any], values: Mapping[str, float], label: str,
                  lang: str, *, bought: Sequence[str] = (), highlight: Sequence[str] = ()):
    from netplan.report.mapfig import network_map

    topo = results["topology"]
    nodes = topo["nodes"]
    ids = {n["id"] for n in nodes}
    return network_map(nodes, _drawn_links(results, bought), lang,
                       district_values=_with_outline(nodes, values), district_label=label,
                       district_format=".2f",
                       # From zero: downtime and bandwidth are compared as ratios, and a
                       # scale starting at the smallest value would magnify small gaps.
                       district_range=(0.0, max(values.values(), default=1.0) or 1.0),
                       highlight_nodes=[d for d in dict.fromkeys(highlight) if d in ids])


def _downtime_map(results: Mapping[str, Any], avail: Mapping[str, Any], lang: str):
    after = _after(avail)
    shown = misses(after) or worst_districts(after)
    bought = [p["link"] for p in avail.get("purchases", [])]
    fig = _district_map(results, district_downtime(after), t("avail.map.downtime", lang), lang,
                        bought=bought, highlight=[r["district"] for r in shown])
    caption = t("avail.caption.downtime", lang).format(
        judged=t(f"avail.judged.{_judged_on(after)}", lang))
    return fig, caption


def _per_resident_map(results: Mapping[str, Any], equity: Mapping[str, Any], lang: str):
    plane, values = district_per_resident(_after(equity))
    if plane is None:
        return None
    bought = [p["link"] for p in (results.get("availability") or {}).get("purchases", [])]
    fig = _district_map(results, values, t("avail.map.per_resident", lang), lang, bought=bought)
    return fig, t("avail.caption.per_resident", lang).format(plane=t(f"plane.{plane}", lang))


# ------------------------------------------------------------------------------ the tables
# The dominant cut, the longest text, last: the last column may wrap anywhere.
MISS_COLUMNS = ("district", "plane", "destination", "target", "judged_availability",
                "before_min", "downtime_min", "dominant_cut_share", "dominant_cut")


def _misses_table(avail: Mapping[str, Any], names: Mapping[str, str], lang: str) -> Table:
    """The rows that miss their target after the plan (or the five worst districts)."""
    after = _after(avail)
    before = {_key(r): r for r in _before(avail)}
    missed = misses(after)
    chosen = missed[:MAX_MISSES_SHOWN] if missed else worst_districts(after)
    rows = [_miss_row(r, before.get(_key(r)), names, lang) for r in chosen]
    if missed:
        caption = t("avail.table.misses", lang)
        if len(missed) > MAX_MISSES_SHOWN:
            caption += t("avail.table.more", lang).format(n=len(missed) - MAX_MISSES_SHOWN)
    else:
        caption = t("avail.table.worst", lang)
    labels = {c: t(f"avail.col.{c}", lang) for c in MISS_COLUMNS}
    return Table(rows, MISS_COLUMNS, labels, caption=caption,
                 formats={"target": ".5%", "judged_availability": ".5%", "before_min": ".2f",
                          "downtime_min": ".2f", "dominant_cut_share": ".0%"})


def _key(row: Mapping[str, Any]) -> tuple[str, str, str]:
    return row["district"], row["plane"], row["destination"]


def _miss_row(row: Mapping[str, Any], before: Mapping[str, Any] | None,
              names: Mapping[str, str], lang: str) -> dict[str, Any]:
    network = row.get("judged_on") == "network"
    return {
        "district": names.get(row["district"], row["district"]),
        "plane": t(f"plane.{row['plane']}", lang),
        "destination": names.get(row["destination"], row["destination"]),
        "target": row.get("target"),
        "judged_availability": row.get("judged_lower_bound"),
        "before_min": judged_downtime(before) if before else None,
        "downtime_min": judged_downtime(row),
        "dominant_cut": row["network_dominant_cut"] if network else row["dominant_cut"],
        # The saved share is of the end-to-end cut; the network's is not saved.
        "dominant_cut_share": None if network else row.get("dominant_cut_share"),
    }


def _purchases_table(avail: Mapping[str, Any], names: Mapping[str, str], lang: str
                     ) -> Table | None:
    """The candidate links bought for availability targets, naming the districts."""
    bought = avail.get("purchases", [])
    if not bought:
        return None
    sep = "、" if lang == "zh" else ", "
    rows = [{"link": p["link"],
             "plane": t(f"plane.{p['plane']}", lang) if p.get("plane") else None,
             "districts": sep.join(names.get(d, d) for d in p.get("districts", [])),
             "capex_cny": p.get("capex_cny")} for p in bought]
    columns = ("link", "plane", "districts", "capex_cny")
    return Table(rows, columns, {c: t(f"avail.col.{c}", lang) for c in columns},
                 caption=t("avail.table.purchases", lang))


SPREAD_COLUMNS = ("plane", "figure", "ratio_before", "ratio_after", "gini_before", "gini_after",
                  "change", "worst_after")


def _spread_table(equity: Mapping[str, Any], names: Mapping[str, str], lang: str) -> Table:
    sep = "、" if lang == "zh" else ", "
    rows = []
    for r in spread_rows(equity.get("before", {}).get("summary", {}),
                         equity.get("after", {}).get("summary", {})):
        rows.append(r | {
            "plane": t(f"plane.{r['plane']}", lang),
            "figure": _figure_label(r["figure"], lang),
            "change": t(f"avail.change.{_change(r)}", lang),
            "worst_after": sep.join(names.get(d, d) for d in r["worst_after"]),
        })
    return Table(rows, SPREAD_COLUMNS, {c: t(f"avail.col.{c}", lang) for c in SPREAD_COLUMNS},
                 caption=t("avail.table.spread", lang),
                 formats={"ratio_before": ".2f", "ratio_after": ".2f", "gini_before": ".3f",
                          "gini_after": ".3f"})


def _figure_label(figure: str, lang: str) -> str:
    from netplan.report.i18n import LABELS

    key = f"avail.figure.{figure}"
    return t(key, lang) if key in LABELS else figure


def _change(row: Mapping[str, Any]) -> str:
    """Whether the plan narrows the gap, by the Gini coefficient (to 0.001)."""
    before, after = row["gini_before"], row["gini_after"]
    if before is None or after is None:
        return "unknown"
    if after < before - 5e-4:
        return "narrower"
    if after > before + 5e-4:
        return "wider"
    return "same"


def _spread_text(equity: Mapping[str, Any], judged_on: str, lang: str) -> list[str]:
    """A sentence per plane on the two figures the maps show (downtime on the measure the
    targets are judged on): the gap before and after."""
    downtime = ("network_downtime_min_per_year" if judged_on == "network"
                else "downtime_min_per_year")
    text = []
    for r in spread_rows(equity.get("before", {}).get("summary", {}),
                         equity.get("after", {}).get("summary", {})):
        if r["figure"] not in (PER_RESIDENT, downtime) or r["gini_after"] is None:
            continue
        text.append(t("avail.spread", lang).format(
            plane=t(f"plane.{r['plane']}", lang), figure=_figure_label(r["figure"], lang),
            ratio_before=_ratio(r["ratio_before"]), ratio_after=_ratio(r["ratio_after"]),
            gini_before=_gini(r["gini_before"]), gini_after=_gini(r["gini_after"]),
            change=t(f"avail.change.{_change(r)}", lang)))
    return text


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _gini(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"

