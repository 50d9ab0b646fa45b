"""The verdict in words, in Chinese and English: one headline and one line per finding."""

from __future__ import annotations

from netplan.report.numbers import format_money

__all__ = ["failure_words", "finding_line", "headline", "tally"]

_PLANE = {"extranet": ("extranet", "政务外网"), "intranet": ("intranet", "政务内网")}
_MORE_FAILURES = 3


def failure_words(name: str, lang: str = "en") -> str:
    """A failure state's name as words.

    Examples
    --------
    >>> failure_words("link:ex-a"), failure_words("link:ex-a", "zh")
    ('link ex-a fails', '链路 ex-a 故障')
    >>> failure_words("links:a+b")
    'links a and b fail'
    """
    zh = lang == "zh"
    kind, _, what = name.partition(":")
    if name == "none":
        return "无故障时" if zh else "without any failure"
    if name == "scenario":
        return "场景设定的节点停运" if zh else "the scenario takes an end node down"
    if kind == "links":
        a, _, b = what.partition("+")
        return f"链路 {a} 与 {b} 同时故障" if zh else f"links {a} and {b} fail"
    words = {"link": ("link", "链路"), "node": ("node", "节点"),
             "srlg": ("shared-risk group", "共享风险组")}.get(kind)
    if words is None:
        return f"{name} 故障" if zh else f"{name} fails"
    return f"{words[1]} {what} 故障" if zh else f"{words[0]} {what} fails"


def _failures(names: list[str], lang: str) -> str:
    shown = [failure_words(n, lang) for n in names[:_MORE_FAILURES]]
    rest = len(names) - len(shown)
    if lang == "zh":
        text = "或".join(shown)
        return text + (f" 等 {len(names)} 种故障" if rest else "")
    text = " or ".join(shown)
    return text + (f" (or any of {rest} more failures)" if rest else "")


def _place(f: dict, lang: str) -> str:
    if lang == "zh":
        return f"{f.get('name_zh') or f.get('name') or f['district']}（{f['district']}）"
    zh = f" ({f['name_zh']})" if f.get("name_zh") else ""
    return f"{f.get('name') or f['district']}{zh}"


def _plane(plane: str | None, lang: str) -> str:
    pair = _PLANE.get(plane or "", (plane or "", plane or ""))
    return pair[1] if lang == "zh" else pair[0]


def _cut_off(f: dict, lang: str) -> str:
    services = ", ".join(f["services"][:4]) + (", …" if len(f["services"]) > 4 else "")
    remedy = f["remedies"][0] if f.get("remedies") else None
    if lang == "zh":
        text = (f"{_place(f, lang)}在{_plane(f['plane'], lang)}上被切断：{_failures(f['failures'], lang)}"
                f"时，峰值 {f['lost_gbps']:.3f} Gbit/s 业务中断（{services}）")
        if remedy:
            build = (f"，含建设费 {format_money(remedy['build_capex_cny'], 'zh')}"
                     if remedy["build_capex_cny"] else "")
            text += (f"；新建候选链路 {remedy['link']} 可恢复（估算 {format_money(remedy['capex_cny'], 'zh')}"
                     f"{build}；优化路由模式可对候选链路选址定容）")
        return text
    text = (f"{_place(f, lang)} is cut off on the {_plane(f['plane'], lang)} when "
            f"{_failures(f['failures'], lang)}: {f['lost_gbps']:.3f} Gbit/s at peak lost "
            f"({services})")
    if remedy:
        build = (f", of which {format_money(remedy['build_capex_cny'], 'en')} to build"
                 if remedy["build_capex_cny"] else "")
        text += (f"; building candidate link {remedy['link']} would restore it (estimate "
                 f"{format_money(remedy['capex_cny'], 'en')}{build}; the optimized routing mode plans "
                 f"candidates)")
    return text


def _utilisation(f: dict, lang: str) -> str:
    when = failure_words(f["failure"], lang)
    year = f" ({f['year']})" if f.get("year") is not None else ""
    if lang == "zh":
        when = when if when.endswith("时") else when + "时"
        return (f"链路 {f['link']}（{_plane(f['plane'], lang)}）{when}利用率 {f['utilisation']:.1%}，"
                f"超过目标 {f['target']:.0%}{year}")
    return (f"link {f['link']} ({_plane(f['plane'], lang)}) reaches {f['utilisation']:.1%} "
            f"when {when}, above the {f['target']:.0%} target{year}".replace(
                "when without any failure", "without any failure"))


def _latency(f: dict, lang: str) -> str:
    if lang == "zh":
        return (f"{_place(f, lang)}在{_plane(f['plane'], lang)}上时延 {f['latency_ms']:.1f} ms，"
                f"超过目标 {f['target_ms']:.1f} ms（{_failures(f['failures'], lang)}）")
    return (f"{_place(f, lang)} on the {_plane(f['plane'], lang)}: latency "
            f"{f['latency_ms']:.1f} ms above the {f['target_ms']:.1f} ms target when "
            f"{_failures(f['failures'], lang)}")


def _racks(f: dict, lang: str) -> str:
    if lang == "zh":
        return (f"数据中心 {f['data_centre']} {f['year']} 年需要 {f['racks_needed']} 个机柜，"
                f"现有 {f['racks_installed']} 个")
    return (f"data centre {f['data_centre']} needs {f['racks_needed']} racks in {f['year']}, "
            f"{f['racks_installed']} installed")


def _unmet(f: dict, lang: str) -> str:
    if lang == "zh":
        return f"无法满足 {f['item']} {f['id']}（{f['year']}）：{f['reason']}"
    return f"cannot satisfy {f['item']} {f['id']} ({f['year']}): {f['reason']}"


def _service(f: dict, lang: str) -> str:
    value = "—" if f["value"] is None else f"{f['value']:.4g}"
    target = "—" if f["target"] is None else f"{f['target']:.4g}"
    hour = f"{f['hour']:02d}:00" if isinstance(f.get("hour"), int) else ""
    if lang == "zh":
        metric = {"blocking": "阻塞率", "response_s": "响应时间（秒）"}.get(f["metric"], f["metric"])
        return f"业务 {f['service']} {hour} {metric} {value}，超过目标 {target}"
    metric = {"blocking": "blocking", "response_s": "response time (s)"}.get(f["metric"], f["metric"])
    return f"service {f['service']} at {hour}: {metric} {value} above the target {target}"


def _unchecked(_: dict, lang: str) -> str:
    if lang == "zh":
        return "方案未经独立复核，不能判定达标"
    return "the plan was not re-checked independently, so it cannot be said to meet its targets"


def _judged(judged_on: str | None, lang: str) -> str:
    if lang == "zh":
        return "两端节点之间的网络" if judged_on == "network" else "端到端"
    return "the network between the end nodes" if judged_on == "network" else "end to end"


def _more_destinations(f: dict, lang: str) -> str:
    more = len(f.get("destinations") or []) - 1
    if more <= 0:
        return ""
    return f"（另有 {more} 个目的地）" if lang == "zh" else f" (and {more} more destinations)"


def _availability(f: dict, lang: str) -> str:
    """A district below its availability target: by how much, and what bounds it."""
    zh = lang == "zh"
    where = (f"{_place(f, lang)}在{_plane(f['plane'], lang)}上到 {f['destination']}" if zh else
             f"{_place(f, lang)} on the {_plane(f['plane'], lang)} to {f['destination']}")
    target, judged = f"{100 * f['target']:.4f}%", _judged(f.get("judged_on"), lang)
    more = _more_destinations(f, lang)
    if f.get("best") is None:
        if zh:
            return (f"{where} 的可用性 {100 * f['value']:.4f}%（估算）低于目标 {target}"
                    f"（{judged}），主导割集 {f['dominant_cut']}{more}")
        return (f"{where}: availability {100 * f['value']:.4f}% (estimate) below the {target} "
                f"target ({judged}), dominant cut {f['dominant_cut']}{more}")
    best = f"{100 * f['best']:.4f}%"
    if f.get("bound_by") == "end_nodes":
        ends, allowed = f["end_nodes_downtime_min_per_year"], f["allowed_downtime_min_per_year"]
        if zh:
            return (f"{where} 的可用性目标 {target}（{judged}）无法达到：即使建设全部候选链路最多 "
                    f"{best}（估算）；两端节点自身设备故障每年已停机 {ends:.1f} 分钟，超过目标允许的 "
                    f"{allowed:.1f} 分钟（主导割集 {f['dominant_cut']}），任何链路采购都无法改变"
                    f"{more}")
        return (f"{where} cannot reach its {target} availability target ({judged}): at best "
                f"{best} (estimate) with every candidate link built; its end nodes' own "
                f"equipment alone is down {ends:.1f} min a year, more than the {allowed:.1f} "
                f"the target allows (dominant cut {f['dominant_cut']}), which no link purchase "
                f"changes{more}")
    if zh:
        return (f"{where} 的可用性目标 {target}（{judged}）无法达到：即使建设全部候选链路最多 "
                f"{best}（估算；主导割集 {f['dominant_cut']}）{more}")
    return (f"{where} cannot reach its {target} availability target ({judged}): at best {best} "
            f"(estimate) with every candidate link built (dominant cut {f['dominant_cut']}){more}")


_LINES = {"cut_off": _cut_off, "utilisation": _utilisation, "latency": _latency,
          "racks": _racks, "unmet": _unmet, "service": _service, "unchecked": _unchecked,
          "availability": _availability}


def finding_line(finding: dict, lang: str = "en") -> str:
    """One finding as a sentence.

    Examples
    --------
    >>> finding_line({"kind": "racks", "data_centre": "dc", "year": 2026,
    ...               "racks_needed": 12, "racks_installed": 10})
    'data centre dc needs 12 racks in 2026, 10 installed'
    """
    return _LINES[finding["kind"]](finding, lang)


def headline(meets: bool, judged: str, policy: list[str], findings: list[dict],
             lang: str = "en") -> str:
    """The verdict in one line: does it meet its targets, and if not, the first reason.

    Examples
    --------
    >>> headline(True, "plan", ["n-1"], [])
    'meets targets: after the purchases, every demand is served in every n-1 failure state within its targets'
    """
    policy_text = "+".join(policy) or "none"
    if meets:
        if lang == "zh":
            subject = "按方案采购后" if judged == "plan" else "现网"
            return f"达标：{subject}在全部 {policy_text} 故障状态下所有业务均可达且满足目标"
        subject = "after the purchases" if judged == "plan" else "as it stands"
        return (f"meets targets: {subject}, every demand is served in every {policy_text} "
                f"failure state within its targets")
    first = finding_line(findings[0], lang)
    more = len(findings) - 1
    if lang == "zh":
        return f"未达标：{first}" + (f"（另有 {more} 项）" if more else "")
    return f"misses targets: {first}" + (f" (and {more} more findings)" if more else "")


_KIND_WORDS = {
    "cut_off": ("{n} district(s) or sites cut off by failures", "{n} 个区县或站点因故障被切断"),
    "utilisation": ("{n} link(s) above the utilisation target", "{n} 条链路超过利用率目标"),
    "latency": ("{n} district(s) above a latency target", "{n} 个区县超过时延目标"),
    "racks": ("{n} data centre-year(s) short of racks", "{n} 个数据中心年度机柜不足"),
    "unmet": ("{n} limit(s) the plan cannot meet", "{n} 项方案无法满足的限制"),
    "service": ("{n} service target(s) missed", "{n} 项业务目标未满足"),
    "unchecked": ("not re-checked independently", "未经独立复核"),
    "availability": ("{n} district-plane(s) below an availability target",
                     "{n} 个区县（按网络平面）低于可用性目标"),
}


def tally(meets: bool, counts: dict[str, int], lang: str = "en") -> str:
    """The verdict and how many findings of each kind, without naming them.

    Examples
    --------
    >>> tally(False, {"cut_off": 1, "utilisation": 2})
    'misses targets: 1 district(s) or sites cut off by failures; 2 link(s) above the utilisation target'
    >>> tally(True, {}, "zh")
    '达标'
    """
    zh = lang == "zh"
    if meets:
        return "达标" if zh else "meets targets"
    parts = [_KIND_WORDS[k][1 if zh else 0].format(n=n) for k, n in counts.items()]
    return ("未达标：" + "；".join(parts)) if zh else ("misses targets: " + "; ".join(parts))
