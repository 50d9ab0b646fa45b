"""The command line as its readers meet it: progress with durations, early tool checks, the
run's index, link and node lists, schemas that take partial scenarios, hints that work."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import netplan
from netplan.cli import cli
from netplan.cli.progress import ProgressDisplay

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests/data/small"
TOPOLOGY = ROOT / "topologies/chongqing.yaml"
BASELINE = ROOT / "scenarios/baseline.yaml"
HAN = re.compile(r"[\u4e00-\u9fff]")


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# --- the progress display ---------------------------------------------------------------
def test_a_quick_stage_prints_one_line_with_its_own_duration():
    clock, out = FakeClock(), io.StringIO()
    show = ProgressDisplay(out, clock=clock, heartbeat=False)
    show.stage("demand", 2, 6)
    clock.now += 0.21
    show.stage("analyse", 3, 6)
    clock.now += 1.5
    show.close()
    # Each line gives the time the stage took, not the time since the command began.
    assert out.getvalue().splitlines() == ["[2/6] demand … 0.21 s", "[3/6] analyse … 1.50 s"]


def test_counts_are_shown_at_most_every_5_s_and_quick_steps_add_nothing():
    clock, out = FakeClock(), io.StringIO()
    show = ProgressDisplay(out, clock=clock, heartbeat=False)
    show.stage("optimize", 4, 6)
    for done in range(6):  # 3 s of quick steps: nothing but the stage's own line
        clock.now += 0.5
        show.count(done, 40, "solving")
    for done in range(6, 40):  # 17 s more, a count every 0.5 s
        clock.now += 0.5
        show.count(done, 40, f"solving step {done}")
    show.close()
    lines = out.getvalue().splitlines()
    # 20 s in all: lines at 5, 10, 15 and 20 s after the stage began, each with the count
    # and the message current then (count k arrives 0.5 (k + 1) s after the start).
    assert lines == [
        "[4/6] optimize …",
        "  optimize 00:05 · solving step 9 (9/40 done)",
        "  optimize 00:10 · solving step 19 (19/40 done)",
        "  optimize 00:15 · solving step 29 (29/40 done)",
        "  optimize 00:20 · solving step 39 (39/40 done)",
        "[4/6] optimize … 20.0 s",
    ]


def test_tick_repeats_where_a_silent_step_stands():
    clock, out = FakeClock(), io.StringIO()
    show = ProgressDisplay(out, clock=clock, heartbeat=False)
    show.stage("optimize", 4, 6)
    clock.now += 1
    show.count(2, 12, "solving extranet 2027")
    for _ in range(11):  # a MILP solve that reports nothing for 11 s
        clock.now += 1
        show.tick()
    assert out.getvalue().splitlines() == [
        "[4/6] optimize …",
        "  optimize 00:05 · solving extranet 2027 (2/12 done)",
        "  optimize 00:10 · solving extranet 2027 (2/12 done)",
    ]


def test_a_stage_that_fails_says_it_stopped():
    clock, out = FakeClock(), io.StringIO()
    with pytest.raises(RuntimeError), ProgressDisplay(out, clock=clock, heartbeat=False) as show:
        show.stage("report", 6, 6)
        clock.now += 2
        raise RuntimeError("disk full")
    assert out.getvalue().splitlines() == ["[6/6] report … stopped after 2.00 s"]


class _Signal(io.StringIO):
    """A stream that tells when a line was written."""

    def __init__(self):
        super().__init__()
        self.written = threading.Event()

    def write(self, text: str) -> int:
        self.written.set()
        return super().write(text)


def test_the_heartbeat_thread_prints_while_nothing_reports_and_stops_on_close():
    clock, out = FakeClock(), _Signal()
    show = ProgressDisplay(out, clock=clock, every_s=0.05)
    show.count(3, 12, "solving intranet 2028")
    beats = [t for t in threading.enumerate() if t.name == "netplan-progress"]
    assert beats and all(t.daemon for t in beats)
    clock.now += 1.0  # the (fake) solve has run for a second; the thread notices by itself
    assert out.written.wait(timeout=30)
    assert "solving intranet 2028 (3/12 done)" in out.getvalue()
    show.close()
    assert not any(t.is_alive() for t in beats)


# --- progress from the long steps -------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    topo = netplan.load_topology(SMALL / "topology.yaml")
    return topo, netplan.load_scenario(SMALL / "scenario.yaml", topo)


def test_the_sweep_counts_failure_states_of_every_plane_and_year(small):
    from netplan.analysis.sweep import sweep_scenario

    topo, scenario = small
    seen = []
    sweep_scenario(netplan.build_demand(topo, scenario), "n-1", by_year=True,
                   progress=lambda done, total, what: seen.append((done, total, what)))
    # n-1 on the built links (the candidate d3-d2 is not built): extranet 10 links + the
    # no-failure state, intranet 5 + 1, each swept for 3 years (2026-2028).
    assert {total for _, total, _ in seen} == {(10 + 1) * 3 + (5 + 1) * 3}
    dones = [done for done, _, _ in seen]
    assert dones == sorted(dones) and dones[0] == 0 and dones[-1] == 51
    assert {what for *_, what in seen} == {f"sweeping failure states: {plane} {year}"
                                           for plane in ("extranet", "intranet")
                                           for year in (2026, 2027, 2028)}


def test_sweep_failures_reports_every_batch_of_states():
    from netplan.analysis.failures import failure_states, sweep_failures
    from netplan.model.plane_graph import PlaneGraph

    g = PlaneGraph.from_links("square", list("ABCD"), ["ab", "bc", "cd", "da"], list("ABCD"),
                              list("BCDA"), capacity_gbps=[10.0] * 4)
    seen = []
    sweep_failures(g, ["A"], ["C"], [[1.0]], failure_states(g, "n-1"), batch_size=2,
                   progress=lambda done, total, what: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)]  # none + 4 links, two states a batch


def test_the_routed_planner_names_each_solve_before_it_starts(small):
    topo, scenario = small
    seen = []
    netplan.optimize(topo, scenario, "optimized", check=False,
                     progress=lambda done, total, what: seen.append((done, total, what)))
    solves = [s for s in seen if s[2].startswith("solving")]
    expected = [(f"solving {plane} {year}") for year in (2026, 2027, 2028)
                for plane in ("extranet", "intranet")]
    assert solves == [(i, 6, what) for i, what in enumerate(expected)]
    assert seen[-1][:2] == (6, 6)


def test_plan_threads_the_step_callback_to_the_sweep_the_planner_and_the_simulator():
    topo = netplan.load_topology(TOPOLOGY)
    scenario = netplan.load_scenario(BASELINE, topo)  # it has session services to simulate
    stages, steps = [], []
    netplan.plan(topo, scenario, sim="analytic",
                 progress=lambda stage, index, total: stages.append(stage),
                 step_progress=lambda done, total, what: steps.append((stages[-1], what)))
    by_stage = {stage: [what for s, what in steps if s == stage] for stage in stages}
    assert any(w.startswith("sweeping failure states") for w in by_stage["analyse"])
    # The fixed planner sizes from the study's per-year sweep, made in the optimize stage.
    assert any(w.startswith("sweeping failure states: extranet 2026")
               for w in by_stage["optimize"])
    assert by_stage["simulate"] and all(w.startswith("hour ") for w in by_stage["simulate"])


# --- --png / --pdf checked before the run ----------------------------------------------
@pytest.mark.parametrize(("flag", "missing", "install"), [
    ("--png", "kaleido_found", "pip install 'netplan[static]'"),
    ("--pdf", "chromium_found", "apt-get install chromium"),
])
def test_a_missing_tool_stops_plan_before_it_computes(tmp_path, monkeypatch, flag, missing,
                                                        install):
    from netplan.report import static

    monkeypatch.setattr(static, missing, lambda: False)
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["plan", "-o", str(out), flag])
    assert result.exit_code == 2
    assert install in result.output and flag in result.output
    assert "[1/6]" not in result.output and not out.exists()


def test_tools_present_means_no_problem(monkeypatch):
    from netplan.report import static

    monkeypatch.setattr(static, "kaleido_found", lambda: True)
    monkeypatch.setattr(static, "chromium_found", lambda: True)
    assert static.tool_problems(pdf=True, png=True) == []


# --- the run's index -------------------------------------------------------------------
@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan") / "baseline"
    result = CliRunner().invoke(cli, ["plan", "-o", str(out), "--sim", "analytic"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out, result.output


def _written(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*")
            if p.is_file() and not p.name.startswith(".")}


def test_every_file_a_plan_writes_is_described_and_every_described_file_is_written(plan_dir):
    from netplan.run.files import ONLY_WITH, RUN_FILES, describe

    out, _ = plan_dir
    written = _written(out)
    assert {name for name in written if describe(name) is None} == set()
    expected = {name for name in RUN_FILES
                if name not in ONLY_WITH or "--sim analytic" in ONLY_WITH[name]}
    assert expected == written


def test_the_index_has_a_line_in_english_and_chinese_for_each_file(plan_dir):
    out, _ = plan_dir
    lines = [ln for ln in (out / "index.md").read_text(encoding="utf-8").splitlines()
             if ln.startswith("- ")]
    listed = [re.match(r"- `([^`]+)` — ", ln)[1] for ln in lines]
    assert sorted(listed) == sorted(_written(out))
    for line in lines:
        english, chinese = line.split(" — ", 1)[1].rsplit(" / ", 1)
        assert re.search("[a-z]{3}", english) and HAN.search(chinese), line


def test_the_last_line_of_plan_points_to_the_index(plan_dir):
    out, output = plan_dir
    count = len(_written(out))
    assert output.splitlines()[-1] == f"wrote {out}: {count} files — see {out}/index.md"


# --- show --links / --nodes -------------------------------------------------------------
def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_show_links_lists_every_link_of_the_file():
    rows = _csv(SMALL / "links.csv")
    result = run("show", SMALL / "topology.yaml", "--links")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "plane", "a", "b", "tier×modules", "capacity_gbps",
                                "length_km", "candidate"]
    body = {ln.split()[0]: ln.split() for ln in lines[1:len(rows) + 1]}
    assert set(body) == {r["id"] for r in rows}
    # c1-c2: two modules of the 10G tier = 20 Gbit/s; d3-d2 is a candidate, nothing installed.
    assert body["c1-c2"][:6] == ["c1-c2", "extranet", "core-1", "core-2", "10G×2", "20"]
    assert body["d3-d2"][4] == "1G×0" and body["d3-d2"][-1] == "candidate"
    assert lines[-1].startswith(f"{len(rows)} links (1 candidates)")


def test_show_links_of_one_plane_as_json():
    rows = _csv(SMALL / "links.csv")
    result = run("show", SMALL / "topology.yaml", "--links", "--plane", "intranet", "--json")
    doc = json.loads(result.output)
    assert [lk["id"] for lk in doc["links"]] == [r["id"] for r in rows if r["plane"] == "intranet"]
    first = doc["links"][0]
    assert set(first) == {"id", "plane", "a", "b", "tier", "modules", "capacity_gbps",
                          "length_km", "candidate"}
    assert (first["tier"], first["modules"], first["capacity_gbps"]) == ("10G", 1, 10.0)
    assert "nodes" not in doc


def test_show_nodes_lists_ids_names_and_planes():
    data = yaml.safe_load((SMALL / "topology.yaml").read_text(encoding="utf-8"))
    result = run("show", SMALL / "topology.yaml", "--nodes", "--json")
    nodes = json.loads(result.output)["nodes"]
    assert [n["id"] for n in nodes] == [n["id"] for n in data["nodes"]]
    d1 = next(n for n in nodes if n["id"] == "d1")
    assert (d1["name"], d1["name_zh"], d1["planes"]) == ("District 1", "一区",
                                                         ["extranet", "intranet"])
    text = run("show", SMALL / "topology.yaml", "--nodes", "--plane", "extranet").output
    exit_line = next(ln for ln in text.splitlines() if ln.startswith("exit "))
    assert exit_line.split()[-1] == "extranet"


def test_show_plane_alone_is_a_usage_error():
    assert run("show", "--plane", "intranet").exit_code == 2


# --- schemas ----------------------------------------------------------------------------
jsonschema = pytest.importorskip("jsonschema")


def _validator(kind: str):
    result = run("schema", kind)
    assert result.exit_code == 0
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _readme_scenario() -> dict:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S)
                 if "name: my-surge" in b)
    return yaml.safe_load(block)


def test_schema_without_a_kind_lists_the_kinds():
    result = run("schema")
    assert result.exit_code == 0
    assert "topology" in result.output and "scenario" in result.output


def test_the_readme_partial_scenario_validates():
    example = _readme_scenario()
    assert "extends" in example and "services" not in example
    assert list(_validator("scenario").iter_errors(example)) == []


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "scenarios").glob("*.yaml")
                                         if not p.name.endswith(".batch.yaml")),
                         ids=lambda p: p.name)
def test_every_shipped_scenario_validates(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert list(_validator("scenario").iter_errors(data)) == []


def _whole_baseline() -> dict:
    """The baseline as one file without ``extends``: merged with the catalogue it rests on."""
    from netplan.io.scenario_io import resolve_extends
    from netplan.io.yamlfile import load_yaml

    full = resolve_extends(load_yaml(BASELINE), (str(BASELINE.resolve()),)).data
    assert "extends" not in full and "services" in full and "profiles" in full
    return full


def test_a_scenario_without_extends_still_needs_its_fields():
    validator = _validator("scenario")
    full = _whole_baseline()
    assert list(validator.iter_errors(full)) == []
    without_name = {k: v for k, v in full.items() if k != "name"}
    assert [e.message for e in validator.iter_errors(without_name)] == \
        ["'name' is a required property"]
    # Alone, a mapping must be whole; under extends it merges into the base's.
    part = {"staff_total": 5}
    assert list(validator.iter_errors({**full, "drivers": part}))
    assert not list(validator.iter_errors({"extends": "baseline.yaml", "drivers": part}))


CATALOGUE = ROOT / "scenarios/catalogue/programme.yaml"


def _messages(document: dict) -> list[str]:
    return [e.message for e in _validator("scenario").iter_errors(document)]


def test_the_shipped_catalogue_validates_and_keeps_to_its_fields():
    from netplan.io.scenario_io import CATALOGUE_FIELDS
    from netplan.io.validate import CATALOGUE_KEYS

    assert CATALOGUE_KEYS == CATALOGUE_FIELDS  # the loader's list and the schema's agree
    catalogue = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    assert catalogue["kind"] == "catalogue"
    assert _messages(catalogue) == []
    # A catalogue gives no scenario field, and gives its profiles and services whole.
    assert _messages({**catalogue, "base_year": 2026})
    assert _messages({k: v for k, v in catalogue.items() if k != "services"}) == \
        ["'services' is a required property"]
    entry = {k: v for k, v in catalogue["services"][0].items() if k != "plane"}
    assert _messages({**catalogue, "services": [entry]}) == ["'plane' is a required property"]


def test_a_scenario_on_a_catalogue_needs_its_fields_but_profiles_and_services():
    full = _whole_baseline()
    own = {k: v for k, v in full.items() if k not in ("profiles", "profiles_estimate", "services")}
    on_catalogue = {**own, "catalogue": "catalogue/programme.yaml"}
    assert _messages(on_catalogue) == []
    assert _messages({k: v for k, v in on_catalogue.items() if k != "title"}) == \
        ["'title' is a required property"]
    assert _messages(own) == ["'profiles' is a required property",
                              "'services' is a required property"]
    # Its services change the catalogue's by id: an entry gives its id and what it changes.
    assert _messages({**on_catalogue, "services": [{"id": "oa_email", "growth_per_year": 0.3}]}) == []
    assert _messages({**on_catalogue, "services": [{"growth_per_year": 0.3}]}) == \
        ["'id' is a required property"]


def test_an_extending_scenario_changes_a_service_by_id():
    assert _messages({"extends": "baseline.yaml",
                      "services": [{"id": "portal", "growth_per_year": 0.2}]}) == []
    assert _messages({"extends": "baseline.yaml", "services": [{"id": "portal", "colour": 1}]})


@pytest.mark.parametrize("targets, valid", [
    ({"*": 99.95}, True),
    ({"*": 99.9, "渝东北": 99.5, "wanzhou": 99.99}, True),
    ({"*": 0.9995}, False),     # a fraction, not a percentage
    ({"*": 100}, False),        # no network is up the whole year
    ({"wan zhou": 99.9}, False),  # not a district id, a region or *
    ({}, False),
])
def test_the_availability_block_is_checked_as_the_model_checks_it(targets, valid):
    from pydantic import ValidationError as ModelError

    from netplan.model.scenario import AvailabilityTargets

    try:
        AvailabilityTargets(targets=targets)
        model_valid = True
    except ModelError:
        model_valid = False
    assert model_valid is valid
    block = {"targets": targets, "judged_on": "network"}
    assert (_messages({"extends": "baseline.yaml", "availability": block}) == []) is valid
    assert (_messages({**_whole_baseline(), "availability": block}) == []) is valid


def test_a_partial_scenario_is_still_checked():
    validator = _validator("scenario")
    assert list(validator.iter_errors({"extends": "baseline.yaml", "titel": "typo"}))
    assert list(validator.iter_errors({"extends": "baseline.yaml",
                                       "overrides": [{"action": "scale_service"}]}))


def test_the_shipped_topologies_validate_with_their_csv_tables():
    from netplan.io.topology_io import TABLES
    from netplan.io.validate import csv_tables
    from netplan.model.topology import Topology

    assert set(csv_tables(Topology.model_json_schema())) == set(TABLES)
    validator = _validator("topology")
    for path in (ROOT / "topologies").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert list(validator.iter_errors(data)) == [], path.name


# --- hints name commands that work ------------------------------------------------------
COMMAND = re.compile(r"`egov-netplan ([^`]+)`")


def _help_texts(command, texts: list[str]) -> list[str]:
    texts.append(command.help or "")
    texts.extend(p.help or "" for p in command.params if hasattr(p, "help"))
    for sub in getattr(command, "commands", {}).values():
        _help_texts(sub, texts)
    return texts


def _hints(tmp_path: Path) -> set[str]:
    """The commands the tool's help and its unknown-field errors tell a user to run."""
    found = set()
    for text in _help_texts(cli, []):
        found.update(COMMAND.findall(" ".join(text.split())))
    for kind, source in (("topology", SMALL / "topology.yaml"), ("scenario", BASELINE)):
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        data["colour"] = "blue"
        if kind == "scenario":
            data.pop("topology")
        (tmp_path / "links.csv").write_bytes((SMALL / "links.csv").read_bytes())
        bad = tmp_path / f"bad-{kind}.yaml"
        bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        result = run("validate", bad)
        assert result.exit_code == 2 and "unknown field" in result.output
        found.update(COMMAND.findall(result.output))
    return found


def _arguments(hint: str, tmp_path: Path) -> list[str]:
    """The hint's command with its placeholders filled in with real files and folders."""
    fill = {"BATCH.yaml": str(ROOT / "scenarios/growth-video.batch.yaml"),
            "DIR": str(tmp_path / "batch")}
    args = [fill.get(word, word) for word in hint.split()]
    if args == ["validate"]:  # "then `egov-netplan validate` on your own files"
        args += [str(TOPOLOGY), str(BASELINE)]
    return args


def test_every_hint_names_a_command_that_works(tmp_path):
    hints = _hints(tmp_path)
    assert {"show", "validate", "schema topology", "schema scenario"} <= hints
    # Starting a batch comes before resuming it; the rest in any order.
    for hint in sorted(hints, key=lambda h: ("--resume" in h, h)):
        args = _arguments(hint, tmp_path)
        if args[0] == "batch" and "--resume" not in args:
            args += ["--workers", "1", "--no-progress"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, (hint, result.output)
