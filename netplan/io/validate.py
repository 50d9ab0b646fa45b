"""Turn pydantic's and the cross-reference rules' findings into located problems."""

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
        return "unknown field (check the spelling; `egov-netplan schema` lists the fields)"
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
