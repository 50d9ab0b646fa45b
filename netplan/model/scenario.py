"""The scenario model: services, drivers, daily profiles, growth, failures, targets, what-ifs."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_serializer, model_validator
from pydantic_core import PydanticCustomError

from netplan.model.catalogue import (
    Group,
    Hosting,
    sourced_key_problems,
    storage_servers_per_gbps,
    unsourced_numbers,
)
from netplan.model.topology import (
    MAX_DRIVER_UNITS,
    MAX_PRICE_CNY,
    Frozen,
    Identifier,
    Link,
    Name,
    Plane,
    Prose,
)

HOURS_PER_DAY = 24
MAX_DEMAND_MULTIPLIER = 1000.0
"""Most a service's demand may be multiplied by its ``scale_service`` factors and its growth
over the horizon together (and by its growth alone), and a district's driver by its
``scale_district`` factors: as much as one factor may."""
GrowthRate = Annotated[float, Field(gt=-1, le=10, description="0.25 is +25 % per year.")]
Hour = Annotated[int, Field(ge=0, le=HOURS_PER_DAY - 1, description="Hour of day, 0-23.")]
FAILURE_POLICIES: tuple[str, ...] = ("none", "n-1", "n-1-nodes", "srlg", "n-2")
PATTERNS: tuple[str, ...] = ("district_to_far_end", "district_pairs_gravity", "site_to_site",
                             "citizens_via_exit")
DRIVERS: tuple[str, ...] = ("staff", "population", "cameras", "video_rooms", "fixed",
                            "internet_users", "legal_entities", "sensors")
Region = Literal["中心城区", "主城新区", "渝东北", "渝东南"]
REGIONS: tuple[str, ...] = ("中心城区", "主城新区", "渝东北", "渝东南")

FailurePolicy = Literal["none", "n-1", "n-1-nodes", "srlg", "n-2"]
Driver = Literal["staff", "population", "cameras", "video_rooms", "fixed",
                 "internet_users", "legal_entities", "sensors"]


class SessionModel(Frozen):
    """How one service's traffic looks to the simulator: streams, elastic transfers or requests."""

    kind: Literal["stream", "elastic", "request"]
    session_mbps: float | None = Field(
        None, ge=0.001, le=1e5, description="Bandwidth a stream holds (at least 1 kbit/s)."
    )
    holding_s: float | None = Field(
        None, gt=0, le=7 * 86400, description="Mean stream duration (at most a week)."
    )
    size_mbit: float | None = Field(
        None, gt=0, le=1e7, description="Mean transfer or response size."
    )
    service_time_s: float | None = Field(
        None, gt=0, le=3600, description="Mean server time per request."
    )


class ServiceTargets(Frozen):
    """What users of one service must get."""

    max_latency_ms: float | None = Field(None, gt=0, le=1e5)
    max_blocking: float | None = Field(None, ge=0, le=1)
    max_response_time_s: float | None = Field(None, gt=0, le=86400)
    response_share: float | None = Field(
        None, gt=0, le=1, description="Share of requests that must finish within "
        "max_response_time_s (default: the mean must).")


class Service(Frozen):
    """A traffic class and the drivers that generate it.

    Patterns
    --------
    ``district_to_far_end``
        every district exchanges traffic with ``far_end`` (a data centre, a core's video
        MCU, the Internet exit): ``up_mbps_per_unit`` towards it and ``down_mbps_per_unit``
        back, per driver unit, at the busy hour, times ``active_fraction``.
    ``district_pairs_gravity``
        district↔district traffic: each district sends ``up_mbps_per_unit`` × driver, shared
        among the other districts in proportion to population / distance² (a gravity model).
    ``site_to_site``
        a fixed flow of ``fixed_gbps`` from ``from_site`` to ``far_end`` (e.g. replication
        between the data centres), ``down_mbps_per_unit`` unused.
    """

    id: Identifier
    name: Name = Field(min_length=1, max_length=200)
    name_zh: Name = Field("", max_length=200)
    plane: Plane
    pattern: Literal["district_to_far_end", "district_pairs_gravity", "site_to_site",
                     "citizens_via_exit"]
    driver: Driver
    far_end: Identifier | None = Field(None, description="Node or data-centre id.")
    from_site: Identifier | None = Field(None, description="Origin for site_to_site.")
    up_mbps_per_unit: float = Field(0.0, ge=0, le=1e6)
    down_mbps_per_unit: float = Field(0.0, ge=0, le=1e6)
    active_fraction: float = Field(1.0, ge=0, le=1, description="Share of units active at peak.")
    fixed_gbps: float = Field(0.0, ge=0, le=1e5)
    profile: Identifier
    growth_per_year: float = Field(0.0, gt=-1, le=10, description="0.25 is +25 % per year.")
    servers_per_gbps: float = Field(
        0.0, ge=0, le=1e5, description="Data-centre servers busy per Gbit/s served."
    )
    session: SessionModel | None = None
    targets: ServiceTargets = ServiceTargets()
    estimate: bool = True
    source: str = ""
    source_zh: Prose = Field("", description="The source in Chinese (zh reports).")
    group: Group = Field("common", description="Its part of the programme (catalogue).")
    system: Identifier | None = Field(
        None, description="The programme system it is a flow of (default: its own id).")
    plane_reason: Prose = Field("", description="Why it runs on its plane.")
    season: Prose = Field("", description="When its own busy day comes (month-end, season).")
    region_weights: dict[Region, float] = Field(
        default_factory=dict, description="Per-unit rate × this in districts of a region.")
    hosting: Hosting | None = None
    sourced: dict[str, Prose] = Field(
        default_factory=dict, description="Number field → its source; the rest are estimates.")

    @property
    def system_id(self) -> str:
        """The programme system this service is a flow of."""
        return self.system or self.id

    @model_validator(mode="after")
    def _catalogue_rules(self) -> Service:
        problems = sourced_key_problems(self.sourced)
        if "group" in self.model_fields_set:
            # A catalogue entry: every number it sets is sourced or flagged as an estimate.
            unsourced = unsourced_numbers(
                {"sourced": self.sourced, "estimate": self.estimate}, set(self.model_fields_set))
            if unsourced:
                problems.append(f"numbers without a source and without estimate: true: "
                                f"{', '.join(unsourced)}")
        if self.pattern == "citizens_via_exit" and (self.from_site is None or self.far_end is None):
            problems.append("pattern citizens_via_exit needs from_site (the Internet exit) "
                            "and far_end (the data centre serving citizens)")
        need = storage_servers_per_gbps(self.hosting, self.fixed_gbps)
        if self.pattern == "site_to_site" and self.servers_per_gbps < need * (1 - 1e-9):
            problems.append(f"servers_per_gbps {self.servers_per_gbps:g} cannot keep its "
                            f"records: hosting needs at least {need:.4g} per Gbit/s of fixed_gbps")
        if any(w < 0 or w > MAX_DEMAND_MULTIPLIER for w in self.region_weights.values()):
            problems.append(f"region_weights must lie in 0..{MAX_DEMAND_MULTIPLIER:g}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class DriverTotals(Frozen):
    """Municipal totals split over districts by population when a node gives no value."""

    staff_total: int = Field(
        ge=0, le=MAX_DRIVER_UNITS, description="Government staff online at busy hour."
    )
    cameras_total: int = Field(
        ge=0, le=MAX_DRIVER_UNITS, description="Cameras connected to the network."
    )
    video_rooms_per_district: int = Field(ge=0, le=1_000_000)
    video_rooms_per_million_people: float = Field(0.0, ge=0, le=1_000_000)
    internet_users_per_resident: float = Field(0.0, ge=0, le=1)
    legal_entities_total: int = Field(0, ge=0, le=MAX_DRIVER_UNITS)
    sensors_total: int = Field(0, ge=0, le=MAX_DRIVER_UNITS,
                               description="IoT sensing points connected to the network.")
    source: str = ""
    source_zh: Prose = Field("", description="The source in Chinese (zh reports).")
    estimate: bool = True


class Targets(Frozen):
    """Network-wide planning targets."""

    max_utilisation_normal: float = Field(0.7, gt=0, le=1)
    max_utilisation_failure: float = Field(0.9, gt=0, le=1)


class RemoveLink(Frozen):
    action: Literal["remove_link"]
    link: Identifier


class AddLink(Frozen):
    action: Literal["add_link"]
    link: Link


class SetTier(Frozen):
    action: Literal["set_tier"]
    link: Identifier
    tier: Identifier
    modules: int = Field(1, ge=1, le=64)


class FailNode(Frozen):
    action: Literal["fail_node"]
    node: Identifier


class FailDataCentre(Frozen):
    action: Literal["fail_data_centre"]
    data_centre: Identifier
    failover_to: Identifier


class ScaleService(Frozen):
    action: Literal["scale_service"]
    service: Identifier
    factor: float = Field(ge=0, le=1000)


class ScaleDistrict(Frozen):
    action: Literal["scale_district"]
    node: Identifier
    factor: float = Field(ge=0, le=1000)
    driver: Driver | None = Field(None, description="Only this driver; all when absent.")


Override = Annotated[
    RemoveLink | AddLink | SetTier | FailNode | FailDataCentre | ScaleService | ScaleDistrict,
    Field(discriminator="action"),
]


class SimulationSettings(Frozen):
    """Defaults for the simulator when the scenario is simulated."""

    hours: list[Hour] = Field(
        [10], min_length=1, max_length=HOURS_PER_DAY, description="Hours of the day to simulate."
    )
    duration_s: float = Field(600.0, gt=0, le=86400)
    warmup_s: float = Field(120.0, ge=0, le=86400)
    replications: int = Field(10, ge=2, le=1000)


AvailabilityKey = Annotated[str, Field(
    max_length=64,
    description="A district id, a region (中心城区, 主城新区, 渝东北, 渝东南) or * for every district.")]
_DISTRICT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
Percent = Annotated[float, Field(gt=0, lt=100, description="Percent of the year, e.g. 99.99.")]


class AvailabilityTargets(Frozen):
    """Availability targets per district that the plan must meet (docs/availability.md).

    Targets are percentages, as ``egov-netplan availability --target`` takes them; the most
    specific applies (district id, then region, then ``*``).

    Examples
    --------
    >>> t = AvailabilityTargets(targets={"*": 99.95, "wanzhou": 99.99}, judged_on="network")
    >>> t.fractions()
    {'*': 0.9995, 'wanzhou': 0.9999}
    """

    targets: dict[AvailabilityKey, Percent] = Field(
        min_length=1, description="Target in percent by district id, region or '*'.")
    judged_on: Literal["end_to_end", "network"] = Field(
        "end_to_end", description="The whole path, or the network between the end nodes.")
    prob_cutoff: float = Field(1e-12, ge=0, le=1e-6,
                               description="Events less likely are not split further.")

    @model_validator(mode="after")
    def _keys_and_percentages(self) -> AvailabilityTargets:
        problems = [f"target key {k!r} is not a district id, a region ({', '.join(REGIONS)}) "
                    f"or * (every district)" for k in self.targets
                    if k != "*" and k not in REGIONS and not _DISTRICT_ID.fullmatch(k)]
        small = [f"{k}: {v:g}" for k, v in self.targets.items() if v < 1]
        if small:
            problems.append(f"targets are percentages (e.g. 99.99), not fractions: "
                            f"{', '.join(small)}")
        if problems:
            raise PydanticCustomError("availability_targets", "; ".join(problems))
        return self

    def fractions(self) -> dict[str, float]:
        """The targets as fractions of the year, by key."""
        return {k: round(v / 100.0, 12) for k, v in self.targets.items()}


class Scenario(Frozen):
    """A traffic scenario: what the network must carry, for how many years, under what failures.

    Build one from YAML with :func:`netplan.load_scenario` (which resolves ``extends``).
    """

    kind: Literal["scenario"] = "scenario"
    name: Identifier
    title: Name = Field(min_length=1, max_length=300)
    title_zh: Name = Field("", max_length=300, description="The title in Chinese (zh reports).")
    question: Prose = Field(min_length=1, description="The planning question it answers.")
    question_zh: Prose = Field("", description="The question in Chinese (zh reports).")
    description: Prose = ""
    description_zh: Prose = Field("", description="The description in Chinese (zh reports).")
    topology: str | None = Field(None, description="Topology file it was written for.")
    base_year: int = Field(ge=2000, le=2100)
    horizon_years: int = Field(0, ge=0, le=30, description="Years after the base year.")
    profiles: dict[Identifier, list[float]] = Field(min_length=1)
    profiles_estimate: bool = True
    services: tuple[Service, ...] = Field(min_length=1)
    drivers: DriverTotals
    growth_per_year: dict[Identifier, GrowthRate] = Field(
        default_factory=dict, description="Per-service growth overrides."
    )
    failure_policy: tuple[FailurePolicy, ...] = ("n-1",)
    targets: Targets = Targets()
    overrides: tuple[Override, ...] = ()
    simulation: SimulationSettings = SimulationSettings()
    discount_rate: float = Field(0.05, ge=0, le=1)
    budget_cny_per_year: float | None = Field(None, gt=0, le=MAX_PRICE_CNY)
    seed: int = Field(20201101, ge=0, le=2**63 - 1)
    availability: AvailabilityTargets | None = Field(
        None, description="Availability targets that drive the plan (docs/availability.md).")

    @model_serializer(mode="wrap")
    def _drop_unset_availability(self, handler):
        # Unset, it is left out: scenarios without targets dump (and fingerprint) as before.
        data = handler(self)
        if isinstance(data, dict) and data.get("availability", 0) is None:
            del data["availability"]
        return data

    def service(self, service_id: str) -> Service:
        """Return the service with id ``service_id`` (KeyError when absent)."""
        for service in self.services:
            if service.id == service_id:
                return service
        raise KeyError(service_id)

    @property
    def years(self) -> tuple[int, ...]:
        """Calendar years covered: the base year and ``horizon_years`` after it."""
        return tuple(range(self.base_year, self.base_year + self.horizon_years + 1))
