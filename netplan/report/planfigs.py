"""Figures of a capacity plan: purchases per year, costs, rack growth (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from netplan.report.figures import graph_objects, styled_layout
from netplan.report.html import plain_text
from netplan.report.i18n import t


def purchases_timeline(rows: Sequence[Mapping[str, Any]], lang: str = "zh"):
    """Capex per year, stacked by what is bought (link tier or data-centre racks).

    Examples
    --------
    >>> rows = [{"item": "link", "tier": "10G", "year": 2026, "capex_cny": 1e5,
    ...          "purchase": True, "id": "a"},
    ...         {"item": "data_centre", "tier": "", "year": 2027, "capex_cny": 2e5,
    ...          "purchase": True, "id": "dc"}]
    >>> fig = purchases_timeline(rows, "en")
    >>> sorted(trace.name for trace in fig.data)
    ['10G', 'Racks']
    """
    go = graph_objects()
    years = sorted({r["year"] for r in rows})
    groups: dict[str, dict[int, float]] = {}
    counts: dict[str, dict[int, int]] = {}
    for r in rows:
        if not r["purchase"]:
            continue
        key = t("plan.racks", lang) if r["item"] == "data_centre" else plain_text(r["tier"])
        groups.setdefault(key, {}).setdefault(r["year"], 0.0)
        groups[key][r["year"]] += r["capex_cny"]
        counts.setdefault(key, {}).setdefault(r["year"], 0)
        counts[key][r["year"]] += 1
    fig = go.Figure()
    for key in sorted(groups):
        fig.add_bar(
            x=[str(y) for y in years], y=[groups[key].get(y, 0.0) for y in years], name=key,
            customdata=[counts[key].get(y, 0) for y in years],
            hovertemplate=key + " %{x}: %{y:,.0f} CNY (%{customdata})<extra></extra>",
        )
    fig.update_layout(barmode="stack", yaxis_title=t("plan.capex_cny", lang),
                      xaxis_title=t("plan.year", lang))
    return styled_layout(fig, t("plan.timeline_title", lang))


def cost_breakdown(costs: Mapping[str, Any], lang: str = "zh", *, top_districts: int = 20):
    """What the purchases cost: per year (capex and the opex they add), per plane and per
    district (top ones), in CNY. The running cost of the network as it stands is left out.

    Examples
    --------
    >>> costs = {"per_year": {"2026": {"capex_cny": 1.0, "added_opex_cny": 2.0}},
    ...          "per_plane": {"extranet": 3.0}, "per_district": {"wanzhou": 3.0}}
    >>> len(cost_breakdown(costs, "en").data)
    4
    """
    go = graph_objects()
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=3, column_widths=[0.4, 0.2, 0.4], subplot_titles=(
        t("plan.per_year", lang), t("plan.per_plane", lang), t("plan.per_district", lang)))
    years = list(costs["per_year"])
    for key, colour in (("capex_cny", "#4c78a8"), ("added_opex_cny", "#72b7b2")):
        fig.add_trace(go.Bar(x=years, y=[costs["per_year"][y][key] for y in years],
                             name=t(f"plan.{key}", lang), marker_color=colour,
                             hovertemplate="%{x}: %{y:,.0f} CNY<extra></extra>"), row=1, col=1)
    planes = list(costs["per_plane"])
    fig.add_trace(go.Bar(x=[t(f"plane.{p}", lang) if p else t("plan.data_centres", lang)
                            for p in planes],
                         y=[costs["per_plane"][p] for p in planes], showlegend=False,
                         marker_color="#f58518",
                         hovertemplate="%{x}: %{y:,.0f} CNY<extra></extra>"), row=1, col=2)
    districts = list(costs["per_district"])[:top_districts]
    fig.add_trace(go.Bar(x=[plain_text(d) for d in districts],
                         y=[costs["per_district"][d] for d in districts], showlegend=False,
                         marker_color="#54a24b",
                         hovertemplate="%{x}: %{y:,.0f} CNY<extra></extra>"), row=1, col=3)
    fig.update_layout(barmode="stack")
    fig.update_xaxes(tickangle=-45, row=1, col=3)
    return styled_layout(fig, t("plan.costs_title", lang), height_px=460)


def rack_growth(rows: Sequence[Mapping[str, Any]], lang: str = "zh"):
    """Racks per data centre per year (installed after the plan's purchases).

    Examples
    --------
    >>> rows = [{"item": "data_centre", "id": "dc", "year": 2026, "racks": 10},
    ...         {"item": "data_centre", "id": "dc", "year": 2027, "racks": 12}]
    >>> list(rack_growth(rows, "en").data[0].y)
    [10, 12]
    """
    go = graph_objects()
    fig = go.Figure()
    centres = sorted({r["id"] for r in rows if r["item"] == "data_centre"})
    for dc in centres:
        mine = sorted((r for r in rows if r["item"] == "data_centre" and r["id"] == dc),
                      key=lambda r: r["year"])
        fig.add_scatter(x=[str(r["year"]) for r in mine], y=[r["racks"] for r in mine],
                        mode="lines+markers", name=plain_text(dc),
                        hovertemplate=plain_text(dc) + " %{x}: %{y} racks<extra></extra>")
    fig.update_layout(yaxis_title=t("plan.racks", lang), xaxis_title=t("plan.year", lang))
    return styled_layout(fig, t("plan.racks_title", lang), height_px=380)
