"""The offline HTML report of a calibration: "measured vs modelled", per link and district.

Built with the report package's page and figure helpers, so it is self-contained (plotly
embedded, nothing loaded from the network) and speaks Chinese or English.
"""

from __future__ import annotations

from collections.abc import Mapping

from netplan.measured.calibrate import Calibration
from netplan.measured.deduce import Deduction

__all__ = ["LABELS", "calibration_report"]

LABELS: Mapping[str, Mapping[str, str]] = {
    "title": {"zh": "实测流量与模型对比", "en": "Measured traffic against the model"},
    "subtitle": {"zh": "由链路计数推算的流量矩阵，及按其校准的情景“{scenario}”",
                 "en": "The demand deduced from link counters, and scenario '{scenario}' "
                 "calibrated to it"},
    "sec.deduction": {"zh": "流量矩阵推算", "en": "Demand deduction"},
    "deduction.text": {
        "zh": "方法：{method}，先验：{prior}，时段数：{slots}。每个网络平面中，实测量（链路计数与节点合计）"
        "的秩小于起止对数，差额即计数无法确定的自由度；这些起止对的数值依赖先验，属于估算。",
        "en": "Method: {method}, prior: {prior}, time slots: {slots}. In every plane the "
        "measured rows (link counters and node totals) have a lower rank than there are "
        "origin-destination pairs; the difference is the freedom the counters leave open, and "
        "the values of the pairs they do not fix lean on the prior: they are estimates.",
    },
    "sec.compare": {"zh": "实测与模型对比", "en": "Measured vs modelled"},
    "compare.text": {
        "zh": "忙时（时段 {slot}）各链路方向的实测负载、原模型负载与校准后模型负载。校准使模型链路负载"
        "的相对 L2 偏差由 {before:.1%} 降至 {after:.1%}。模型值为估算。",
        "en": "At the busy slot ({slot}), each link direction's measured load, the model's load "
        "before and after calibration. Calibration took the relative L2 misfit of the modelled "
        "link loads from {before:.1%} to {after:.1%}. Modelled values are estimates.",
    },
    "compare.links_figure": {"zh": "链路负载：实测与模型（Gbit/s）",
                             "en": "Link loads: measured and modelled (Gbit/s)"},
    "compare.districts_figure": {"zh": "区县发出流量：实测推算与模型（Gbit/s）",
                                 "en": "Traffic each district originates: deduced and modelled "
                                 "(Gbit/s)"},
    "compare.districts_text": {
        "zh": "忙时各区县发出与接收的流量：由实测计数推算的值、原模型值与校准后模型值。",
        "en": "What each district originates and terminates at the busy slot: deduced from the "
        "counters, modelled, and modelled after calibration.",
    },
    "axis.measured": {"zh": "实测（Gbit/s）", "en": "Measured (Gbit/s)"},
    "axis.modelled": {"zh": "模型（Gbit/s，估算）", "en": "Modelled (Gbit/s, estimate)"},
    "series.before": {"zh": "原模型", "en": "Model as given"},
    "series.after": {"zh": "校准后", "en": "Calibrated"},
    "series.measured": {"zh": "实测推算", "en": "Deduced from counters"},
    "sec.factors": {"zh": "各业务缩放系数", "en": "Scale factor of every service"},
    "factors.text": {
        "zh": "计数无法区分的业务（起止点、驱动量和日负荷曲线相同）共用一个系数。校准后的情景文件为 "
        "calibrated.yaml，可直接用于 validate 与 plan。",
        "en": "Services the counters cannot tell apart (the same ends, driver and daily profile) "
        "share one factor. The calibrated scenario is calibrated.yaml, ready for validate and "
        "plan.",
    },
    "col.plane": {"zh": "网络平面", "en": "Plane"},
    "col.ods": {"zh": "起止对数", "en": "Origin-destination pairs"},
    "col.rank": {"zh": "实测量的秩", "en": "Rank of the measured rows"},
    "col.degrees_of_freedom": {"zh": "未确定的自由度", "en": "Degrees of freedom left open"},
    "col.ods_determined": {"zh": "被计数确定的起止对", "en": "Pairs fixed by the counters"},
    "col.mean_determinacy": {"zh": "平均确定度", "en": "Mean determinacy"},
    "col.link_fit_relative_l2": {"zh": "链路拟合相对 L2 偏差", "en": "Link fit (relative L2)"},
    "col.id": {"zh": "区县", "en": "District"},
    "col.originated_measured_gbps": {"zh": "发出，实测推算（Gbit/s）",
                                     "en": "Originated, deduced (Gbit/s)"},
    "col.originated_modelled_gbps_estimate": {"zh": "发出，原模型（Gbit/s，估算）",
                                              "en": "Originated, modelled (Gbit/s, estimate)"},
    "col.originated_calibrated_gbps_estimate": {"zh": "发出，校准后（Gbit/s，估算）",
                                                "en": "Originated, calibrated (Gbit/s, estimate)"},
    "col.terminated_measured_gbps": {"zh": "接收，实测推算（Gbit/s）",
                                     "en": "Terminated, deduced (Gbit/s)"},
    "col.terminated_modelled_gbps_estimate": {"zh": "接收，原模型（Gbit/s，估算）",
                                              "en": "Terminated, modelled (Gbit/s, estimate)"},
    "col.terminated_calibrated_gbps_estimate": {"zh": "接收，校准后（Gbit/s，估算）",
                                                "en": "Terminated, calibrated (Gbit/s, estimate)"},
    "col.service": {"zh": "业务", "en": "Service"},
    "col.scale_factor": {"zh": "缩放系数", "en": "Scale factor"},
    "col.identified": {"zh": "单独确定", "en": "Own factor"},
    "col.shared_with": {"zh": "共用系数的业务", "en": "Shares its factor with"},
    "col.seen": {"zh": "计数可见", "en": "Seen by the counters"},
    "estimates": {
        "zh": "模型负载、校准后负载和未被计数确定的起止对流量为估算；实测值来自链路计数。",
        "en": "Modelled and calibrated loads, and the demand of pairs the counters do not fix, "
        "are estimates; measured values come from the link counters.",
    },
}


def _t(key: str, lang: str, **values) -> str:
    text = LABELS[key][lang]
    return text.format(**values) if values else text


def _labels(rows, lang: str) -> dict[str, str]:
    """Header text of every column that has a label, in ``lang``."""
    keys = {k for row in rows for k in row}
    return {k: LABELS[f"col.{k}"][lang] for k in keys if f"col.{k}" in LABELS}


def _link_figure(calibration: Calibration, lang: str):
    from netplan.report.figures import graph_objects, styled_layout

    go = graph_objects()
    rows = calibration.links
    measured = [r["measured_gbps"] for r in rows]
    labels = [f"{r['id']} ({r['from']})" for r in rows]
    fig = go.Figure()
    for key, column in (("series.before", "modelled_gbps_estimate"),
                        ("series.after", "calibrated_gbps_estimate")):
        fig.add_trace(go.Scatter(x=measured, y=[r[column] for r in rows], mode="markers",
                                 name=_t(key, lang), text=labels,
                                 hovertemplate="%{text}<br>%{x:.3f} / %{y:.3f}<extra></extra>"))
    top = max([*measured, 0.0]) or 1.0
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", showlegend=False,
                             line={"dash": "dot", "color": "#9aa5b1"}, hoverinfo="skip"))
    fig.update_xaxes(title_text=_t("axis.measured", lang))
    fig.update_yaxes(title_text=_t("axis.modelled", lang))
    return styled_layout(fig, _t("compare.links_figure", lang))


def _district_figure(calibration: Calibration, lang: str):
    from netplan.report.figures import graph_objects, styled_layout

    go = graph_objects()
    rows = [r for r in calibration.districts if r["plane"] == "extranet"] or list(
        calibration.districts)
    names = [r["id"] for r in rows]
    fig = go.Figure()
    for key, column in (("series.measured", "originated_measured_gbps"),
                        ("series.before", "originated_modelled_gbps_estimate"),
                        ("series.after", "originated_calibrated_gbps_estimate")):
        fig.add_trace(go.Bar(x=names, y=[r[column] for r in rows], name=_t(key, lang)))
    fig.update_layout(barmode="group")
    return styled_layout(fig, _t("compare.districts_figure", lang))


def calibration_report(deduction: Deduction, calibration: Calibration, lang: str = "zh") -> str:
    """The calibration's HTML page (deduction, measured vs modelled, scale factors).

    Examples
    --------
    >>> import netplan
    >>> from netplan.measured.calibrate import Calibration
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> cal = Calibration(s, {}, {}, {}, {"relative_l2_before": 0.5, "relative_l2_after": 0.1,
    ...                   "busy_slot": 0})
    >>> d = Deduction("n", ("10",), (10,), {}, "min-divergence", "scenario")
    >>> page = calibration_report(d, cal, "en")
    >>> "Measured vs modelled" in page and "<script src" not in page
    True
    """
    from netplan.report.html import Section, Table, render_page

    fit = calibration.fit
    slot = deduction.slots[fit["busy_slot"]] if deduction.slots else ""
    plane_rows = [{"plane": plane, **{k: v for k, v in pd.summary().items()
                                      if k in ("ods", "rank", "degrees_of_freedom",
                                               "ods_determined", "mean_determinacy")},
                   "link_fit_relative_l2": pd.link_fit()["relative_l2"]}
                  for plane, pd in deduction.planes.items()]
    sections = [
        Section(_t("sec.deduction", lang),
                _t("deduction.text", lang, method=deduction.method, prior=deduction.prior,
                   slots=len(deduction.slots)),
                tables=[Table(plane_rows, labels=_labels(plane_rows, lang),
                              formats={"mean_determinacy": ".3f",
                                       "link_fit_relative_l2": ".2e"})]),
        Section(_t("sec.compare", lang),
                [_t("compare.text", lang, slot=slot or "—", before=fit["relative_l2_before"],
                    after=fit["relative_l2_after"]), _t("compare.districts_text", lang)],
                figures=[_link_figure(calibration, lang), _district_figure(calibration, lang)],
                tables=[Table(list(calibration.districts),
                              labels=_labels(calibration.districts, lang),
                              formats=_gbps_formats(calibration.districts))]),
        Section(_t("sec.factors", lang), _t("factors.text", lang),
                tables=[Table(calibration.factor_rows(),
                              labels=_labels(calibration.factor_rows(), lang),
                              formats={"scale_factor": ".4f"})]),
    ]
    return render_page(_t("title", lang), sections, lang,
                       subtitle=_t("subtitle", lang, scenario=calibration.scenario.name),
                       estimates=_t("estimates", lang))


def _gbps_formats(rows) -> dict[str, str]:
    keys = {k for row in rows for k in row if "gbps" in k}
    return {k: ".3f" for k in keys}
