"""Read scenarios from YAML, resolving ``extends`` (a scenario built on another one)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netplan.errors import Problem, ValidationError
from netplan.io.safe_read import InputFolders, Reference
from netplan.io.topology_io import topology_from_document
from netplan.io.validate import MISSING_FIELD, located_findings, ordered, validate_model
from netplan.io.yamlfile import Located, dump_yaml, load_reference, load_yaml
from netplan.model.checks import check_scenario, partial_scenario
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology

MAX_EXTENDS_DEPTH = 8


def merge(base: Any, override: Any) -> Any:
    """Deep-merge mappings; anything else in ``override`` replaces ``base``.

    Examples
    --------
    >>> merge({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"d": 4}, "e": [5]})
    {'a': 1, 'b': {'c': 2, 'd': 4}, 'e': [5]}
    """
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = merge(base[key], value) if key in base else value
        return out
    return override


CATALOGUE_FIELDS: tuple[str, ...] = (
    "kind", "title", "title_zh", "description", "description_zh", "profiles",
    "profiles_estimate", "services",
)
"""What a service catalogue (``kind: catalogue``) may give; a scenario takes its profiles and
services."""
_FROM_CATALOGUE = ("profiles", "profiles_estimate", "services")
_TOO_SHORT = "Tuple should have at least 1 item after validation"


@dataclass
class _Resolved(Located):
    """A resolved document that also knows where its merged services were written.

    ``written[k][file]`` is the index in ``file`` of the entry that became service ``k``
    (absent: ``k`` itself), so a problem is cited as its own file numbers the entry.
    """

    written: dict[int, dict[str, int]] = field(default_factory=dict)


def resolve_extends(doc: Located, chain: tuple[str, ...], *,
                    folders: InputFolders | None = None) -> Located:
    """``doc`` with the catalogue it names and the scenario it ``extends`` merged under it.

    ``chain`` holds the files already on the way (resolved paths), so a cycle is reported
    as bad input rather than followed for ever. An extended file or a catalogue must lie in
    the input ``folders`` (default: those of the first file of ``chain``); see
    :class:`netplan.io.safe_read.InputFolders`.

    A file that names a service catalogue (``catalogue: FILE``, or ``extends:`` a file of
    ``kind: catalogue``) takes its profiles and services; in it, and in every scenario built
    on it, ``services`` add to the services inherited and change them by id (an entry with
    a known id gives only the fields it changes) instead of replacing the list.
    """
    if folders is None:
        folders = InputFolders.for_file(chain[0] if chain else doc.file)
    return _resolve(doc, chain, folders)[0]


def _resolve(doc: Located, chain: tuple[str, ...], folders: InputFolders) -> tuple[Located, bool]:
    """``doc`` resolved, and whether its services rest on a catalogue."""
    if not isinstance(doc.data, dict):
        return doc, False
    on_catalogue = "catalogue" in doc.data
    if on_catalogue:
        own = {k: v for k, v in doc.data.items() if k != "catalogue"}
        lines = {p: w for p, w in doc.lines.items() if p[:1] != ("catalogue",)}
        doc = _layer(_named_catalogue(doc, folders), own, lines, doc.file, by_id=True)
    if "extends" not in doc.data:
        return doc, on_catalogue
    ref = doc.data["extends"]
    target, reference, line = _named_file(doc, "extends", folders, "a scenario file name",
                                          "netplan scenario file")
    if str(target) in chain:
        raise ValidationError(
            [Problem(doc.file, "extends", f"scenarios extend each other in a cycle via {ref!r}", line)]
        )
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise ValidationError([Problem(doc.file, "extends", "too many levels of extends", line)])
    if not target.exists():
        raise ValidationError(
            [Problem(doc.file, "extends", f"extended scenario {str(target)!r} does not exist", line)]
        )
    base_doc = _load_base(target, reference)
    if base_doc.data.get("kind") == "catalogue":
        base, base_on_catalogue = _catalogue_part(base_doc), True
    else:
        base, base_on_catalogue = _resolve(base_doc, (*chain, str(target)), folders)
    own = {k: v for k, v in doc.data.items() if k != "extends"}
    for text in ("title", "question", "description"):
        # A text rewritten here must not keep the base's translation of the old text.
        if text in own and f"{text}_zh" not in own:
            own[f"{text}_zh"] = ""
    # Drivers merge key by key (services are a list, replaced whole unless they rest on a
    # catalogue): same rule for the source.
    drivers = own.get("drivers")
    if isinstance(drivers, dict) and "source" in drivers and "source_zh" not in drivers:
        own["drivers"] = drivers | {"source_zh": ""}
    lines = {path: where for path, where in doc.lines.items() if path[:1] != ("extends",)}
    on_catalogue = on_catalogue or base_on_catalogue
    return _layer(base, own, lines, doc.file, by_id=on_catalogue), on_catalogue


def _load_base(target: Path, reference: Reference) -> Located:
    """The file ``extends`` names: a scenario, or a service catalogue."""
    try:
        return load_reference(target, reference, "scenario")
    except ValidationError:
        try:
            return load_reference(target, reference, "catalogue")
        except ValidationError:
            pass
        raise


def _layer(base: Located, own: dict, own_lines: dict, file: str, *, by_id: bool) -> Located:
    """``own`` merged over ``base``; with ``by_id``, services merge entry by entry on their id.

    Fields given in ``own`` are reported at its lines; inherited ones at the base's.
    """
    services = None
    written = {} if "services" in own else dict(getattr(base, "written", {}))
    base_services = base.data.get("services")
    if by_id and isinstance(own.get("services"), list) and isinstance(base_services, list):
        own = dict(own)
        services = _services_by_id(base, own.pop("services"), own_lines, file)
        written = services[2]
    # Where this file replaces a value whole (a list, a number), none of the base's lines
    # under it describe the merged document any more.
    stale = set(replaced_paths(base.data, own))
    lines = {path: where for path, where in base.lines.items()
             if not any(path[:k] in stale for k in range(1, len(path) + 1))}
    lines.update(own_lines)
    data = merge(base.data, own)
    if services is not None:
        data["services"], service_lines, _ = services
        lines = {p: w for p, w in lines.items() if p[:1] != ("services",)} | service_lines
    return _Resolved(data=data, file=file, lines=lines, written=written)


def _services_by_id(base: Located, given: list, own_lines: dict,
                    file: str) -> tuple[list, dict, dict]:
    """The base's services with ``given`` merged in by id (new ids added at the end), their
    lines, and where each was written (see :class:`_Resolved`)."""
    items = list(base.data["services"])
    written = dict(getattr(base, "written", {}))
    lines = {p: w for p, w in base.lines.items() if p[:1] == ("services",)}
    index = {item.get("id"): k for k, item in enumerate(items) if isinstance(item, dict)}
    seen: dict[str, int] = {}
    for i, item in enumerate(given):
        ident = item.get("id") if isinstance(item, dict) else None
        mine = {p[2:]: w for p, w in own_lines.items() if p[:2] == ("services", i)}
        if isinstance(ident, str) and ident in seen:
            line = own_lines.get(("services", i, "id"), (file, None))[1]
            raise ValidationError([Problem(file, f"services[{i}].id", f"service {ident!r} is "
                                           f"given twice in this file (also services[{seen[ident]}])",
                                           line)])
        k = index.get(ident) if isinstance(ident, str) else None
        if k is None:
            k = len(items)
            items.append(item)
        else:
            stale = {("services", k, *p) for p in replaced_paths(items[k], item)}
            lines = {p: w for p, w in lines.items()
                     if not any(p[:n] in stale for n in range(1, len(p) + 1))}
            items[k] = merge(items[k], item)
            # A rewritten English text drops the inherited translation: it translated
            # the old text, not the new one.
            for text in ("name", "source", "description"):
                if isinstance(item, dict) and text in item and f"{text}_zh" not in item \
                        and f"{text}_zh" in items[k]:
                    items[k] = {**items[k], f"{text}_zh": ""}
        if isinstance(ident, str):
            seen[ident] = i
        written[k] = written.get(k, {}) | {file: i}
        lines.update({("services", k, *p): w for p, w in mine.items()})
    if ("services",) in own_lines:
        lines[("services",)] = own_lines[("services",)]
    return items, lines, written


def _named_file(doc: Located, key: str, folders: InputFolders, must_be: str,
                what: str) -> tuple[Path, Reference, int | None]:
    """The file ``doc`` names under ``key`` (``extends`` or ``catalogue``), checked against
    the input folders: its real path, the reference for messages, and the key's line."""
    ref = doc.data[key]
    line = doc.where((key,))[1]
    if not isinstance(ref, str) or not ref:
        raise ValidationError([Problem(doc.file, key, f"must be {must_be}", line)])
    named = Path(doc.file).parent / ref
    reference = Reference(doc.file, key, ref, line, what)
    folders.check(named, reference)
    # Unlike Path.resolve, realpath never raises on a link loop.
    return Path(os.path.realpath(named)), reference, line


def _named_catalogue(doc: Located, folders: InputFolders) -> Located:
    """The profiles and services of the catalogue ``doc`` names in ``catalogue:``."""
    target, reference, line = _named_file(doc, "catalogue", folders, "a catalogue file name",
                                          "netplan service catalogue")
    if not target.exists():
        raise ValidationError(
            [Problem(doc.file, "catalogue", f"catalogue {str(target)!r} does not exist", line)])
    return _catalogue_part(load_reference(target, reference, "catalogue"))


def _catalogue_part(doc: Located) -> Located:
    """What a scenario takes from a catalogue document; its unknown fields are refused."""
    data = doc.data if isinstance(doc.data, dict) else {}
    unknown = [Problem(doc.file, str(key), "unknown field in a catalogue (it gives "
                       f"{', '.join(CATALOGUE_FIELDS[1:])})", doc.where((key,))[1])
               for key in data if key not in CATALOGUE_FIELDS]
    if unknown:
        raise ValidationError(unknown)
    lines = {p: w for p, w in doc.lines.items() if p[:1] and p[0] in _FROM_CATALOGUE}
    return Located(data={k: v for k, v in data.items() if k in _FROM_CATALOGUE},
                   file=doc.file, lines=lines)


def catalogue_from_document(doc: Located) -> tuple[dict, tuple]:
    """Validate a service catalogue on its own: its profiles and its services.

    Each service is checked as a scenario would check it (fields, sources, the profile it
    names); what needs a topology (the sites it names) is checked by the scenarios using it.

    Returns
    -------
    (dict, tuple of Service)
        The profiles by name, and the services.

    Examples
    --------
    >>> import netplan
    >>> path = netplan.default_scenario_path("baseline").parent / "catalogue" / "programme.yaml"
    >>> profiles, services = catalogue_from_document(load_yaml(path))
    >>> sorted({s.group for s in services})
    ['application_system', 'base_database', 'common', 'portal', 'sensing']
    """
    if isinstance(doc.data, dict) and doc.data.get("kind", "catalogue") != "catalogue":
        raise ValidationError([Problem(doc.file, "kind", f"this is a {doc.data.get('kind')!r} "
                                       "file, expected 'catalogue'", doc.where(("kind",))[1])])
    part = _catalogue_part(doc)
    # A stand-in scenario around the catalogue: its fields are checked exactly as in one.
    stand_in = {"name": "catalogue", "title": "catalogue", "question": "catalogue",
                "base_year": 2000, "drivers": {"staff_total": 0, "cameras_total": 0,
                                               "video_rooms_per_district": 0}}
    scenario = _validated(Located(data=stand_in | part.data, file=doc.file, lines=part.lines),
                          None)
    return scenario.profiles, scenario.services


def replaced_paths(base: Any, own: Any, path: tuple = ()) -> list[tuple]:
    """Field paths where :func:`merge` lets ``own`` replace ``base``'s value whole.

    Examples
    --------
    >>> replaced_paths({"a": [1, 2], "b": {"c": 1, "d": 2}, "e": 3}, {"a": [3], "b": {"d": 4}})
    [('a',), ('b', 'd')]
    """
    out: list[tuple] = []
    if not isinstance(base, dict) or not isinstance(own, dict):
        return out
    for key, value in own.items():
        here = (*path, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out += replaced_paths(base[key], value, here)
        elif key in base:
            out.append(here)
    return out


def named_topology(doc: Located, folders: InputFolders | None = None) -> Topology | None:
    """The topology a scenario document (``extends`` resolved) names in ``topology:``.

    The path is relative to the file that gave the field (an extended base may live
    elsewhere) and must lie in the input ``folders`` (default: those of ``doc.file``).
    None when the scenario names no topology.

    Examples
    --------
    >>> import netplan
    >>> doc = resolve_extends(load_yaml(netplan.default_scenario_path("growth-5y")), ())
    >>> len(named_topology(doc).nodes)
    46
    """
    data = doc.data if isinstance(doc.data, dict) else {}
    value = data.get("topology")
    if not isinstance(value, str) or not value:
        return None
    origin, line = doc.where(("topology",))
    reference = Reference(origin, "topology", value, line, "netplan topology file")
    target = Path(origin).parent / value
    folders = folders if folders is not None else InputFolders.for_file(doc.file)
    folders.check(target, reference)
    if not target.exists():
        raise ValidationError(
            [Problem(origin, "topology", f"topology file {str(target)!r} does not exist", line)]
        )
    return topology_from_document(load_reference(target, reference, "topology"), folders=folders)


def _expect_scenario(doc: Located) -> None:
    if isinstance(doc.data, dict) and doc.data.get("kind", "scenario") != "scenario":
        raise ValidationError(
            [Problem(doc.file, "kind", f"this is a {doc.data.get('kind')!r} file, expected 'scenario'",
                     doc.where(("kind",))[1])]
        )


def _resolved(doc: Located, folders: InputFolders) -> Located:
    """``doc`` with ``extends`` resolved; when that fails, the problems of its own fields too."""
    try:
        return resolve_extends(doc, (str(Path(doc.file).resolve()),), folders=folders)
    except ValidationError as exc:
        raise ValidationError([*exc.problems, *_own_field_problems(doc)]) from None


def _own_field_problems(doc: Located) -> list[Problem]:
    """Problems of the fields a scenario gives itself; fields its base would give are not asked."""
    own = {k: v for k, v in doc.data.items() if k not in ("extends", "catalogue")}
    try:
        validate_model(Scenario, Located(data=own, file=doc.file, lines=doc.lines))
    except ValidationError as exc:
        return [p for p in _one_per_entry(exc.problems) if p.message != MISSING_FIELD]
    return []


def _one_per_entry(problems: list[Problem]) -> list[Problem]:
    """Each bad service said once, plainly.

    pydantic adds "services: Tuple should have at least 1 item" whenever an entry fails (the
    list is counted without it) and wraps an entry's own rule as "Value error, … (got {…})";
    the entry's problem alone says what is wrong.

    Examples
    --------
    >>> found = [Problem("s.yaml", "services[0]", "Value error, needs x (got {'id': 'a'...)", 7),
    ...          Problem("s.yaml", "services", _TOO_SHORT + ", not 0 (got [...])", 6)]
    >>> [str(p) for p in _one_per_entry(found)]
    ['s.yaml:7: services[0]: needs x']
    """
    entries = [p for p in problems if p.field.startswith("services[")]
    out = []
    for p in problems:
        if entries and p.field == "services" and p.message.startswith(_TOO_SHORT):
            continue
        if re.fullmatch(r"services\[\d+\]", p.field) and p.message.startswith("Value error, "):
            message = re.sub(r" \(got \{.*\)$", "", p.message.removeprefix("Value error, "))
            p = Problem(p.file, p.field, message, p.line)
        out.append(p)
    return out


def _validated(doc: Located, topology: Topology | None) -> Scenario:
    try:
        scenario = validate_model(Scenario, doc)
    except ValidationError as exc:
        # The cross-reference rules run on the parts that did validate: one pass tells all.
        partial = check_scenario(partial_scenario(doc.data), topology, lenient=True)
        found = _one_per_entry(exc.problems)
        seen = {(p.field, p.message) for p in found}
        more = [p for p in located_findings(doc, partial) if (p.field, p.message) not in seen]
        raise ValidationError(_as_written(ordered([*found, *more]), doc)) from None
    problems = located_findings(doc, check_scenario(scenario, topology))
    if problems:
        raise ValidationError(_as_written(problems, doc))
    return scenario


def _as_written(problems: list[Problem], doc: Located) -> list[Problem]:
    """``problems`` with each service numbered as the file cited numbers it."""
    written = getattr(doc, "written", {})
    out = []
    for p in problems:
        found = re.match(r"services\[(\d+)\]", p.field)
        index = written.get(int(found[1]), {}).get(p.file) if found else None
        if index is not None:
            p = Problem(p.file, f"services[{index}]{p.field[found.end():]}", p.message, p.line)
        out.append(p)
    return out


def scenario_from_document(doc: Located, topology: Topology | None = None, *,
                           folders: InputFolders | None = None) -> Scenario:
    """Validate a parsed scenario document (``extends`` resolved) and check its references.

    ``folders`` are where an extended file may lie (default: those of ``doc.file``).
    """
    _expect_scenario(doc)
    folders = folders if folders is not None else InputFolders.for_file(doc.file)
    return _validated(_resolved(doc, folders), topology)


def scenario_with_topology(
    doc: Located, *, allow_outside: bool | None = None
) -> tuple[Scenario, Topology | None]:
    """Validate a scenario document and the topology it names, reporting all in one pass.

    When the named topology cannot be read or is invalid, the scenario is still checked on
    its own, and its problems are listed after the topology's.

    Parameters
    ----------
    doc : Located
        The parsed scenario file.
    allow_outside : bool, optional
        Read ``extends:`` and ``topology:`` files outside the input folders; default: as the
        command line's ``--allow-outside`` says, otherwise no.

    Returns
    -------
    (Scenario, Topology or None)
        The topology is None when the scenario names none.

    Examples
    --------
    >>> import netplan
    >>> scenario, topo = scenario_with_topology(load_yaml(netplan.default_scenario_path()))
    >>> scenario.name, topo.name == netplan.load_topology(netplan.default_topology_path()).name
    ('baseline', True)
    """
    _expect_scenario(doc)
    folders = InputFolders.for_file(doc.file, allow_outside)
    resolved = _resolved(doc, folders)
    topology_problems: list[Problem] = []
    try:
        topology = named_topology(resolved, folders)
    except ValidationError as exc:
        topology, topology_problems = None, list(exc.problems)
    try:
        scenario = _validated(resolved, topology)
    except ValidationError as exc:
        raise ValidationError([*topology_problems, *exc.problems]) from None
    if topology_problems:
        raise ValidationError(topology_problems)
    return scenario, topology


def load_scenario(path: str | os.PathLike, topology: Topology | None = None, *,
                  allow_outside: bool | None = None) -> Scenario:
    """Load and validate a scenario; check its references against ``topology`` when given.

    A file it ``extends`` must lie in the input folders (below the current folder, the
    folder above the scenario's or netplan's shipped folders; see
    :class:`netplan.io.safe_read.InputFolders`), unless ``allow_outside`` (default: as the
    command line's ``--allow-outside`` says, otherwise no).

    Examples
    --------
    >>> import netplan
    >>> s = netplan.load_scenario(netplan.default_scenario_path("growth-5y"))
    >>> s.horizon_years, s.years[-1] - s.years[0]
    (5, 5)
    """
    folders = InputFolders.for_file(path, allow_outside)
    return scenario_from_document(load_yaml(path), topology, folders=folders)


def build_scenario(data: dict[str, Any], topology: Topology | None = None,
                   name: str = "<code>") -> Scenario:
    """Validate a scenario built in code (a dict as in the YAML)."""
    return scenario_from_document(Located(data=dict(data), file=name), topology)


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """Plain data for YAML or JSON, leaving out fields at their defaults."""
    return scenario.model_dump(mode="json", exclude_defaults=True) | {"kind": "scenario"}


def save_scenario(scenario: Scenario, path: str | os.PathLike) -> Path:
    """Write ``scenario`` as one self-contained YAML file (atomically)."""
    from netplan.io.atomic import write_text_atomic

    return write_text_atomic(path, dump_yaml(scenario_to_dict(scenario)))
