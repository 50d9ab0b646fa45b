"""The planners' reasons in Chinese, for the zh report and the spreadsheets' 原因 column.

The planners write each reason in English from a small, fixed grammar (the phrases of
:mod:`netplan.planning.rows`, :mod:`netplan.planning.routed.explain` and
:mod:`netplan.planning.routed.stable`). :func:`reason_zh` renders that grammar in Chinese
phrase by phrase; ids, numbers and units pass through unchanged, and the systems behind a
purchase are named by the Chinese names the English reason gives in brackets. ``tests/test_report_zh.py``
runs every reason the shipped scenarios produce through it and checks that no English word
is left, so a new English phrase cannot reach a zh report untranslated.
"""

from __future__ import annotations

import re

__all__ = ["failure_zh", "reason_zh"]

_NUM = r"[\d,.]+"
_ID = r"[^\s,;:()]+"
_FAILURE = r"[^\s,;()]+"  # a failure state's name: link:x, node:x, srlg:x, links:a+b


def failure_zh(name: str) -> str:
    """A failure state's name as a Chinese clause ending in 时.

    Examples
    --------
    >>> failure_zh("none"), failure_zh("link:ex-a"), failure_zh("links:a+b")
    ('无故障时', '链路 ex-a 故障时', '链路 a 与 b 同时故障时')
    """
    kind, _, what = name.partition(":")
    if name == "none":
        return "无故障时"
    if kind == "links":
        a, _, b = what.partition("+")
        return f"链路 {a} 与 {b} 同时故障时"
    word = {"link": "链路", "node": "节点", "srlg": "共享风险组"}.get(kind)
    return f"{word} {what} 故障时" if word else f"{name} 故障时"


def _spaced(head: str, tail: str) -> str:
    """Join Chinese text, with a space only before a number or a Latin id."""
    return f"{head} {tail}" if tail[:1].isascii() else head + tail


def _when(text: str) -> str:
    if text == "installed before the plan":
        return "规划前已有"
    return re.sub(r"bought in (\d{4})", r"\1 年购买", text)


def _lots(text: str) -> str:
    """``the 2 × 10G modules (1 installed before the plan, 1 bought in 2026)`` in Chinese."""
    one = re.fullmatch(r"the (.+?) modules? (installed before the plan|bought in \d{4})", text)
    if one:
        return f"{_when(one[2])}的 {one[1]} 模块"
    many = re.fullmatch(r"the (.+?) modules \((.+)\)", text)
    if many:
        lots = [re.fullmatch(r"(\d+) (.+)", lot) for lot in many[2].split(", ")]
        parts = "，".join(_spaced(f"{m[1]} 个", _when(m[2])) for m in lots if m)
        return f"{many[1]} 模块（{parts}）"
    return text


_SYSTEM_HEADS = {"load by system": "按系统分负载", "servers by system": "按系统分服务器"}
_SHARE = re.compile(r"(.+?) (?:\(([^()]*)\) )?(\d+%)(?:, |$)")


def _systems(m: re.Match) -> str:
    """``; load by system: A (甲) 41%, B 30%`` as ``；按系统分负载：甲 41%、B 30%``.

    A system is named by its Chinese name (in brackets in the English reason), else as is.
    """
    named = [f"{found[2] or found[1]} {found[3]}" for found in _SHARE.finditer(m[2])]
    return f"；{_SYSTEM_HEADS[m[1]]}：" + "、".join(named)


_PLANE_ZH = {"extranet": "政务外网", "intranet": "政务内网"}
_MEASURE_ZH = {"network": "网络", "end-to-end": "端到端", "end to end": "端到端"}

_RULES: tuple[tuple[str, str], ...] = (
    # the systems behind a purchase (first: their names are free text)
    (r"; (load by system|servers by system): (.+?)(?=; |$)", _systems),
    # what forces a link purchase
    (r"builds candidate link \(fixed charge (" + _NUM + r") CNY\); ", r"新建候选链路（固定建设费 \1 元）；"),
    # availability targets (planning/availability_step.py)
    (r"for the availability target of (.+?): (network|end-to-end) availability on the "
     r"(extranet|intranet) to (" + _ID + r") (" + _NUM + r")% → (" + _NUM + r")% against ("
     + _NUM + r")% \(estimates\)",
     lambda m: f"满足 {m[1]} 的可用性目标：{_PLANE_ZH[m[3]]}到 {m[4]} 的{_MEASURE_ZH[m[2]]}"
               f"可用性 {m[5]}% → {m[6]}%，目标 {m[7]}%（估算）"),
    (r"for the availability target of (.+?)(?=; |$)", r"满足 \1 的可用性目标"),
    (r"the least capacity that builds it: (\d+) × (" + _ID + r")", r"建成所需的最小容量：\1 × \2"),
    (r"^availability target (" + _NUM + r")% \((end to end|network)\) of (" + _ID + r") on the "
     r"(extranet|intranet) to (" + _ID + r") is (out of reach|missed): ",
     lambda m: f"{m[3]} 在{_PLANE_ZH[m[4]]}到 {m[5]} 的{_MEASURE_ZH[m[2]]}可用性目标 {m[1]}% "
               f"{'无法达到' if m[6] == 'out of reach' else '未达到'}："),
    (r"at best (" + _NUM + r")% \(estimate\), ", r"最多 \1%（估算），"),
    (r"：(" + _NUM + r")% \(estimate\), dominant cut (.+?); ", r"：\1%（估算），主导割集 \2；"),
    (r"its end nodes' own failures alone cost (" + _NUM + r") min a year, more than the ("
     + _NUM + r") the target allows \(dominant cut (.+?)\): no link purchase can change that",
     r"两端节点自身故障每年已停机 \1 分钟，超过目标允许的 \2 分钟（主导割集 \3），任何链路采购都无法改变"),
    (r"even with every candidate link built; dominant cut (.+)$", r"即使建设全部候选链路；主导割集 \1"),
    (r"the optimized routing mode does not buy links for availability targets \(the fixed mode "
     r"does\)", r"优化路由模式不为可用性目标购买链路（固定路由模式会购买）"),
    (r"^without failure at (\d{4}) (\d\d:00), scenario (" + _ID + r"): ",
     r"无故障时，\1 年 \2（情景 \3）："),
    (r"^when (" + _FAILURE + r") fails at (\d{4}) (\d\d:00), scenario (" + _ID + r"): ",
     lambda m: f"{failure_zh(m[1])}，{m[2]} 年 {m[3]}（情景 {m[4]}）："),
    (r"^without failure in (\d{4}), scenario (" + _ID + r"): ", r"无故障时，\1 年（情景 \2）："),
    (r"^when (" + _FAILURE + r") fails in (\d{4}), scenario (" + _ID + r"): ",
     lambda m: f"{failure_zh(m[1])}，{m[2]} 年（情景 {m[3]}）："),
    (r"design load (" + _NUM + r") Gbit/s (" + _ID + r")→(" + _ID + r") \(every od at its own "
     r"peak hour; (" + _NUM + r") Gbit/s at the busiest hour (\d\d:00)\) ",
     r"设计负载 \1 Gbit/s（\2→\3，各业务流取各自峰值时段；最忙时段 \5 为 \4 Gbit/s），"),
    (r"load (" + _NUM + r") Gbit/s needs (" + _NUM + r") Gbit/s at the (\d+%) target",
     r"负载 \1 Gbit/s，按 \3 目标需要 \2 Gbit/s"),
    (r"needs (" + _NUM + r") Gbit/s at the (\d+%) target", r"按 \2 目标需要 \1 Gbit/s"),
    (r"; (" + _NUM + r") Gbit/s installed before", r"；原有 \1 Gbit/s"),
    (r"not forced by load \(the solved routing needs (" + _NUM + r") Gbit/s; (" + _NUM
     + r") Gbit/s installed\): (.+?) costs (" + _NUM + r") CNY in (\d{4}) against (" + _NUM
     + r") CNY to keep what is installed",
     r"并非负载所迫（求解得到的路由需要 \1 Gbit/s；原有 \2 Gbit/s）：\3 在 \5 年费用 \4 元，"
     r"保留现有配置则为 \6 元"),
    # what a purchase replaces or keeps
    (r"replaces (.+?) with (\d+) × (" + _ID + r")(?=:|;|$)",
     lambda m: _spaced(f"以 {m[2]} × {m[3]} 替换", _lots(m[1]))),
    (r": cheaper over the horizon by (" + _NUM + r") CNY \(discounted, the new modules' capex "
     r"included\) than the cheapest way for this link to keep every module it buys",
     r"：与保留全部已购模块的最省方案相比，规划期内节省 \1 元（折现，含新模块建设投资）"),
    (r"keeps the modules it buys: the year-by-year solves would replace them, at (" + _NUM
     + r") CNY more over the horizon \(discounted\)",
     r"保留已购模块：逐年求解会替换它们，规划期内多花 \1 元（折现）"),
    # racks
    (r"(\d+) busy servers at the busy hour of (\d{4}) need (\d+) servers at the (\d+%) target "
     r"= (\d+) racks of (" + _NUM + r"); (\d+) installed before",
     r"\2 年忙时 \1 台服务器繁忙，按 \4 目标需要 \3 台服务器，即 \5 个机柜（每柜 \6 台）；原有 \7 个"),
    # what cannot be met
    (r"^needs (" + _NUM + r") Gbit/s; the largest tier allows (" + _NUM + r") Gbit/s",
     r"需要 \1 Gbit/s；最大档位只能提供 \2 Gbit/s"),
    (r"^needs (\d+) racks; the building holds (\d+)", r"需要 \1 个机柜；机房最多容纳 \2 个"),
    (r"^(" + _FAILURE + r") disconnects it: no capacity on the built links can carry it \(a candidate "
     r"link or routing change is needed\)",
     lambda m: f"{failure_zh(m[1])}该业务流被切断：已建链路无论多大容量都无法承载（需要候选链路或改变路由）"),
    (r"^no path joins its ends without any failure \(an end node is down for the whole "
     r"scenario, or the network is split\): no capacity can carry it",
     r"无故障时也没有路径连通两端（端点在整个情景中停运，或网络已分割）：任何容量都无法承载"),
    (r"^the purchases that the targets force cost (" + _NUM + r") CNY in (\d{4}); the budget is ("
     + _NUM + r") CNY", r"\2 年满足目标所需的采购费用为 \1 元；预算为 \3 元"),
    (r"; ", "；"),
)


def reason_zh(reason: str) -> str:
    """A planner's reason, in Chinese.

    Examples
    --------
    >>> reason_zh("when link:ex-a fails at 2026 10:00, scenario baseline: load 0.913 Gbit/s "
    ...           "needs 1.014 Gbit/s at the 90% target; 1 Gbit/s installed before")
    '链路 ex-a 故障时，2026 年 10:00（情景 baseline）：负载 0.913 Gbit/s，按 90% 目标需要 1.014 Gbit/s；原有 1 Gbit/s'
    >>> reason_zh("replaces the 2.5G module bought in 2026 with 3 × 1G")
    '以 3 × 1G 替换 2026 年购买的 2.5G 模块'
    >>> reason_zh("without failure at 2026 10:00, scenario s: load 7.000 Gbit/s needs 10.000 "
    ...           "Gbit/s at the 70% target; load by system: Golden Shield (金盾工程) 60%, Roads, "
    ...           "bridges (路桥) 30%; 10 Gbit/s installed before")
    '无故障时，2026 年 10:00（情景 s）：负载 7.000 Gbit/s，按 70% 目标需要 10.000 Gbit/s；按系统分负载：金盾工程 60%、路桥 30%；原有 10 Gbit/s'
    """
    text = reason
    for pattern, replacement in _RULES:
        text = re.sub(pattern, replacement, text)
    return text
