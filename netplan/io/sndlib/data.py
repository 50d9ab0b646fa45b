"""The SNDlib instance and solution types: nodes, links, demands, network, model, solution.

SNDlib quantities are unitless: capacities and flows share one abstract unit (the "base unit
1"), costs one abstract currency. Field names therefore carry no unit suffix.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SndlibNode:
    """A node: identifier and the coordinates used for drawing (longitude, latitude or x, y)."""

    id: str
    x: float
    y: float


@dataclass(frozen=True)
class SndlibLink:
    """A link with its pre-installed capacity and the modules that may be added.

    ``module_capacities[i]`` may be ``math.inf`` (the file's ``UNLIMITED``), used by SNDlib
    for pure fixed-charge links.
    """

    id: str
    source: str
    target: str
    pre_capacity: float
    pre_cost: float
    routing_cost: float
    setup_cost: float
    module_capacities: tuple[float, ...]
    module_costs: tuple[float, ...]


@dataclass(frozen=True)
class SndlibDemand:
    """A demand; ``routing_unit * value`` units must be routed. ``max_hops`` None = unlimited."""

    id: str
    source: str
    target: str
    routing_unit: float
    value: float
    max_hops: int | None

    @property
    def volume(self) -> float:
        """Traffic to route, in the base unit (routing unit × demand value)."""
        return self.routing_unit * self.value


@dataclass(frozen=True)
class SndlibNetwork:
    """The contents of an SNDlib network file.

    ``admissible_paths`` maps a demand id to its ``(path_id, link_ids)`` pairs; it is empty
    when the file's ADMISSIBLE_PATHS section is empty or absent.
    """

    name: str
    nodes: tuple[SndlibNode, ...]
    links: tuple[SndlibLink, ...]
    demands: tuple[SndlibDemand, ...]
    admissible_paths: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = field(
        default_factory=dict
    )
    file: str = ""

    def node_index(self) -> dict[str, int]:
        """Map node id to its position in :attr:`nodes`."""
        return {n.id: i for i, n in enumerate(self.nodes)}

    def link_index(self) -> dict[str, int]:
        """Map link id to its position in :attr:`links`."""
        return {lk.id: i for i, lk in enumerate(self.links)}

    def demand_index(self) -> dict[str, int]:
        """Map demand id to its position in :attr:`demands`."""
        return {d.id: i for i, d in enumerate(self.demands)}


# Allowed values of each model key, in the order of the SNDlib model code letters.
MODEL_KEYS: dict[str, dict[str, str]] = {
    "DEMAND_MODEL": {"UNDIRECTED": "U", "DIRECTED": "D"},
    "LINK_MODEL": {"UNDIRECTED": "U", "BIDIRECTED": "B", "DIRECTED": "D"},
    "LINK_CAPACITY_MODEL": {
        "MODULAR_LINK_CAPACITIES": "M",
        "EXPLICIT_LINK_CAPACITIES": "E",
        "LINEAR_LINK_CAPACITIES": "L",
    },
    "FIXED_CHARGE_MODEL": {"NO": "N", "YES": "Y"},
    "ROUTING_MODEL": {
        "CONTINUOUS": "C",
        "INTEGER": "I",
        "SINGLE_PATH": "S",
        "OSPF_SINGLE_PATH": "O",
        "OSPF_EQUAL_SPLIT_PATH": "Q",
    },
    "ADMISSIBLE_PATH_MODEL": {"ALL_PATHS": "A", "EXPLICIT_LIST": "E"},
    "HOP_LIMIT_MODEL": {"IGNORE_HOP_LIMITS": "N", "INDIVIDUAL_HOP_LIMITS": "I"},
    "SURVIVABILITY_MODEL": {
        "NO_SURVIVABILITY": "N",
        "ONE_PLUS_ONE_PROTECTION": "P",
        "SHARED_PATH_PROTECTION": "S",
        "UNRESTRICTED_FLOW_RECONFIGURATION": "U",
    },
}
OTHER_MODEL_KEYS: dict[str, tuple[str, ...]] = {
    "NODE_MODEL": ("NO_NODE_HARDWARE", "NODE_HARDWARE"),
    "OBJECTIVE_MODEL": ("MINIMIZE_TOTAL_COST",),
}
"""Optional model keys (without a letter in the model code) and their allowed values."""


@dataclass(frozen=True)
class SndlibModel:
    """The contents of an SNDlib model file (each attribute holds the file's keyword).

    Examples
    --------
    >>> from netplan.io.sndlib import parse_model
    >>> m = parse_model('''?SNDlib native format; type: model; version: 1.0
    ... LINK_MODEL = UNDIRECTED
    ... NODE_MODEL = NO_NODE_HARDWARE
    ... DEMAND_MODEL = UNDIRECTED
    ... LINK_CAPACITY_MODEL = MODULAR_LINK_CAPACITIES
    ... ROUTING_MODEL = CONTINUOUS
    ... ADMISSIBLE_PATH_MODEL = ALL_PATHS
    ... HOP_LIMIT_MODEL = IGNORE_HOP_LIMITS
    ... SURVIVABILITY_MODEL = NO_SURVIVABILITY
    ... FIXED_CHARGE_MODEL = NO
    ... OBJECTIVE_MODEL = MINIMIZE_TOTAL_COST''')
    >>> m.code
    'U-U-M-N-C-A-N-N'
    """

    demand_model: str
    link_model: str
    link_capacity_model: str
    fixed_charge_model: str
    routing_model: str
    admissible_path_model: str
    hop_limit_model: str
    survivability_model: str
    node_model: str = "NO_NODE_HARDWARE"
    objective_model: str = "MINIMIZE_TOTAL_COST"
    file: str = ""

    @property
    def code(self) -> str:
        """The eight-letter model code, e.g. ``U-U-M-N-C-A-N-N``."""
        values = (
            self.demand_model,
            self.link_model,
            self.link_capacity_model,
            self.fixed_charge_model,
            self.routing_model,
            self.admissible_path_model,
            self.hop_limit_model,
            self.survivability_model,
        )
        return "-".join(MODEL_KEYS[k][v] for k, v in zip(MODEL_KEYS, values, strict=True))


@dataclass(frozen=True)
class SndlibSolution:
    """An SNDlib solution: link configurations and routings per network state.

    ``link_configurations`` maps a link id to ``(capacity, count)`` pairs that *include* the
    pre-installed capacity (as the SNDlib format requires). ``routings`` maps a state name
    (``"NOS"``, a failing link id or ``"DEFAULT_BACKUP"``) to, per demand id, the
    ``(flow, link_ids)`` paths; flows are in the demand's routing unit.
    """

    link_configurations: dict[str, tuple[tuple[float, float], ...]]
    routings: dict[str, dict[str, tuple[tuple[float, tuple[str, ...]], ...]]]
    name: str = ""
    file: str = ""
