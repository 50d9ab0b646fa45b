"""The report's simulation section: per-service blocking and response times with CIs.

Pure functions of the ``results["simulation"]`` dict written by
:meth:`netplan.sim.scenario.SimScenarioResult.to_json`. A figure with nothing to show (no
blocking anywhere) is left out and the section says so in a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from netplan.report.figures import graph_objects, styled_layout
from netplan.report.html import Section, Table, plain_text
from netplan.report.numbers import format_percent, log_ticks

__all__ = ["blocking_figure", "response_figure", "simulation_section"]


def _method(code: str, lang: str) -> str:
    """A method code (``erlang_c+processor_sharing``) in words; unknown codes as they are."""
    parts = [(_LABELS.get(f"m.{p}") or {}).get(lang, p) for p in code.split("+")]
    return " + ".join(parts)

_LABELS = {
    "blocking": {"zh": "阻塞率", "en": "Blocking probability"},
    "response": {"zh": "响应时间（秒）", "en": "Response time (s)"},
    "service": {"zh": "业务", "en": "Service"},
    "hour": {"zh": "时段", "en": "Hour"},
    "target": {"zh": "目标", "en": "Target"},
    "meets": {"zh": "达标", "en": "Meets target"},
    "method": {"zh": "方法", "en": "Method"},
    "mean": {"zh": "平均", "en": "mean"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "ci": {"zh": "误差线为置信区间", "en": "error bars: confidence interval"},
    "p95": {"zh": "第 95 百分位响应时间（秒）", "en": "p95 (s)"},
    "p99": {"zh": "第 99 百分位响应时间（秒）", "en": "p99 (s)"},
    "m.simulation": {"zh": "离散事件仿真", "en": "simulation"},
    "m.processor_sharing": {"zh": "处理器共享闭式解", "en": "processor sharing"},
    "m.route_availability": {"zh": "路由可达性", "en": "route availability"},
    "m.erlang_c": {"zh": "Erlang-C 闭式解", "en": "Erlang C"},
    "m.kaufman_roberts_fixed_point": {"zh": "Kaufman-Roberts 不动点", "en": "Kaufman-Roberts fixed point"},
    "m.flow_balance": {"zh": "流量平衡", "en": "flow balance"},
    "no_blocking": {
        "zh": "{h} 时段所有流业务（{names}）的阻塞率均为 0：没有会话被拒绝，故不作阻塞率图。",
        "en": "Blocking is 0 for every stream service ({names}) at {h}: no call or stream is "
              "turned away, so there is no blocking chart.",
    },
    "simulation": {
        "zh": "离散事件流级仿真，{r} 次独立重复，{h} 时，每次 {d:.0f} 秒（预热 {w:.0f} 秒），"
              "置信水平 {c:.0%}，随机种子 {s}。",
        "en": "Discrete-event flow-level simulation, {r} independent replications at hour(s) "
              "{h}, {d:.0f} s each after a {w:.0f} s warm-up, {c:.0%} intervals, seed {s}.",
    },
    "analytic": {
        "zh": "闭式解（Kaufman-Roberts 不动点、Erlang-C、处理器共享），{h} 时；"
              "闭式解只给出平均响应时间。",
        "en": "Closed forms (Kaufman-Roberts fixed point, Erlang-C, processor sharing) at "
              "hour(s) {h}; they give mean response times only.",
    },
}


def _t(key: str, lang: str) -> str:
    return _LABELS[key]["zh" if lang == "zh" else "en"]


def _has_intervals(rows, name) -> bool:
    """Whether any row has a confidence interval wider than a point (closed forms have none)."""
    return any(r[name]["ci_low"] is not None and r[name]["ci_high"] is not None
               and r[name]["ci_high"] > r[name]["ci_low"] for r in rows)


def _title(label: str, lang: str, intervals: bool) -> str:
    return f"{label} ({_t('ci', lang)})" if intervals else label


def _err(rows, name):
    mean = [r[name]["mean"] for r in rows]
    hi = [None if r[name]["ci_high"] is None or m is None else r[name]["ci_high"] - m
          for r, m in zip(rows, mean, strict=True)]
    lo = [None if r[name]["ci_low"] is None or m is None else m - r[name]["ci_low"]
          for r, m in zip(rows, mean, strict=True)]
    # closed forms give points: no error bars to draw
    return mean, {"type": "data", "array": hi, "arrayminus": lo,
                  "visible": _has_intervals(rows, name)}


def _name(row: Mapping[str, Any]) -> str:
    return plain_text(f"{row['service']} @{row['hour']:02d}h")


def _blocked(row: Mapping[str, Any]) -> bool:
    stat = row["blocking"]
    return any(v is not None and v > 0 for v in (stat["mean"], stat["ci_high"]))


def blocking_figure(rows: Sequence[Mapping[str, Any]], lang: str = "zh"):
    """Bars of blocking per service (streams), CI error bars, target markers.

    Returns
    -------
    plotly Figure or None
        None when no service is blocked (every mean and upper bound is 0).

    Examples
    --------
    >>> row = {"service": "video", "hour": 10, "kind": "stream", "target_blocking": 0.01,
    ...        "blocking": {"mean": 0.002, "ci_low": 0.001, "ci_high": 0.003, "n": 5,
    ...                     "method": "simulation"}}
    >>> fig = blocking_figure([row], "en")
    >>> [tr.type for tr in fig.data], fig.data[0].hovertext[0]
    (['bar', 'scatter'], 'video @10h: 0.20% [0.10%, 0.30%] (simulation)')
    >>> zero = {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0, "n": 5, "method": "simulation"}
    >>> blocking_figure([{**row, "blocking": zero}], "en") is None
    True
    """
    if not any(_blocked(r) for r in rows):
        return None
    go = graph_objects()
    names = [_name(r) for r in rows]
    mean, err = _err(rows, "blocking")
    fig = go.Figure()
    fig.add_bar(x=names, y=mean, error_y=err, name=plain_text(_t("blocking", lang)),
                hovertext=[_blocking_hover(name, r["blocking"])
                           for name, r in zip(names, rows, strict=True)],
                hoverinfo="text")
    tx = [n for n, r in zip(names, rows, strict=True) if r.get("target_blocking") is not None]
    ty = [r["target_blocking"] for r in rows if r.get("target_blocking") is not None]
    if tx:
        fig.add_scatter(x=tx, y=ty, mode="markers", name=plain_text(_t("target", lang)),
                        marker={"symbol": "line-ew-open", "size": 30, "color": "#c0392b"})
    fig.update_yaxes(title=plain_text(_t("blocking", lang)), tickformat=".2~%", rangemode="tozero")
    return styled_layout(fig, _title(_t("blocking", lang), lang,
                                     _has_intervals(rows, "blocking")), 420)


def _blocking_hover(name: str, stat: Mapping[str, Any]) -> str:
    text = f"{name}: {format_percent(stat['mean'] or 0.0, 2)}"
    if stat["ci_low"] is not None and stat["ci_high"] is not None and stat["n"]:
        text += f" [{format_percent(stat['ci_low'], 2)}, {format_percent(stat['ci_high'], 2)}]"
    return text + f" ({plain_text(stat['method'])})"


def response_figure(rows: Sequence[Mapping[str, Any]], lang: str = "zh"):
    """Response-time percentiles (or the mean) per service, CI error bars, target markers.

    The time axis is logarithmic with explicit ticks (:func:`netplan.report.numbers.log_ticks`):
    powers of ten, or 1-2-5 steps when the values span two decades or less.

    Returns
    -------
    plotly Figure or None
        None when no service has a response time.

    Examples
    --------
    >>> stat = {"mean": 0.1, "ci_low": 0.09, "ci_high": 0.11, "n": 5, "method": "simulation"}
    >>> row = {"service": "web", "hour": 10, "kind": "request", "target_response_s": 2.0,
    ...        "response_mean_s": stat, "response_p50_s": stat, "response_p95_s": stat,
    ...        "response_p99_s": stat}
    >>> fig = response_figure([row], "en")
    >>> len(fig.data), list(fig.layout.yaxis.ticktext)
    (5, ['0.05', '0.1', '0.2', '0.5', '1', '2'])
    """
    keys = ("response_mean_s", "response_p50_s", "response_p95_s", "response_p99_s")
    shown = [r[k][f] for r in rows for k in keys for f in ("mean", "ci_low", "ci_high")]
    shown += [r.get("target_response_s") for r in rows]
    tickvals, ticktext, axis_range = log_ticks(shown)
    if not any(r[k]["mean"] for r in rows for k in keys):
        return None
    go = graph_objects()
    names = [_name(r) for r in rows]
    fig = go.Figure()
    for key, label in (("response_mean_s", _t("mean", lang)), ("response_p50_s", "p50"),
                       ("response_p95_s", "p95"), ("response_p99_s", "p99")):
        if all(r[key]["mean"] is None for r in rows):
            continue
        mean, err = _err(rows, key)
        fig.add_bar(x=names, y=mean, error_y=err, name=plain_text(label),
                    hovertext=[plain_text(r[key]["method"]) for r in rows])
    tx = [n for n, r in zip(names, rows, strict=True) if r.get("target_response_s") is not None]
    ty = [r["target_response_s"] for r in rows if r.get("target_response_s") is not None]
    if tx:
        fig.add_scatter(x=tx, y=ty, mode="markers", name=plain_text(_t("target", lang)),
                        marker={"symbol": "line-ew-open", "size": 30, "color": "#c0392b"})
    fig.update_layout(barmode="group")
    fig.update_yaxes(title=plain_text(_t("response", lang)), type="log", tickmode="array",
                     tickvals=tickvals, ticktext=ticktext, range=axis_range)
    intervals = any(_has_intervals(rows, k) for k in keys)
    return styled_layout(fig, _title(_t("response", lang), lang, intervals), 460)


def _cell(stat: Mapping[str, Any]) -> str:
    if stat["mean"] is None:
        return ""
    if stat["ci_low"] is None or stat["ci_high"] is None or stat["n"] == 0:
        return f"{stat['mean']:.4g}"
    return f"{stat['mean']:.4g} [{stat['ci_low']:.4g}, {stat['ci_high']:.4g}]"


def simulation_section(sim: Mapping[str, Any], lang: str = "zh") -> Section:
    """The simulation section of the report.

    Parameters
    ----------
    sim : mapping
        ``results["simulation"]`` (see :meth:`SimScenarioResult.to_json`).
    lang : {"zh", "en"}

    Examples
    --------
    >>> stat = {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0, "n": 3, "method": "simulation"}
    >>> row = {"service": "video", "hour": 10, "kind": "stream", "target_blocking": 0.01,
    ...        "target_response_s": None, "meets_target": True, "blocking": stat,
    ...        "response_mean_s": stat, "response_p50_s": stat, "response_p95_s": stat,
    ...        "response_p99_s": stat}
    >>> sim = {"method": "simulation", "replications": 3, "hours": [10], "duration_s": 60.0,
    ...        "warmup_s": 10.0, "confidence": 0.95, "seed": 1, "services": [row]}
    >>> sec = simulation_section(sim, "en")
    >>> len(sec.figures), len(sec.tables)
    (0, 1)
    >>> print(sec.paragraphs()[1])
    Blocking is 0 for every stream service (video) at 10:00: no call or stream is turned away, so there is no blocking chart.
    """
    rows = list(sim["services"])
    hours = ", ".join(f"{h:02d}:00" for h in sim["hours"])
    if sim["method"] == "simulation":
        intro = _t("simulation", lang).format(
            r=sim["replications"], h=hours, d=sim["duration_s"], w=sim["warmup_s"],
            c=sim["confidence"], s=sim["seed"])
    else:
        intro = _t("analytic", lang).format(h=hours)
    streams = [r for r in rows if r["kind"] == "stream"]
    timed = [r for r in rows if r["kind"] != "stream"]
    text = [intro]
    figures = [blocking_figure(streams, lang) if streams else None,
               response_figure(timed, lang) if timed else None]
    if streams and figures[0] is None:
        names = ("、" if lang == "zh" else ", ").join(sorted({r["service"] for r in streams}))
        text.append(_t("no_blocking", lang).format(names=names, h=hours))
    figures = [f for f in figures if f is not None]
    table_rows = []
    for r in rows:
        verdict = r.get("meets_target")
        table_rows.append({
            "service": r["service"],
            "hour": f"{r['hour']:02d}:00",
            "blocking": _cell(r["blocking"]),
            "mean": _cell(r["response_mean_s"]),
            "p95": _cell(r["response_p95_s"]),
            "p99": _cell(r["response_p99_s"]),
            "target": "; ".join(x for x in (
                "" if r.get("target_blocking") is None else f"B ≤ {r['target_blocking']:g}",
                "" if r.get("target_response_s") is None
                else f"T ≤ {r['target_response_s']:g} s") if x),
            "meets": "" if verdict is None else _t("yes" if verdict else "no", lang),
            "method": "; ".join(_method(m, lang) for m in sorted(
                {r["blocking"]["method"], r["response_p95_s"]["method"],
                 r["response_mean_s"]["method"]} - {"none"})),
        })
    labels = {"service": _t("service", lang), "hour": _t("hour", lang),
              "blocking": _t("blocking", lang), "mean": f"{_t('response', lang)} {_t('mean', lang)}",
              "p95": _t("p95", lang), "p99": _t("p99", lang), "target": _t("target", lang),
              "meets": _t("meets", lang), "method": _t("method", lang)}
    table = Table(table_rows, columns=list(labels), labels=labels)
    from netplan.report.i18n import t

    return Section(t("sec.sim", lang), text, figures=figures, tables=[table])
