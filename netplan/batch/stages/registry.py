"""The stage registry: :class:`Stage`, :func:`register_stage` and the types a stage returns.

A stage is a plain function ``(topology, scenario, seed, options) -> StageOutput`` registered
under a name with :func:`register_stage`, with an optional pydantic model for its options
(validated when the batch is loaded). The stages shipped with the package register
themselves when :mod:`netplan.batch.stages` is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pydantic

from netplan.model.scenario import Scenario
from netplan.model.topology import Frozen, Topology


@dataclass(frozen=True)
class LabelledArray:
    """An array with named axes and a label for every position on each axis.

    Examples
    --------
    >>> a = LabelledArray(np.zeros((2, 3)), ("link", "year"), (("a", "b"), (2026, 2027, 2028)))
    >>> a.axis_labels("year")
    (2026, 2027, 2028)
    """

    values: np.ndarray
    axes: tuple[str, ...]
    labels: tuple[tuple[Any, ...], ...]
    unit: str = ""

    def __post_init__(self) -> None:
        shape = tuple(len(labels) for labels in self.labels)
        if len(self.axes) != len(self.labels) or tuple(np.shape(self.values)) != shape:
            raise ValueError(
                f"array of shape {np.shape(self.values)} does not fit axes "
                f"{self.axes} with {shape} labels"
            )

    def axis_labels(self, axis: str) -> tuple[Any, ...]:
        """The labels of ``axis``."""
        return self.labels[self.axes.index(axis)]


@dataclass(frozen=True)
class StageOutput:
    """What a stage returns for one variant.

    Attributes
    ----------
    metrics : dict
        Scalar results (numbers, strings, booleans, None), one column each in the records.
    arrays : dict of LabelledArray
        Array results; the batch stacks them into ``[variant, ...]``.
    tables : dict
        Rows written as ``<name>.csv`` in the variant's directory.
    """

    metrics: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, LabelledArray] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


StageFunction = Callable[[Topology, Scenario, int, Any], StageOutput]


class NoOptions(Frozen):
    """A stage that takes no options."""


@dataclass(frozen=True)
class Stage:
    """A registered stage: its name, function, options model and description."""

    name: str
    function: StageFunction
    options: type[pydantic.BaseModel] = NoOptions
    description: str = ""

    def parse_options(self, options: dict[str, Any]) -> pydantic.BaseModel:
        """Validate ``options`` (raises pydantic's ValidationError)."""
        return self.options.model_validate(options)


_REGISTRY: dict[str, Stage] = {}


def register_stage(
    name: str, *, options: type[pydantic.BaseModel] = NoOptions, description: str = ""
) -> Callable[[StageFunction], StageFunction]:
    """Register a stage function under ``name`` (a decorator).

    Examples
    --------
    >>> @register_stage("doc-example", description="counts services")
    ... def _count(topology, scenario, seed, options):
    ...     return StageOutput(metrics={"services": len(scenario.services)})
    >>> get_stage("doc-example").description
    'counts services'
    >>> unregister_stage("doc-example")
    """

    def decorate(function: StageFunction) -> StageFunction:
        _REGISTRY[name] = Stage(name, function, options, description)
        return function

    return decorate


def unregister_stage(name: str) -> None:
    """Remove a stage from the registry (for tests and interactive sessions)."""
    _REGISTRY.pop(name, None)


def available_stages() -> tuple[str, ...]:
    """Names of the registered stages, sorted.

    Examples
    --------
    >>> {"analyze", "demand", "optimize", "plan", "simulate"} <= set(available_stages())
    True
    """
    return tuple(sorted(_REGISTRY))


def get_stage(name: str) -> Stage:
    """The stage registered as ``name`` (KeyError with the choices when absent)."""
    if name not in _REGISTRY:
        raise KeyError(_unknown_stage_message(name))
    return _REGISTRY[name]


def _unknown_stage_message(name: str) -> str:
    return f"unknown stage {name!r}; available: {', '.join(available_stages())}"


def check_options(stage: str, options: dict[str, Any]) -> list[tuple[tuple, str]]:
    """Problems with a batch's ``stage`` and ``options``, as (field path, message) pairs."""
    if stage not in _REGISTRY:
        return [(("stage",), _unknown_stage_message(stage))]
    try:
        _REGISTRY[stage].parse_options(options)
    except pydantic.ValidationError as exc:
        return [(("options", *error["loc"]), _with_input(error)) for error in exc.errors()]
    return []


def _with_input(error: dict[str, Any]) -> str:
    if error.get("type") in ("extra_forbidden", "missing") or "input" not in error:
        return error["msg"]
    return f"{error['msg']} (got {error['input']!r})"
