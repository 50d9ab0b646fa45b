"""Figures of a worst-case study: pure functions from results to ``plotly`` figures.

Each function takes result objects (or plain records), computes nothing beyond picking and
arranging what the results hold, does no I/O, and returns a ``plotly.graph_objects.Figure``
that a notebook can show or the report can embed. Text from input files passes through
:func:`netplan.report.html.plain_text` so it is shown, never interpreted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from netplan.report.html import plain_text
from netplan.report.i18n import t


def graph_objects():
    """``plotly.graph_objects``, imported on first use (plotly takes a while to load)."""
    import plotly.graph_objects as go

    return go


def styled_layout(fig, title: str, height_px: int = 480):
    """Give ``fig`` the report's title, template, margins and CJK-capable fonts."""
    fig.update_layout(
        title={"text": plain_text(title), "x": 0.01},
        template="plotly_white",
        height=height_px,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        font={"family": "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"},
    )
    return fig


def worst_case_bars(
    rows: Sequence[Mapping[str, Any]],
    lang: str = "zh",
    *,
    top_n: int = 25,
    target_normal: float = 0.7,
    target_failure: float = 0.9,
):
    """Horizontal bars of the most loaded links' worst utilisation, labelled with the cause.

    Parameters
    ----------
    rows : sequence of mappings
        ``Study.worst_case()`` records (``link``, ``plane``, ``worst_utilisation``,
        ``cause_failure``, ``cause_year``, ``cause_hour``, ``normal_utilisation``).
    lang : {"zh", "en"}
    top_n : int
        How many links to show (the most loaded first).
    target_normal, target_failure : float
        Drawn as vertical lines.

    Examples
    --------
    >>> rows = [{"link": "a-b", "plane": "extranet", "worst_utilisation": 0.95,
    ...          "normal_utilisation": 0.5, "cause_failure": "link:c-d", "cause_year": 2026,
    ...          "cause_hour": 10}]
    >>> fig = worst_case_bars(rows, "en")
    >>> fig.data[0].x[0], fig.data[1].x[0]
    (0.5, 0.95)
    """
    go = graph_objects()
    chosen = sorted(rows, key=lambda r: -r["worst_utilisation"])[:top_n][::-1]
    labels = [plain_text(f"{r['link']} ({t('plane.' + r['plane'], lang)})") for r in chosen]
    hover = [
        plain_text(
            f"{r['link']}: {r['worst_utilisation']:.0%} — {t('fig.cause', lang)} "
            f"{r['cause_failure']}, {r['cause_year']} {r['cause_hour']:02d}:00"
        )
        for r in chosen
    ]
    fig = go.Figure()
    fig.add_bar(
        y=labels, x=[r.get("normal_utilisation", 0.0) for r in chosen], orientation="h",
        name=t("fig.no_failure", lang), marker_color="#4c78a8",
        hovertemplate="%{x:.0%}<extra></extra>",
    )
    fig.add_bar(
        y=labels, x=[r["worst_utilisation"] for r in chosen], orientation="h",
        name=t("fig.worst_any_failure", lang), marker_color="#e45756",
        text=[plain_text(r["cause_failure"]) for r in chosen], textposition="outside",
        hovertext=hover, hoverinfo="text",
    )
    for value, dash in ((target_normal, "dot"), (target_failure, "dash")):
        fig.add_vline(x=value, line_dash=dash, line_color="#555")
    fig.update_layout(barmode="overlay", xaxis_tickformat=".0%",
                      xaxis_title=t("map.worst_utilisation", lang))
    return styled_layout(fig, t("fig.worst_case_title", lang), height_px=max(380, 22 * len(chosen) + 120))


def utilisation_heatmap(grid, link_ids: Sequence[str], lang: str = "zh", *,
                        label: str = "", top_n: int = 30):
    """Link × hour utilisation heatmap of the busiest links.

    Parameters
    ----------
    grid : array_like, shape (n_links, 24)
        Utilisation of each link in each hour (``Study.report_arrays()`` gives it per plane
        for the busiest year without failure).
    link_ids : sequence of str
    label : str
        Added to the title, e.g. the scenario and year.

    Examples
    --------
    >>> import numpy as np
    >>> fig = utilisation_heatmap(np.full((2, 24), 0.5), ["a-b", "b-c"], "en")
    >>> len(fig.data[0].x), list(fig.data[0].y)
    (24, ['b-c', 'a-b'])
    """
    go = graph_objects()
    grid = np.asarray(grid, dtype=float)
    order = np.argsort(-grid.max(axis=1), kind="stable")[:top_n][::-1]
    fig = go.Figure(go.Heatmap(
        z=grid[order], x=[f"{h:02d}" for h in range(24)],
        y=[plain_text(link_ids[i]) for i in order],
        colorscale="RdYlGn_r", zmin=0, zmax=max(1.0, float(grid.max(initial=0.0))),
        colorbar={"title": t("fig.utilisation", lang), "tickformat": ".0%"},
        hovertemplate="%{y} %{x}:00 — %{z:.0%}<extra></extra>",
    ))
    fig.update_layout(xaxis_title=t("fig.hour", lang))
    title = t("fig.heatmap_title", lang) + (f" — {plain_text(label)}" if label else "")
    return styled_layout(fig, title, height_px=max(380, 18 * len(order) + 140))


def failure_impact(matrix, state_names: Sequence[str], link_ids: Sequence[str],
                   lang: str = "zh", *, top_states: int = 30, top_links: int = 30):
    """Which failure overloads which link: worst utilisation per (failure state, link).

    Parameters
    ----------
    matrix : array_like, shape (n_states, n_links)
        Worst utilisation of each link in each failure state (``FailureSweep.impact_utilisation``).

    Examples
    --------
    >>> fig = failure_impact([[0.2, 0.3], [0.9, 0.1]], ["none", "link:x"], ["a", "b"], "en")
    >>> list(fig.data[0].y)
    ['link:x', 'none']
    """
    go = graph_objects()
    m = np.asarray(matrix, dtype=float)
    states = np.argsort(-m.max(axis=1), kind="stable")[:top_states]
    links = np.argsort(-m[states].max(axis=0), kind="stable")[:top_links]
    z = m[np.ix_(states, links)]
    fig = go.Figure(go.Heatmap(
        z=z, x=[plain_text(link_ids[i]) for i in links],
        y=[plain_text(state_names[i]) for i in states],
        colorscale="RdYlGn_r", zmin=0, zmax=max(1.0, float(z.max(initial=0.0))),
        colorbar={"title": t("fig.utilisation", lang), "tickformat": ".0%"},
        hovertemplate="%{y}<br>%{x}: %{z:.0%}<extra></extra>",
    ))
    fig.update_layout(xaxis_title=t("map.link", lang), yaxis_title=t("fig.failure", lang),
                      xaxis_tickangle=-60, yaxis_autorange="reversed")
    return styled_layout(fig, t("fig.impact_title", lang), height_px=max(420, 18 * len(states) + 200))


def lost_demand_bars(rows: Sequence[Mapping[str, Any]], lang: str = "zh", *, top_n: int = 20):
    """Demand each failure disconnects (sum over origin-destination pairs), largest first.

    Examples
    --------
    >>> fig = lost_demand_bars([{"scenario": "s", "plane": "extranet", "failure": "node:x",
    ...                          "origin": "x", "destination": "y", "lost_gbps": 1.5}], "en")
    >>> float(fig.data[0].x[0])
    1.5
    """
    go = graph_objects()
    totals: dict[str, float] = {}
    for r in rows:
        key = f"{r['scenario']}: {r['failure']} ({t('plane.' + r['plane'], lang)})"
        totals[key] = totals.get(key, 0.0) + float(r["lost_gbps"])
    chosen = sorted(totals.items(), key=lambda kv: -kv[1])[:top_n][::-1]
    fig = go.Figure(go.Bar(
        y=[plain_text(k) for k, _ in chosen], x=[v for _, v in chosen], orientation="h",
        marker_color="#b279a2", hovertemplate="%{y}: %{x:.3f} Gbit/s<extra></extra>",
    ))
    fig.update_layout(xaxis_title=t("fig.lost_gbps", lang))
    return styled_layout(fig, t("fig.lost_title", lang), height_px=max(320, 22 * len(chosen) + 120))


def demand_by_service(service_hour_gbps, services: Sequence[str], years: Sequence[int],
                      lang: str = "zh", *, plane: str = "extranet", year_index: int = -1):
    """Stacked daily profile of total demand per service, for one plane and year.

    Parameters
    ----------
    service_hour_gbps : array_like, shape (n_services, n_years, 24)
        Demand summed over origin-destination pairs.
    year_index : int
        Which year to draw (the last by default).

    Examples
    --------
    >>> import numpy as np
    >>> fig = demand_by_service(np.ones((2, 1, 24)), ["oa", "web"], [2026], "en")
    >>> len(fig.data), float(fig.data[1].y[0])
    (2, 1.0)
    """
    go = graph_objects()
    values = np.asarray(service_hour_gbps, dtype=float)
    fig = go.Figure()
    hours = [f"{h:02d}" for h in range(24)]
    for si, service in enumerate(services):
        name = plain_text(service)
        fig.add_scatter(
            x=hours, y=values[si, year_index], name=name, stackgroup="one", mode="lines",
            hovertemplate=name + " %{x}:00 — %{y:.2f} Gbit/s<extra></extra>",
        )
    fig.update_layout(xaxis_title=t("fig.hour", lang), yaxis_title=t("fig.demand_gbps", lang))
    title = f"{t('fig.demand_title', lang)} — {t('plane.' + plane, lang)} {years[year_index]}"
    return styled_layout(fig, title)


def worst_case_map(nodes: Sequence[Any], links: Sequence[Any], rows: Sequence[Mapping[str, Any]],
                   lang: str = "zh", district_values: Mapping[str, float] | None = None):
    """The network map with links coloured by worst utilisation and the cause in the hover.

    The links drawn are those the analysis covered (see :func:`analysed_links`): the
    network as the scenario's overrides made it, not as the topology file has it.

    Parameters
    ----------
    nodes, links : sequences of records
        As in ``egov-netplan show --json`` (candidate links are left out).
    rows : sequence of mappings
        ``Study.worst_case()`` records.

    Examples
    --------
    >>> import netplan
    >>> from netplan.model.describe import topology_document
    >>> doc = topology_document(netplan.load_topology(netplan.default_topology_path()))
    >>> rows = [{"link": doc["links"][0]["id"], "worst_utilisation": 0.5, "cause_failure": "none",
    ...          "cause_year": 2026, "cause_hour": 10, "worst_load_gbps": 5.0}]
    >>> worst_case_map(doc["nodes"], doc["links"], rows, "en").data[0].type
    'scattergeo'
    """
    from netplan.report.mapfig import network_map

    drawn = analysed_links(links, rows)
    ids = {_get(link, "id") for link in drawn}
    rows = [r for r in rows if r["link"] in ids]
    values = {r["link"]: r["worst_utilisation"] for r in rows}
    hover = {
        r["link"]: plain_text(
            f"{r.get('worst_load_gbps', 0):.2f} Gbit/s; {t('fig.cause', lang)}: "
            f"{r['cause_failure']}, {r['cause_year']} {r['cause_hour']:02d}:00"
        )
        for r in rows
    }
    return network_map(
        nodes, drawn, lang, link_values=values, link_hover=hover,
        district_values=district_values, value_label=t("map.worst_utilisation", lang),
        value_format=".0%", value_range=(0.0, max(1.0, max(values.values(), default=1.0))),
        district_label=t("fig.population", lang),
    )


def analysed_links(links: Sequence[Any], rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The links a worst-case study covered: the network as the scenario's overrides made it.

    The topology document lists the links of the topology file. A scenario may remove,
    add or re-tier links; the study's records list the links it analysed, with their ends.
    In a plane the records cover, a link is drawn when it has a record (a removed link has
    none; a candidate the scenario built has one) and a record whose link the document
    does not list is added from its ``a``, ``b`` and ``plane``. A plane without records
    (no demand) is drawn as the document has it, without candidates.

    Parameters
    ----------
    links : sequence of records
        Mappings (or objects) with ``id``, ``a``, ``b``, ``plane`` and ``candidate``.
    rows : sequence of mappings
        ``Study.worst_case()`` records (``link``, ``plane``, ``a``, ``b``).

    Returns
    -------
    list
        The document's records kept, in its order, then the added links as mappings.

    Examples
    --------
    >>> doc = [{"id": "l1", "a": "A", "b": "B", "plane": "extranet", "candidate": False},
    ...        {"id": "l2", "a": "B", "b": "C", "plane": "extranet", "candidate": False},
    ...        {"id": "l3", "a": "A", "b": "C", "plane": "intranet", "candidate": False}]
    >>> rows = [{"link": "l1", "plane": "extranet", "a": "A", "b": "B"},
    ...         {"link": "new", "plane": "extranet", "a": "A", "b": "C"}]
    >>> [link["id"] for link in analysed_links(doc, rows)]
    ['l1', 'l3', 'new']
    """
    analysed = {r["link"]: r for r in rows}
    planes = {r.get("plane") for r in rows}
    kept = [
        link for link in links
        if _get(link, "id") in analysed
        or (_get(link, "plane") not in planes and not _get(link, "candidate", False))
    ]
    listed = {_get(link, "id") for link in links}
    added = [
        {"id": r["link"], "a": r["a"], "b": r["b"], "plane": r["plane"]}
        for r in rows
        if r["link"] not in listed and r.get("a") and r.get("b") and r.get("plane")
    ]
    return kept + added


def _get(record: Any, key: str, default: Any = None) -> Any:
    if isinstance(record, Mapping):
        return record.get(key, default)
    return getattr(record, key, default)
