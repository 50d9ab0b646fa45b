"""The programme's service catalogue: every number sourced or an estimate, and validated like any input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import netplan
from netplan.cli import cli
from netplan.errors import ValidationError
from netplan.model.catalogue import Hosting, storage_servers, storage_servers_per_gbps

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "scenarios" / "catalogue" / "programme.yaml"
# Fields of a service that hold numbers (written out here, not taken from the code).
NUMBERS = ("up_mbps_per_unit", "down_mbps_per_unit", "active_fraction", "fixed_gbps",
           "growth_per_year", "servers_per_gbps", "region_weights", "session", "targets",
           "hosting")
TWELVE = {"办公业务资源", "宏观经济管理", "金税", "金关", "金财", "金融监管", "金审", "金盾",
          "社会保障", "金农", "金水", "金质"}
FOUR = {"人口", "法人单位", "空间地理和自然资源", "宏观经济"}


def _entries() -> list[dict]:
    return yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))["services"]


def test_every_number_in_the_catalogue_has_a_source_or_an_estimate_flag():
    for entry in _entries():
        sourced = entry.get("sourced") or {}
        for field in NUMBERS:
            if field in entry:
                assert entry.get("estimate") is True or str(sourced.get(field, "")).strip(), (
                    entry["id"], field)
        # Every entry says where its numbers come from, in both languages.
        assert entry.get("source", "").strip() or sourced, entry["id"]


def test_the_profiles_and_drivers_say_they_are_estimates():
    catalogue = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    assert catalogue["profiles_estimate"] is True
    baseline = yaml.safe_load((ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8"))
    assert baseline["drivers"]["estimate"] is True and baseline["drivers"]["source"].strip()


def test_the_catalogue_names_the_portal_twelve_systems_four_databases_and_sensing():
    entries = _entries()
    groups: dict[str, set[str]] = {}
    for entry in entries:
        groups.setdefault(entry.get("group", "common"), set()).add(entry.get("system", entry["id"]))
    assert len(groups["portal"]) == 1
    assert len(groups["application_system"]) == 12
    assert len(groups["base_database"]) == 4
    assert {"video_surveillance", "sensing_street_lights", "sensing_tunnels_bridges"} <= \
        groups["sensing"]
    names = " ".join(e["name_zh"] for e in entries if e.get("group") == "application_system")
    assert all(name in names for name in TWELVE)
    names = " ".join(e["name_zh"] for e in entries if e.get("group") == "base_database")
    assert all(name in names for name in FOUR)
    assert all(e.get("plane_reason", "").strip() for e in entries)


def test_storage_servers_follow_records_by_hand():
    # 32,054,159 records × 500 kB = 16.027 TB; at 40 TB per server 0.4007 servers.
    hosting = Hosting(records=32054159, storage_kb_per_record=500, storage_tb_per_server=40)
    assert storage_servers(hosting) == pytest.approx(32054159 * 500 / 1e9 / 40)
    assert storage_servers_per_gbps(hosting, 0.09) == pytest.approx(0.40067698 / 0.09, rel=1e-6)


def _scenario(tmp_path: Path, service: str) -> Path:
    (tmp_path / "catalogue").mkdir()
    text = CATALOGUE.read_text(encoding="utf-8")
    (tmp_path / "catalogue" / "programme.yaml").write_text(text, encoding="utf-8")
    base = (ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8")
    (tmp_path / "baseline.yaml").write_text(base.replace(
        "../topologies/chongqing.yaml", str(ROOT / "topologies" / "chongqing.yaml")), encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text("kind: scenario\nextends: baseline.yaml\nname: s\ntitle: t\nquestion: q\n"
                    "services:\n" + service, encoding="utf-8")
    return path


ENTRY = """\
  - id: x
    name: X
    group: application_system
    plane: extranet
    pattern: district_to_far_end
    far_end: dc-cloud
    driver: staff
    up_mbps_per_unit: 0.01
    profile: office
"""


@pytest.mark.parametrize(("extra", "words"), [
    ("    estimate: false\n", "numbers without a source and without estimate: true: up_mbps_per_unit"),
    ("    estimate: false\n    sourced: {up_mbps_per_unit: a survey, fixd_gbps: typo}\n",
     "'fixd_gbps' is not a number field"),
])
def test_an_unsourced_or_misnamed_number_is_refused_at_its_line(tmp_path, extra, words):
    path = _scenario(tmp_path, ENTRY + extra)
    with pytest.raises(ValidationError) as err:
        netplan.load_scenario(path, allow_outside=True)
    problem = err.value.problems[0]
    assert problem.file == str(path) and problem.line == 7 and problem.field == "services[0]"
    assert words in problem.message


def test_a_portal_needs_its_exit_and_a_database_its_storage(tmp_path):
    portal = ENTRY.replace("district_to_far_end", "citizens_via_exit") + "    estimate: true\n"
    database = """\
  - id: db
    name: DB
    group: base_database
    plane: extranet
    pattern: site_to_site
    from_site: dc-cloud
    far_end: dc-dr
    driver: fixed
    fixed_gbps: 0.1
    servers_per_gbps: 1
    hosting: {records: 1000000, storage_kb_per_record: 1000, storage_tb_per_server: 10}
    profile: replication
    estimate: true
"""
    path = _scenario(tmp_path, portal + database)
    with pytest.raises(ValidationError) as err:
        netplan.load_scenario(path, allow_outside=True)
    messages = [p.message for p in err.value.problems]
    assert any("citizens_via_exit needs from_site" in m for m in messages)
    # 1e6 × 1000 kB = 1 TB = 0.1 servers of 10 TB, over 0.1 Gbit/s: 1 server per Gbit/s.
    assert not any("cannot keep its records" in m for m in messages)
    path.write_text(path.read_text().replace("servers_per_gbps: 1\n", "servers_per_gbps: 0.5\n"))
    with pytest.raises(ValidationError) as err:
        netplan.load_scenario(path, allow_outside=True)
    assert any("hosting needs at least 1 per Gbit/s" in p.message for p in err.value.problems)


def test_validate_exits_2_naming_the_catalogue_line(tmp_path):
    path = _scenario(tmp_path, ENTRY + "    estimate: false\n")
    result = CliRunner().invoke(cli, ["--allow-outside", "validate", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}:7: services[0]" in result.output


# ----------------------------------------------------------------------------- the catalogue key


def _named(tmp_path: Path, body: str) -> Path:
    """A scenario naming the shipped catalogue with ``catalogue:``, the baseline's other fields."""
    (tmp_path / "catalogue").mkdir(exist_ok=True)
    (tmp_path / "catalogue" / "programme.yaml").write_text(CATALOGUE.read_text(encoding="utf-8"),
                                                           encoding="utf-8")
    base = yaml.safe_load((ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8"))
    del base["extends"], base["topology"]
    path = tmp_path / "named.yaml"
    path.write_text(yaml.safe_dump(base | {"catalogue": "catalogue/programme.yaml"},
                                   allow_unicode=True) + body, encoding="utf-8")
    return path


def test_a_scenario_naming_the_catalogue_adds_and_changes_services_by_id(tmp_path):
    path = _named(tmp_path, """\
services:
  - id: golden_shield
    targets: {max_latency_ms: 2.4}
""" + ENTRY + "    estimate: true\n")
    scenario = netplan.load_scenario(path, allow_outside=True)
    entries = _entries()
    assert [s.id for s in scenario.services] == [e["id"] for e in entries] + ["x"]
    shield = scenario.service("golden_shield")
    written = next(e for e in entries if e["id"] == "golden_shield")
    # The one target changes; the rest of the entry (and its other targets) is the catalogue's.
    assert shield.targets.max_latency_ms == 2.4
    assert shield.targets.max_blocking == written["targets"]["max_blocking"]
    assert shield.name_zh == written["name_zh"] and shield.driver == written["driver"]
    assert set(scenario.profiles) == set(yaml.safe_load(CATALOGUE.read_text())["profiles"])


def test_a_bad_entry_on_the_catalogue_is_cited_as_its_file_numbers_it(tmp_path):
    text = "services:\n  - id: golden_tax\n    up_mbps_per_unit: -1\n" + ENTRY + \
        "    estimate: false\n"
    path = _named(tmp_path, text)
    with pytest.raises(ValidationError) as err:
        netplan.load_scenario(path, allow_outside=True)
    lines = path.read_text(encoding="utf-8").splitlines()
    first = lines.index("  - id: golden_tax") + 1
    found = {(p.file, p.line, p.field): p.message for p in err.value.problems}
    assert len(found) == 2, found
    assert (str(path), first + 1, "services[0].up_mbps_per_unit") in found
    # One plain message for the entry: no "Tuple should have at least 1 item", no "Value error".
    message = found[(str(path), first + 2, "services[1]")]
    assert message == "numbers without a source and without estimate: true: up_mbps_per_unit"


def test_a_scenario_built_on_the_baseline_changes_a_service_by_id(tmp_path):
    path = _scenario(tmp_path, "  - id: golden_shield\n    targets: {max_latency_ms: 2.4}\n")
    scenario = netplan.load_scenario(path, allow_outside=True)
    assert len(scenario.services) == len(_entries())
    assert scenario.service("golden_shield").targets.max_latency_ms == 2.4


def test_validate_reads_a_catalogue_on_its_own(tmp_path):
    result = CliRunner().invoke(cli, ["validate", str(CATALOGUE)])
    assert result.exit_code == 0, result.output
    assert "application_system 12, base_database 4" in result.output
    bad = tmp_path / "cat.yaml"
    bad.write_text("kind: catalogue\ndrivers: {staff_total: 1}\nprofiles:\n  office: [1.0]\n"
                   "services:\n" + ENTRY, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--allow-outside", "validate", str(bad)])
    assert result.exit_code == 2, result.output
    assert f"{bad}:2: drivers: unknown field in a catalogue" in result.output
    bad.write_text(bad.read_text().replace("drivers: {staff_total: 1}\n", ""))
    result = CliRunner().invoke(cli, ["--allow-outside", "validate", str(bad)])
    assert result.exit_code == 2, result.output
    assert f"{bad}:3: profiles.office: a daily profile needs 24 hourly values" in result.output
