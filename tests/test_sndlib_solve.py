"""SNDlib instances solved by the design MILP, checked against published optima, the
independent routability LP, SNDlib's own worked cost example and brute force."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from netplan.errors import ValidationError
from netplan.io.sndlib import parse_model, read_model, read_network, read_solution, write_solution
from netplan.planning.check import check_routable
from netplan.planning.design.sndlib import (
    design_problem,
    solution_cost,
    solve_sndlib,
    solve_sndlib_instance,
)

DATA = Path(__file__).parent / "data" / "sndlib"

# Reference optima (tests/data/sndlib/PROVENANCE.md).
REFERENCE_NN = {
    "france": 20200.0,
    "polska": 23619.0,
    "pdh": 10903843.0,
    "atlanta": 86492550.3,
}


def files(name: str, model: str) -> tuple[Path, Path]:
    return DATA / name / f"{name}.txt", DATA / name / f"{model}.txt"


def routable(name: str, model: str, result) -> np.ndarray:
    """Throughput of the result's capacities in every single-link failure state, from the
    routability LP (which knows nothing of the MILP)."""
    p = design_problem(read_network(files(name, model)[0]), read_model(files(name, model)[1]))
    rep = check_routable(
        p.n_nodes,
        p.link_src,
        p.link_dst,
        result.design.capacity,
        p.demand_src,
        p.demand_dst,
        p.demand_volume,
    )
    return rep.throughput


def assert_solution_file_agrees(tmp_path, name: str, model: str, result) -> None:
    """Write the SNDlib solution, read it back and price it with SNDlib's rules; check its
    routing fits the configured capacities."""
    net_path, model_path = files(name, model)
    net, mod = read_network(net_path), read_model(model_path)
    sol = read_solution(write_solution(tmp_path / f"{name}.sol", result.to_solution()))
    cost = solution_cost(net, mod, sol)
    assert cost.total == pytest.approx(result.total_cost, rel=1e-9)
    lidx = net.link_index()
    cap = np.array([lk.pre_capacity for lk in net.links])
    for lid, pairs in sol.link_configurations.items():
        lk = net.links[lidx[lid]]
        cap[lidx[lid]] = sum(c * n for c, n in pairs) if pairs else 0.0
        assert cap[lidx[lid]] >= lk.pre_capacity
    unit = {d.id: d for d in net.demands}
    for state, per_demand in sol.routings.items():
        load = np.zeros(len(net.links))
        for did, plist in per_demand.items():
            total = sum(f for f, _ in plist) * unit[did].routing_unit
            assert total == pytest.approx(unit[did].volume, rel=1e-6)
            for f, lids in plist:
                assert state not in lids
                for lid in lids:
                    load[lidx[lid]] += f * unit[did].routing_unit
        assert np.all(load <= cap * (1 + 1e-7) + 1e-6), state


@pytest.mark.slow
def test_polska_reference_optimum(tmp_path):
    r = solve_sndlib(*files("polska", "U-U-M-N-C-A-N-N"), time_limit_s=120, gap=0.0)
    assert r.status == "optimal"
    assert r.total_cost == pytest.approx(REFERENCE_NN["polska"], abs=1e-6)
    assert r.bound == pytest.approx(REFERENCE_NN["polska"], abs=1e-6)
    assert r.model_code == "U-U-M-N-C-A-N-N"
    assert routable("polska", "U-U-M-N-C-A-N-N", r)[0] >= 1 - 1e-6
    assert_solution_file_agrees(tmp_path, "polska", "U-U-M-N-C-A-N-N", r)


def test_abilene_solves_and_verifies(tmp_path):
    # No published value: check the design instead (feasible by the LP, priced by the file).
    r = solve_sndlib(*files("abilene", "U-U-M-N-C-A-N-N"), time_limit_s=60, gap=0.0)
    assert r.status == "optimal" and r.gap <= 1e-9
    assert routable("abilene", "U-U-M-N-C-A-N-N", r)[0] >= 1 - 1e-6
    assert_solution_file_agrees(tmp_path, "abilene", "U-U-M-N-C-A-N-N", r)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["france", "atlanta"])
def test_reference_optimum_slow(name, tmp_path):
    r = solve_sndlib(*files(name, "U-U-M-N-C-A-N-N"), time_limit_s=120, gap=0.0)
    assert r.status == "optimal"
    assert r.total_cost == pytest.approx(REFERENCE_NN[name], abs=0.05)
    assert_solution_file_agrees(tmp_path, name, "U-U-M-N-C-A-N-N", r)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["polska", "atlanta"])
def test_survivable_designs(name, tmp_path):
    r = solve_sndlib(*files(name, "U-U-M-N-C-A-N-U"), time_limit_s=100, gap=1e-3)
    assert r.has_design
    assert r.total_cost > REFERENCE_NN[name]
    assert r.bound > REFERENCE_NN[name]  # even the lower bound exceeds the -N-N optimum
    throughput = routable(name, "U-U-M-N-C-A-N-U", r)
    assert throughput.size == 1 + len(r.sndlib_network.links)
    assert np.all(throughput >= 1 - 1e-6)
    assert set(r.flows) == {"NOS", *(lk.id for lk in r.sndlib_network.links)}
    assert_solution_file_agrees(tmp_path, name, "U-U-M-N-C-A-N-U", r)


@pytest.mark.slow
def test_unprotected_optimum_fails_some_link_failure():
    # Negative control for the check: the -N-N optimum of polska is not survivable.
    r = solve_sndlib(*files("polska", "U-U-M-N-C-A-N-N"), time_limit_s=120, gap=0.0)
    throughput = routable("polska", "U-U-M-N-C-A-N-N", r)
    assert throughput[0] >= 1 - 1e-6
    assert throughput[1:].min() < 1 - 1e-3


# --- SNDlib's worked example -------------------------------------------------------------


def example():
    net = read_network(DATA / "format-example" / "network.txt")
    model = read_model(DATA / "format-example" / "model.txt")
    sol = read_solution(DATA / "format-example" / "solution.txt")
    return net, model, sol


def test_example_cost_under_one_plus_one():
    # SNDlib's own cost analysis: 100 + 7900 + 6090 = 14090.
    net, model, sol = example()
    c = solution_cost(net, model, sol)
    assert (c.pre_installed, c.modules, c.setup, c.routing) == (100, 7900, 0, 6090)
    assert c.total == 14090


def test_example_cost_under_unrestricted_reconfiguration():
    # The same routing read as unrestricted reconfiguration: routing cost 5590.
    net, model, sol = example()
    c = solution_cost(
        net, replace(model, survivability_model="UNRESTRICTED_FLOW_RECONFIGURATION"), sol
    )
    assert c.routing == 5590
    assert c.total == 100 + 7900 + 5590


def test_example_fixed_charge_counts_used_links():
    # With FIXED_CHARGE_MODEL = YES the example notes 6 used links × 1000.
    net, model, sol = example()
    c = solution_cost(net, replace(model, fixed_charge_model="YES"), sol)
    assert c.setup == 6000


def test_unsupported_model_names_what_is_supported():
    net, model, _ = example()
    with pytest.raises(ValidationError) as exc:
        design_problem(net, model)
    (p,) = exc.value.problems
    assert p.field == "SURVIVABILITY_MODEL"
    assert "ONE_PLUS_ONE_PROTECTION" in p.message and "supported" in p.message


def brute_force_example(net, max_hops_on: bool) -> float:
    """Least cost over every choice of one admissible path per demand, explicit link
    capacities (pre-installed plus at most one module), routing cost per unit of flow."""
    lidx = net.link_index()
    choices = []
    for d in net.demands:
        paths = [p for _, p in net.admissible_paths[d.id]]
        if max_hops_on and d.max_hops is not None:
            paths = [p for p in paths if len(p) <= d.max_hops]
        choices.append(paths)
    best = np.inf
    for combo in itertools.product(*choices):
        load = np.zeros(len(net.links))
        for d, path in zip(net.demands, combo, strict=True):
            for lid in path:
                load[lidx[lid]] += d.volume
        total = sum(lk.pre_cost for lk in net.links)
        for i, lk in enumerate(net.links):
            options = [(lk.pre_capacity, 0.0)] + [
                (lk.pre_capacity + c, k)
                for c, k in zip(lk.module_capacities, lk.module_costs, strict=True)
            ]
            fits = [k for c, k in options if c >= load[i]]
            if not fits:
                total = np.inf
                break
            total += min(fits) + lk.routing_cost * load[i]
        best = min(best, total)
    return best


def test_example_single_path_explicit_list_matches_brute_force(tmp_path):
    net, model, _ = example()
    supported = replace(model, survivability_model="NO_SURVIVABILITY")
    assert supported.code == "U-U-E-N-S-E-I-N"
    r = solve_sndlib_instance(net, supported, time_limit_s=30, gap=0.0)
    assert r.status == "optimal"
    assert r.total_cost == pytest.approx(brute_force_example(net, max_hops_on=True))
    # One path per demand, each from the admissible list.
    for d in net.demands:
        (only,) = r.flows["NOS"][d.id]
        assert only[1] in [p for _, p in net.admissible_paths[d.id]]
    sol = read_solution(write_solution(tmp_path / "ex.sol", r.to_solution()))
    assert solution_cost(net, supported, sol).total == pytest.approx(r.total_cost)


def test_example_hop_limit_changes_the_optimum():
    # Both listed paths of D_AB respect its limit of 2 hops; with a limit of 1 only the
    # direct path P1 remains.
    net, model, _ = example()
    m = replace(model, survivability_model="NO_SURVIVABILITY")
    base = solve_sndlib_instance(net, m, time_limit_s=30, gap=0.0).total_cost
    d_ab = replace(net.demands[2], max_hops=1)
    tight = replace(net, demands=(*net.demands[:2], d_ab))
    r = solve_sndlib_instance(tight, m, time_limit_s=30, gap=0.0)
    assert r.total_cost == pytest.approx(brute_force_example(tight, max_hops_on=True))
    assert r.total_cost >= base
    assert r.flows["NOS"]["D_AB"][0][1] == ("L_AB",)


def test_all_path_hop_limits_with_continuous_routing_are_rejected():
    net, model, _ = example()
    m = replace(
        model,
        survivability_model="NO_SURVIVABILITY",
        routing_model="CONTINUOUS",
        admissible_path_model="ALL_PATHS",
    )
    with pytest.raises(ValidationError, match="HOP_LIMIT_MODEL"):
        design_problem(net, m)


def test_model_file_keys_map_to_the_problem():
    text = (
        "?SNDlib native format; type: model; version: 1.0\n"
        "DEMAND_MODEL = DIRECTED\nLINK_MODEL = BIDIRECTED\n"
        "LINK_CAPACITY_MODEL = LINEAR_LINK_CAPACITIES\nFIXED_CHARGE_MODEL = YES\n"
        "ROUTING_MODEL = CONTINUOUS\nADMISSIBLE_PATH_MODEL = ALL_PATHS\n"
        "HOP_LIMIT_MODEL = IGNORE_HOP_LIMITS\nSURVIVABILITY_MODEL = NO_SURVIVABILITY\n"
    )
    net, _, _ = example()
    p = design_problem(net, parse_model(text))
    assert (p.link_model, p.demand_directed, p.capacity_model) == ("bidirected", True, "linear")
    assert p.setup_cost.tolist() == [1000.0] * 8
    assert p.demand_volume.tolist() == [50.0, 27.0, 126.0]
