"""Engine behaviour: seeding, the reference cross-check, failures, inputs and outputs."""

from __future__ import annotations

import numpy as np
import pytest

from netplan.errors import NetplanError, ValidationError
from netplan.sim import (
    LinkFailures,
    ServerPool,
    SimNetwork,
    TrafficClass,
    analytic,
    simulate,
)
from netplan.sim.engines import run_replication
from netplan.sim.engines.tables import compile_model
from netplan.sim.reference import run_reference


def mixed_model():
    net = SimNetwork(("a", "b", "c"), [10.0, 20.0, 15.0], latency_ms=[1.0, 2.0, 0.5])
    classes = [
        TrafficClass(
            "video",
            "stream",
            paths=[[0, 1], [2]],
            path_probs=[0.6, 0.4],
            arrival_rate_per_s=3.0,
            bandwidth_mbps=2.0,
            holding_s=2.0,
        ),
        TrafficClass(
            "voice",
            "stream",
            paths=[[1]],
            arrival_rate_per_s=2.0,
            bandwidth_mbps=1.0,
            holding_s=5.0,
        ),
        TrafficClass("files", "elastic", paths=[[0, 2]], arrival_rate_per_s=1.0, size_mbit=3.0),
        TrafficClass("sync", "elastic", paths=[[1]], arrival_rate_per_s=2.0, size_mbit=2.0),
        TrafficClass(
            "web", "request", paths=[[2, 1]], arrival_rate_per_s=2.0, pool=0, response_mbit=1.0
        ),
    ]
    return net, classes, [ServerPool("dc", 2, service_s=0.8)]


@pytest.mark.slow
def test_same_seed_identical_different_seed_different():
    net, classes, pools = mixed_model()
    kw = dict(replications=3, warmup_s=10, duration_s=60)
    a = simulate(net, classes, pools, seed=5, **kw)
    b = simulate(net, classes, pools, seed=5, **kw)
    c = simulate(net, classes, pools, seed=6, **kw)
    for name, raw in a.per_replication.items():
        np.testing.assert_array_equal(raw, b.per_replication[name], err_msg=name)
    assert a.to_csv() == b.to_csv()
    assert not np.array_equal(a.per_replication["offered"], c.per_replication["offered"])
    # replications are independent streams, not copies of one another
    offered = a.per_replication["offered"]
    assert not np.array_equal(offered[0], offered[1])


def test_engine_agrees_with_process_per_session_reference():
    net, classes, pools = mixed_model()
    cm = compile_model(net, classes, pools)
    seq = np.random.SeedSequence(99)
    fast = run_replication(cm, seq, warmup_s=10.0, duration_s=60.0)
    slow = run_reference(cm, seq, warmup_s=10.0, duration_s=60.0)
    assert fast["_arrivals"] == slow["_arrivals"] > 500
    np.testing.assert_array_equal(fast["offered"], slow["offered"])
    np.testing.assert_array_equal(fast["blocked"], slow["blocked"])
    np.testing.assert_array_equal(fast["completed"], slow["completed"])
    assert fast["blocked"][0] > 0  # the check exercises blocking
    ref_mean = np.array([np.mean(r) if r else np.nan for r in slow["response_times_s"]])
    np.testing.assert_allclose(fast["response_mean_s"], ref_mean, rtol=1e-9)


def test_reference_rejects_what_it_does_not_model():
    net, classes, pools = mixed_model()
    cm = compile_model(net, classes, pools, failures=LinkFailures(script=[(1.0, 0, "down")]))
    with pytest.raises(NetplanError):
        run_reference(cm, np.random.SeedSequence(1), warmup_s=0.0, duration_s=5.0)


def trace_stream():
    # one session every 0.1 s (at 0.05, 0.15, ...), each held exactly 1 s
    times = np.arange(0.05, 30.0, 0.1)
    return TrafficClass(
        "video",
        "stream",
        paths=[[0]],
        arrival_times_s=times,
        bandwidth_mbps=1.0,
        holding_s=1.0,
        dist="deterministic",
    )


def test_scripted_failure_cuts_sessions_and_calls_reroute():
    net = SimNetwork(("primary", "backup"), [100.0, 100.0])
    calls = []

    def reroute(mask):
        calls.append(mask.copy())
        return [([[1]], [1.0])] if mask[0] else [([[0]], [1.0])]

    failures = LinkFailures(script=[(10.0, 0, "down"), (20.0, 0, "up")])
    res = simulate(
        net,
        [trace_stream()],
        seed=1,
        replications=2,
        warmup_s=0.0,
        duration_s=30.0,
        failures=failures,
        reroute=reroute,
        sample_interval_s=0.5,
    )
    assert len(calls) == 1 and calls[0].tolist() == [True, False]
    # sessions arriving in (9, 10] were on the primary link when it failed
    assert res["dropped_by_failure"].mean[0] == 10
    assert res["blocked"].mean[0] == 0  # rerouted onto the backup link
    assert res["offered"].mean[0] == 300
    assert res["completed"].mean[0] == pytest.approx(300 - 10 - 10)  # 10 still held at end
    assert res["link_down_fraction"].mean.tolist() == pytest.approx([1 / 3, 0.0])
    assert res["link_failures"].mean.tolist() == [1.0, 0.0]
    assert res["link_utilisation_mean"].mean[1] > 0  # traffic moved to the backup


def test_failure_without_reroute_blocks_until_repair():
    net = SimNetwork(("only",), [100.0])
    failures = LinkFailures(script=[(10.0, 0, "down"), (20.0, 0, "up")])
    res = simulate(
        net,
        [trace_stream()],
        seed=1,
        replications=2,
        warmup_s=0.0,
        duration_s=30.0,
        failures=failures,
    )
    assert res["dropped_by_failure"].mean[0] == 10
    assert res["blocked"].mean[0] == 100  # arrivals at 10.05 ... 19.95 find no path


def test_failure_cuts_elastic_transfers():
    net = SimNetwork(("l0",), [10.0])
    # 1 Mbit every second at 10 Mbit/s: each transfer takes 0.1 s alone
    big = TrafficClass(
        "bulk",
        "elastic",
        paths=[[0]],
        arrival_times_s=[1.0, 5.0, 5.5],
        size_mbit=40.0,
        dist="deterministic",
    )
    failures = LinkFailures(script=[(6.0, 0, "down")])
    res = simulate(
        net, [big], seed=1, replications=2, warmup_s=0.0, duration_s=10.0, failures=failures
    )
    # the first finished at 5.0 s; the two started at 5.0 and 5.5 s share the link and are cut
    assert res["completed"].mean[0] == 1
    assert res["dropped_by_failure"].mean[0] == 2
    assert res["response_mean_s"].mean[0] == pytest.approx(4.0)


def test_random_failures_down_fraction():
    net = SimNetwork(("l0",), [10.0])
    quiet = TrafficClass(
        "probe", "stream", paths=[[0]], arrival_rate_per_s=0.01, bandwidth_mbps=1.0, holding_s=1.0
    )
    failures = LinkFailures(mtbf_s=[100.0], mttr_s=[25.0])
    res = simulate(
        net, [quiet], seed=3, replications=30, warmup_s=0.0, duration_s=5000.0, failures=failures
    )
    m = res["link_down_fraction"]
    assert m.ci_low[0] <= 0.2 <= m.ci_high[0]  # MTTR / (MTBF + MTTR)
    assert m.half_width[0] < 0.03


def test_hourly_rates_follow_the_profile():
    net = SimNetwork(("l0",), [1000.0])
    profile = [0.0] * 9 + [10.0] + [0.0] * 14  # only 09:00-10:00
    c = TrafficClass(
        "x", "stream", paths=[[0]], arrival_rate_per_s=profile, bandwidth_mbps=1.0, holding_s=1.0
    )
    at_nine = simulate(net, [c], seed=2, replications=2, warmup_s=0, duration_s=600, start_hour=9.0)
    at_noon = simulate(
        net, [c], seed=2, replications=2, warmup_s=0, duration_s=600, start_hour=12.0
    )
    assert 5400 < at_nine["offered"].mean[0] < 6600
    assert at_noon["offered"].mean[0] == 0


def test_result_records_and_methods():
    net, classes, pools = mixed_model()
    res = simulate(net, classes, pools, seed=4, replications=2, warmup_s=5, duration_s=30)
    recs = res.to_records()
    assert {r["method"] for r in recs} == {"simulation"}
    blk = [r for r in recs if r["metric"] == "blocking" and r["id"] == "video"][0]
    assert blk["ci_low"] <= blk["mean"] <= blk["ci_high"] and blk["n"] == 2
    fast = analytic(net, classes, pools)
    assert set(fast.metrics) <= set(res.metrics)
    assert fast.class_ids == res.class_ids and fast.link_ids == res.link_ids
    with pytest.raises(ValueError):
        res["blocking"].mean[0] = 1.0  # frozen


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: SimNetwork(("a", "a"), [1.0, 1.0]), "network.link_ids"),
        (lambda: SimNetwork(("a",), [-1.0]), "network.capacity_mbps[0]"),
        (lambda: TrafficClass("x", "video", paths=[[0]], arrival_rate_per_s=1.0), "kind"),
        (
            lambda: TrafficClass("x", "stream", paths=[[0]], arrival_rate_per_s=1.0, holding_s=1.0),
            "bandwidth_mbps",
        ),
        (lambda: TrafficClass("x", "elastic", paths=[[0]], size_mbit=1.0), "arrival_rate_per_s"),
        (
            lambda: TrafficClass(
                "x",
                "elastic",
                paths=[[0], [1]],
                path_probs=[0.5, 0.6],
                arrival_rate_per_s=1.0,
                size_mbit=1.0,
            ),
            "path_probs",
        ),
        (lambda: TrafficClass("x", "request", paths=[[0]], arrival_rate_per_s=1.0), "pool"),
        (lambda: ServerPool("p", servers=0), "servers"),
        (lambda: LinkFailures(script=[(1.0, 0, "sideways")]), "failures.script[0]"),
    ],
)
def test_bad_inputs_name_the_field(build, field):
    with pytest.raises(ValidationError) as err:
        build()
    assert field in str(err.value)


def test_model_level_checks_report_every_problem():
    net = SimNetwork(("a",), [10.0])
    classes = [
        TrafficClass("x", "elastic", paths=[[3]], arrival_rate_per_s=1.0, size_mbit=1.0),
        TrafficClass("y", "request", paths=[[0]], arrival_rate_per_s=1.0, pool=2),
    ]
    with pytest.raises(ValidationError) as err:
        simulate(net, classes, seed=1, replications=2, warmup_s=0, duration_s=1)
    text = str(err.value)
    assert "classes[0].paths[0]" in text and "classes[1].pool" in text
    with pytest.raises(ValidationError, match="replications"):
        simulate(net, [], seed=1, replications=1, warmup_s=0, duration_s=1)
    with pytest.raises(ValidationError, match="seed"):
        simulate(net, [], seed=-3, replications=2, warmup_s=0, duration_s=1)


def test_elastic_rate_is_the_bottleneck_share_and_follows_it():
    # a: 10 Mbit/s, b: 24 Mbit/s. "long" (20 Mbit on a+b) starts at 0 s, limited by a at
    # 10 Mbit/s. At 1 s two "cross" flows (20 Mbit on b) arrive: b's share drops to 8, so
    # "long" moves its bottleneck to b: 10 Mbit left at 8 Mbit/s -> done at 2.25 s. The
    # cross flows then share b at 12 Mbit/s each: 20 - 1.25*8 = 10 Mbit -> done at 3.0833 s.
    net = SimNetwork(("a", "b"), [10.0, 24.0])
    classes = [
        TrafficClass(
            "long",
            "elastic",
            paths=[[0, 1]],
            arrival_times_s=[0.0],
            size_mbit=20.0,
            dist="deterministic",
        ),
        TrafficClass(
            "cross",
            "elastic",
            paths=[[1]],
            arrival_times_s=[1.0, 1.0],
            size_mbit=20.0,
            dist="deterministic",
        ),
    ]
    res = simulate(net, classes, seed=1, replications=2, warmup_s=0.0, duration_s=10.0)
    assert res["response_mean_s"].mean == pytest.approx([2.25, 3.0833333 - 1.0], rel=1e-6)
    cm = compile_model(net, classes)
    ref = run_reference(cm, np.random.SeedSequence(1), warmup_s=0.0, duration_s=10.0)
    assert np.mean(ref["response_times_s"][0]) == pytest.approx(2.25, rel=1e-9)
    assert np.mean(ref["response_times_s"][1]) == pytest.approx(2.0833333, rel=1e-6)


def test_unused_share_is_not_redistributed():
    # a: 10, b: 100. Flow on a+b gets min(10, 50) = 10; the flow on b alone gets its share
    # 50 (not 90): 100 Mbit -> 50 Mbit in the first second, then 100 Mbit/s alone -> 1.5 s.
    net = SimNetwork(("a", "b"), [10.0, 100.0])
    classes = [
        TrafficClass(
            "narrow",
            "elastic",
            paths=[[0, 1]],
            arrival_times_s=[0.0],
            size_mbit=10.0,
            dist="deterministic",
        ),
        TrafficClass(
            "wide",
            "elastic",
            paths=[[1]],
            arrival_times_s=[0.0],
            size_mbit=100.0,
            dist="deterministic",
        ),
    ]
    res = simulate(net, classes, seed=1, replications=2, warmup_s=0.0, duration_s=5.0)
    assert res["response_mean_s"].mean == pytest.approx([1.0, 1.5], rel=1e-9)


def test_request_response_time_adds_service_transfer_and_round_trip():
    net = SimNetwork(("dc-user",), [100.0], latency_ms=[5.0])
    pools = [
        ServerPool("web", servers=1, service_s=1.0),
        ServerPool("db", servers=1, service_s=0.5, dist="deterministic"),
    ]
    req = TrafficClass(
        "page",
        "request",
        paths=[[0]],
        arrival_times_s=[1.0, 10.0, 20.0],
        pool=0,
        response_mbit=10.0,
        dist="deterministic",
    )
    # every request visits web then db: 1 + 0.5 s service, 0.1 s transfer, 2 x 5 ms RTT
    res = simulate(
        net,
        [req],
        pools,
        pool_routing=[[0, 1], [0, 0]],
        seed=1,
        replications=2,
        warmup_s=0.0,
        duration_s=30.0,
    )
    assert res["response_mean_s"].mean[0] == pytest.approx(1.61, rel=1e-9)
    assert res["completed"].mean[0] == 3
    assert res["pool_mean_sojourn_s"].mean == pytest.approx([1.0, 0.5])


def test_analytic_under_failure_uses_reroute():
    net = SimNetwork(("primary", "backup"), [10.0, 5.0])
    video = TrafficClass(
        "video", "stream", paths=[[0]], arrival_rate_per_s=5.0, bandwidth_mbps=1.0, holding_s=1.0
    )
    seen = []

    def reroute(mask):
        seen.append(mask.tolist())
        return [([[1]], [1.0])]

    normal = analytic(net, [video])
    failed = analytic(net, [video], failed_links=[True, False], reroute=reroute)
    from netplan.sim import erlang_b

    assert normal["blocking"].mean[0] == pytest.approx(erlang_b(10, 5.0))
    assert failed["blocking"].mean[0] == pytest.approx(erlang_b(5, 5.0))
    assert seen == [[True, False]]
    assert failed["link_utilisation_mean"].mean[0] == 0


def test_parallel_replications_give_the_same_result():
    net, classes, pools = mixed_model()
    kw = dict(seed=8, replications=3, warmup_s=5, duration_s=20)
    one = simulate(net, classes, pools, **kw)
    two = simulate(net, classes, pools, workers=2, reroute=lambda m: [None] * 5, **kw)
    for name, raw in one.per_replication.items():
        np.testing.assert_array_equal(raw, two.per_replication[name], err_msg=name)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_invariants_under_random_failures(seed):
    net, classes, pools = mixed_model()
    failures = LinkFailures(mtbf_s=[40.0, 60.0, 50.0], mttr_s=[5.0, 8.0, 4.0])
    res = simulate(
        net,
        classes,
        pools,
        seed=seed,
        replications=2,
        warmup_s=5.0,
        duration_s=200.0,
        failures=failures,
        sample_interval_s=0.25,
    )
    raw = res.per_replication
    assert np.all(raw["blocked"] <= raw["offered"])
    assert raw["link_failures"].sum() >= 6  # ~ 200 s x (1/40 + 1/60 + 1/50) x 2 = 25 expected
    assert raw["dropped_by_failure"].sum() > 0
    # elastic flows never take more than streams leave free
    assert np.all(raw["link_utilisation_max"] <= 1.0 + 1e-9)
    assert np.all((raw["link_down_fraction"] >= 0) & (raw["link_down_fraction"] < 0.5))
    assert raw["link_down_fraction"].mean() > 0.02
    assert np.all(np.isfinite(raw["response_mean_s"][:, 2:]))


def test_intervals_stay_within_what_the_quantity_can_take():
    """Two noisy replications: the plain t-interval of blocking dips below 0; the reported one not."""
    from netplan.sim import mean_ci

    net = SimNetwork(("l0",), [10.0])
    video = TrafficClass("video", "stream", paths=[[0]], arrival_rate_per_s=8.0,
                         bandwidth_mbps=1.0, holding_s=1.0)
    res = simulate(net, [video], seed=3, replications=2, warmup_s=1.0, duration_s=40.0)
    raw = res.per_replication["blocking"]
    plain_low = mean_ci(raw, res.confidence)[1]
    assert plain_low[0] < 0.0  # Student-t with one degree of freedom is very wide
    assert res["blocking"].ci_low[0] == 0.0
    assert mean_ci(raw, res.confidence)[2][0] > 1.0
    assert res["blocking"].ci_high[0] == 1.0
    for name in ("response_mean_s", "link_utilisation_mean", "offered"):
        assert np.all(res[name].ci_low[np.isfinite(res[name].ci_low)] >= 0.0)
