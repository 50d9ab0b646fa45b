"""Per-service simulation of the default baseline scenario on the Chongqing network."""

from __future__ import annotations

import json

import numpy as np
import pytest

import netplan
from netplan.errors import ValidationError
from netplan.report.simfigs import simulation_section
from netplan.sim import analytic
from netplan.sim.build import sim_inputs
from netplan.sim.scenario import simulate_scenario

SHORT = {"replications": 2, "duration_s": 2.0, "warmup_s": 1.0, "hours": [10]}


@pytest.fixture(scope="module")
def baseline():
    topo = netplan.load_topology(netplan.default_topology_path())
    return topo, netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)


@pytest.fixture(scope="module")
def short_run(baseline):
    topo, scen = baseline
    calls = []
    res = simulate_scenario(topo, scen, seed=3, progress=lambda *a: calls.append(a), **SHORT)
    return res, calls


def test_short_simulation_gives_per_service_values_with_intervals(baseline, short_run):
    _, scen = baseline
    res, calls = short_run
    assert calls == [(1, 2, "hour 10: replication 1/2"), (2, 2, "hour 10: replication 2/2")]
    rows = {r["service"]: r for r in res.summary["services"]}
    assert set(rows) == {s.id for s in scen.services if s.session is not None}
    web = rows["citizen_services"]
    p50, p95, p99 = (web[f"response_p{p}_s"]["mean"] for p in (50, 95, 99))
    assert 0 < p50 <= p95 <= p99
    assert web["response_p95_s"]["ci_low"] <= p95 <= web["response_p95_s"]["ci_high"]
    assert web["response_p95_s"]["n"] == 2
    # response time >= the mean service time's share: the 95th percentile of an
    # exponential service of mean 0.05 s alone is 0.05 ln 20 = 0.15 s
    assert p95 >= 0.05 * np.log(20) * 0.8
    assert web["meets_target"] is (p95 <= 2.0)
    offered = [r for r in rows.values() if r["blocking"]["n"] == 2]
    assert offered and all(0.0 <= r["blocking"]["mean"] <= 1.0 for r in offered)
    assert all(r["blocking"]["method"] == "simulation" for r in rows.values())
    assert res.summary["pools"][0]["pool"] == "dc-cloud"
    times, util = res.link_series[10]
    assert util.shape == (times.size, res.summary["links"]) and np.all(util >= 0)
    sec = simulation_section(res.to_json(), "en")
    assert len(sec.tables[0].rows) == len(rows)


def test_same_seed_same_bytes(baseline, short_run, tmp_path):
    topo, scen = baseline
    res, _ = short_run
    again = simulate_scenario(topo, scen, seed=3, **SHORT)
    a = res.save(tmp_path / "a")
    b = again.save(tmp_path / "b")
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    assert json.loads((tmp_path / "a" / "sim_summary.json").read_text())["seed"] == 3


def test_analytic_aggregates_are_arrival_weighted_class_values(baseline):
    topo, scen = baseline
    res = simulate_scenario(topo, scen, method="analytic", hours=[10])
    net, classes, pools, reroute, labels = sim_inputs(topo, scen)
    direct = analytic(net, classes, pools, hour=10, reroute=reroute)
    rates = np.array([c.arrival_rate_per_s[10] for c in classes])
    svc = np.array(labels.class_service)
    for row in res.summary["services"]:
        sel = svc == row["service"]
        w = rates[sel]
        m = direct["response_mean_s"].mean[sel]
        ok = ~np.isnan(m) & (w > 0)
        if ok.any():
            expect = (w[ok] * m[ok]).sum() / w[ok].sum()
            assert row["response_mean_s"]["mean"] == pytest.approx(expect, rel=1e-9)
        assert row["response_p95_s"]["method"] == "none"
    video = [r for r in res.summary["services"] if r["service"] == "video_conference"][0]
    assert video["blocking"]["method"] == "kaufman_roberts_fixed_point"


def test_simulate_saves_its_files_and_rejects_bad_settings(tmp_path):
    topo = netplan.load_topology(netplan.default_topology_path())
    baseline = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    out = tmp_path / "sim"
    out.mkdir()
    netplan.simulate(topo, baseline, method="analytic").save(out)
    assert sorted(p.name for p in out.iterdir()) == [
        "sim_link_utilisation.csv", "sim_pool_queue.csv", "sim_services.csv",
        "sim_summary.json"]
    with pytest.raises(ValidationError, match="method"):
        netplan.simulate(topo, baseline, method="fast")
    with pytest.raises(ValidationError, match="hours"):
        netplan.simulate(topo, baseline, hours=[25])


def test_simulate_cli_analytic_on_the_default_network(tmp_path):
    from click.testing import CliRunner

    import netplan
    from netplan.cli import cli

    out = tmp_path / "sim"
    result = CliRunner().invoke(cli, [
        "simulate", str(netplan.default_topology_path()),
        str(netplan.default_scenario_path("baseline")), "--method", "analytic", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "video_conference:" in result.output and (out / "sim_summary.json").exists()
    bad = CliRunner().invoke(cli, [
        "simulate", str(netplan.default_topology_path()),
        str(netplan.default_scenario_path("baseline")), "--hours", "30", "-o", str(out)])
    assert bad.exit_code == 2


def test_replications_side_by_side_give_the_same_results(baseline, short_run):
    topo, scen = baseline
    res, _ = short_run
    calls = []
    two = simulate_scenario(topo, scen, seed=3, workers=2, progress=lambda *a: calls.append(a),
                            **SHORT)
    assert json.dumps(two.summary, sort_keys=True) == json.dumps(res.summary, sort_keys=True)
    assert [c[0] for c in calls] == [1, 2] and calls[-1][1] == 2


def test_warm_start_puts_long_video_sessions_on_the_links_from_the_start(baseline):
    """An hour-long class is at its equilibrium within a two-second run: the warm start works
    through the scenario path too."""
    topo, scen = baseline
    res = simulate_scenario(topo, scen, seed=3, **SHORT)
    network, classes, _, _, _ = sim_inputs(topo, scen)
    video = [c for c in classes if c.kind == "stream"]
    expected_mbps = np.zeros(len(network.link_ids))
    for c in video:
        erlangs = c.arrival_rate_per_s[10] * c.holding_s
        for path, prob in zip(c.paths, c.path_probs, strict=True):
            expected_mbps[path] += prob * erlangs * c.bandwidth_mbps
    busiest = int(np.argmax(expected_mbps / network.capacity_mbps))
    expected = expected_mbps[busiest] / network.capacity_mbps[busiest]
    assert expected > 0.01
    _, samples = res.link_series[10]
    carried = float(samples[:, busiest].mean())  # streams and transfers, averaged over samples
    assert carried >= 0.9 * expected  # a cold start carries ~0.1 here, against 0.27 expected
