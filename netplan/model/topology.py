"""The topology model: nodes, links, tiers and data centres of both planes.

Every object is an immutable, validated pydantic model with units in its field names.
Field-level rules (types, ranges) live on the models; rules that relate objects to each
other (unknown ids, duplicate ids, planes that must stay separate, connectivity) live in
:mod:`netplan.model.checks` so that all of them can be reported at once.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from netplan.io.text import describe_character, first_hidden_character

PLANES: tuple[str, ...] = ("extranet", "intranet")
NODE_KINDS: tuple[str, ...] = (
    "district",
    "core",
    "aggregation",
    "data_centre",
    "internet_exit",
    "national_uplink",
)
REGIONS: tuple[str, ...] = ("中心城区", "主城新区", "渝东北", "渝东南")

# Ranges of the numbers (docs/scenarios.md, "Ranges"): wide enough for any real network,
# narrow enough that sums and products over a whole network stay finite.
MAX_POPULATION = 2_000_000_000
"""Most residents of one site (more than any country)."""
MAX_DRIVER_UNITS = 100_000_000
"""Most staff, cameras or video rooms of one site."""
MAX_MODULE_GBPS = 1e5
"""Largest module of a tier, Gbit/s (100 Tbit/s)."""
MAX_LINK_GBPS = 1e7
"""Largest capacity of one link, Gbit/s (64 modules of the largest tier fit)."""
MAX_WEIGHT = 1e8
"""Largest routing weight (IS-IS wide metrics reach 16,777,215)."""
MAX_WEIGHT_SPREAD = 1e6
"""Largest ratio of two link weights of one plane: shortest paths compare path sums to
a relative tolerance of 1e-9, so a weight far below the others reads as zero."""
MAX_PRICE_CNY = 1e12
"""Largest price of anything, CNY."""
MAX_RACKS = 1_000_000
"""Most racks in one data centre."""
MAX_MTBF_H = 1e9
"""Longest mean time between failures, hours (about 114,000 years)."""
MAX_MTTR_H = 1e5
"""Longest mean time to repair, hours (about 11 years)."""
CABLE_TYPES: tuple[str, ...] = ("buried", "aerial", "leased")
"""Cable types of a link; each has a cut rate per km and a repair time
(``topologies/data/failure_rates.csv``)."""
_FAILURE_FIELDS = ("cable", "mtbf_h", "mttr_h", "srlg_rates")

Plane = Literal["extranet", "intranet"]
NodeKind = Literal[
    "district", "core", "aggregation", "data_centre", "internet_exit", "national_uplink"
]


def _refuse_hidden(value: object, allow: str = "") -> object:
    """Refuse control and bidi characters: they can make one name show as another."""
    if isinstance(value, str):
        found = first_hidden_character(value, allow=allow)
        if found is not None:
            raise PydanticCustomError(
                "hidden_character", "contains {character}, which can disguise text",
                {"character": describe_character(found)},
            )
    return value


def _refuse_hidden_in_prose(value: object) -> object:
    return _refuse_hidden(value, allow="\t\n\r")


# The checks run before the pattern, so an id with such a character is told why.
Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"),
    BeforeValidator(_refuse_hidden),
    Field(description="Identifier: letters, digits, '_', '.', '-'; at most 64 characters."),
]
Name = Annotated[str, AfterValidator(_refuse_hidden)]
"""A name or title shown to people: no control or bidi characters (U+202E …)."""
Prose = Annotated[str, AfterValidator(_refuse_hidden_in_prose)]
"""Free text shown to people: line breaks and tabs allowed, other controls and bidi not."""


class Frozen(BaseModel):
    """Base of every model: immutable, unknown fields rejected, NaN/inf rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class _FailureOverrides(Frozen):
    """A model with optional failure-rate fields, left out of dumps while unset.

    Unset, they take the defaults of ``topologies/data/failure_rates.csv``; leaving them out
    keeps the files written from, and the fingerprints of, every topology that sets none
    exactly as they were.
    """

    @model_serializer(mode="wrap")
    def _drop_unset_failure_fields(self, handler):
        data = handler(self)
        if isinstance(data, dict):
            for key in _FAILURE_FIELDS:
                if key in data and data[key] in (None, (), [], {}):
                    del data[key]
        return data


def _mtbf_field():
    """An optional override of the default mean time between failures."""
    return Field(None, gt=0, le=MAX_MTBF_H,
                 description="Mean time between failures (mean up time), hours; default from "
                             "topologies/data/failure_rates.csv (an estimate).")


def _mttr_field():
    """An optional override of the default mean time to repair."""
    return Field(None, gt=0, le=MAX_MTTR_H,
                 description="Mean time to repair, hours; default from "
                             "topologies/data/failure_rates.csv (an estimate).")


class Tier(Frozen):
    """A circuit type that can be bought, as real circuits are: in modules of fixed speed.

    Examples
    --------
    >>> Tier(name="10G", capacity_gbps=10, capex_cny=200_000, opex_cny_per_year=120_000).max_modules
    4
    """

    name: Identifier
    capacity_gbps: float = Field(
        gt=0, le=MAX_MODULE_GBPS, description="Capacity of one module, Gbit/s."
    )
    capex_cny: float = Field(
        ge=0, le=MAX_PRICE_CNY, description="Purchase and installation cost per module, CNY."
    )
    opex_cny_per_year: float = Field(
        ge=0, le=MAX_PRICE_CNY, description="Yearly rental/maintenance per module, CNY."
    )
    capex_cny_per_km: float = Field(
        0.0, ge=0, le=MAX_PRICE_CNY, description="Extra purchase cost per module-km."
    )
    opex_cny_per_km_year: float = Field(
        0.0, ge=0, le=MAX_PRICE_CNY, description="Extra yearly cost per module-km."
    )
    max_modules: int = Field(4, ge=1, le=64, description="Most parallel modules on one link.")
    estimate: bool = Field(True, description="True when the prices are estimates.")
    source: str = ""


class Node(_FailureOverrides):
    """A site: a district/county government node, a core, a data centre or an exit."""

    id: Identifier
    name: Name = Field(min_length=1, max_length=200)
    name_zh: Name = Field("", max_length=200)
    kind: NodeKind
    region: Literal["中心城区", "主城新区", "渝东北", "渝东南"] | None = None
    lat: float = Field(ge=-90, le=90, description="Latitude, degrees north.")
    lon: float = Field(ge=-180, le=180, description="Longitude, degrees east.")
    planes: tuple[Plane, ...] = Field(
        ("extranet", "intranet"), min_length=1, description="Planes the node takes part in."
    )
    adcode: str | None = None
    population: int | None = Field(
        None, ge=0, le=MAX_POPULATION, description="Resident population (persons)."
    )
    staff: int | None = Field(
        None, ge=0, le=MAX_DRIVER_UNITS, description="Government staff online at busy hour."
    )
    cameras: int | None = Field(
        None, ge=0, le=MAX_DRIVER_UNITS, description="Video-surveillance cameras."
    )
    video_rooms: int | None = Field(
        None, ge=0, le=MAX_DRIVER_UNITS, description="Video-conference rooms."
    )
    estimate_fields: tuple[str, ...] = Field((), description="Fields whose values are estimates.")
    source: str = ""
    mtbf_h: float | None = _mtbf_field()
    mttr_h: float | None = _mttr_field()


class Link(_FailureOverrides):
    """A physical link of one plane (full duplex: the capacity holds in each direction)."""

    id: Identifier
    a: Identifier
    b: Identifier
    plane: Plane
    tier: Identifier | None = Field(None, description="Tier name from the catalogue.")
    modules: int = Field(
        1, ge=0, le=64,
        description="Modules of the tier installed; 0 only on a candidate link (not built yet).",
    )
    capacity_gbps: float | None = Field(
        None, gt=0, le=MAX_LINK_GBPS,
        description="Installed capacity; derived from tier × modules when absent.",
    )
    length_km: float | None = Field(
        None, gt=0, le=5000, description="Route length; haversine × route factor when absent."
    )
    latency_ms: float | None = Field(
        None, gt=0, le=1000, description="One-way latency; length × fibre delay when absent."
    )
    weight: float | None = Field(
        None, gt=0, le=MAX_WEIGHT, description="Routing metric; latency when absent."
    )
    srlg: tuple[Identifier, ...] = Field((), description="Shared-risk groups (ducts, carriers).")
    candidate: bool = Field(False, description="Not built yet: the optimizer may build it.")
    build_capex_cny: float = Field(
        0.0, ge=0, le=MAX_PRICE_CNY, description="Fixed charge to build a candidate."
    )
    capacity_max_gbps: float | None = Field(
        None, gt=0, le=MAX_LINK_GBPS, description="Most capacity it can take."
    )
    cable: Literal["buried", "aerial", "leased"] | None = Field(
        None, description="Cable type, for its cut rate per km and repair time; default from "
                          "topologies/data/failure_rates.csv.",
    )
    mtbf_h: float | None = _mtbf_field()
    mttr_h: float | None = _mttr_field()


class SrlgRate(Frozen):
    """The failure rate of one shared-risk group: an event takes down every link in it.

    Examples
    --------
    >>> SrlgRate(group="duct-7", mtbf_h=87600, mttr_h=12).estimate
    True
    """

    group: Identifier
    mtbf_h: float = Field(gt=0, le=MAX_MTBF_H, description="Mean time between group events, hours.")
    mttr_h: float = Field(gt=0, le=MAX_MTTR_H, description="Mean time to repair, hours.")
    estimate: bool = Field(True, description="True when the rate is an estimate.")
    source: str = ""


class DataCentre(Frozen):
    """A government data centre with racks of servers."""

    id: Identifier
    node: Identifier
    name: Name = Field(min_length=1, max_length=200)
    name_zh: Name = Field("", max_length=200)
    role: Literal["primary", "disaster_recovery"] = "primary"
    racks: int = Field(ge=0, description="Racks installed today.")
    racks_max: int = Field(gt=0, le=MAX_RACKS, description="Racks the building can hold.")
    kw_per_rack: float = Field(gt=0, le=100)
    servers_per_rack: float = Field(gt=0, le=200)
    rack_capex_cny: float = Field(ge=0, le=MAX_PRICE_CNY)
    rack_opex_cny_per_year: float = Field(ge=0, le=MAX_PRICE_CNY)
    target_utilisation: float = Field(0.6, gt=0, le=1, description="Server utilisation target.")
    estimate: bool = True
    source: str = ""


def _srlg_rates_in(value: object) -> object:
    """``{group: {mtbf_h, mttr_h, …}}`` as written in files, to rows with their group."""
    if isinstance(value, dict):
        return tuple({"group": group, **rate} if isinstance(rate, dict) else rate
                     for group, rate in value.items())
    return value


_SRLG_RATE_SCHEMA = {
    "type": "object",
    "properties": {
        "mtbf_h": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_MTBF_H,
                   "description": "Mean time between group events, hours."},
        "mttr_h": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_MTTR_H,
                   "description": "Mean time to repair, hours."},
        "estimate": {"type": "boolean", "default": True},
        "source": {"type": "string", "default": ""},
    },
    "required": ["mtbf_h", "mttr_h"],
    "additionalProperties": False,
}

# Written as a mapping by group (a group has one rate); held as a tuple of rows, so the
# topology stays hashable.
SrlgRates = Annotated[
    tuple[SrlgRate, ...],
    BeforeValidator(_srlg_rates_in),
    PlainSerializer(lambda rows: {r.group: {"mtbf_h": r.mtbf_h, "mttr_h": r.mttr_h,
                                            "estimate": r.estimate, "source": r.source}
                                  for r in rows}),
    WithJsonSchema({"type": "object", "additionalProperties": _SRLG_RATE_SCHEMA}),
]


class Topology(_FailureOverrides):
    """Both planes of a network: its sites, links, data centres and tier catalogue.

    Build one from a YAML file with :func:`netplan.load_topology` or in code with
    :func:`netplan.build_topology`, which also check cross-references and derive link
    lengths, latencies and capacities.
    """

    kind: Literal["topology"] = "topology"
    name: Name = Field(min_length=1, max_length=200)
    name_zh: Name = Field("", max_length=200, description="The name in Chinese (zh reports).")
    description: Prose = ""
    route_factor: float = Field(
        1.3, ge=1, le=5, description="Fibre route length over straight-line distance."
    )
    fibre_latency_ms_per_km: float = Field(
        0.005, ge=0.003, le=1, description="One-way delay per km; light in vacuum takes 0.00334."
    )
    tiers: tuple[Tier, ...] = Field(min_length=1)
    nodes: tuple[Node, ...] = Field(min_length=1)
    links: tuple[Link, ...] = Field(min_length=1)
    data_centres: tuple[DataCentre, ...] = ()
    notes: tuple[Prose, ...] = Field((), description="What is sourced and what is estimated.")
    notes_zh: tuple[Prose, ...] = Field(
        (), description="The notes in Chinese (zh reports): none, or one per note in its order."
    )
    srlg_rates: SrlgRates = Field(
        (), description="Failure rates of shared-risk groups, by group: {group: {mtbf_h, "
                        "mttr_h, estimate, source}}; a group not listed takes the default of "
                        "its kind (topologies/data/failure_rates.csv).",
    )

    @field_validator("notes_zh")
    @classmethod
    def _one_translation_per_note(cls, notes_zh: tuple[str, ...], info: ValidationInfo):
        # A missing or extra line would pair every later note with another note's text.
        notes = info.data.get("notes")
        if notes_zh and notes is not None and len(notes_zh) != len(notes):
            raise PydanticCustomError(
                "notes_zh_count", "gives {given} notes, notes has {expected}",
                {"given": len(notes_zh), "expected": len(notes)},
            )
        return notes_zh

    @field_validator("srlg_rates")
    @classmethod
    def _one_rate_per_group(cls, rates: tuple[SrlgRate, ...]):
        seen: set[str] = set()
        for rate in rates:
            if rate.group in seen:
                raise PydanticCustomError(
                    "srlg_rate_twice", "gives group {group!r} twice", {"group": rate.group})
            seen.add(rate.group)
        return rates

    def _index(self, section: str, key: str) -> dict:
        """``{item.<key>: item}`` over ``self.<section>``, built once per tuple of items.

        Kept in ``__dict__`` beside the fields (as a cached property would be), so ``==``,
        ``hash`` and dumps ignore it; it remembers which tuple it indexes, so a
        ``model_copy`` that replaces the section gets a fresh index. The first item of a
        duplicated id wins, as a scan would find it.
        """
        items = getattr(self, section)
        slot = f"_index_{section}"
        cached = self.__dict__.get(slot)
        if cached is None or cached[0] is not items:
            index: dict = {}
            for item in items:
                index.setdefault(getattr(item, key), item)
            cached = (items, index)
            self.__dict__[slot] = cached  # frozen fields untouched: this is a cache
        return cached[1]

    @property
    def node_index(self) -> dict[str, Node]:
        """Node id → node, built once (lookups in loops stay linear overall).

        Examples
        --------
        >>> import netplan
        >>> topo = netplan.load_topology(netplan.default_topology_path())
        >>> topo.node_index["core-1"].kind
        'core'
        """
        return self._index("nodes", "id")

    @property
    def link_index(self) -> dict[str, Link]:
        """Link id → link, built once."""
        return self._index("links", "id")

    @property
    def tier_index(self) -> dict[str, Tier]:
        """Tier name → tier, built once."""
        return self._index("tiers", "name")

    @property
    def data_centre_index(self) -> dict[str, DataCentre]:
        """Data-centre id → data centre, built once."""
        return self._index("data_centres", "id")

    def node(self, node_id: str) -> Node:
        """Return the node with id ``node_id`` (KeyError when absent)."""
        return self.node_index[node_id]

    def tier(self, name: str) -> Tier:
        """Return the tier called ``name`` (KeyError when absent)."""
        return self.tier_index[name]

    def links_of(self, plane: str, *, built_only: bool = True) -> tuple[Link, ...]:
        """Links of ``plane``; candidates are left out unless ``built_only`` is false."""
        return tuple(
            link
            for link in self.links
            if link.plane == plane and (not built_only or not link.candidate)
        )

    def nodes_of(self, plane: str) -> tuple[Node, ...]:
        """Nodes that take part in ``plane``."""
        return tuple(node for node in self.nodes if plane in node.planes)

    def plane_graph(self, plane: str, *, built_only: bool = True):
        """The :class:`netplan.model.plane_graph.PlaneGraph` of ``plane`` for routing and analysis."""
        return plane_graph(self, plane, built_only=built_only)


def plane_graph(topology: Topology, plane: str, *, built_only: bool = True):
    """The :class:`netplan.model.plane_graph.PlaneGraph` of one plane of ``topology``.

    Nodes are the plane's members in file order; links are the plane's links in file order
    (candidates only when ``built_only`` is false, with their maximum capacity).

    Examples
    --------
    >>> import netplan
    >>> g = netplan.load_topology(netplan.default_topology_path()).plane_graph("extranet")
    >>> len(g.arc_src) == 2 * len(g.link_ids)
    True
    """
    from netplan.model.plane_graph import PlaneGraph  # numpy and scipy load on first use

    nodes = topology.nodes_of(plane)
    links = topology.links_of(plane, built_only=built_only)
    return PlaneGraph.from_links(
        name=plane,
        node_ids=[node.id for node in nodes],
        link_ids=[link.id for link in links],
        a=[link.a for link in links],
        b=[link.b for link in links],
        capacity_gbps=[_capacity(topology, link) for link in links],
        weight=[link.weight for link in links],
        latency_ms=[link.latency_ms for link in links],
        srlgs=[link.srlg for link in links],
    )


def _capacity(topology: Topology, link) -> float:
    if link.capacity_gbps is not None:
        return link.capacity_gbps
    if link.capacity_max_gbps is not None:
        return link.capacity_max_gbps
    tier = topology.tier(link.tier) if link.tier else max(topology.tiers, key=lambda t: t.capacity_gbps)
    return tier.capacity_gbps * tier.max_modules
