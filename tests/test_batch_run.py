"""Running batches: executors agree, failures are contained, killed batches resume exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import netplan
from netplan.analysis.study import analyze
from netplan.batch import SerialExecutor, build_batch, load_batch, load_result, run
from netplan.batch.stages import StageOutput, demand_stage, register_stage
from netplan.errors import OutputExistsError
from tests.conftest import SMALL, read_small_scenario, write_yaml

ROOT = Path(__file__).resolve().parents[1]


@register_stage("test-slow-demand", description="The demand stage, slowed by an env variable.")
def slow_demand_stage(topology, scenario, seed, options) -> StageOutput:
    """Sleeps NETPLAN_TEST_SLEEP_S before the demand stage, so a test can kill a batch midway."""
    time.sleep(float(os.environ.get("NETPLAN_TEST_SLEEP_S", "0")))
    return demand_stage(topology, scenario, seed, options)


MC_SMALL = {
    "name": "mc",
    "scenario": str(SMALL / "scenario.yaml"),
    "stage": "analyze",
    "seed": 17,
    "monte_carlo": {
        "draws": 20,
        "parameters": {
            "growth_per_year.oa": {"dist": "uniform", "low": 0.0, "high": 0.5},
            "scale.web": {"dist": "triangular", "low": 0.5, "mode": 1.0, "high": 3.0},
        },
        "link_failures": {"count": 1, "plane": "extranet"},
    },
}


def assert_same_results(a, b) -> None:
    assert a.index() == b.index()
    assert a.records() == b.records()
    for name in ("worst_utilisation", "normal_load_gbps", "failure_load_gbps"):
        x, y = a.array(name), b.array(name)
        assert x.labels == y.labels
        np.testing.assert_array_equal(x.values, y.values)


@pytest.fixture(scope="module")
def pool_result():
    with ProcessPoolExecutor(max_workers=2) as pool:
        return run(build_batch(MC_SMALL), executor=pool)


def test_process_pool_and_dask_give_identical_results(pool_result):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = run(build_batch(MC_SMALL), executor=client.get_executor())
    assert len(pool_result.ok_ids) == 20
    assert_same_results(pool_result, on_dask)
    # Workers ran in other processes; the records say which.
    assert {o.worker for o in on_dask.outcomes.values()} != {
        o.worker for o in pool_result.outcomes.values()
    }


def test_in_process_run_matches_the_pool(pool_result):
    assert_same_results(pool_result, run(build_batch(MC_SMALL), executor=SerialExecutor()))


def test_per_year_worst_matches_the_study_over_each_horizon(pool_result):
    # The worst over years 0..y is what analyze() reports for a horizon of y years.
    batch = build_batch(MC_SMALL)
    topo = batch.topology
    variant = batch.variants()[3]
    worst = pool_result.array("worst_utilisation")
    row = worst.values[worst.labels[0].index(variant.id)]
    links = worst.labels[1]
    for horizon in (0, 1, 2):
        scenario = netplan.build_scenario({**variant.scenario, "horizon_years": horizon}, topo)
        study = analyze(topo, scenario, failures="n-1")
        got = {r["link"]: r["worst_utilisation"] for r in study.worst_case()}
        present = np.isfinite(row).all(axis=1)  # the link removed by this draw is NaN
        expected = row[:, : horizon + 1].max(axis=1)
        assert present.sum() == len(got)
        for li in np.flatnonzero(present):
            assert got[links[li]] == pytest.approx(expected[li], rel=1e-12)


def test_internet_link_load_follows_growth_in_closed_form():
    # All Internet traffic (0.001 Mbit/s per resident, flat, +10 %/yr, 1.75 M residents)
    # crosses c1-exit (10G), the exit's only link, whatever else fails.
    batch = build_batch(
        {
            "name": "g",
            "scenario": str(SMALL / "scenario.yaml"),
            "stage": "analyze",
            "grid": {"scale.web": [1.0, 2.0]},
        }
    )
    result = run(batch, executor=SerialExecutor())
    worst = result.array("worst_utilisation")
    normal = result.array("normal_load_gbps")
    li = worst.labels[1].index("c1-exit")
    for vi, factor in enumerate((1.0, 2.0)):
        expected = factor * 1.75 * 1.1 ** np.arange(3)
        np.testing.assert_allclose(normal.values[vi, li], expected, rtol=1e-12)
        np.testing.assert_allclose(worst.values[vi, li], expected / 10.0, rtol=1e-12)
    assert worst.labels[2] == (2026, 2027, 2028)


def test_a_failing_variant_is_recorded_and_the_others_complete(tmp_path):
    batch = build_batch(
        {
            "name": "f",
            "scenario": str(SMALL / "scenario.yaml"),
            "stage": "demand",
            "grid": {"services.oa.active_fraction": [0.5, 1.5, 0.7]},
        }
    )
    result = run(batch, executor=SerialExecutor(), output_dir=tmp_path / "out")
    assert result.ok_ids == ("v00000", "v00002")
    (message,) = result.failed.values()
    assert "services[0].active_fraction" in message and "1.5" in message
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert [e["status"] for e in index["variants"]] == ["ok", "error", "ok"]
    assert index["variants"][1]["error"] == message
    assert not (tmp_path / "out" / "variants" / "v00001" / "arrays.npz").exists()
    rows = (tmp_path / "out" / "results.csv").read_text().splitlines()
    assert len(rows) == 4 and rows[2].startswith("v00001,error,")


def test_an_exception_in_a_stage_is_contained(tmp_path):
    @register_stage("test-broken")
    def broken(topology, scenario, seed, options):
        if scenario.services[0].active_fraction > 0.6:
            raise ZeroDivisionError("boom")
        return StageOutput(metrics={"x": 1.0})

    batch = build_batch(
        {
            "name": "f",
            "scenario": str(SMALL / "scenario.yaml"),
            "stage": "test-broken",
            "grid": {"services.oa.active_fraction": [0.5, 0.7]},
        }
    )
    result = run(batch, executor=SerialExecutor())
    assert result.failed == {"v00001": "ZeroDivisionError: boom"}
    assert result.records()[0]["x"] == 1.0


def slow_batch_file(tmp_path: Path, n: int = 30) -> Path:
    path = tmp_path / "slow.batch.yaml"
    path.write_text(
        f"kind: batch\nname: slow\nscenario: {SMALL / 'scenario.yaml'}\n"
        "stage: test-slow-demand\nseed: 4\n"
        f"grid:\n  scale.web: {[round(1 + 0.1 * i, 1) for i in range(n // 2)]}\n"
        "  horizon_years: [0, 1]\n",
        encoding="utf-8",
    )
    return path


def test_killed_batch_resumes_only_what_is_missing(tmp_path):
    batch_path = slow_batch_file(tmp_path)
    out = tmp_path / "killed"
    code = (
        "import tests.test_batch_run, sys; from netplan.batch import run, SerialExecutor; "
        "run(sys.argv[1], executor=SerialExecutor(), output_dir=sys.argv[2])"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NETPLAN_TEST_SLEEP_S": "0.25"}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(batch_path), str(out)],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    recorded: list[dict] = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                recorded = json.loads((out / "index.json").read_text())["variants"]
            except (FileNotFoundError, ValueError):
                recorded = []
            if len(recorded) >= 5:
                break
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()
    first = json.loads((out / "index.json").read_text())["variants"]
    assert 5 <= len(first) < 30
    done = {e["id"] for e in first}
    stamps = {i: (out / "variants" / i / "record.json").stat().st_mtime_ns for i in done}

    resumed = run(
        load_batch(out / "batch.yaml"), executor=SerialExecutor(), output_dir=out, resume=True
    )
    assert set(resumed.ran) == {v.id for v in resumed.variants} - done
    assert {i: (out / "variants" / i / "record.json").stat().st_mtime_ns for i in done} == stamps
    assert not list((out / "variants").glob(".*"))  # no staging leftovers

    fresh = run(load_batch(batch_path), executor=SerialExecutor(), output_dir=tmp_path / "fresh")
    assert (out / "index.json").read_text() == (tmp_path / "fresh" / "index.json").read_text()
    assert (out / "results.csv").read_text() == (tmp_path / "fresh" / "results.csv").read_text()
    assert_same_arrays(resumed, fresh, "busy_hour_gbps")
    # Resuming a complete batch runs nothing.
    assert (
        run(
            load_batch(out / "batch.yaml"), executor=SerialExecutor(), output_dir=out, resume=True
        ).ran
        == ()
    )


def assert_same_arrays(a, b, name: str) -> None:
    x, y = a.array(name), b.array(name)
    assert x.labels == y.labels
    np.testing.assert_array_equal(x.values, y.values)


def test_resume_reruns_changed_fingerprints(tmp_path):
    batch_path = slow_batch_file(tmp_path, n=4)
    out = tmp_path / "out"
    run(batch_path, executor=SerialExecutor(), output_dir=out)
    # A changed scenario changes every fingerprint: all variants run again.
    changed = tmp_path / "scenario.yaml"
    changed.write_text(
        (SMALL / "scenario.yaml")
        .read_text()
        .replace("growth_per_year: 0.25", "growth_per_year: 0.3"),
        encoding="utf-8",
    )
    text = batch_path.read_text().replace(str(SMALL / "scenario.yaml"), str(changed))
    batch_path.write_text(text + f"topology: {SMALL / 'topology.yaml'}\n")
    again = run(batch_path, executor=SerialExecutor(), output_dir=out, resume=True)
    assert len(again.ran) == 4


def test_output_directory_of_another_batch_needs_overwrite(tmp_path):
    batch_path = slow_batch_file(tmp_path, n=2)
    out = tmp_path / "out"
    run(batch_path, executor=SerialExecutor(), output_dir=out)
    with pytest.raises(OutputExistsError, match="--overwrite"):
        run(batch_path, executor=SerialExecutor(), output_dir=out)
    assert len(run(batch_path, executor=SerialExecutor(), output_dir=out, overwrite=True).ran) == 2
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(OutputExistsError, match="holds no batch results"):
        run(batch_path, executor=SerialExecutor(), output_dir=other, overwrite=True)
    assert (other / "notes.txt").read_text() == "keep me"


def test_load_result_reads_a_store(tmp_path):
    batch_path = slow_batch_file(tmp_path, n=2)
    result = run(batch_path, executor=SerialExecutor(), output_dir=tmp_path / "out")
    loaded = load_result(tmp_path / "out")
    assert loaded.index() == result.index() and loaded.records() == result.records()


def _batch_verb(*args: str):
    from click.testing import CliRunner

    from netplan.cli import cli

    return CliRunner().invoke(cli, ["batch", *args])


def test_batch_verb_runs_and_resumes_with_progress(tmp_path):
    batch_path = slow_batch_file(tmp_path, n=4)
    out = tmp_path / "out"
    first = _batch_verb(str(batch_path), "-o", str(out), "--workers", "1")
    assert first.exit_code == 0, first.output
    assert "4/4 variants" in first.stderr
    assert "4 variants (4 run now, 0 complete before)" in first.stderr
    again = _batch_verb("--resume", str(out), "--workers", "1", "--no-progress")
    assert again.exit_code == 0, again.output
    assert "(0 run now, 4 complete before)" in again.stderr
    assert "variants |" not in again.stderr  # no bar with --no-progress


def test_batch_verb_exit_code_when_a_variant_fails(tmp_path):
    path = tmp_path / "bad.batch.yaml"
    path.write_text(
        f"kind: batch\nname: bad\nscenario: {SMALL / 'scenario.yaml'}\n"
        "stage: demand\ngrid:\n  services.oa.active_fraction: [0.5, 2.0]\n"
    )
    result = _batch_verb(str(path), "-o", str(tmp_path / "out"), "--workers", "1",
                         "--no-progress")
    assert result.exit_code == 1
    assert "1 failed" in result.stderr


def test_simulate_stage_reports_the_simulator_per_variant(tmp_path):
    from netplan.sim.scenario import simulate_scenario

    # The small network with a video service the simulator can see (a stream session).
    data = read_small_scenario() | {"topology": str(SMALL / "topology.yaml")}
    data["services"].append(
        {
            "id": "video",
            "name": "Video",
            "plane": "extranet",
            "pattern": "district_to_far_end",
            "far_end": "core-1",
            "driver": "video_rooms",
            "up_mbps_per_unit": 4,
            "down_mbps_per_unit": 4,
            "active_fraction": 0.5,
            "profile": "flat",
            "session": {"kind": "stream", "session_mbps": 4, "holding_s": 3600},
            "targets": {"max_blocking": 0.01},
        }
    )
    path = write_yaml(tmp_path / "video.yaml", data)
    batch = build_batch(
        {
            "name": "sim",
            "scenario": str(path),
            "stage": "simulate",
            "grid": {"scale.video": [100.0, 250.0, 300.0]},
        }
    )
    result = run(batch, executor=SerialExecutor())
    blocking = result.array("blocking")
    worst = blocking.values[:, blocking.labels[1].index("video"), :].max(axis=1)
    # Blocking grows with the offered load; only the heavier two miss the 1 % target.
    assert worst[0] < 1e-6 < worst[1] < worst[2] < 1
    assert [r["services_missing_target"] for r in result.records()] == [0, 1, 1]
    variant = batch.variants()[2]
    direct = simulate_scenario(
        batch.topology,
        netplan.build_scenario(variant.scenario, batch.topology),
        method="analytic",
        seed=variant.seed,
    )
    rows = [r for r in direct.summary["services"] if r["service"] == "video"]
    assert result.records()[2]["video_blocking"] == max(r["blocking"]["mean"] for r in rows)
