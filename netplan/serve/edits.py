"""The page's what-ifs as a scenario file: ``extends`` the base, with an override per change.

The page sends its controls as one JSON object (:class:`Edits`); :func:`whatif_document`
writes them as the scenario a planner would have written by hand, and :func:`load_whatif`
validates that YAML text with the same loader as ``validate`` and ``plan``, as if it were
already saved where "save as scenario" would put it. The page computes on exactly the
scenario the file holds, so ``plan`` on the saved file gives the page's numbers.

Examples
--------
>>> import netplan, tempfile
>>> from netplan.serve.workspace import Workspace
>>> ws = Workspace.start(netplan.default_topology_path(), netplan.default_scenario_path(),
...                      tempfile.mkdtemp())
>>> topo = netplan.load_topology(ws.topology)
>>> edits = Edits.from_json({"base": "shipped/growth-5y.yaml", "remove_links": ["ex-wanzhou-1"],
...                          "growth": {"internet_access": 0.4}})
>>> doc = whatif_document(edits, ws, topo)
>>> doc["extends"].endswith("growth-5y.yaml"), doc["overrides"]
(True, [{'action': 'remove_link', 'link': 'ex-wanzhou-1'}])
>>> scenario = load_whatif(dump_whatif(doc), ws.root / "whatif.yaml", topo)
>>> scenario.growth_per_year["internet_access"], scenario.horizon_years
(0.4, 5)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netplan.errors import Problem, ValidationError
from netplan.model.scenario import FAILURE_POLICIES
from netplan.model.topology import Topology
from netplan.serve.workspace import Workspace

__all__ = ["Edits", "dump_whatif", "load_whatif", "whatif_document"]

FILE = "page"  # how problems with the page's own request are labelled


def _problem(field_name: str, message: str) -> Problem:
    return Problem(FILE, field_name, message)


def _number(value: Any, where: str, problems: list[Problem]) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.append(_problem(where, f"must be a finite number, not {value!r}"))
        return None
    return float(value)


def _ids(value: Any, where: str, problems: list[Problem]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(_problem(where, "must be a list of ids"))
        return ()
    return tuple(dict.fromkeys(value))


def _rates(value: Any, where: str, problems: list[Problem]) -> dict[str, float]:
    if not isinstance(value, dict):
        problems.append(_problem(where, "must map service ids to numbers"))
        return {}
    out = {}
    for key, number in value.items():
        checked = _number(number, f"{where}.{key}", problems)
        if checked is not None:
            out[str(key)] = checked
    return out


@dataclass(frozen=True)
class AddedLink:
    """A link the what-if builds: a candidate of the topology, or a new one between two nodes."""

    a: str
    b: str
    plane: str
    tier: str
    modules: int = 1
    candidate: str = ""  # the candidate link built, when it is one

    @classmethod
    def from_json(cls, data: Any, where: str, problems: list[Problem]) -> AddedLink | None:
        if not isinstance(data, dict):
            problems.append(_problem(where, "must be an object with a, b, plane, tier"))
            return None
        texts = {k: data.get(k, "") for k in ("a", "b", "plane", "tier", "candidate")}
        bad = [k for k, v in texts.items() if not isinstance(v, str)]
        modules = data.get("modules", 1)
        if isinstance(modules, bool) or not isinstance(modules, int):
            bad.append("modules")
        for k in bad:
            problems.append(_problem(f"{where}.{k}", "has the wrong type"))
        if bad:
            return None
        return cls(texts["a"], texts["b"], texts["plane"], texts["tier"], modules,
                   texts["candidate"])

    def overrides(self, topology: Topology) -> list[dict]:
        """The overrides that build it (a candidate is removed, then added as built)."""
        record: dict[str, Any] = {"id": self.link_id(), "a": self.a, "b": self.b,
                                  "plane": self.plane, "tier": self.tier,
                                  "modules": self.modules}
        if not self.candidate:
            return [{"action": "add_link", "link": record}]
        known = next((k for k in topology.links if k.id == self.candidate), None)
        if known is not None:
            record.update(a=known.a, b=known.b, plane=known.plane, tier=self.tier or known.tier)
            if known.srlg:
                record["srlg"] = list(known.srlg)
            if known.length_km:
                record["length_km"] = known.length_km
        return [{"action": "remove_link", "link": self.candidate},
                {"action": "add_link", "link": record}]

    def link_id(self) -> str:
        """The id of the built link: the candidate's own, or one made from its ends."""
        return self.candidate or f"whatif-{self.plane[:2]}-{self.a}-{self.b}"[:64]


@dataclass(frozen=True)
class Edits:
    """The page's controls: a base scenario and the changes made on top of it.

    Attributes
    ----------
    base : str
        Key of the base scenario (see :class:`~netplan.serve.workspace.Workspace`).
    name : str
        The what-if's name (default: the base's with ``-whatif``).
    horizon_years : int or None
        A new horizon, or None to keep the base's.
    growth : dict
        Service id → growth per year (0.4 is +40 % a year).
    scale : dict
        Service id → factor on its demand (on top of the base's).
    failure_policy : tuple of str or None
        A new failure policy, or None to keep the base's.
    remove_links, fail_nodes : tuple of str
        Links removed and nodes lost all scenario long.
    add_links : tuple of AddedLink
    budget_cny_per_year : float or None
    """

    base: str
    name: str = ""
    horizon_years: int | None = None
    growth: dict[str, float] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    failure_policy: tuple[str, ...] | None = None
    remove_links: tuple[str, ...] = ()
    fail_nodes: tuple[str, ...] = ()
    add_links: tuple[AddedLink, ...] = ()
    budget_cny_per_year: float | None = None

    @classmethod
    def from_json(cls, data: Any) -> Edits:
        """Read the page's request; every problem of its shape is reported at once."""
        if not isinstance(data, dict):
            raise ValidationError([_problem("", "the request must be a JSON object")])
        problems: list[Problem] = []
        base = data.get("base")
        if not isinstance(base, str) or not base:
            problems.append(_problem("base", "name the base scenario"))
        name = data.get("name") or ""
        if not isinstance(name, str):
            problems.append(_problem("name", "must be text"))
            name = ""
        horizon = data.get("horizon_years")
        if horizon is not None and (isinstance(horizon, bool) or not isinstance(horizon, int)):
            problems.append(_problem("horizon_years", "must be a whole number of years"))
            horizon = None
        policy = data.get("failure_policy")
        if policy is not None:
            policy = _ids(policy, "failure_policy", problems)
            problems += [_problem("failure_policy", f"unknown policy {p!r} (one of "
                                  f"{', '.join(FAILURE_POLICIES)})")
                         for p in policy if p not in FAILURE_POLICIES]
        budget = data.get("budget_cny_per_year")
        if budget is not None:
            budget = _number(budget, "budget_cny_per_year", problems)
        links_in = data.get("add_links") or []
        if not isinstance(links_in, list):
            problems.append(_problem("add_links", "must be a list"))
            links_in = []
        added = [AddedLink.from_json(item, f"add_links[{k}]", problems)
                 for k, item in enumerate(links_in)]
        edits = cls(base=base if isinstance(base, str) else "", name=name, horizon_years=horizon,
                    growth=_rates(data.get("growth") or {}, "growth", problems),
                    scale=_rates(data.get("scale") or {}, "scale", problems),
                    failure_policy=policy,
                    remove_links=_ids(data.get("remove_links") or [], "remove_links", problems),
                    fail_nodes=_ids(data.get("fail_nodes") or [], "fail_nodes", problems),
                    add_links=tuple(a for a in added if a is not None),
                    budget_cny_per_year=budget)
        if problems:
            raise ValidationError(problems)
        return edits

    def changes(self) -> int:
        """How many changes the edits make to the base."""
        return (len(self.growth) + len(self.scale) + len(self.remove_links) + len(self.fail_nodes)
                + len(self.add_links) + (self.horizon_years is not None)
                + (self.failure_policy is not None) + (self.budget_cny_per_year is not None))


def _base_document(path: Path) -> dict:
    """The base scenario's fields, its own ``extends`` resolved (read as ``validate`` reads it)."""
    from netplan.io.scenario_io import resolve_extends
    from netplan.io.yamlfile import load_yaml

    doc = load_yaml(path)
    return resolve_extends(doc, (str(Path(os.path.realpath(path))),)).data


def _described(edits: Edits) -> tuple[str, str]:
    """What the what-if changes, in English and Chinese (the report's description)."""
    en: list[str] = []
    zh: list[str] = []
    for service, rate in edits.growth.items():
        en.append(f"{service} grows {rate:.0%} a year")
        zh.append(f"{service} 年增长 {rate:.0%}")
    for service, factor in edits.scale.items():
        en.append(f"{service} × {factor:g}")
        zh.append(f"{service} × {factor:g}")
    for link in edits.remove_links:
        en.append(f"link {link} removed")
        zh.append(f"移除链路 {link}")
    for node in edits.fail_nodes:
        en.append(f"node {node} lost")
        zh.append(f"节点 {node} 失效")
    for added in edits.add_links:
        en.append(f"link {added.link_id()} built ({added.tier} × {added.modules})")
        zh.append(f"新建链路 {added.link_id()}（{added.tier} × {added.modules}）")
    if edits.horizon_years is not None:
        en.append(f"horizon {edits.horizon_years} years")
        zh.append(f"规划期 {edits.horizon_years} 年")
    if edits.failure_policy is not None:
        en.append(f"failure policy {'+'.join(edits.failure_policy) or 'none'}")
        zh.append(f"故障策略 {'+'.join(edits.failure_policy) or 'none'}")
    if edits.budget_cny_per_year is not None:
        en.append(f"budget {edits.budget_cny_per_year:,.0f} CNY a year")
        zh.append(f"年度预算 {edits.budget_cny_per_year:,.0f} 元")
    if not en:
        return "No changes to the base.", "与基础情景相同。"
    return "What-if: " + "; ".join(en) + ".", "假设分析：" + "；".join(zh) + "。"


def whatif_document(edits: Edits, workspace: Workspace, topology: Topology,
                    folder: str | os.PathLike | None = None) -> dict:
    """The scenario file of a what-if, to be saved in ``folder`` (default: the workspace).

    It ``extends`` the base by a path relative to ``folder``, repeats the base's overrides
    (a list is replaced whole by ``extends``) and adds one per change.
    """
    base_path = workspace.resolve(edits.base)
    base = _base_document(base_path)
    target = Path(folder) if folder is not None else workspace.root
    relative = os.path.relpath(os.path.realpath(base_path), os.path.realpath(target))
    base_name = str(base.get("name") or base_path.stem)
    overrides = list(base.get("overrides") or [])
    overrides += [{"action": "remove_link", "link": link} for link in edits.remove_links]
    for added in edits.add_links:
        overrides += added.overrides(topology)
    overrides += [{"action": "fail_node", "node": node} for node in edits.fail_nodes]
    overrides += [{"action": "scale_service", "service": s, "factor": f}
                  for s, f in edits.scale.items()]
    described, described_zh = _described(edits)
    title = str(base.get("title") or base_name)
    doc: dict[str, Any] = {
        "kind": "scenario",
        "extends": Path(relative).as_posix(),
        "name": edits.name or f"{base_name}-whatif"[:64],
        "title": f"What-if on {title}",
        "title_zh": f"假设分析：{base.get('title_zh') or title}",
        "description": described,
        "description_zh": described_zh,
    }
    if edits.horizon_years is not None:
        doc["horizon_years"] = edits.horizon_years
    if edits.growth:
        doc["growth_per_year"] = dict(edits.growth)
    if edits.failure_policy is not None:
        doc["failure_policy"] = list(edits.failure_policy) or ["none"]
    if edits.budget_cny_per_year is not None:
        doc["budget_cny_per_year"] = edits.budget_cny_per_year
    if overrides or "overrides" in base:
        doc["overrides"] = overrides
    return doc


def dump_whatif(doc: dict) -> str:
    """The YAML text of a what-if document, with a header line saying what it is."""
    from netplan.io.yamlfile import dump_yaml

    return ("# A what-if saved from egov-netplan serve: the base scenario it extends, changed "
            "as below.\n" + dump_yaml(doc))


def load_whatif(text: str, path: str | os.PathLike, topology: Topology):
    """Validate a what-if's YAML text as the scenario file ``path`` would be.

    The same loader as ``validate`` and ``plan``: problems come back as
    ``file:line: field: reason``, naming ``path``.
    """
    from netplan.io.safe_read import InputFolders
    from netplan.io.scenario_io import scenario_from_document
    from netplan.io.yamlfile import parse_yaml

    return scenario_from_document(parse_yaml(text, str(path)), topology,
                                  folders=InputFolders.for_file(path))
