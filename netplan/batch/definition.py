"""The fields of a ``kind: batch`` file as pydantic models (distributions, Monte Carlo …).

A batch names one topology and one scenario (paths relative to the batch file), the stage
to run on every variant, a seed, and exactly one way of making variants:

``grid``
    each parameter a list of values; the variants are their Cartesian product.
``monte_carlo``
    ``draws`` variants, each parameter drawn from a distribution (uniform, normal truncated
    at optional bounds, triangular, lognormal, choice), plus optionally ``link_failures``
    removing ``count`` random built links per draw.
``scenarios``
    a list of scenario files, one variant each.

These models check each field on its own; :mod:`netplan.batch.spec` checks the definition
against the files it names.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, model_validator

from netplan.model.topology import Frozen, Identifier, Plane

MAX_VARIANTS = 99_999
"""Most variants one batch may hold (variant ids are ``v00000`` … ``v99999``)."""

DISTRIBUTIONS: tuple[str, ...] = ("uniform", "normal", "triangular", "lognormal", "choice")


class Distribution(Frozen):
    """A parameter's distribution for Monte Carlo draws.

    ``uniform`` (``low``, ``high``); ``normal`` (``mean``, ``sd``, optional ``low`` and
    ``high``: truncated there); ``triangular`` (``low``, ``mode``, ``high``); ``lognormal``
    (``mu``, ``sigma`` of the underlying normal); ``choice`` (``values``, optional
    ``weights``).

    Examples
    --------
    >>> Distribution(dist="normal", mean=0.25, sd=0.05, low=0.0).dist
    'normal'
    """

    dist: Literal["uniform", "normal", "triangular", "lognormal", "choice"]
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = Field(None, gt=0)
    mode: float | None = None
    mu: float | None = None
    sigma: float | None = Field(None, gt=0)
    values: list[Any] | None = Field(None, min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _fields_fit_the_distribution(self) -> Distribution:
        needs = {
            "uniform": ("low", "high"),
            "normal": ("mean", "sd"),
            "triangular": ("low", "mode", "high"),
            "lognormal": ("mu", "sigma"),
            "choice": ("values",),
        }[self.dist]
        allowed = set(needs) | {"normal": {"low", "high"}, "choice": {"weights"}}.get(
            self.dist, set()
        )
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(missing)}")
        extra = [
            name
            for name in ("low", "high", "mean", "sd", "mode", "mu", "sigma", "values", "weights")
            if getattr(self, name) is not None and name not in allowed
        ]
        if extra:
            raise ValueError(f"a {self.dist} distribution takes no {', '.join(extra)}")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.dist == "triangular" and not self.low <= self.mode <= self.high:
            raise ValueError(f"mode ({self.mode}) must lie between low and high")
        if self.dist == "normal" and (self.low is not None or self.high is not None):
            lo = -math.inf if self.low is None else self.low
            hi = math.inf if self.high is None else self.high
            # Truncation far in a tail leaves no probability mass to draw from.
            if (lo - self.mean) / self.sd > 8 or (hi - self.mean) / self.sd < -8:
                raise ValueError("the bounds leave (almost) no probability under this normal")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(f"{len(self.weights)} weights for {len(self.values)} values")
            if any(w < 0 or not math.isfinite(w) for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be >= 0 and not all 0")
        return self


class LinkFailures(Frozen):
    """Remove ``count`` distinct built links, drawn at random for every Monte Carlo draw."""

    count: int = Field(ge=1, le=1000)
    plane: Plane | None = Field(None, description="Only this plane's links; both when absent.")


class MonteCarlo(Frozen):
    """Random draws: parameters with distributions and random link failures."""

    draws: int = Field(ge=1, le=MAX_VARIANTS)
    parameters: dict[str, Distribution] = Field(default_factory=dict)
    link_failures: LinkFailures | None = None

    @model_validator(mode="after")
    def _something_to_draw(self) -> MonteCarlo:
        if not self.parameters and self.link_failures is None:
            raise ValueError("give parameters, link_failures or both")
        return self


class BatchDefinition(Frozen):
    """The fields of a ``kind: batch`` file (paths as written, relative to the file)."""

    kind: Literal["batch"] = "batch"
    name: Identifier
    title: str = Field("", max_length=300)
    description: str = ""
    topology: str | None = Field(
        None, description="Topology file; default: the one the scenario names."
    )
    scenario: str | None = Field(None, description="Scenario the parameters vary.")
    stage: str = Field("analyze", description="demand | analyze | simulate | optimize | plan")
    options: dict[str, Any] = Field(default_factory=dict, description="Options of the stage.")
    seed: int = Field(0, ge=0, le=2**63 - 1)
    grid: dict[str, list[Any]] | None = None
    monte_carlo: MonteCarlo | None = None
    scenarios: list[str] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_way_to_vary(self) -> BatchDefinition:
        given = [k for k in ("grid", "monte_carlo", "scenarios") if getattr(self, k) is not None]
        if len(given) != 1:
            shown = ", ".join(given) if given else "none"
            raise ValueError(f"give exactly one of grid, monte_carlo, scenarios (got {shown})")
        if self.scenarios is None and self.scenario is None:
            raise ValueError("grid and monte_carlo batches need a scenario")
        if self.grid is not None:
            if not self.grid:
                raise ValueError("grid needs at least one parameter")
            empty = [name for name, values in self.grid.items() if not values]
            if empty:
                raise ValueError(f"grid parameter {empty[0]!r} has no values")
        return self
