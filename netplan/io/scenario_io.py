"""Read scenarios from YAML, resolving ``extends`` (a scenario built on another one)."""

from __future__ import annotations

import os
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


def resolve_extends(doc: Located, chain: tuple[str, ...], *,
                    folders: InputFolders | None = None) -> Located:
    """``doc`` with the scenario it ``extends`` merged under it, recursively.

    ``chain`` holds the files already on the way (resolved paths), so a cycle is reported
    as bad input rather than followed for ever. An extended file must lie in the input
    ``folders`` (default: those of the first file of ``chain``); see
    :class:`netplan.io.safe_read.InputFolders`.
    """
    if not isinstance(doc.data, dict) or "extends" not in doc.data:
        return doc
    if folders is None:
        folders = InputFolders.for_file(chain[0] if chain else doc.file)
    ref = doc.data["extends"]
    line = doc.where(("extends",))[1]
    if not isinstance(ref, str) or not ref:
        raise ValidationError([Problem(doc.file, "extends", "must be a scenario file name", line)])
    named = Path(doc.file).parent / ref
    reference = Reference(doc.file, "extends", ref, line, "netplan scenario file")
    folders.check(named, reference)
    target = Path(os.path.realpath(named))  # unlike Path.resolve, never raises on a link loop
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
    base = resolve_extends(load_reference(target, reference, "scenario"), (*chain, str(target)),
                           folders=folders)
    own = {k: v for k, v in doc.data.items() if k != "extends"}
    for text in ("title", "question", "description"):
        # A text rewritten here must not keep the base's translation of the old text.
        if text in own and f"{text}_zh" not in own:
            own[f"{text}_zh"] = ""
    # Drivers merge key by key (services are a list, replaced whole): same rule for the source.
    drivers = own.get("drivers")
    if isinstance(drivers, dict) and "source" in drivers and "source_zh" not in drivers:
        own["drivers"] = drivers | {"source_zh": ""}
    # Where this file replaces a value whole (a list, a number), none of the base's lines
    # under it describe the merged document any more.
    stale = set(replaced_paths(base.data, own))
    lines = {path: where for path, where in base.lines.items()
             if not any(path[:k] in stale for k in range(1, len(path) + 1))}
    lines.update({path: where for path, where in doc.lines.items() if path[:1] != ("extends",)})
    # Fields given here are reported at this file's lines; inherited ones at the base's.
    return Located(data=merge(base.data, own), file=doc.file, lines=lines)


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
    own = {k: v for k, v in doc.data.items() if k != "extends"}
    try:
        validate_model(Scenario, Located(data=own, file=doc.file, lines=doc.lines))
    except ValidationError as exc:
        return [p for p in exc.problems if p.message != MISSING_FIELD]
    return []


def _validated(doc: Located, topology: Topology | None) -> Scenario:
    try:
        scenario = validate_model(Scenario, doc)
    except ValidationError as exc:
        # The cross-reference rules run on the parts that did validate: one pass tells all.
        partial = check_scenario(partial_scenario(doc.data), topology, lenient=True)
        seen = {(p.field, p.message) for p in exc.problems}
        more = [p for p in located_findings(doc, partial) if (p.field, p.message) not in seen]
        raise ValidationError(ordered([*exc.problems, *more])) from None
    problems = located_findings(doc, check_scenario(scenario, topology))
    if problems:
        raise ValidationError(problems)
    return scenario


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
