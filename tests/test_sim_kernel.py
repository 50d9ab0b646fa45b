"""The compiled engine against the pure-Python one: same models, same draws, same results.

The Python engine puts every event on simpy's calendar and is itself checked against
closed forms (``test_sim_validation.py``) and the process-per-session reference
(``test_sim_engine.py``). The compiled engine must reproduce it run for run, to rounding,
on models that use every feature: multi-path streams, multi-link elastic flows, requests
through a network of pools with deterministic and exponential service, responses,
random and scripted failures with re-routing, and tables that outgrow their first size.
"""

from __future__ import annotations

import numpy as np
import pytest

from netplan.sim import LinkFailures, ServerPool, SimNetwork, TrafficClass, simulate
from netplan.sim.engines import run_replication
from netplan.sim.engines.tables import compile_model


def full_model():
    net = SimNetwork(
        ("a", "b", "c", "d"), [10.0, 20.0, 15.0, 8.0], latency_ms=[1.0, 2.0, 0.5, 3.0]
    )
    classes = [
        TrafficClass(
            "video",
            "stream",
            paths=[[0, 1], [2], [3, 1]],
            path_probs=[0.5, 0.3, 0.2],
            arrival_rate_per_s=3.0,
            bandwidth_mbps=2.0,
            holding_s=2.0,
        ),
        TrafficClass(
            "voice", "stream", paths=[[1]], arrival_rate_per_s=2.0, bandwidth_mbps=1.0,
            holding_s=5.0,
        ),
        TrafficClass(
            "files", "elastic", paths=[[0, 2], [3]], path_probs=[0.7, 0.3],
            arrival_rate_per_s=1.5, size_mbit=3.0,
        ),
        TrafficClass("sync", "elastic", paths=[[1, 3]], arrival_rate_per_s=2.0, size_mbit=2.0),
        TrafficClass(
            "web", "request", paths=[[2, 1]], arrival_rate_per_s=2.0, pool=0, response_mbit=1.0
        ),
        TrafficClass("api", "request", paths=[[3]], arrival_rate_per_s=1.0, pool=1),
    ]
    pools = [
        ServerPool("front", 2, service_s=0.3),
        ServerPool("db", 1, service_s=0.2, dist="deterministic"),
    ]
    routing = [[0.0, 0.5], [0.2, 0.0]]  # front -> db half the time; db -> front 20 %
    return net, classes, pools, routing


def reroute(mask):
    """Send everything over link 1 when its path is broken (a longer detour included)."""
    return [
        ([[1]], [1.0]) if mask[0] or mask[2] else None,
        None,
        ([[1, 3, 1]], [1.0]) if mask[0] else None,
        None,
        None,
        None,
    ]


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if key == "_arrivals":
            assert a[key] == b[key]
        elif key == "_responses":
            for x, y in zip(a[key], b[key], strict=True):
                np.testing.assert_allclose(np.sort(x), np.sort(y), rtol=1e-7, atol=1e-9)
        else:
            np.testing.assert_allclose(
                np.asarray(a[key], float), np.asarray(b[key], float), rtol=1e-7, atol=1e-9,
                err_msg=key,
            )


@pytest.mark.parametrize(("seed", "warm_start"), [(1, False), (2, True)])
@pytest.mark.parametrize("failures", ["none", "random", "scripted"])
def test_compiled_engine_reproduces_the_python_engine(seed, warm_start, failures):
    net, classes, pools, routing = full_model()
    kw = {}
    if failures == "random":
        kw["failures"] = LinkFailures(mtbf_s=[40.0, 60.0, 50.0, 70.0], mttr_s=[5.0, 8.0, 4.0, 6.0])
    elif failures == "scripted":
        kw["failures"] = LinkFailures(
            script=[(20.0, 0, "down"), (35.0, 2, "down"), (50.0, 0, "up"), (70.0, 2, "up")]
        )
        kw["reroute"] = reroute
    cm = compile_model(net, classes, pools, pool_routing=routing, **kw)
    seq = np.random.SeedSequence(seed)
    runs = [
        run_replication(cm, seq, warmup_s=5.0, duration_s=120.0, sample_interval_s=0.5,
                        keep_raw=True, warm_start=warm_start, engine=engine)
        for engine in ("python", "compiled")
    ]
    assert_same(*runs)
    out = runs[1]
    assert out["completed"].sum() > 500
    assert np.all(np.isfinite(out["pool_mean_sojourn_s"]))
    if failures != "none":
        assert out["dropped_by_failure"].sum() > 0
        assert out["link_down_fraction"].sum() > 0


def test_tables_grow_past_their_first_size():
    """Thousands of streams and flows at once, far past the first 256 slots of each table."""
    net = SimNetwork(("big", "side"), [100_000.0, 50_000.0])
    classes = [
        TrafficClass("calls", "stream", paths=[[0]], arrival_rate_per_s=400.0,
                     bandwidth_mbps=1.0, holding_s=10.0),
        TrafficClass("bulk", "elastic", paths=[[0, 1]], arrival_rate_per_s=300.0,
                     size_mbit=800.0),
        TrafficClass("get", "request", paths=[[1]], arrival_rate_per_s=300.0, pool=0,
                     response_mbit=1.0),
    ]
    cm = compile_model(net, classes, [ServerPool("farm", 2000, service_s=5.0)])
    seq = np.random.SeedSequence(3)
    kw = dict(warmup_s=2.0, duration_s=20.0, warm_start=True)
    a = run_replication(cm, seq, engine="python", **kw)
    b = run_replication(cm, seq, engine="compiled", **kw)
    assert_same(a, b)
    # ~4,000 calls (all there from the start) and ~1,500 requests in progress at once
    assert b["pool_mean_in_system"][0] > 1000
    assert b["completed"][0] > 5000


def test_same_seed_same_result_and_seeds_differ():
    net, classes, pools, routing = full_model()
    kw = dict(replications=3, warmup_s=5.0, duration_s=60.0, pool_routing=routing)
    one = simulate(net, classes, pools, seed=11, **kw)
    again = simulate(net, classes, pools, seed=11, **kw)
    other = simulate(net, classes, pools, seed=12, **kw)
    for name, raw in one.per_replication.items():
        np.testing.assert_array_equal(raw, again.per_replication[name], err_msg=name)
    assert not np.array_equal(one.per_replication["completed"], other.per_replication["completed"])
    # replications within one run are independent draws, not copies
    assert len({tuple(r) for r in one.per_replication["completed"]}) == 3


def test_unknown_engine_is_refused():
    net, classes, pools, routing = full_model()
    cm = compile_model(net, classes, pools, pool_routing=routing)
    with pytest.raises(ValueError, match="engine"):
        run_replication(cm, np.random.SeedSequence(1), warmup_s=0.0, duration_s=1.0,
                        engine="fortran")


def test_warm_start_puts_streams_at_their_equilibrium():
    """Hour-long sessions: an empty network needs hours to fill, a warm start is there at once.

    The mean number in progress of an uncongested stream class is rate x holding
    (Little's law); its link utilisation is that times bandwidth over capacity.
    """
    net = SimNetwork(("l0",), [10_000.0])
    video = TrafficClass("video", "stream", paths=[[0]], arrival_rate_per_s=0.5,
                         bandwidth_mbps=4.0, holding_s=3600.0)
    expected = 0.5 * 3600.0 * 4.0 / 10_000.0  # 0.72, far below blocking
    kw = dict(seed=5, replications=4, warmup_s=60.0, duration_s=600.0)
    warm = simulate(net, [video], warm_start=True, **kw)
    cold = simulate(net, [video], **kw)
    assert warm["link_utilisation_mean"].contains([expected])[0]
    assert warm["link_utilisation_mean"].mean[0] == pytest.approx(expected, rel=0.05)
    assert cold["link_utilisation_mean"].mean[0] < 0.2 * expected
