"""Synthetic networks of any size, for scale tests and benchmarks.

:func:`synthetic_topology` scatters district nodes at random in a latitude/longitude box
around Chongqing and joins them (with the two cores) by a Euclidean minimum spanning tree —
so every plane is connected — plus the shortest remaining node pairs until the extranet
reaches the requested mean degree (a random geometric graph). A data centre and an Internet
exit hang off both cores. The intranet is a sparser graph over the same sites (no exit).
:func:`synthetic_scenario` gives it a matching busy day. Everything here is synthetic: no
number describes a real network.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse.csgraph import minimum_spanning_tree

from netplan.errors import Problem, ValidationError
from netplan.model.scenario import Scenario
from netplan.model.topology import REGIONS, Topology

# The box (degrees) and the main urban area where the cores sit: Chongqing's extent.
LAT_RANGE = (28.16, 32.20)
LON_RANGE = (105.29, 110.19)
CENTRE = (29.56, 106.55)
SPECIAL_NODES = 4  # two cores, a data centre, an Internet exit

_TIERS = [
    {"name": "1G", "capacity_gbps": 1, "capex_cny": 30000, "opex_cny_per_year": 60000},
    {"name": "10G", "capacity_gbps": 10, "capex_cny": 150000, "opex_cny_per_year": 250000},
    {"name": "100G", "capacity_gbps": 100, "capex_cny": 1000000, "opex_cny_per_year": 1000000},
]


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _plane_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points projected to km (equirectangular at the box's mean latitude)."""
    k = 111.195  # km per degree on the mean-radius Earth
    return np.column_stack([lat * k, lon * k * math.cos(math.radians(np.mean(LAT_RANGE)))])


def geometric_edges(xy: np.ndarray, n_edges: int) -> list[tuple[int, int]]:
    """A Euclidean minimum spanning tree plus the shortest other pairs, ``n_edges`` in all.

    Parameters
    ----------
    xy : ndarray, shape (n, 2)
        Planar coordinates.
    n_edges : int
        Edges wanted, at least ``n - 1`` (the tree) and at most ``n (n - 1) / 2``.

    Returns
    -------
    list of (i, j) with i < j, sorted

    Examples
    --------
    Four corners of a unit square: the tree takes three sides, the fourth side comes next.

    >>> xy = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.01]])
    >>> geometric_edges(xy, 4)
    [(0, 1), (0, 3), (1, 2), (2, 3)]
    """
    n = len(xy)
    if not n - 1 <= n_edges <= n * (n - 1) // 2:
        raise ValueError(f"{n_edges} edges cannot join {n} nodes into a simple connected graph")
    diff = xy[:, None, :] - xy[None, :, :]
    dist = np.sqrt((diff**2).sum(axis=-1))
    # Coincident points would be a zero (missing) edge to the MST: nudge them apart.
    tree = minimum_spanning_tree(np.where(dist > 0, dist, 1e-9) * ~np.eye(n, dtype=bool))
    rows, cols = tree.nonzero()
    edges = {(min(i, j), max(i, j)) for i, j in zip(rows.tolist(), cols.tolist(), strict=True)}
    iu, ju = np.triu_indices(n, k=1)
    order = np.lexsort((ju, iu, dist[iu, ju]))  # shortest first; ties by index
    for k in order:
        if len(edges) >= n_edges:
            break
        edges.add((int(iu[k]), int(ju[k])))
    return sorted(edges)


def synthetic_topology(
    n_nodes: int = 100,
    mean_degree: float = 4.0,
    n_regions: int = 4,
    seed: int | np.random.Generator = 0,
) -> Topology:
    """A valid, connected two-plane topology of ``n_nodes`` sites.

    Parameters
    ----------
    n_nodes : int
        All sites: ``n_nodes - 4`` districts, two cores, a data centre and an Internet exit.
    mean_degree : float
        Mean number of extranet links per district or core (at least about 2: the tree).
    n_regions : int
        1 to 4 regions (the labels of the Chongqing model); districts join the region
        whose centre is nearest. Region 0 holds the cores.
    seed : int or numpy.random.Generator

    Returns
    -------
    Topology
        Validated like a file: ids unique, planes separate, each plane connected.

    Examples
    --------
    >>> topo = synthetic_topology(30, mean_degree=3.0, n_regions=2, seed=1)
    >>> len(topo.nodes), sum(n.kind == "district" for n in topo.nodes)
    (30, 26)
    >>> topo == synthetic_topology(30, mean_degree=3.0, n_regions=2, seed=1)
    True
    """
    from netplan.io.topology_io import build_topology

    n_backbone, n_edges = _check_synthetic_args(n_nodes, mean_degree, n_regions)
    rng = _rng(seed)
    n_districts = n_nodes - SPECIAL_NODES
    lat, lon, population, region = _scatter_districts(rng, n_districts, n_regions)
    width = len(str(n_districts))
    ids = [f"s{i:0{width}d}" for i in range(n_districts)]
    nodes = _special_nodes() + _district_nodes(ids, lat, lon, population, region)
    links = _synthetic_links(ids, _plane_km(lat, lon), region, n_edges, n_backbone)
    data = {
        "name": f"synthetic network ({n_nodes} sites, mean degree {mean_degree:g})",
        "description": "Synthetic: random sites in a box around Chongqing, a geometric graph "
        "plus a spanning tree. No number describes a real network.",
        "tiers": _TIERS,
        "nodes": nodes,
        "links": links,
        "data_centres": [
            {
                "id": "dc-main",
                "node": "dc-1",
                "name": "Synthetic data centre",
                "racks": 100,
                "racks_max": 400,
                "kw_per_rack": 6,
                "servers_per_rack": 12,
                "rack_capex_cny": 500000,
                "rack_opex_cny_per_year": 80000,
            }
        ],
        "notes": ["Synthetic topology from netplan.io.synthetic; every value is made up."],
    }
    return build_topology(data, name="<synthetic>")


def _check_synthetic_args(n_nodes, mean_degree: float, n_regions) -> tuple[int, int]:
    """Check the size arguments; return the backbone sites (districts and cores) and links."""
    problems = []
    if not isinstance(n_nodes, int) or n_nodes < SPECIAL_NODES + 2:
        problems.append(
            Problem(
                "<synthetic>",
                "n_nodes",
                f"must be an integer >= {SPECIAL_NODES + 2}, got {n_nodes!r}",
            )
        )
    if not 1 <= n_regions <= len(REGIONS):
        problems.append(
            Problem(
                "<synthetic>",
                "n_regions",
                f"must lie between 1 and {len(REGIONS)}, got {n_regions!r}",
            )
        )
    n_backbone = max(n_nodes - 2, 2) if isinstance(n_nodes, int) else 2
    n_edges = round(mean_degree * n_backbone / 2)
    if not problems and not n_backbone - 1 <= n_edges <= n_backbone * (n_backbone - 1) // 2:
        problems.append(
            Problem(
                "<synthetic>",
                "mean_degree",
                f"{mean_degree} gives {n_edges} links among {n_backbone} sites; "
                f"need {n_backbone - 1} to {n_backbone * (n_backbone - 1) // 2}",
            )
        )
    if problems:
        raise ValidationError(problems)
    return n_backbone, n_edges


def _scatter_districts(
    rng: np.random.Generator, n_districts: int, n_regions: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Random district latitudes, longitudes and populations, and the region of each."""
    lat = rng.uniform(*LAT_RANGE, size=n_districts)
    lon = rng.uniform(*LON_RANGE, size=n_districts)
    population = np.round(np.exp(rng.normal(math.log(600_000), 0.6, size=n_districts)))
    # Region centres: the main urban area, then random districts.
    centres = [CENTRE] + [
        (lat[i], lon[i]) for i in rng.choice(n_districts, n_regions - 1, replace=False)
    ]
    cxy = _plane_km(np.array([c[0] for c in centres]), np.array([c[1] for c in centres]))
    dxy = _plane_km(lat, lon)
    region = np.argmin(((dxy[:, None, :] - cxy[None, :, :]) ** 2).sum(-1), axis=1)
    return lat, lon, population, region


def _special_nodes() -> list[dict]:
    """The two cores, the data centre and the Internet exit, all in the main urban area."""
    return [
        {
            "id": "core-1",
            "name": "Core 1",
            "kind": "core",
            "region": REGIONS[0],
            "lat": CENTRE[0],
            "lon": CENTRE[1],
        },
        {
            "id": "core-2",
            "name": "Core 2",
            "kind": "core",
            "region": REGIONS[0],
            "lat": CENTRE[0] + 0.05,
            "lon": CENTRE[1] - 0.03,
        },
        {
            "id": "dc-1",
            "name": "Data centre",
            "kind": "data_centre",
            "region": REGIONS[0],
            "lat": CENTRE[0] + 0.16,
            "lon": CENTRE[1] + 0.08,
        },
        {
            "id": "exit",
            "name": "Internet exit",
            "kind": "internet_exit",
            "region": REGIONS[0],
            "lat": CENTRE[0] + 0.01,
            "lon": CENTRE[1] + 0.01,
            "planes": ["extranet"],
        },
    ]


def _district_nodes(
    ids: list[str],
    lat: np.ndarray,
    lon: np.ndarray,
    population: np.ndarray,
    region: np.ndarray,
) -> list[dict]:
    """One district node record per id."""
    return [
        {
            "id": node_id,
            "name": f"Site {i}",
            "kind": "district",
            "region": REGIONS[int(region[i])],
            "lat": round(float(lat[i]), 5),
            "lon": round(float(lon[i]), 5),
            "population": int(population[i]),
        }
        for i, node_id in enumerate(ids)
    ]


def _synthetic_links(
    ids: list[str], dxy: np.ndarray, region: np.ndarray, n_edges: int, n_backbone: int
) -> list[dict]:
    """Both planes' links: a geometric graph over cores and districts, then dual homes of the
    data centre (both planes) and the exit (extranet only) to the cores."""
    backbone = ["core-1", "core-2", *ids]
    bxy = np.vstack(
        [
            _plane_km(
                np.array([CENTRE[0], CENTRE[0] + 0.05]), np.array([CENTRE[1], CENTRE[1] - 0.03])
            ),
            dxy,
        ]
    )
    central = {"core-1", "core-2"} | {ids[i] for i in range(len(ids)) if region[i] == 0}
    links = []
    for plane, prefix, count in (
        ("extranet", "ex", n_edges),
        ("intranet", "in", max(n_backbone - 1, round(n_edges / 2))),
    ):
        for i, j in geometric_edges(bxy, count):
            a, b = backbone[i], backbone[j]
            touches_core = a.startswith("core") or b.startswith("core")
            tier = "100G" if touches_core else "10G" if {a, b} <= central else "1G"
            links.append(
                {
                    "id": f"{prefix}-{a}-{b}",
                    "a": a,
                    "b": b,
                    "plane": plane,
                    "tier": tier,
                    "modules": 1,
                }
            )
        for site in ("dc-1", "exit"):
            if plane == "intranet" and site == "exit":
                continue
            for core in ("core-1", "core-2"):
                links.append(
                    {
                        "id": f"{prefix}-{site}-{core}",
                        "a": site,
                        "b": core,
                        "plane": plane,
                        "tier": "100G",
                        "modules": 2,
                    }
                )
    return links


def synthetic_scenario(
    topology: Topology, seed: int | np.random.Generator = 0, horizon_years: int = 0
) -> Scenario:
    """A busy day for a :func:`synthetic_topology` network (or any network with the same ids).

    Four services — office traffic to the data centre, Internet access through the exit,
    video conferences to core 1 and intranet office traffic — with per-unit bandwidths and
    growth rates drawn around the default network's estimates.

    Examples
    --------
    >>> topo = synthetic_topology(20, mean_degree=3.0, seed=2)
    >>> s = synthetic_scenario(topo, seed=2, horizon_years=2)
    >>> [svc.id for svc in s.services], s.years
    (['office', 'internet', 'video', 'intranet_office'], (2026, 2027, 2028))
    """
    from netplan.io.scenario_io import build_scenario

    rng = _rng(seed)
    population = sum(n.population or 0 for n in topology.nodes if n.kind == "district")

    def around(value: float) -> float:
        return round(value * float(rng.uniform(0.8, 1.2)), 6)

    office = [
        0.10,
        0.08,
        0.07,
        0.07,
        0.07,
        0.08,
        0.10,
        0.20,
        0.55,
        0.95,
        1.00,
        0.90,
        0.45,
        0.50,
        0.85,
        0.98,
        0.95,
        0.70,
        0.35,
        0.25,
        0.22,
        0.20,
        0.15,
        0.12,
    ]
    meeting = [0.0] * 8 + [0.2, 0.8, 1.0, 0.7, 0.1, 0.1, 0.6, 1.0, 0.8, 0.3] + [0.0] * 6
    data = {
        "name": "synthetic",
        "title": "Synthetic busy day",
        "question": "How long does the analysis take on a network of this size?",
        "base_year": 2026,
        "horizon_years": horizon_years,
        "failure_policy": ["n-1"],
        "profiles": {"office": office, "meeting": meeting},
        "drivers": {
            "staff_total": int(population * 0.02),
            "cameras_total": 0,
            "video_rooms_per_district": 5,
        },
        "services": [
            {
                "id": "office",
                "name": "Office",
                "plane": "extranet",
                "pattern": "district_to_far_end",
                "far_end": "dc-main",
                "driver": "staff",
                "up_mbps_per_unit": around(0.01),
                "down_mbps_per_unit": around(0.04),
                "active_fraction": 0.3,
                "profile": "office",
                "growth_per_year": around(0.15),
            },
            {
                "id": "internet",
                "name": "Internet",
                "plane": "extranet",
                "pattern": "district_to_far_end",
                "far_end": "exit",
                "driver": "staff",
                "up_mbps_per_unit": around(0.01),
                "down_mbps_per_unit": around(0.05),
                "active_fraction": 0.3,
                "profile": "office",
                "growth_per_year": around(0.25),
            },
            {
                "id": "video",
                "name": "Video conference",
                "plane": "extranet",
                "pattern": "district_to_far_end",
                "far_end": "core-1",
                "driver": "video_rooms",
                "up_mbps_per_unit": 4,
                "down_mbps_per_unit": 4,
                "active_fraction": 0.5,
                "profile": "meeting",
                "growth_per_year": around(0.1),
            },
            {
                "id": "intranet_office",
                "name": "Intranet office",
                "plane": "intranet",
                "pattern": "district_to_far_end",
                "far_end": "dc-main",
                "driver": "staff",
                "up_mbps_per_unit": around(0.01),
                "down_mbps_per_unit": around(0.04),
                "active_fraction": 0.1,
                "profile": "office",
                "growth_per_year": around(0.1),
            },
        ],
        "seed": int(rng.integers(0, 2**62)),
    }
    return build_scenario(data, topology, name="<synthetic scenario>")
