"""Turn pydantic's and the cross-reference rules' findings into located problems; the JSON
Schemas of the input files (``egov-netplan schema KIND``) that editors check them against."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic

from netplan.errors import Problem, ValidationError
from netplan.io.yamlfile import Located, format_path

M = TypeVar("M", bound=pydantic.BaseModel)

# Tags of discriminated unions appear in pydantic's error locations; users never wrote them.
_UNION_TAGS = {
    "remove_link", "add_link", "set_tier", "fail_node", "fail_data_centre",
    "scale_service", "scale_district",
}
MISSING_FIELD = "required field is missing"

SCHEMA_KINDS = {
    "topology": "topology files: nodes, links, tiers, data centres",
    "scenario": "scenario files and service catalogues (`kind: catalogue`); a scenario with "
                "`extends:` gives only what it changes, one with `catalogue:` takes its "
                "profiles and services",
}
"""The kinds of input file ``egov-netplan schema KIND`` describes, and what each covers."""


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    out = []
    for i, part in enumerate(loc):
        if isinstance(part, str) and part in _UNION_TAGS and i > 0 and isinstance(loc[i - 1], int):
            continue
        if isinstance(part, str) and (part.startswith("function-") or part in {"list[float]"}):
            continue
        out.append(part)
    return tuple(out)


def _message(error: dict[str, Any], model: type[pydantic.BaseModel], loc: tuple) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        schema_kind = model.__name__.lower()
        command = f"egov-netplan schema {schema_kind if schema_kind in SCHEMA_KINDS else ''}"
        return f"unknown field (check the spelling; `{command.rstrip()}` lists the fields)"
    if kind == "missing":
        return MISSING_FIELD
    text = error.get("msg", "invalid value")
    given = error.get("input")
    if kind not in ("model_type", "dict_type", "list_type") and given is not None:
        shown = repr(given)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        text = f"{text} (got {shown})"
    return text


def validate_model(model: type[M], doc: Located) -> M:
    """Validate ``doc.data`` as ``model``; every field problem becomes a located Problem."""
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        raise ValidationError(
            [Problem(doc.file, "", f"expected a mapping of fields at the top, got a {kind}", 1)]
        )
    try:
        return model.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            loc = _clean_loc(tuple(error.get("loc", ())))
            file, line = doc.where(loc)
            problems.append(Problem(file, format_path(loc), _message(error, model, loc), line))
        raise ValidationError(ordered(problems)) from None


def located_findings(doc: Located, findings: list[tuple[str, str]]) -> list[Problem]:
    """Attach file and line to ``(field_path, message)`` findings of the cross-reference rules.

    A value inherited through ``extends`` is cited in the file that holds it; the problems
    come ordered by file and line (see :func:`ordered`).
    """
    problems = []
    for field, message in findings:
        file, line = doc.where(parse_path(field))
        problems.append(Problem(file, field, message, line))
    return ordered(problems)


def ordered(problems: list[Problem]) -> list[Problem]:
    """``problems`` by file, then line (those without a line first); otherwise as found.

    Examples
    --------
    >>> found = [Problem("b.yaml", "x", "late", 9), Problem("a.yaml", "y", "z", 30),
    ...          Problem("b.yaml", "w", "early", 2), Problem("b.yaml", "", "whole file")]
    >>> [f"{p.file}:{p.line}" for p in ordered(found)]
    ['a.yaml:30', 'b.yaml:None', 'b.yaml:2', 'b.yaml:9']
    """
    return sorted(problems, key=lambda p: (p.file, p.line or 0))


def parse_path(field: str) -> tuple[str | int, ...]:
    """Inverse of :func:`netplan.io.yamlfile.format_path`.

    Examples
    --------
    >>> parse_path("links[3].capacity_gbps")
    ('links', 3, 'capacity_gbps')
    """
    parts: list[str | int] = []
    for chunk in field.replace("]", "").split("."):
        if not chunk:
            continue
        name, *indices = chunk.split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indices)
    return tuple(parts)


def schema_document(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one kind of input file, for editors.

    A scenario that ``extends`` another is checked as the partial file it is: it needs no
    field (its base gives them), its mappings (``drivers``, ``targets``, ``availability`` …)
    may give only the keys they change, since they merge into the base's, and so may its
    ``services`` entries, which change the base's entry of the same ``id`` when the base rests
    on a catalogue; anything else it gives must be whole. A scenario that names a
    ``catalogue:`` needs every required field but the profiles and services it takes from
    there. Otherwise every required field must be there. A service catalogue
    (``kind: catalogue``) gives only the catalogue's fields, its profiles and services whole.
    A topology's tables (``nodes``, ``links`` …) may be given as the name of a CSV file instead.

    Parameters
    ----------
    kind : {"topology", "scenario"}
        See :data:`SCHEMA_KINDS`.

    Examples
    --------
    >>> doc = schema_document("scenario")
    >>> doc["title"], "extends" in doc["properties"], doc["properties"]["kind"]["enum"]
    ('netplan scenario', True, ['scenario', 'catalogue'])
    >>> scenario = doc["else"]
    >>> scenario["if"], scenario["else"]["else"]["required"][:3]
    ({'required': ['extends']}, ['name', 'title', 'question'])
    >>> doc["then"]["required"]
    ['profiles', 'services']
    """
    from netplan.model.scenario import Scenario
    from netplan.model.topology import Topology

    if kind not in SCHEMA_KINDS:
        raise ValueError(f"no schema for {kind!r}; kinds: {', '.join(SCHEMA_KINDS)}")
    document = {"topology": Topology, "scenario": Scenario}[kind].model_json_schema()
    if kind == "scenario":
        document = _allowing_extends(_with_availability_keys(document))
    else:
        document = _allowing_csv_tables(document)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = f"netplan {kind}"
    return document


def csv_tables(document: dict[str, Any]) -> list[str]:
    """The tables of a schema: its list fields of records, which a file may give as CSV.

    Examples
    --------
    >>> from netplan.model.topology import Topology
    >>> csv_tables(Topology.model_json_schema())
    ['tiers', 'nodes', 'links', 'data_centres']
    """
    return [name for name, value in document["properties"].items()
            if value.get("type") == "array" and "$ref" in value.get("items", {})]


def _allowing_csv_tables(document: dict[str, Any]) -> dict[str, Any]:
    """A topology's schema whose tables may also name a CSV file (read by the loader)."""
    properties = dict(document["properties"])
    for table in csv_tables(document):
        properties[table] = {"anyOf": [properties[table], {
            "type": "string", "pattern": r"\.csv$",
            "description": f"A CSV file of the {table} table, relative to this file.",
        }]}
    return {**document, "properties": properties}


_EXTENDS = {
    "type": "string",
    "minLength": 1,
    "description": "The scenario file (or service catalogue) this one is built on, relative "
                   "to this file. This file then gives only what it changes: mappings merge "
                   "into the base's, anything else replaces the base's value, except services "
                   "resting on a catalogue, which merge by id.",
}
_CATALOGUE = {
    "type": "string",
    "minLength": 1,
    "description": "The service catalogue (kind: catalogue) whose profiles and services this "
                   "scenario takes, relative to this file; its own services add to them and "
                   "change them by id.",
}
CATALOGUE_KEYS: tuple[str, ...] = (
    "kind", "title", "title_zh", "description", "description_zh", "profiles",
    "profiles_estimate", "services",
)
"""The fields a service catalogue (``kind: catalogue``) may give."""
_FROM_CATALOGUE = ("profiles", "services")


def _with_availability_keys(document: dict[str, Any]) -> dict[str, Any]:
    """A scenario's schema whose availability targets say which keys and values they take.

    The model checks both in a validator, which its JSON Schema cannot show: a key is a
    district id, a region or ``*``; a target is a percentage, so one below 1 is refused.
    """
    from netplan.model.scenario import REGIONS
    from netplan.model.topology import Identifier

    defs = dict(document["$defs"])
    model = dict(defs["AvailabilityTargets"])
    targets = dict(model["properties"]["targets"])
    targets["propertyNames"] = {**targets["propertyNames"], "anyOf": [
        {"enum": ["*", *REGIONS]},
        {"pattern": pydantic.TypeAdapter(Identifier).json_schema()["pattern"]},
    ]}
    targets["additionalProperties"] = {**targets["additionalProperties"], "minimum": 1}
    model["properties"] = {**model["properties"], "targets": targets}
    defs["AvailabilityTargets"] = model
    return {**document, "$defs": defs}


def _allowing_extends(document: dict[str, Any]) -> dict[str, Any]:
    """The scenario schema that also takes a partial file, a file on a catalogue, a catalogue.

    The top level takes what a partial file may give (mappings with any of their keys,
    services entries with their ``id`` and any other fields). ``then`` — ``kind: catalogue``
    — keeps to the catalogue's fields, whole; ``else`` — a scenario — asks nothing more of
    one with ``extends``, the required fields but profiles and services of one with
    ``catalogue``, and the required fields and full mappings of any other.
    """
    document = dict(document)
    defs = dict(document.get("$defs", {}))
    partial_defs: dict[str, Any] = {}
    full = document["properties"]
    relaxed = {name: _relaxed(value, defs, partial_defs) for name, value in full.items()}
    relaxed["services"] = _services_by_id(full["services"], defs, partial_defs)
    relaxed["kind"] = {**full["kind"], "enum": ["scenario", "catalogue"]}
    relaxed["kind"].pop("const", None)
    document["properties"] = {**relaxed, "extends": _EXTENDS, "catalogue": _CATALOGUE}
    document["$defs"] = {**defs, **partial_defs}
    required = document.pop("required", [])
    whole = {name: full[name] for name in full if name != "kind" and relaxed[name] != full[name]}
    on_catalogue = {
        "required": [name for name in required if name not in _FROM_CATALOGUE],
        "properties": {k: v for k, v in whole.items() if k not in _FROM_CATALOGUE},
    }
    document["if"] = {"required": ["kind"], "properties": {"kind": {"const": "catalogue"}}}
    document["then"] = {
        "propertyNames": {"enum": list(CATALOGUE_KEYS)},
        "required": [name for name in required if name in _FROM_CATALOGUE],
        "properties": {k: v for k, v in whole.items() if k in CATALOGUE_KEYS},
    }
    document["else"] = {
        "if": {"required": ["extends"]},
        "else": {"if": {"required": ["catalogue"]}, "then": on_catalogue,
                 "else": {"required": required, "properties": whole}},
    }
    return document


def _services_by_id(services: dict[str, Any], defs: dict[str, Any],
                    partial_defs: dict[str, Any]) -> dict[str, Any]:
    """``services`` as a partial file may give them: entries with an ``id`` and any fields.

    On a catalogue an entry with a known id changes only the fields it gives.
    """
    entry = _relaxed(services["items"], defs, partial_defs)
    return {**services, "items": {**entry, "required": ["id"]}}


def _relaxed(schema: Any, defs: dict[str, Any], partial_defs: dict[str, Any]) -> Any:
    """``schema`` as a partial file may give it: its mappings with none of their keys required.

    Lists are left whole (a list in a partial file replaces the base's), and so are the
    alternatives of a ``oneOf``, which tell one another apart by their required tags.
    """
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        target = defs.get(name)
        if not isinstance(target, dict) or target.get("type") != "object":
            return schema
        partial = f"{name}Partial"
        if partial not in partial_defs:
            partial_defs[partial] = {}  # taken before recursing: a model may refer to itself
            partial_defs[partial] = _relaxed(target, defs, partial_defs)
        return {**schema, "$ref": f"#/$defs/{partial}"}
    out = {}
    for key, value in schema.items():
        if key == "required":
            continue
        if key in ("anyOf", "allOf"):
            value = [_relaxed(v, defs, partial_defs) for v in value]
        elif key in ("properties", "patternProperties"):
            value = {k: _relaxed(v, defs, partial_defs) for k, v in value.items()}
        elif key == "additionalProperties":
            value = _relaxed(value, defs, partial_defs)
        out[key] = value
    return out
