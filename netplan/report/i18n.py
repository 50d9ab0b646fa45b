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
    "map.over_target": {"zh": "超过目标的链路（加粗并标注编号）", "en": "Over target (thick, labelled)"},
    "map.inset": {"zh": "主城区放大图", "en": "central area inset"},
    "map.inset_area": {"zh": "主城区放大范围", "en": "Area of the inset"},
    "map.inset_title": {"zh": "主城区（放大，见左图虚线框）",
                        "en": "Central area (dotted box on the left), enlarged"},
    "map.labels": {"zh": "名称", "en": "Names"},
    "map.link_ids": {"zh": "链路编号", "en": "Link ids"},
    "map.capacity_before": {"zh": "规划前容量", "en": "Capacity before the plan"},
    "map.capacity_after": {"zh": "规划后容量（{year} 年）", "en": "Capacity after the plan ({year})"},
    "map.worst_load": {"zh": "最高负载", "en": "Worst load"},
    "map.no_failure": {"zh": "无故障", "en": "no failure"},
    "map.failure": {"zh": "故障", "en": "failure"},
    # analysis figures
    "fig.cause": {"zh": "原因", "en": "cause"},
    "fig.no_failure": {"zh": "无故障时", "en": "No failure"},
    "fig.worst_any_failure": {"zh": "任一故障下最坏", "en": "Worst under any failure"},
    "fig.under_failure": {"zh": "故障时", "en": "Under failure"},
    "fig.target": {"zh": "目标", "en": "Target"},
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
    "plan.capex": {"zh": "建设投资", "en": "Capex"},
    "plan.added_opex": {"zh": "新增年运维费用", "en": "Added opex"},
    "plan.cost": {"zh": "费用", "en": "Cost"},
    "plan.items_count": {"zh": "（{n} 项）", "en": " ({n} bought)"},
    "plan.cost_year_title": {"zh": "采购带来的逐年费用：建设投资与新增运维（估算）",
                             "en": "What the purchases cost each year: capex and added opex "
                                   "(estimates)"},
    "plan.district_title": {"zh": "各区县采购费用：建设投资加新增运维，规划期合计（估算）",
                            "en": "Purchase cost per district: capex plus added opex over the "
                                  "horizon (estimates)"},
    "plan.municipal": {"zh": "市级（核心、出口、数据中心）", "en": "Municipal (cores, exits, DCs)"},
    "plan.one_year": {"zh": "规划只覆盖 {year} 年，故不画逐年图；下表列出每项采购。",
                      "en": "The plan covers one year ({year}), so there are no per-year charts; "
                            "the table below lists every purchase."},
    "plan.one_district": {"zh": "采购费用全部在{district}：{money}（建设投资加新增运维，规划期合计，估算）。",
                          "en": "All purchase costs are in {district}: {money} (capex plus added "
                                "opex over the horizon, estimates)."},
    "plan.per_plane_text": {"zh": "按网络（建设投资加新增运维，规划期合计，估算）：{items}。",
                            "en": "Per plane (capex plus added opex over the horizon, estimates): "
                                  "{items}."},
    "plan.racks_same": {"zh": "不新增机架；各数据中心机架数：{items}。",
                        "en": "No racks are added; racks per data centre: {items}."},
    "plan.racks_year": {"zh": "{year} 年采购后各数据中心机架数：{items}。",
                        "en": "Racks per data centre after the {year} purchases: {items}."},
    "plan.racks_added_note": {"zh": "（新增 {n}）", "en": " ({n} added)"},
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
    "txt.buy": {"zh": "采购 {n} 项，建设投资 {capex}{years}；{by}每年新增运维费用 {opex}；"
                      "按折现率计整个规划期 {disc}（均为估算）。",
                "en": "Buy {n} {items} for {capex} capex{years}, adding {opex} a year of "
                      "opex{by}; {disc} discounted over the horizon (all estimates)."},
    "txt.run_cost": {"zh": "现网（采购前）运行费用按折现率计 {existing}；方案总计（含现网）{total}（估算）。",
                     "en": "Running the network as it stands costs {existing} discounted; "
                           "the plan's total including it is {total} (estimates)."},
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
    "txt.no_demand": {"zh": "{plane}没有业务需求。", "en": "The {plane} carries no demand."},
    "txt.no_load": {"zh": "任何时段、年份与故障状态下都没有链路承载流量。",
                    "en": "No link carries traffic in any hour, year or failure state."},
    "txt.no_hourly_load": {"zh": "{label}：无故障时所有链路全天空闲。",
                           "en": "{label}: every link is idle all day without failures."},
    "txt.no_impact": {"zh": "{plane}：任何故障状态下都没有链路承载流量。",
                      "en": "{plane}: no link carries traffic in any failure state."},
    "txt.no_lost": {"zh": "故障策略中的任何故障都不会中断需求：每个起点仍能到达每个终点。",
                    "en": "No failure of the failure policy cuts off any demand: every origin "
                          "still reaches every destination."},
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
    "col.growth": {"zh": "年增长率", "en": "Growth per year"},
    "txt.municipal": {"zh": "市级", "en": "municipal"},
    "item.link": {"zh": "链路", "en": "link"},
    "item.data_centre": {"zh": "数据中心", "en": "data centre"},
    "col.estimate": {"zh": "估算", "en": "Estimate"},
    "col.source": {"zh": "来源", "en": "Source"},
    "col.override": {"zh": "假设变更（what-if）", "en": "What-if override"},
    "input.topology": {"zh": "网络拓扑", "en": "Topology"},
    "input.scenario": {"zh": "情景", "en": "Scenario"},
    "input.years": {"zh": "规划年份", "en": "Years"},
    "input.failure_policy": {"zh": "故障策略", "en": "Failure policy"},
    "input.targets": {"zh": "目标", "en": "Targets"},
    "input.routing": {"zh": "路由", "en": "Routing"},
    "input.seed": {"zh": "随机种子", "en": "Seed"},
    "input.fingerprint.topology": {"zh": "拓扑指纹", "en": "Topology fingerprint"},
    "input.fingerprint.scenario": {"zh": "情景指纹", "en": "Scenario fingerprint"},
    "input.fingerprint.run": {"zh": "运行指纹", "en": "Run fingerprint"},
    "input.netplan": {"zh": "netplan 版本", "en": "netplan version"},
    "txt.targets": {"zh": "正常时利用率不超过 {normal:.0%}，故障时不超过 {failure:.0%}",
                    "en": "utilisation at most {normal:.0%} without failure, {failure:.0%} under failure"},
    "routing.fixed": {"zh": "固定路由（网络自身的最短路径/ECMP）",
                      "en": "fixed (the network's own shortest paths, ECMP)"},
    "routing.optimized": {"zh": "优化路由（路由也是决策变量）", "en": "optimized (routing is a decision too)"},
    "col.where": {"zh": "地点", "en": "Where"},
    "col.failure": {"zh": "故障", "en": "Failure"},
    "col.origin": {"zh": "起点", "en": "Origin"},
    "col.destination": {"zh": "终点", "en": "Destination"},
    "col.lost_gbps": {"zh": "中断需求（Gbit/s）", "en": "Lost (Gbit/s)"},
    "col.name": {"zh": "名称", "en": "Name"},
    "col.value": {"zh": "取值", "en": "Value"},
    # the "by system" view (report/bysystem.py)
    "sec.bysystem": {"zh": "按系统：门户、应用系统、基础库与感知", "en": "By system: portal, applications, "
                     "base databases and sensing"},
    "bysys.text": {
        "zh": "每个系统的忙时流量（首年与末年）、占本网络忙时流量的份额、对应的采购投资份额、目标，以及"
        "无故障和故障时超出时延目标的起止对数。采购份额为估算：按系统占其网络忙时流量的比例分摊该网络"
        "的采购投资（机柜计入政务外网）。",
        "en": "Each system's busy-hour traffic (first and last year), its share of its plane's "
        "busy-hour traffic and of the purchases, its targets, and the origin-destination pairs "
        "over its latency target without and with failures. The purchase share is an estimate: "
        "the plane's purchase capex split in proportion to busy-hour traffic (racks count on "
        "the extranet).",
    },
    "bysys.system": {"zh": "系统", "en": "System"},
    "bysys.name": {"zh": "名称", "en": "Name"},
    "bysys.group": {"zh": "类别", "en": "Group"},
    "bysys.plane": {"zh": "网络", "en": "Plane"},
    "bysys.first_gbps": {"zh": "首年忙时（Gbit/s，估算）", "en": "Busy hour, first year (Gbit/s, estimate)"},
    "bysys.last_gbps": {"zh": "末年忙时（Gbit/s，估算）", "en": "Busy hour, last year (Gbit/s, estimate)"},
    "bysys.share": {"zh": "占本网络流量", "en": "Share of plane traffic"},
    "bysys.capex_share": {"zh": "采购投资份额（估算）", "en": "Share of purchases (estimate)"},
    "bysys.targets": {"zh": "目标", "en": "Targets"},
    "bysys.normal": {"zh": "无故障时超时延", "en": "Over latency, normal"},
    "bysys.failure": {"zh": "故障时超时延", "en": "Over latency, under failure"},
    "bysys.state": {"zh": "状态", "en": "State"},
    "bysys.state_normal": {"zh": "采购后，无故障", "en": "After the purchases, no failure"},
    "bysys.state_failure": {"zh": "采购后，{failure}（最不利）", "en": "After the purchases, "
                            "{failure} down (the worst for it)"},
    "bysys.links": {"zh": "其负载迫使采购的链路（占该链路定容负载）",
                    "en": "Links its load drives to their limit (share of the sizing load)"},
    "bysys.hour": {"zh": "时段", "en": "Hour"},
    "bysys.mean_s": {"zh": "平均响应（秒）", "en": "Mean response (s)"},
    "bysys.under_1s": {"zh": "1 秒内", "en": "Under 1 s"},
    "bysys.under_3s": {"zh": "3 秒内", "en": "Under 3 s"},
    "bysys.under_10s": {"zh": "10 秒内", "en": "Under 10 s"},
    "bysys.over_60s": {"zh": "超过 60 秒", "en": "Over 60 s"},
    "bysys.target": {"zh": "目标", "en": "Target"},
    "bysys.meets": {"zh": "达标", "en": "Meets"},
    "bysys.target_share": {"zh": "{share:.0%} 的页面在 {limit:g} 秒内", "en": "{share:.0%} of pages within {limit:g} s"},
    "bysys.blocking": {"zh": "阻塞率 ≤ {share:.0%}", "en": "blocking ≤ {share:.0%}"},
    "bysys.portal_caption": {"zh": "门户网站页面响应时间分档（估算）", "en": "Portal page response time in bins (estimate)"},
    "bysys.portal_text": {
        "zh": "门户网站页面响应时间按政府网站访问速度调查的分档给出：按仿真的忙时平均响应时间，假定响应时间服从"
        "指数分布（M/M/1 逗留时间）估算各档份额。第一行为采购后无故障的网络；故障行为其请求和页面所经链路"
        "逐一中断时平均响应最长的一种，用闭式公式（解析法）计算，其余流量按各自路由绕行。",
        "en": "The portal's page response time in the bins of the survey of government sites: the "
        "shares are estimated from the simulated busy-hour mean response time, taking the "
        "response time as exponential (the M/M/1 sojourn time). The first row is the network "
        "after the purchases without failures; the failure row is the link failure on its "
        "requests' and pages' paths that makes its mean response longest, evaluated in closed "
        "form (analytic), the rest of the traffic rerouted as it would be.",
    },
    "bysys.portal_no_sim": {"zh": "本次运行未做仿真，门户网站响应时间分档从略。",
                            "en": "This run has no simulation, so the portal's response-time bins are not shown."},
    "group.portal": {"zh": "门户网站", "en": "Portal"},
    "group.application_system": {"zh": "应用系统", "en": "Application system"},
    "group.base_database": {"zh": "基础信息库", "en": "Base database"},
    "group.sensing": {"zh": "城市感知", "en": "Sensing"},
    "group.common": {"zh": "公共业务", "en": "Common"},
    # availability and equity (report/availability.py)
    "sec.availability": {"zh": "可用性与均衡", "en": "Availability and equity"},
    "avail.text": {
        "zh": "各区县每年预计断网多少分钟、偏远区县是否与中心城区享有同等服务。所有数值均为估算：由各链路、"
        "节点和共享风险组的故障率与修复时间（估算）算出，采购后的数值按本方案采购后的网络计算。",
        "en": "How many minutes a year each district is expected to be cut off, and whether remote "
        "counties are served as well as the centre. Every figure is an estimate: it follows from "
        "the failure rates and repair times of the links, nodes and shared-risk groups "
        "(estimates); figures after the plan are for the network with the plan's purchases.",
    },
    "avail.judged.end_to_end": {"zh": "按端到端（含两端节点）计", "en": "end to end (both end nodes included)"},
    "avail.judged.network": {"zh": "按两端之间的网络（不含两端节点）计",
                             "en": "on the network between the two end nodes (their own failures left out)"},
    "avail.no_target": {"zh": "未设可用性目标；下表列出断网时间最长的五个区县（{judged}）。",
                        "en": "No availability target is set; the table lists the five districts "
                        "with the most downtime ({judged})."},
    "avail.missed": {"zh": "采购后，{rows} 个设有目标的（区县、网络、目的地）组合中有 {missed} 个未达可用性目标"
                     "（采购前 {before} 个），{judged}。",
                     "en": "After the plan, {missed} of the {rows} (district, plane, destination) "
                     "pairs with an availability target miss it ({before} before the plan), judged "
                     "{judged}."},
    "avail.no_purchase": {"zh": "本方案未为可用性目标新建链路。",
                          "en": "The plan builds no link for the availability targets."},
    "avail.map.downtime": {"zh": "断网时间（分钟/年，估算）", "en": "Downtime (min/yr, estimate)"},
    "avail.map.per_resident": {"zh": "人均接入带宽（千比特/秒，估算）",
                               "en": "Access per resident (kbit/s, estimate)"},
    "avail.caption.downtime": {
        "zh": "采购后各区县预计每年断网分钟数（估算）：取该区县在两张网中较差一张、到其最差目的地的值，"
        "{judged}。加粗的区县未达目标（未设目标时为最差的五个）。",
        "en": "Expected downtime in minutes a year after the plan (estimate): each district "
        "coloured by its worst destination in the worse of its planes, judged {judged}. Districts "
        "named in bold miss their target (or, with no target set, are the worst five).",
    },
    "avail.caption.per_resident": {
        "zh": "采购后{plane}各区县接入链路装机带宽按常住人口平均（千比特/秒，估算）。",
        "en": "Installed access bandwidth per resident on the {plane} after the plan, kbit/s "
        "(estimate).",
    },
    "avail.table.misses": {"zh": "采购后未达可用性目标的组合，差距最大的在前；断网时间为每年分钟数（估算）",
                           "en": "Pairs that miss their availability target after the plan, the "
                           "furthest below first; downtime in minutes a year (estimates)"},
    "avail.table.more": {"zh": "；其余 {n} 个见导出的可用性 CSV 文件与采购表格",
                         "en": "; {n} more in availability.csv and plan.xlsx"},
    "avail.table.worst": {"zh": "采购后断网时间最长的五个区县；断网时间为每年分钟数（估算）",
                          "en": "The five districts with the most downtime after the plan; "
                          "downtime in minutes a year (estimates)"},
    "avail.table.purchases": {"zh": "为达到可用性目标新建的候选链路及其使区县达标的情况（投资为估算）",
                              "en": "Candidate links built for the availability targets, and the "
                              "districts each brings to target (capex an estimate)"},
    "avail.table.spread": {"zh": "区县间差距：采购前后的最大/最小比与基尼系数（估算）",
                           "en": "The spread across districts before and after the plan: max/min "
                           "ratio and Gini coefficient (estimates)"},
    "avail.spread": {"zh": "{plane}{figure}：最大/最小比 {ratio_before} → {ratio_after}，"
                     "基尼系数 {gini_before} → {gini_after}（{change}）。",
                     "en": "{plane}, {figure}: max/min {ratio_before} → {ratio_after}, Gini "
                     "{gini_before} → {gini_after} ({change})."},
    "avail.change.narrower": {"zh": "差距缩小", "en": "the gap narrows"},
    "avail.change.wider": {"zh": "差距扩大", "en": "the gap widens"},
    "avail.change.same": {"zh": "差距不变", "en": "the gap is unchanged"},
    "avail.change.unknown": {"zh": "无法比较", "en": "not comparable"},
    "avail.figure.access_kbps_per_resident": {"zh": "人均接入带宽", "en": "access per resident"},
    "avail.figure.access_kbps_per_staff": {"zh": "每名工作人员接入带宽", "en": "access per staff member"},
    "avail.figure.worst_hour_utilisation": {"zh": "忙时接入利用率", "en": "worst-hour utilisation"},
    "avail.figure.downtime_min_per_year": {"zh": "断网时间（端到端）", "en": "downtime (end to end)"},
    "avail.figure.network_downtime_min_per_year": {"zh": "断网时间（仅网络）",
                                                   "en": "downtime (network alone)"},
    "avail.figure.latency_to_dc_ms": {"zh": "到数据中心时延", "en": "latency to the data centre"},
    "avail.col.district": {"zh": "区县", "en": "District"},
    "avail.col.plane": {"zh": "网络", "en": "Plane"},
    "avail.col.destination": {"zh": "目的地", "en": "Destination"},
    "avail.col.target": {"zh": "目标", "en": "Target"},
    "avail.col.judged_availability": {"zh": "可用性下界", "en": "Availability, lower bound"},
    "avail.col.before_min": {"zh": "采购前（分钟/年）", "en": "Before (min/yr)"},
    "avail.col.downtime_min": {"zh": "采购后（分钟/年）", "en": "After (min/yr)"},
    "avail.col.dominant_cut": {"zh": "主要断点", "en": "Dominant cut"},
    "avail.col.dominant_cut_share": {"zh": "主要断点占比", "en": "Cut share"},
    "avail.col.link": {"zh": "链路", "en": "Link"},
    "avail.col.districts": {"zh": "使之达标的区县", "en": "Districts brought to target"},
    "avail.col.capex_cny": {"zh": "建设投资（估算）", "en": "Capex (estimate)"},
    "avail.col.figure": {"zh": "指标", "en": "Figure"},
    "avail.col.ratio_before": {"zh": "最大/最小（采购前）", "en": "Max/min before"},
    "avail.col.ratio_after": {"zh": "最大/最小（采购后）", "en": "Max/min after"},
    "avail.col.gini_before": {"zh": "基尼系数（采购前）", "en": "Gini before"},
    "avail.col.gini_after": {"zh": "基尼系数（采购后）", "en": "Gini after"},
    "avail.col.change": {"zh": "变化", "en": "Change"},
    "avail.col.worst_after": {"zh": "采购后最差五个", "en": "Worst five after"},
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
