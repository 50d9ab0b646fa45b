"""Chinese and English labels for reports and figures.

Every label has both languages; :func:`t` looks one up. Text from input files (node names,
scenario titles) is never translated here: it is shown as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from netplan.errors import NetplanError

#: The languages a report can be written in.
LANGS: tuple[str, ...] = ("zh", "en")

_LABELS: dict[str, dict[str, str]] = {
    # page chrome
    "report.contents": {"zh": "目录", "en": "Contents"},
    "report.fingerprint": {"zh": "输入与随机种子指纹", "en": "Fingerprint of inputs and seed"},
    "report.generated": {"zh": "生成时间", "en": "Generated"},
    "report.estimates": {"zh": "估算说明", "en": "Estimates"},
    "report.estimates_default": {
        "zh": "输入文件中标注为估算（estimate）的数值是假设；由这些数值算出的结果同样是估算。",
        "en": "Inputs marked as estimates in the input files are assumptions; results computed "
        "from them are estimates too.",
    },
    "report.estimates_list": {"zh": "以下数值为估算：", "en": "These numbers are estimates:"},
    "report.offline": {
        "zh": "本报告是独立文件：图表库与地图边界均已内嵌，查看时无需联网。",
        "en": "This report is a self-contained file: the chart library and the map outlines "
        "are embedded, so it needs no network access.",
    },
    "report.repeat": {
        "zh": "相同的输入与随机种子会得到相同的指纹和相同的结果。",
        "en": "The same inputs and seed give the same fingerprint and the same results.",
    },
    "report.empty_table": {"zh": "（无数据）", "en": "(no rows)"},
    "report.yes": {"zh": "是", "en": "yes"},
    "report.no": {"zh": "否", "en": "no"},
    # node kinds
    "kind.district": {"zh": "区县节点", "en": "District node"},
    "kind.core": {"zh": "市级核心节点", "en": "Municipal core"},
    "kind.aggregation": {"zh": "汇聚节点", "en": "Aggregation node"},
    "kind.data_centre": {"zh": "数据中心", "en": "Data centre"},
    "kind.internet_exit": {"zh": "互联网出口", "en": "Internet exit"},
    "kind.national_uplink": {"zh": "国家政务外网上联", "en": "National uplink"},
    # planes
    "plane.extranet": {"zh": "政务外网", "en": "Extranet"},
    "plane.intranet": {"zh": "政务内网", "en": "Intranet"},
    # the network map
    "map.title": {"zh": "重庆电子政务网络", "en": "Chongqing e-government networks"},
    "map.districts": {"zh": "区县边界", "en": "District boundaries"},
    "map.municipality": {"zh": "重庆市界", "en": "Municipal boundary"},
    "map.link": {"zh": "链路", "en": "Link"},
    "map.id": {"zh": "编号", "en": "ID"},
    "map.plane": {"zh": "网络", "en": "Plane"},
    "map.value": {"zh": "数值", "en": "Value"},
    "map.cause": {"zh": "原因", "en": "Cause"},
    "map.district_value": {"zh": "区县数值", "en": "District value"},
    "map.no_value": {"zh": "无数据", "en": "no value"},
    "map.worst_utilisation": {"zh": "最高利用率", "en": "Worst utilisation"},
    # analysis figures
    "fig.cause": {"zh": "原因", "en": "cause"},
    "fig.no_failure": {"zh": "无故障时", "en": "No failure"},
    "fig.worst_any_failure": {"zh": "任一故障下最坏", "en": "Worst under any failure"},
    "fig.worst_case_title": {"zh": "链路最坏利用率及其原因", "en": "Worst link utilisation and its cause"},
    "fig.utilisation": {"zh": "利用率", "en": "Utilisation"},
    "fig.hour": {"zh": "时段（时）", "en": "Hour of day"},
    "fig.heatmap_title": {"zh": "链路 × 时段利用率（无故障）", "en": "Link × hour utilisation (no failure)"},
    "fig.failure": {"zh": "故障", "en": "Failure"},
    "fig.impact_title": {"zh": "故障影响矩阵：哪种故障使哪条链路过载",
                         "en": "Failure impact: which failure overloads which link"},
    "fig.lost_gbps": {"zh": "中断的需求（Gbit/s）", "en": "Demand cut off (Gbit/s)"},
    "fig.lost_title": {"zh": "故障导致中断的需求", "en": "Demand cut off by each failure"},
    "fig.demand_gbps": {"zh": "需求（Gbit/s，估算）", "en": "Demand (Gbit/s, estimate)"},
    "fig.demand_title": {"zh": "各业务全天需求", "en": "Demand per service over the day"},
    "fig.population": {"zh": "常住人口", "en": "Population"},
    # plan figures and tables
    "plan.racks": {"zh": "机架", "en": "Racks"},
    "plan.capex_cny": {"zh": "建设投资（元）", "en": "Capex (CNY)"},
    "plan.opex_cny": {"zh": "年运维费用（元）", "en": "Opex (CNY)"},
    "plan.added_opex_cny": {"zh": "新增年运维费用（元）", "en": "Added opex (CNY)"},
    "plan.year": {"zh": "年份", "en": "Year"},
    "plan.timeline_title": {"zh": "逐年采购（建设投资，估算）", "en": "Purchases per year (capex, estimates)"},
    "plan.per_year": {"zh": "逐年", "en": "Per year"},
    "plan.per_plane": {"zh": "按网络", "en": "Per plane"},
    "plan.per_district": {"zh": "按区县", "en": "Per district"},
    "plan.data_centres": {"zh": "数据中心", "en": "Data centres"},
    "plan.costs_title": {"zh": "采购费用构成：建设投资与新增运维（元，估算）",
                         "en": "What the purchases cost: capex and added opex (CNY, estimates)"},
    "plan.racks_title": {"zh": "各数据中心机架数", "en": "Racks per data centre"},
    # report sections
    "sec.verdict": {"zh": "结论：是否达标，买什么，花多少钱", "en": "The answer: targets, purchases and cost"},
    "txt.asked": {"zh": "本次运行回答的问题：", "en": "What this run asked: "},
    "sec.before": {"zh": "为什么要买：采购前的现网", "en": "Why buy: the network before the purchases"},
    "txt.racks_of": {"zh": "{n} 个机柜", "en": "{n} racks"},
    "txt.link_build": {"zh": "新建链路", "en": "build the link"},
    "status.optimal": {"zh": "最优", "en": "optimal"},
    "status.infeasible": {"zh": "无可行方案", "en": "infeasible"},
    "status.time_limit": {"zh": "达到时间上限", "en": "time limit reached"},
    "status.feasible": {"zh": "可行（未证明最优）", "en": "feasible (not proven optimal)"},
    "txt.more_findings": {"zh": "另有 {n} 项，见 summary.json。", "en": "{n} more findings in summary.json."},
    "txt.buy_nothing": {"zh": "无需采购：现网即可满足（估算）。",
                        "en": "Nothing to buy: the network as it stands is enough (estimates)."},
    "txt.buy": {"zh": "采购 {n} 项，资本支出 {capex} 元{years}；到 {last} 年每年新增运维费用 {opex} 元；"
                      "按折现率计整个规划期 {disc} 元（均为估算）。",
                "en": "Buy {n} items for {capex} CNY capex{years}, adding {opex} CNY/year opex by "
                      "{last}; {disc} CNY discounted over the horizon (all estimates)."},
    "txt.run_cost": {"zh": "现网（采购前）运行费用按折现率计 {existing} 元；方案总计（含现网）{total} 元（估算）。",
                     "en": "Running the network as it stands costs {existing} CNY discounted; "
                           "the plan's total including it is {total} CNY (estimates)."},
    "sec.inputs": {"zh": "输入与可追溯性", "en": "Inputs and traceability"},
    "sec.map": {"zh": "网络地图", "en": "Network map"},
    "sec.demand": {"zh": "业务需求", "en": "Demand"},
    "sec.hot": {"zh": "何时何处链路过热", "en": "Where and when links run hot"},
    "sec.failures": {"zh": "故障影响", "en": "Failure impact"},
    "sec.plan": {"zh": "采购计划：买什么、何时、何地、多少钱、为什么",
                 "en": "The plan: what to buy, when, where, for how much, and why"},
    "sec.sim": {"zh": "用户感受（仿真）", "en": "What users would feel (simulation)"},
    "txt.question": {"zh": "本情景回答的问题：", "en": "The question this scenario answers: "},
    "txt.map": {"zh": "链路颜色表示所有时段、年份与故障状态下的最高利用率；悬停可见数值与原因。",
                "en": "Links are coloured by their worst utilisation over every hour, year and "
                      "failure state; hover for the numbers and the cause."},
    "txt.plan_status": {"zh": "求解状态", "en": "Status"},
    "txt.check": {"zh": "独立复核（分析核心对扩容后网络的重新计算）",
                  "en": "Independent check (the analysis core re-run on the sized network)"},
    "txt.passed": {"zh": "通过", "en": "passed"},
    "txt.failed": {"zh": "未通过", "en": "FAILED"},
    "txt.no_sim": {"zh": "本次运行未包含仿真结果。", "en": "This run holds no simulation results."},
    "col.link": {"zh": "链路", "en": "Link"},
    "col.plane": {"zh": "网络", "en": "Plane"},
    "col.capacity_gbps": {"zh": "容量（Gbit/s）", "en": "Capacity (Gbit/s)"},
    "col.worst_utilisation": {"zh": "最高利用率", "en": "Worst utilisation"},
    "col.cause_failure": {"zh": "原因（故障）", "en": "Cause (failure)"},
    "col.cause_year": {"zh": "年份", "en": "Year"},
    "col.cause_hour": {"zh": "时段", "en": "Hour"},
    "col.item": {"zh": "项目", "en": "Item"},
    "col.id": {"zh": "编号", "en": "ID"},
    "col.district": {"zh": "区县", "en": "District"},
    "col.year": {"zh": "年份", "en": "Year"},
    "col.tier": {"zh": "档位", "en": "Tier"},
    "col.modules": {"zh": "模块数", "en": "Modules"},
    "col.racks_added": {"zh": "新增机架", "en": "Racks added"},
    "col.capex_cny": {"zh": "建设投资（元）", "en": "Capex (CNY)"},
    "col.marginal_cost_cny": {"zh": "边际成本（元）", "en": "Marginal cost (CNY)"},
    "col.reason": {"zh": "原因", "en": "Reason"},
    "col.what": {"zh": "采购内容", "en": "What to buy"},
    "col.where": {"zh": "地点", "en": "Where"},
    "col.failure": {"zh": "故障", "en": "Failure"},
    "col.origin": {"zh": "起点", "en": "Origin"},
    "col.destination": {"zh": "终点", "en": "Destination"},
    "col.lost_gbps": {"zh": "中断需求（Gbit/s）", "en": "Lost (Gbit/s)"},
    "col.name": {"zh": "名称", "en": "Name"},
    "col.value": {"zh": "取值", "en": "Value"},
}

#: Every label, read-only: ``LABELS[key][lang]``.
LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {key: MappingProxyType(value) for key, value in _LABELS.items()}
)


def check_lang(lang: str) -> str:
    """Return ``lang`` if reports can be written in it, else raise :class:`NetplanError`.

    Examples
    --------
    >>> check_lang("en")
    'en'
    >>> check_lang("fr")
    Traceback (most recent call last):
    ...
    netplan.errors.NetplanError: unknown language 'fr': use one of zh, en
    """
    if lang not in LANGS:
        raise NetplanError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    return lang


def t(key: str, lang: str = "zh") -> str:
    """The label ``key`` in ``lang`` (``"zh"`` or ``"en"``).

    Raises
    ------
    NetplanError
        Unknown language or unknown key.

    Examples
    --------
    >>> t("plane.extranet", "zh"), t("plane.extranet", "en")
    ('政务外网', 'Extranet')
    """
    check_lang(lang)
    try:
        return _LABELS[key][lang]
    except KeyError:
        raise NetplanError(f"no label {key!r}") from None


def display_name(name: str | None, name_zh: str | None, lang: str = "zh") -> str:
    """The name to show for a node in ``lang``: Chinese if given and asked for, else English.

    Examples
    --------
    >>> display_name("Yuzhong District", "渝中区", "zh"), display_name("Yuzhong District", "", "zh")
    ('渝中区', 'Yuzhong District')
    """
    check_lang(lang)
    if lang == "zh" and name_zh:
        return name_zh
    return name or name_zh or ""
