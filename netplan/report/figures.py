"""Figures of a worst-case study: pure functions from results to ``plotly`` figures.

Each function takes result objects (or plain records), computes nothing beyond picking and
arranging what the results hold, does no I/O, and returns a ``plotly.graph_objects.Figure``
that a notebook can show or the report can embed, or ``None`` when there is nothing to draw
(no rows, or only zeros): the report then says so in a sentence instead of an empty chart.
Text from input files passes through :func:`netplan.report.html.plain_text` so it is shown,
never interpreted; numbers are written by :mod:`netplan.report.numbers`.
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


#: Longest axis label drawn in full; longer ones are cut and shown whole in the hover box.
LABEL_MAX_CHARS = 36


def short_label(text: str, max_chars: int = LABEL_MAX_CHARS) -> str:
    """``text`` cut to ``max_chars`` characters with an ellipsis, so axis labels fit.

    Examples
    --------
    >>> short_label("ex-wanzhou-1"), short_label("a" * 40, 10)
    ('ex-wanzhou-1', 'aaaaaaaaa…')
    """
    text = str(text)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


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

    Returns
    -------
    plotly Figure or None
        None when no link carries any load.

    Examples
    --------
    >>> rows = [{"link": "a-b", "plane": "extranet", "worst_utilisation": 0.95,
    ...          "normal_utilisation": 0.5, "cause_failure": "link:c-d", "cause_year": 2026,
    ...          "cause_hour": 10}]
    >>> fig = worst_case_bars(rows, "en")
    >>> fig.data[0].x[0], fig.data[1].x[0]
    (0.95, 0.5)
    >>> worst_case_bars([{**rows[0], "worst_utilisation": 0.0, "normal_utilisation": 0.0}]) is None
    True
    """
    from netplan.report.numbers import format_percent, format_year

    chosen = sorted(rows, key=lambda r: -r["worst_utilisation"])[:top_n][::-1]
    if not chosen or max(r["worst_utilisation"] for r in chosen) <= 0:
        return None
    go = graph_objects()
    names = [f"{r['link']} ({t('plane.' + r['plane'], lang)})" for r in chosen]
    labels = [plain_text(short_label(n)) for n in names]
    normal_hover = [
        plain_text(f"{n}: {format_percent(r.get('normal_utilisation', 0.0), 0)} — "
                   f"{t('fig.no_failure', lang)}")
        for n, r in zip(names, chosen, strict=True)
    ]
    hover = [
        plain_text(
            f"{n}: {format_percent(r['worst_utilisation'], 0)} — {t('fig.cause', lang)} "
            f"{r['cause_failure']}, {format_year(r['cause_year'])} {r['cause_hour']:02d}:00"
        )
        for n, r in zip(names, chosen, strict=True)
    ]
    fig = go.Figure()
    # the worst bar first: the no-failure bar (never longer) is drawn over it, narrower
    fig.add_bar(
        y=labels, x=[r["worst_utilisation"] for r in chosen], orientation="h",
        name=t("fig.worst_any_failure", lang), marker_color="#e45756",
        text=[plain_text(short_label(r["cause_failure"], 24)) for r in chosen],
        textposition="outside", cliponaxis=False, hovertext=hover, hoverinfo="text",
    )
    fig.add_bar(
        y=labels, x=[r.get("normal_utilisation", 0.0) for r in chosen], orientation="h",
        name=t("fig.no_failure", lang), marker_color="#4c78a8", width=0.5,
        hovertext=normal_hover, hoverinfo="text",
    )
    for value, dash, key in ((target_normal, "dot", "fig.no_failure"),
                             (target_failure, "dash", "fig.under_failure")):
        fig.add_vline(x=value, line_dash=dash, line_color="#555")
        # a legend entry that says what the line is (a label on the plot would cover bars)
        fig.add_scatter(x=[None], y=[None], mode="lines", line={"dash": dash, "color": "#555"},
                        name=f"{t('fig.target', lang)}{'：' if lang == 'zh' else ': '}"
                             f"{t(key, lang)} ≤ "
                             f"{format_percent(value, 0)}", hoverinfo="skip")
    # room right of the longest bar for its cause label
    top = max(1.0, target_failure, max(r["worst_utilisation"] for r in chosen))
    fig.update_layout(barmode="overlay", xaxis_tickformat=".0%", xaxis_range=[0, top * 1.3],
                      xaxis_title=t("map.worst_utilisation", lang),
                      legend={"orientation": "h", "y": -0.12, "x": 0})
    fig = styled_layout(fig, t("fig.worst_case_title", lang),
                        height_px=max(380, 22 * len(chosen) + 160))
    fig.update_layout(margin={"b": 90})
    return fig


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

    Returns
    -------
    plotly Figure or None
        None when every link is idle in every hour.

    Examples
    --------
    >>> import numpy as np
    >>> fig = utilisation_heatmap(np.full((2, 24), 0.5), ["a-b", "b-c"], "en")
    >>> len(fig.data[0].x), list(fig.data[0].y)
    (24, ['b-c', 'a-b'])
    >>> utilisation_heatmap(np.zeros((2, 24)), ["a-b", "b-c"], "en") is None
    True
    """
    grid = np.asarray(grid, dtype=float)
    if grid.size == 0 or float(grid.max()) <= 0:
        return None
    go = graph_objects()
    order = np.argsort(-grid.max(axis=1), kind="stable")[:top_n][::-1]
    fig = go.Figure(go.Heatmap(
        z=grid[order], x=[f"{h:02d}" for h in range(24)],
        y=[plain_text(short_label(link_ids[i])) for i in order],
        customdata=[[plain_text(link_ids[i])] * 24 for i in order],
        colorscale="RdYlGn_r", zmin=0, zmax=max(1.0, float(grid.max(initial=0.0))),
        colorbar={"title": t("fig.utilisation", lang), "tickformat": ".0%"},
        hovertemplate="%{customdata} %{x}:00 — %{z:.0%}<extra></extra>",
    ))
    fig.update_layout(xaxis_title=t("fig.hour", lang))
    title = t("fig.heatmap_title", lang) + (f" — {plain_text(label)}" if label else "")
    return styled_layout(fig, title, height_px=max(380, 18 * len(order) + 140))


def failure_impact(matrix, state_names: Sequence[str], link_ids: Sequence[str],
                   lang: str = "zh", *, top_states: int = 30, top_links: int = 30,
                   label: str = ""):
    """Which failure overloads which link: worst utilisation per (failure state, link).

    Parameters
    ----------
    matrix : array_like, shape (n_states, n_links)
        Worst utilisation of each link in each failure state (``FailureSweep.impact_utilisation``).
    label : str
        Added to the title, e.g. the plane.

    Returns
    -------
    plotly Figure or None
        None when no link carries load in any state.

    Examples
    --------
    >>> fig = failure_impact([[0.2, 0.3], [0.9, 0.1]], ["none", "link:x"], ["a", "b"], "en")
    >>> list(fig.data[0].y)
    ['link:x', 'none']
    >>> fig.data[0].customdata[0][0]
    'link:x<br>a'
    >>> failure_impact([[0.0, 0.0]], ["none"], ["a", "b"], "en") is None
    True
    """
    m = np.asarray(matrix, dtype=float)
    if m.size == 0 or float(m.max()) <= 0:
        return None
    go = graph_objects()
    states = np.argsort(-m.max(axis=1), kind="stable")[:top_states]
    links = np.argsort(-m[states].max(axis=0), kind="stable")[:top_links]
    z = m[np.ix_(states, links)]
    fig = go.Figure(go.Heatmap(
        z=z, x=[plain_text(short_label(link_ids[i])) for i in links],
        y=[plain_text(short_label(state_names[i])) for i in states],
        customdata=[[f"{plain_text(state_names[s])}<br>{plain_text(link_ids[k])}" for k in links]
                    for s in states],
        colorscale="RdYlGn_r", zmin=0, zmax=max(1.0, float(z.max(initial=0.0))),
        colorbar={"title": t("fig.utilisation", lang), "tickformat": ".0%"},
        hovertemplate="%{customdata}: %{z:.0%}<extra></extra>",
    ))
    fig.update_layout(xaxis_title=t("map.link", lang), yaxis_title=t("fig.failure", lang),
                      xaxis_tickangle=-60, yaxis_autorange="reversed")
    title = t("fig.impact_title", lang) + (f" — {plain_text(label)}" if label else "")
    return styled_layout(fig, title, height_px=max(420, 18 * len(states) + 200))


def lost_demand_bars(rows: Sequence[Mapping[str, Any]], lang: str = "zh", *, top_n: int = 20):
    """Demand each failure disconnects (sum over origin-destination pairs), largest first.

    The scenario is named only when the rows come from more than one.

    Returns
    -------
    plotly Figure or None
        None when no failure cuts off any demand.

    Examples
    --------
    >>> row = {"scenario": "s", "plane": "extranet", "failure": "node:x", "origin": "x",
    ...        "destination": "y", "lost_gbps": 1.5}
    >>> fig = lost_demand_bars([row], "en")
    >>> float(fig.data[0].x[0]), fig.data[0].y[0]
    (1.5, 'node:x (Extranet)')
    >>> lost_demand_bars([{**row, "lost_gbps": 0.0}], "en") is None
    True
    """
    several = len({r["scenario"] for r in rows}) > 1
    totals: dict[str, float] = {}
    for r in rows:
        key = f"{r['failure']} ({t('plane.' + r['plane'], lang)})"
        if several:
            key = f"{r['scenario']}: {key}"
        totals[key] = totals.get(key, 0.0) + float(r["lost_gbps"])
    chosen = [kv for kv in sorted(totals.items(), key=lambda kv: -kv[1]) if kv[1] > 0]
    chosen = chosen[:top_n][::-1]
    if not chosen:
        return None
    go = graph_objects()
    fig = go.Figure(go.Bar(
        y=[plain_text(short_label(k)) for k, _ in chosen], x=[v for _, v in chosen],
        orientation="h", marker_color="#b279a2", customdata=[plain_text(k) for k, _ in chosen],
        hovertemplate="%{customdata}: %{x:.3f} Gbit/s<extra></extra>",
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

    Returns
    -------
    plotly Figure or None
        None when the plane has no demand in that year.

    Examples
    --------
    >>> import numpy as np
    >>> fig = demand_by_service(np.ones((2, 1, 24)), ["oa", "web"], [2026], "en")
    >>> len(fig.data), float(fig.data[1].y[0])
    (2, 1.0)
    >>> demand_by_service(np.zeros((2, 1, 24)), ["oa", "web"], [2026], "en") is None
    True
    """
    from netplan.report.numbers import format_year

    values = np.asarray(service_hour_gbps, dtype=float)
    if values.size == 0 or float(np.abs(values[:, year_index]).max()) <= 0:
        return None
    go = graph_objects()
    fig = go.Figure()
    hours = [f"{h:02d}" for h in range(24)]
    for si, service in enumerate(services):
        name = plain_text(service)
        fig.add_scatter(
            x=hours, y=values[si, year_index], name=name, stackgroup="one", mode="lines",
            hovertemplate=name + " %{x}:00 — %{y:.2f} Gbit/s<extra></extra>",
        )
    fig.update_layout(xaxis_title=t("fig.hour", lang), yaxis_title=t("fig.demand_gbps", lang))
    title = (f"{t('fig.demand_title', lang)} — {t('plane.' + plane, lang)} "
             f"{format_year(years[year_index])}")
    return styled_layout(fig, title)


def worst_case_map(nodes: Sequence[Any], links: Sequence[Any], rows: Sequence[Mapping[str, Any]],
                   lang: str = "zh", district_values: Mapping[str, float] | None = None, *,
                   plan_rows: Sequence[Mapping[str, Any]] | None = None,
                   findings: Sequence[Mapping[str, Any]] | None = None):
    """The network map with links coloured by worst utilisation and the cause in the hover.

    The links drawn are those the analysis covered (see :func:`analysed_links`): the
    network as the scenario's overrides made it, not as the topology file has it. Links
    over target are drawn thicker and labelled; districts at risk (an end of a link over
    target, or cut off in ``findings``) and districts with a purchase in ``plan_rows`` are
    labelled first. A link's hover box gives its plane, ends, capacity before and after the
    plan, worst load and utilisation, and the failure, year and hour that cause it.

    Parameters
    ----------
    nodes, links : sequences of records
        As in ``egov-netplan show --json`` (candidate links are left out).
    rows : sequence of mappings
        ``Study.worst_case()`` records.
    lang : {"zh", "en"}
    district_values : mapping, optional
        Population (or another value) per district, for the fill.
    plan_rows : sequence of mappings, optional
        The plan's rows (``item``, ``id``, ``year``, ``capacity_gbps``, ``purchase``,
        ``district``): the capacity after the plan is a link's row of the last year.
    findings : sequence of mappings, optional
        The verdict's findings; ``cut_off`` ones name districts at risk.

    Examples
    --------
    >>> import netplan
    >>> from netplan.model.describe import topology_document
    >>> doc = topology_document(netplan.load_topology(netplan.default_topology_path()))
    >>> rows = [{"link": "ex-wanzhou-1", "worst_utilisation": 0.95, "cause_failure": "none",
    ...          "cause_year": 2026, "cause_hour": 10, "worst_load_gbps": 0.95,
    ...          "capacity_gbps": 1.0, "over_target": True}]
    >>> plan = [{"item": "link", "id": "ex-wanzhou-1", "year": 2026, "capacity_gbps": 2.0,
    ...          "purchase": True, "district": "wanzhou"}]
    >>> fig = worst_case_map(doc["nodes"], doc["links"], rows, "en", plan_rows=plan)
    >>> [tr.text for tr in fig.data if tr.name == "Link ids"]
    [('ex-wanzhou-1',)]
    >>> hover = next(h for tr in fig.data if tr.name == "Link" for h in tr.hovertext
    ...              if "ex-wanzhou-1" in h)
    >>> hover.split("<br>")[3:]  # doctest: +NORMALIZE_WHITESPACE
    ['Capacity before the plan: 1 Gbit/s', 'Capacity after the plan (2026): 2 Gbit/s (+1 Gbit/s)',
     'Worst load: 0.95 Gbit/s', 'Worst utilisation: 95%', 'Cause: no failure, 2026 10:00']
    """
    from netplan.report.mapfig import network_map

    drawn = analysed_links(links, rows)
    ids = {_get(link, "id") for link in drawn}
    rows = [r for r in rows if r["link"] in ids]
    values = {r["link"]: r["worst_utilisation"] for r in rows}
    over = [r["link"] for r in rows if r.get("over_target")]
    node_ids = {_get(n, "id") for n in nodes}
    at_risk = _district_ends(drawn, over, nodes)
    at_risk += [f["district"] for f in findings or () if f.get("kind") == "cut_off"
                and f.get("district") in node_ids]
    buying = [r["district"] for r in plan_rows or () if r.get("purchase")
              and r.get("district") in node_ids]
    return network_map(
        nodes, drawn, lang, link_values=values, link_hover=_cause_texts(rows, lang),
        district_values=district_values, value_label=t("map.worst_utilisation", lang),
        value_format=".0%", value_range=(0.0, max(1.0, max(values.values(), default=1.0))),
        district_label=t("fig.population", lang),
        link_info=_capacity_lines(drawn, rows, plan_rows, lang),
        highlight_links=over, highlight_nodes=list(dict.fromkeys(at_risk + buying)),
    )


def _district_ends(links: Sequence[Any], link_ids: Sequence[str], nodes: Sequence[Any]) -> list[str]:
    """The district nodes at either end of the links named."""
    districts = {_get(n, "id") for n in nodes if _get(n, "kind") == "district"}
    chosen = set(link_ids)
    return [end for link in links if _get(link, "id") in chosen
            for end in (_get(link, "a"), _get(link, "b")) if end in districts]


def _cause_texts(rows: Sequence[Mapping[str, Any]], lang: str) -> dict[str, str]:
    """Link id → the failure, year and hour of its worst load."""
    texts = {}
    for r in rows:
        failure = r["cause_failure"]
        shown = t("map.no_failure", lang) if failure in ("none", "", None) else (
            f"{t('map.failure', lang)} {failure}")
        texts[r["link"]] = f"{shown}, {r['cause_year']} {r['cause_hour']:02d}:00"
    return texts


def _gbps(value: float) -> str:
    return f"{value:g} Gbit/s"


def _capacity_lines(links: Sequence[Any], rows: Sequence[Mapping[str, Any]],
                    plan_rows: Sequence[Mapping[str, Any]] | None,
                    lang: str) -> dict[str, list[tuple[str, str]]]:
    """Link id → hover lines: capacity before the plan, after it (last year), worst load."""
    by_row = {r["link"]: r for r in rows}
    last: dict[str, Mapping[str, Any]] = {}
    for r in plan_rows or ():
        if r.get("item") == "link" and (r["id"] not in last or r["year"] >= last[r["id"]]["year"]):
            last[r["id"]] = r
    lines: dict[str, list[tuple[str, str]]] = {}
    for link in links:
        lid = _get(link, "id")
        row = by_row.get(lid, {})
        before = row.get("capacity_gbps", _get(link, "capacity_gbps"))
        out = []
        if before is not None:
            out.append((t("map.capacity_before", lang), _gbps(before)))
        if lid in last:
            after = last[lid]["capacity_gbps"]
            shown = _gbps(after)
            if before is not None and after > before:
                shown += f" (+{_gbps(after - before)})"
            out.append((t("map.capacity_after", lang).format(year=last[lid]["year"]), shown))
        if "worst_load_gbps" in row:
            out.append((t("map.worst_load", lang), f"{row['worst_load_gbps']:.2f} Gbit/s"))
        if out:
            lines[lid] = out
    return lines


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
