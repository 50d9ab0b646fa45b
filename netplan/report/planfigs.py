"""Figures of a capacity plan: purchases per year, costs, rack growth (pure functions).

A figure is drawn only when it has something to compare: per-year charts need several
years, the district chart several districts, the rack chart a data centre whose racks
change. Each function returns ``None`` otherwise, and :func:`plan_figures` puts a sentence
in its place. Money is drawn in one unit per axis (:func:`netplan.report.numbers.money_axis`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from netplan.report.figures import graph_objects, short_label, styled_layout
from netplan.report.html import plain_text
from netplan.report.i18n import t
from netplan.report.numbers import (
    MONEY_TICKFORMAT,
    format_count,
    format_money,
    format_year,
    money_axis,
    with_unit,
)


def _plan_years(rows: Sequence[Mapping[str, Any]]) -> list[int]:
    return sorted({int(r["year"]) for r in rows})


def _tier_order(name: str) -> tuple[float, str]:
    """Tiers by capacity (``1G`` < ``2.5G`` < ``10G``), anything else after them."""
    number = name.rstrip("GgMmTt")
    try:
        return float(number), name
    except ValueError:
        return float("inf"), name


def _money_yaxis(fig, label_key: str, lang: str, *, axis: str = "y") -> None:
    _, unit = money_axis(lang)
    fig.update_layout({f"{axis}axis": {"title": with_unit(t(label_key, lang), unit, lang),
                                       "tickformat": MONEY_TICKFORMAT}})


def purchases_timeline(rows: Sequence[Mapping[str, Any]], lang: str = "zh"):
    """Capex per year, stacked by what is bought (link tier or data-centre racks).

    Returns
    -------
    plotly Figure or None
        None when the plan has a single year or buys nothing.

    Examples
    --------
    >>> rows = [{"item": "link", "tier": "10G", "year": 2026, "capex_cny": 1e5,
    ...          "purchase": True, "id": "a"},
    ...         {"item": "data_centre", "tier": "", "year": 2027, "capex_cny": 2e5,
    ...          "purchase": True, "id": "dc"}]
    >>> fig = purchases_timeline(rows, "zh")
    >>> [trace.name for trace in fig.data], list(fig.data[0].y), fig.data[0].customdata[0]
    (['10G', '机架'], [10.0, 0.0], '10G 2026: 10.0 万元（1 项）')
    >>> purchases_timeline(rows[:1], "en") is None
    True
    """
    years = _plan_years(rows)
    bought = [r for r in rows if r["purchase"]]
    if len(years) < 2 or not bought:
        return None
    go = graph_objects()
    scale, _ = money_axis(lang)
    groups: dict[str, dict[int, float]] = {}
    counts: dict[str, dict[int, int]] = {}
    for r in bought:
        key = t("plan.racks", lang) if r["item"] == "data_centre" else plain_text(r["tier"])
        year = int(r["year"])
        groups.setdefault(key, {}).setdefault(year, 0.0)
        groups[key][year] += r["capex_cny"]
        counts.setdefault(key, {}).setdefault(year, 0)
        counts[key][year] += 1
    fig = go.Figure()
    for key in sorted(groups, key=_tier_order):
        hover = [f"{key} {format_year(y)}: {format_money(groups[key].get(y, 0.0), lang)}"
                 + t("plan.items_count", lang).format(n=counts[key].get(y, 0)) for y in years]
        fig.add_bar(
            x=[format_year(y) for y in years],
            y=[groups[key].get(y, 0.0) / scale for y in years], name=key,
            customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        )
    fig.update_layout(barmode="stack", xaxis_title=t("plan.year", lang), xaxis_type="category")
    _money_yaxis(fig, "plan.capex", lang)
    return styled_layout(fig, t("plan.timeline_title", lang))


def cost_per_year(costs: Mapping[str, Any], lang: str = "zh"):
    """What the purchases cost each year: capex and the opex they add, stacked.

    Returns
    -------
    plotly Figure or None
        None for a single year, or when every amount is zero.

    Examples
    --------
    >>> costs = {"per_year": {"2026": {"capex_cny": 3e5, "added_opex_cny": 2e4},
    ...                       "2027": {"capex_cny": 0.0, "added_opex_cny": 4e4}}}
    >>> fig = cost_per_year(costs, "en")
    >>> [tr.name for tr in fig.data], list(fig.data[1].y), fig.data[0].customdata[0]
    (['Capex', 'Added opex'], [20000.0, 40000.0], '2026 Capex: 300,000 CNY')
    >>> cost_per_year({"per_year": {"2026": {"capex_cny": 1.0, "added_opex_cny": 2.0}}}) is None
    True
    """
    years = list(costs["per_year"])
    keys = ("capex_cny", "added_opex_cny")
    if len(years) < 2 or not any(costs["per_year"][y][k] for y in years for k in keys):
        return None
    go = graph_objects()
    scale, _ = money_axis(lang)
    fig = go.Figure()
    for key, label_key, colour in (("capex_cny", "plan.capex", "#4c78a8"),
                                   ("added_opex_cny", "plan.added_opex", "#72b7b2")):
        name = t(label_key, lang)
        values = [costs["per_year"][y][key] for y in years]
        fig.add_bar(x=[format_year(y) for y in years], y=[v / scale for v in values], name=name,
                    marker_color=colour,
                    customdata=[f"{format_year(y)} {name}: {format_money(v, lang)}"
                                for y, v in zip(years, values, strict=True)],
                    hovertemplate="%{customdata}<extra></extra>")
    # added opex is negative when retired modules cost more to run than their replacements
    fig.update_layout(barmode="relative", xaxis_title=t("plan.year", lang),
                      xaxis_type="category")
    _money_yaxis(fig, "plan.cost", lang)
    return styled_layout(fig, t("plan.cost_year_title", lang), height_px=420)


def _district_label(district: str, names: Mapping[str, str], lang: str) -> str:
    if district == "municipal":
        return t("plan.municipal", lang)
    return names.get(district, district)


def cost_per_district(costs: Mapping[str, Any], lang: str = "zh", *,
                      names: Mapping[str, str] | None = None, top_districts: int = 20):
    """Horizontal bars of what the purchases cost per district (capex plus added opex over
    the horizon), largest on top; districts that cost nothing are left out.

    Parameters
    ----------
    costs : mapping
        The plan's costs object (``per_district``).
    names : mapping, optional
        Name to show per district id (default: the id).
    top_districts : int
        Most districts drawn.

    Returns
    -------
    plotly Figure or None
        None when fewer than two districts have costs (a sentence says it better).

    Examples
    --------
    >>> costs = {"per_district": {"wanzhou": 3.0e5, "municipal": 4.0e5, "fuling": 0.0}}
    >>> fig = cost_per_district(costs, "en", names={"wanzhou": "Wanzhou"})
    >>> list(fig.data[0].y), list(fig.data[0].x)
    (['Wanzhou', 'Municipal (cores, exits, DCs)'], [300000.0, 400000.0])
    >>> cost_per_district({"per_district": {"wanzhou": 1.0, "fuling": 0.0}}) is None
    True
    """
    names = names or {}
    spent = [(d, v) for d, v in costs["per_district"].items() if v]
    if len(spent) < 2:
        return None
    go = graph_objects()
    scale, unit = money_axis(lang)
    chosen = sorted(spent, key=lambda dv: -abs(dv[1]))[:top_districts][::-1]
    full = [_district_label(d, names, lang) for d, _ in chosen]
    fig = go.Figure(go.Bar(
        y=[plain_text(short_label(n)) for n in full], x=[v / scale for _, v in chosen],
        orientation="h", marker_color="#54a24b",
        text=[format_money(v, lang) for _, v in chosen], textposition="outside",
        cliponaxis=False,
        customdata=[plain_text(f"{n}: {format_money(v, lang)}")
                    for n, (_, v) in zip(full, chosen, strict=True)],
        hovertemplate="%{customdata}<extra></extra>",
    ))
    top = max(abs(v) for _, v in chosen) / scale
    # room right of the longest bar for its amount
    fig.update_layout(xaxis={"title": with_unit(t("plan.cost", lang), unit, lang),
                             "tickformat": MONEY_TICKFORMAT, "range": [0, top * 1.25]})
    return styled_layout(fig, t("plan.district_title", lang),
                         height_px=max(240, 30 * len(chosen) + 130))


def _racks_by_centre(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    centres: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        if r["item"] == "data_centre":
            centres.setdefault(r["id"], []).append(r)
    return {dc: sorted(mine, key=lambda r: r["year"]) for dc, mine in sorted(centres.items())}


def rack_growth(rows: Sequence[Mapping[str, Any]], lang: str = "zh", *,
                names: Mapping[str, str] | None = None):
    """Racks per data centre per year (installed after the plan's purchases).

    Returns
    -------
    plotly Figure or None
        None for a single year, or when no data centre's racks change.

    Examples
    --------
    >>> rows = [{"item": "data_centre", "id": "dc", "year": 2026, "racks": 10},
    ...         {"item": "data_centre", "id": "dc", "year": 2027, "racks": 12}]
    >>> list(rack_growth(rows, "en").data[0].y)
    [10, 12]
    >>> rack_growth([{**r, "racks": 10} for r in rows], "en") is None
    True
    """
    names = names or {}
    centres = _racks_by_centre(rows)
    if len(_plan_years(rows)) < 2 or all(
            len({r["racks"] for r in mine}) < 2 for mine in centres.values()):
        return None
    go = graph_objects()
    fig = go.Figure()
    racks = t("plan.racks", lang)
    for dc, mine in centres.items():
        name = plain_text(names.get(dc, dc))
        fig.add_scatter(x=[format_year(r["year"]) for r in mine], y=[r["racks"] for r in mine],
                        mode="lines+markers", name=name,
                        hovertemplate=f"{name} %{{x}}: %{{y}} {racks}<extra></extra>")
    fig.update_layout(yaxis_title=racks, xaxis_title=t("plan.year", lang), xaxis_type="category")
    return styled_layout(fig, t("plan.racks_title", lang), height_px=380)


def _listing(items: Sequence[str], lang: str) -> str:
    return ("；" if lang == "zh" else "; ").join(items)


def _plane_sentence(costs: Mapping[str, Any], lang: str) -> str | None:
    spent = [(p, v) for p, v in costs.get("per_plane", {}).items() if v]
    if not spent:
        return None
    items = [f"{t(f'plane.{p}', lang) if p else t('plan.data_centres', lang)} "
             f"{format_money(v, lang)}" for p, v in spent]
    return t("plan.per_plane_text", lang).format(items=_listing(items, lang))


def _district_sentence(costs: Mapping[str, Any], lang: str, names: Mapping[str, str]) -> str | None:
    spent = [(d, v) for d, v in costs.get("per_district", {}).items() if v]
    if len(spent) != 1:
        return None
    (district, value), = spent
    return t("plan.one_district", lang).format(
        district=_district_label(district, names, lang), money=format_money(value, lang))


def _rack_sentence(rows: Sequence[Mapping[str, Any]], lang: str,
                   names: Mapping[str, str]) -> str | None:
    centres = _racks_by_centre(rows)
    if not centres:
        return None
    last = {dc: mine[-1] for dc, mine in centres.items()}
    items = []
    for dc, r in last.items():
        added = sum(int(x.get("racks_added", 0)) for x in centres[dc])
        extra = t("plan.racks_added_note", lang).format(n=format_count(added)) if added else ""
        items.append(f"{names.get(dc, dc)} {format_count(r['racks'])}{extra}")
    if not any(int(x.get("racks_added", 0)) for mine in centres.values() for x in mine):
        return t("plan.racks_same", lang).format(items=_listing(items, lang))
    year = format_year(max(r["year"] for r in last.values()))
    return t("plan.racks_year", lang).format(year=year, items=_listing(items, lang))


def plan_figures(rows: Sequence[Mapping[str, Any]], costs: Mapping[str, Any], lang: str = "zh",
                 *, names: Mapping[str, str] | None = None) -> tuple[list[Any], list[str]]:
    """The plan section's figures, and sentences for what is not worth a chart.

    Parameters
    ----------
    rows : sequence of mappings
        The plan's rows (one per item and year).
    costs : mapping
        The plan's costs object.
    names : mapping, optional
        Name to show per node id (districts, data centres).

    Returns
    -------
    figures : list of plotly Figure
    sentences : list of str
        In place of the charts left out: a single year, a single district, the planes,
        racks that do not change.

    Examples
    --------
    >>> rows = [{"item": "link", "id": "a", "tier": "10G", "year": 2026, "capex_cny": 1e5,
    ...          "purchase": True, "racks": 0, "racks_added": 0},
    ...         {"item": "data_centre", "id": "dc", "tier": "", "year": 2026, "capex_cny": 0.0,
    ...          "purchase": False, "racks": 40, "racks_added": 0}]
    >>> costs = {"per_year": {"2026": {"capex_cny": 1e5, "added_opex_cny": 0.0}},
    ...          "per_plane": {"extranet": 1e5, "intranet": 0.0},
    ...          "per_district": {"wanzhou": 1e5, "fuling": 0.0}}
    >>> figures, text = plan_figures(rows, costs, "en", names={"wanzhou": "Wanzhou"})
    >>> figures
    []
    >>> print("\\n".join(text))
    The plan covers one year (2026), so there are no per-year charts; the table below lists every purchase.
    All purchase costs are in Wanzhou: 100,000 CNY (capex plus added opex over the horizon, estimates).
    Per plane (capex plus added opex over the horizon, estimates): Extranet 100,000 CNY.
    No racks are added; racks per data centre: dc 40.
    """
    names = names or {}
    figures = [purchases_timeline(rows, lang), cost_per_year(costs, lang),
               cost_per_district(costs, lang, names=names), rack_growth(rows, lang, names=names)]
    text = []
    years = _plan_years(rows)
    if len(years) == 1 and any(r["purchase"] for r in rows):
        text.append(t("plan.one_year", lang).format(year=format_year(years[0])))
    text += [s for s in (_district_sentence(costs, lang, names), _plane_sentence(costs, lang))
             if s]
    if figures[3] is None and (rack := _rack_sentence(rows, lang, names)):
        text.append(rack)
    return [f for f in figures if f is not None], text
