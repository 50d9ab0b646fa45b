"""Read SNDlib model files: the ``KEY = VALUE`` lines that fix the problem variant."""

from __future__ import annotations

import os
from pathlib import Path

from netplan.errors import Problem, ValidationError
from netplan.io.sndlib.data import MODEL_KEYS, OTHER_MODEL_KEYS, SndlibModel
from netplan.io.sndlib.lexer import ParseStop, read_text, strip_header


def parse_model(text: str, file: str = "") -> SndlibModel:
    """Parse the text of an SNDlib model file (``KEY = VALUE`` lines).

    Examples
    --------
    >>> try:
    ...     parse_model("?SNDlib native format; type: model; version: 1.0\\nLINK_MODEL = ROUND")
    ... except ValidationError as err:
    ...     print(err.problems[0])
    <input>:2: LINK_MODEL: 'ROUND' is not one of UNDIRECTED, BIDIRECTED, DIRECTED
    """
    problems: list[Problem] = []
    try:
        lines = strip_header(text, file, "model", problems)
    except ParseStop:
        raise ValidationError(problems) from None
    values: dict[str, str] = {}
    for lineno, raw in enumerate(lines, start=1):
        s = raw.split("#", 1)[0].strip()
        if not s:
            continue
        if "=" not in s:
            problems.append(Problem(file, "", f"expected 'KEY = VALUE', found {s[:60]!r}", lineno))
            continue
        key, value = (x.strip() for x in s.split("=", 1))
        allowed = tuple(MODEL_KEYS.get(key, {})) or OTHER_MODEL_KEYS.get(key)
        if allowed is None:
            known = ", ".join([*MODEL_KEYS, *OTHER_MODEL_KEYS])
            problems.append(Problem(file, key, f"unknown key; expected one of {known}", lineno))
            continue
        if value not in allowed:
            problems.append(
                Problem(file, key, f"{value!r} is not one of {', '.join(allowed)}", lineno)
            )
            continue
        if key in values:
            problems.append(Problem(file, key, "key given twice", lineno))
        values[key] = value
    for key in MODEL_KEYS:
        if key not in values and not any(p.field == key for p in problems):
            problems.append(Problem(file, key, "key is missing"))
    if problems:
        raise ValidationError(problems)
    return SndlibModel(
        demand_model=values["DEMAND_MODEL"],
        link_model=values["LINK_MODEL"],
        link_capacity_model=values["LINK_CAPACITY_MODEL"],
        fixed_charge_model=values["FIXED_CHARGE_MODEL"],
        routing_model=values["ROUTING_MODEL"],
        admissible_path_model=values["ADMISSIBLE_PATH_MODEL"],
        hop_limit_model=values["HOP_LIMIT_MODEL"],
        survivability_model=values["SURVIVABILITY_MODEL"],
        node_model=values.get("NODE_MODEL", "NO_NODE_HARDWARE"),
        objective_model=values.get("OBJECTIVE_MODEL", "MINIMIZE_TOTAL_COST"),
        file=file,
    )


def read_model(path: str | os.PathLike) -> SndlibModel:
    """Read an SNDlib model file (see :func:`parse_model`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> try:
    ...     read_model(pathlib.Path(tempfile.mkdtemp()) / "missing.txt")
    ... except ValidationError as err:
    ...     print(err.problems[0].message)
    cannot read: No such file or directory
    """
    p = Path(path)
    text = read_text(p)
    return parse_model(text, file=str(p))
