"""The scenario model: services, drivers, daily profiles, growth, failures, targets, what-ifs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

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
PATTERNS: tuple[str, ...] = ("district_to_far_end", "district_pairs_gravity", "site_to_site")
DRIVERS: tuple[str, ...] = ("staff", "population", "cameras", "video_rooms", "fixed")

FailurePolicy = Literal["none", "n-1", "n-1-nodes", "srlg", "n-2"]
Driver = Literal["staff", "population", "cameras", "video_rooms", "fixed"]


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
    pattern: Literal["district_to_far_end", "district_pairs_gravity", "site_to_site"]
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
