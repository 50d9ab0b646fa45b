"""Tell what kind of file a path holds and validate it accordingly (``egov-netplan validate``)."""

from __future__ import annotations

import os
from pathlib import Path

from netplan.errors import Problem, ValidationError
from netplan.io.yamlfile import Located, load_yaml
from netplan.model.catalogue import GROUPS


def _yaml_kind(data: object) -> str | None:
    if not isinstance(data, dict):
        return None
    kind = data.get("kind")
    if isinstance(kind, str):
        return kind
    if "nodes" in data or "links" in data:
        return "topology"
    if "services" in data or "extends" in data:
        return "scenario"
    return None


def describe_catalogue(doc: Located) -> str:
    """Validate a service catalogue on its own; one line: its services, systems and groups.

    Examples
    --------
    >>> import netplan
    >>> from netplan.io.yamlfile import load_yaml
    >>> path = netplan.default_scenario_path("baseline").parent / "catalogue" / "programme.yaml"
    >>> print(describe_catalogue(load_yaml(path)))  # doctest: +ELLIPSIS
    catalogue 'programme.yaml': 32 services, 28 systems (portal 1, application_system 12, ...
    """
    from netplan.io.scenario_io import catalogue_from_document

    profiles, services = catalogue_from_document(doc)
    systems: dict[str, set[str]] = {}
    for service in services:
        systems.setdefault(service.group, set()).add(service.system_id)
    groups = ", ".join(f"{group} {len(systems[group])}" for group in GROUPS if group in systems)
    return (f"catalogue {Path(doc.file).name!r}: {len(services)} services, "
            f"{sum(len(v) for v in systems.values())} systems ({groups}), "
            f"{len(profiles)} profiles")


def validate_file(path: str | os.PathLike) -> str:
    """Validate one file of any kind netplan reads; return a one-line summary.

    Raises
    ------
    netplan.errors.ValidationError
        With every problem found in the file.
    """
    from netplan.io.topology_io import read_topology_graphml, topology_from_document

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml"):
        doc = load_yaml(p)
        kind = _yaml_kind(doc.data)
        if kind == "topology":
            topo = topology_from_document(doc)
            return f"topology {topo.name!r}: {len(topo.nodes)} nodes, {len(topo.links)} links"
        if kind == "scenario":
            from netplan.io.scenario_io import scenario_with_topology

            # One pass: the scenario's own problems are listed even when its topology fails.
            scenario, topology = scenario_with_topology(doc)
            checked = " (references checked against its topology)" if topology else ""
            return f"scenario {scenario.name!r}: {len(scenario.services)} services{checked}"
        if kind == "catalogue":
            return describe_catalogue(doc)
        if kind == "batch":
            from netplan.batch.spec import batch_from_document

            batch = batch_from_document(doc)
            return f"batch {batch.name!r}: {len(batch.variants())} variants, stage {batch.stage}"
        raise ValidationError(
            [Problem(str(p), "kind", "cannot tell the kind of file: add `kind: topology`, "
                     "`kind: scenario`, `kind: catalogue` or `kind: batch`", 1)]
        )
    if suffix == ".graphml":
        topo = read_topology_graphml(p)
        return f"topology {topo.name!r} (GraphML): {len(topo.nodes)} nodes, {len(topo.links)} links"
    raise ValidationError(
        [Problem(str(p), "", f"unknown file type {suffix or '(none)'!r}; expected .yaml or .graphml")]
    )

