"""Batch definitions: validation messages, grid and Monte Carlo expansion, parameter targets."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import netplan
from netplan.batch import build_batch, load_batch
from netplan.batch.definition import Distribution
from netplan.batch.variants import REMOVED_LINKS, draw, variant_seeds
from netplan.errors import ValidationError
from netplan.io.scenario_io import build_scenario
from tests.conftest import SMALL


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def batch_file(tmp_path: Path, body: str, name: str = "b.batch.yaml") -> Path:
    head = (
        f"kind: batch\nname: t\nscenario: {SMALL / 'scenario.yaml'}\n"
        f"topology: {SMALL / 'topology.yaml'}\nstage: demand\nseed: 3\n"
    )
    return write(tmp_path / name, head + body)


def problems(exc: pytest.ExceptionInfo) -> list:
    return list(exc.value.problems)


# ---------------------------------------------------------------------- validation
def test_unknown_parameter_names_file_line_and_field(tmp_path):
    path = batch_file(tmp_path, "grid:\n  scale.web: [1, 2]\n  growth_per_year.nope: [0.1]\n")
    with pytest.raises(ValidationError) as exc:
        load_batch(path)
    (p,) = problems(exc)
    assert p.file == str(path) and p.line == 9 and p.field == "grid.growth_per_year.nope"
    assert "unknown service 'nope'" in p.message


@pytest.mark.parametrize(
    "name, reason",
    [
        ("services.oa.colour", "no field 'colour'"),
        ("services.oa.targets.nope", "no field 'targets.nope'"),
        ("services.oa.id", "no field 'id'"),
        ("budget", "unknown parameter 'budget'"),
        ("targets.max_util", "targets has no field 'max_util'"),
        ("scale_district.nowhere", "unknown node 'nowhere'"),
    ],
)
def test_bad_parameter_targets(tmp_path, name, reason):
    path = batch_file(tmp_path, f"grid:\n  {name}: [1]\n")
    with pytest.raises(ValidationError) as exc:
        load_batch(path)
    assert reason in str(exc.value) and f"grid.{name}" in str(exc.value)


@pytest.mark.parametrize(
    "dist, reason",
    [
        ("{dist: normal, mean: 0.1}", "a normal distribution needs sd"),
        ("{dist: gamma, low: 1, high: 2}", "'uniform', 'normal', 'triangular'"),
        ("{dist: uniform, low: 2, high: 1}", "low (2.0) must be below high (1.0)"),
        ("{dist: triangular, low: 0, mode: 3, high: 2}", "mode (3.0) must lie between"),
        ("{dist: uniform, low: 0, high: 1, sd: 2}", "takes no sd"),
        ("{dist: choice, values: [1, 2], weights: [1]}", "1 weights for 2 values"),
        ("{dist: normal, mean: 0, sd: 1, low: 20}", "no probability"),
    ],
)
def test_bad_distribution(tmp_path, dist, reason):
    path = batch_file(tmp_path, f"monte_carlo:\n  draws: 3\n  parameters:\n    scale.web: {dist}\n")
    with pytest.raises(ValidationError) as exc:
        load_batch(path)
    (p,) = problems(exc)
    assert reason in p.message
    assert p.field.startswith("monte_carlo.parameters.scale.web") and p.line == 10


def test_missing_scenario_file(tmp_path):
    path = write(
        tmp_path / "b.yaml",
        "kind: batch\nname: t\nscenario: nope.yaml\ngrid: {horizon_years: [0]}\n",
    )
    with pytest.raises(ValidationError) as exc:
        load_batch(path)
    (p,) = problems(exc)
    assert (p.file, p.line, p.field) == (str(path), 3, "scenario")
    assert "does not exist" in p.message and str(tmp_path / "nope.yaml") in p.message


def test_missing_file_in_scenario_list_and_relative_paths(tmp_path):
    # Paths are relative to the batch file, wherever the process runs.
    (tmp_path / "net").mkdir()
    for name in ("topology.yaml", "links.csv", "scenario.yaml"):
        (tmp_path / "net" / name).write_bytes((SMALL / name).read_bytes())
    path = write(
        tmp_path / "b.yaml",
        "kind: batch\nname: t\ntopology: net/topology.yaml\n"
        "scenarios:\n  - net/scenario.yaml\n  - net/missing.yaml\n",
    )
    with pytest.raises(ValidationError) as exc:
        load_batch(path)
    (p,) = problems(exc)
    assert (p.field, p.line) == ("scenarios[1]", 6)
    write(
        path,
        "kind: batch\nname: t\ntopology: net/topology.yaml\nscenarios:\n  - net/scenario.yaml\n",
    )
    batch = load_batch(path)
    (variant,) = batch.variants()
    assert variant.parameters == {"scenario": str(tmp_path / "net" / "scenario.yaml")}


@pytest.mark.parametrize(
    "body, field, reason",
    [
        (
            "stage: optimize\noptions: {routing: cheapest}\ngrid: {scale.web: [1]}\n",
            "options.routing",
            "'fixed' or 'optimized'",
        ),
        ("stage: frobnicate\ngrid: {scale.web: [1]}\n", "stage", "unknown stage 'frobnicate'"),
        (
            "stage: analyze\noptions: {failures: [n-3]}\ngrid: {scale.web: [1]}\n",
            "options.failures[0]",
            "'n-1'",
        ),
        (
            "stage: analyze\noptions: {colour: red}\ngrid: {scale.web: [1]}\n",
            "options.colour",
            "Extra inputs",
        ),
        (
            "grid: {scale.web: [1]}\nmonte_carlo: {draws: 2, link_failures: {count: 1}}\n",
            "",
            "exactly one of grid",
        ),
        ("grid: {scale.web: []}\n", "", "has no values"),
        (
            "monte_carlo: {draws: 2, link_failures: {count: 99}}\n",
            "monte_carlo.link_failures.count",
            "only 15 built links",
        ),
    ],
)
def test_definition_problems(tmp_path, body, field, reason):
    text = f"kind: batch\nname: t\nscenario: {SMALL / 'scenario.yaml'}\nseed: 1\n" + body
    path = write(tmp_path / "b.yaml", text)
    with pytest.raises(ValidationError) as exc:
        load_batch(path)
    assert any(p.field == field and reason in p.message for p in problems(exc)), str(exc.value)


def test_topology_defaults_to_the_scenarios_own(tmp_path):
    path = write(
        tmp_path / "b.yaml",
        f"kind: batch\nname: t\nscenario: {SMALL / 'scenario.yaml'}"
        "\nstage: demand\ngrid: {scale.web: [1]}\n",
    )
    assert load_batch(path).topology.name == "small test network"


def test_shipped_examples_load():
    grid = load_batch(netplan.default_scenario_path("growth-video").with_suffix(".batch.yaml"))
    assert len(grid.variants()) == 9
    mc = load_batch(netplan.default_scenario_path("growth-failures-mc").with_suffix(".batch.yaml"))
    variants = mc.variants()
    assert len(variants) == mc.definition.monte_carlo.draws
    assert all(len(v.parameters[REMOVED_LINKS].split(";")) == 2 for v in variants)


# ---------------------------------------------------------------------- expansion
def small_batch(**fields) -> object:
    data = {"name": "t", "scenario": str(SMALL / "scenario.yaml"), "stage": "demand", **fields}
    return build_batch(data)


def test_grid_is_the_cartesian_product_last_fastest():
    batch = small_batch(grid={"scale.web": [1.0, 2.0, 3.0], "horizon_years": [0, 1]})
    params = [v.parameters for v in batch.variants()]
    assert params == [{"scale.web": s, "horizon_years": h} for s in (1.0, 2.0, 3.0) for h in (0, 1)]
    assert [v.id for v in batch.variants()] == [f"v{i:05d}" for i in range(6)]


def test_parameters_land_where_their_names_say():
    topo = netplan.load_topology(SMALL / "topology.yaml")
    batch = small_batch(
        grid={
            "growth_per_year.web": [0.3],
            "services.oa.active_fraction": [0.25],
            "services.oa.targets.max_latency_ms": [42.0],
            "scale.web": [2.5],
            "scale_district.d2": [1.5],
            "remove_link": ["d3-c2"],
            "horizon_years": [1],
            "budget_cny_per_year": [1e6],
            "targets.max_utilisation_normal": [0.6],
        }
    )
    (variant,) = batch.variants()
    s = build_scenario(variant.scenario, topo)
    assert s.growth_per_year == {"web": 0.3}
    assert s.service("oa").active_fraction == 0.25
    assert s.service("oa").targets.max_latency_ms == 42.0
    assert s.horizon_years == 1 and s.budget_cny_per_year == 1e6
    assert s.targets.max_utilisation_normal == 0.6
    assert s.seed == variant.seed
    actions = [o.model_dump() for o in s.overrides]
    assert {"action": "scale_service", "service": "web", "factor": 2.5} in actions
    assert {"action": "scale_district", "node": "d2", "factor": 1.5, "driver": None} in actions
    assert {"action": "remove_link", "link": "d3-c2"} in actions
    # The base scenario is left alone.
    assert batch.scenario.service("oa").active_fraction == 1.0


def test_remove_link_grid_values_are_checked(tmp_path):
    with pytest.raises(ValidationError) as exc:
        small_batch(grid={"remove_link": [None, "no-such-link"]})
    assert "grid.remove_link[1]" in str(exc.value)


def test_scenario_seeds_follow_seed_sequence_spawn():
    batch = small_batch(seed=11, grid={"scale.web": [1.0, 2.0, 3.0]})
    children = np.random.SeedSequence(11).spawn(3)
    for variant, child in zip(batch.variants(), children, strict=True):
        own = child.spawn(2)[1]
        assert variant.seed == int(own.generate_state(1, dtype=np.uint64)[0]) >> 1


MC = {
    "draws": 8,
    "parameters": {
        "growth_per_year.oa": {"dist": "normal", "mean": 0.2, "sd": 0.1, "low": 0.0, "high": 0.3},
        "scale.web": {"dist": "lognormal", "mu": 0.0, "sigma": 0.5},
        "services.oa.active_fraction": {
            "dist": "choice",
            "values": [0.2, 0.4, 0.9],
            "weights": [1, 0, 1],
        },
    },
    "link_failures": {"count": 2, "plane": "extranet"},
}


def test_monte_carlo_is_seeded():
    a = [v.parameters for v in small_batch(seed=5, monte_carlo=MC).variants()]
    b = [v.parameters for v in small_batch(seed=5, monte_carlo=MC).variants()]
    c = [v.parameters for v in small_batch(seed=6, monte_carlo=MC).variants()]
    assert a == b
    assert a != c and all(x != y for x, y in zip(a, c, strict=True))
    # More draws keep the first ones: a variant depends on the seed and its index only.
    more = [v.parameters for v in small_batch(seed=5, monte_carlo={**MC, "draws": 12}).variants()]
    assert more[:8] == a


def test_monte_carlo_draws_respect_their_distributions():
    topo = netplan.load_topology(SMALL / "topology.yaml")
    extranet = {lk.id for lk in topo.links if lk.plane == "extranet" and not lk.candidate}
    for v in small_batch(seed=9, monte_carlo=MC).variants():
        p = v.parameters
        assert 0.0 <= p["growth_per_year.oa"] <= 0.3
        assert p["scale.web"] > 0
        assert p["services.oa.active_fraction"] in (0.2, 0.9)
        removed = p[REMOVED_LINKS].split(";")
        assert len(set(removed)) == 2 and set(removed) <= extranet
        s = build_scenario(v.scenario, topo)
        assert sorted(o.link for o in s.overrides if o.action == "remove_link") == sorted(removed)


@pytest.mark.parametrize(
    "dist, mean",
    [
        (Distribution(dist="uniform", low=2.0, high=5.0), 3.5),
        (Distribution(dist="triangular", low=0.0, mode=0.1, high=0.5), 0.6 / 3),
        (Distribution(dist="lognormal", mu=0.1, sigma=0.3), math.exp(0.1 + 0.3**2 / 2)),
        (
            Distribution(dist="normal", mean=0.25, sd=0.1, low=0.2, high=0.5),
            stats.truncnorm(-0.5, 2.5, loc=0.25, scale=0.1).mean(),
        ),
        (Distribution(dist="choice", values=[1, 2, 10], weights=[2, 1, 1]), (2 + 2 + 10) / 4),
    ],
)
def test_sample_means_match_closed_forms(dist, mean):
    rng = np.random.default_rng(2024)
    values = np.array([draw(dist, rng) for _ in range(5_000)], dtype=float)
    # Standard error from the sample; 5 of them is a generous, seed-stable margin.
    assert abs(values.mean() - mean) < 5 * values.std() / math.sqrt(values.size)


def test_truncated_normal_quantiles_match_scipy():
    dist = Distribution(dist="normal", mean=1.0, sd=2.0, low=0.0, high=3.0)
    rng = np.random.default_rng(1)
    values = np.sort([draw(dist, rng) for _ in range(5_000)])
    ref = stats.truncnorm(-0.5, 1.0, loc=1.0, scale=2.0)
    for q in (0.1, 0.5, 0.9):
        assert abs(np.quantile(values, q) - ref.ppf(q)) < 0.05


def test_variant_seeds_differ_between_indices():
    seeds = {variant_seeds(1, i)[1] for i in range(1000)}
    assert len(seeds) == 1000 and all(0 <= s < 2**63 for s in seeds)
