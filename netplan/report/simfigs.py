"""The report's simulation section: per-service blocking and response times with CIs.

Pure functions of the ``results["simulation"]`` dict written by
:meth:`netplan.sim.scenario.SimScenarioResult.to_json`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from netplan.report.figures import graph_objects, styled_layout
from netplan.report.html import Section, Table, plain_text

__all__ = ["blocking_figure", "response_figure", "simulation_section"]

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


def _err(rows, name):
    mean = [r[name]["mean"] for r in rows]
    hi = [None if r[name]["ci_high"] is None or m is None else r[name]["ci_high"] - m
          for r, m in zip(rows, mean, strict=True)]
    lo = [None if r[name]["ci_low"] is None or m is None else m - r[name]["ci_low"]
          for r, m in zip(rows, mean, strict=True)]
    return mean, {"type": "data", "array": hi, "arrayminus": lo, "visible": True}


def _name(row: Mapping[str, Any]) -> str:
    return plain_text(f"{row['service']} @{row['hour']:02d}h")


def blocking_figure(rows: Sequence[Mapping[str, Any]], lang: str = "zh"):
    """Bars of blocking per service (streams), CI error bars, target markers.

    Examples
    --------
    >>> row = {"service": "video", "hour": 10, "kind": "stream", "target_blocking": 0.01,
    ...        "blocking": {"mean": 0.002, "ci_low": 0.001, "ci_high": 0.003, "n": 5,
    ...                     "method": "simulation"}}
    >>> fig = blocking_figure([row], "en")
    >>> [tr.type for tr in fig.data]
    ['bar', 'scatter']
    """
    go = graph_objects()
    names = [_name(r) for r in rows]
    mean, err = _err(rows, "blocking")
    fig = go.Figure()
    fig.add_bar(x=names, y=mean, error_y=err, name=plain_text(_t("blocking", lang)),
                hovertext=[plain_text(r["blocking"]["method"]) for r in rows])
    tx = [n for n, r in zip(names, rows, strict=True) if r.get("target_blocking") is not None]
    ty = [r["target_blocking"] for r in rows if r.get("target_blocking") is not None]
    if tx:
        fig.add_scatter(x=tx, y=ty, mode="markers", name=plain_text(_t("target", lang)),
                        marker={"symbol": "line-ew-open", "size": 30, "color": "#c0392b"})
    fig.update_yaxes(title=plain_text(_t("blocking", lang)))
    return styled_layout(fig, f"{_t('blocking', lang)} ({_t('ci', lang)})", 420)


def response_figure(rows: Sequence[Mapping[str, Any]], lang: str = "zh"):
    """Response-time percentiles (or the mean) per service, CI error bars, target markers.

    Examples
    --------
    >>> stat = {"mean": 0.1, "ci_low": 0.09, "ci_high": 0.11, "n": 5, "method": "simulation"}
    >>> row = {"service": "web", "hour": 10, "kind": "request", "target_response_s": 2.0,
    ...        "response_mean_s": stat, "response_p50_s": stat, "response_p95_s": stat,
    ...        "response_p99_s": stat}
    >>> len(response_figure([row], "en").data)
    5
    """
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
    fig.update_yaxes(title=plain_text(_t("response", lang)), type="log")
    return styled_layout(fig, f"{_t('response', lang)} ({_t('ci', lang)})", 460)


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
    (1, 1)
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
    figures = []
    if streams:
        figures.append(blocking_figure(streams, lang))
    if timed:
        figures.append(response_figure(timed, lang))
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
            "method": "; ".join(sorted({r["blocking"]["method"], r["response_p95_s"]["method"],
                                        r["response_mean_s"]["method"]} - {"none"})),
        })
    labels = {"service": _t("service", lang), "hour": _t("hour", lang),
              "blocking": _t("blocking", lang), "mean": f"{_t('response', lang)} {_t('mean', lang)}",
              "p95": "p95 (s)", "p99": "p99 (s)", "target": _t("target", lang),
              "meets": _t("meets", lang), "method": _t("method", lang)}
    table = Table(table_rows, columns=list(labels), labels=labels)
    from netplan.report.i18n import t

    return Section(t("sec.sim", lang), intro, figures=figures, tables=[table])
