"""Every text the report shows from the shipped inputs has a Chinese version beside it.

The Chinese report shows an input's ``*_zh`` text where the English one is shown; these tests
hold the shipped scenarios and topologies to giving one for every non-empty English text, keep
the sources they cite, and check the rules for the Chinese fields themselves (the notes come
one for one; an ``extends`` that rewrites a text drops the inherited translation).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import netplan
from netplan.cli import cli
from netplan.errors import ValidationError
from netplan.io.scenario_io import catalogue_from_document
from netplan.io.yamlfile import dump_yaml, load_yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(p for p in (ROOT / "scenarios").glob("*.yaml")
                   if not p.name.endswith(".batch.yaml"))
TOPOLOGIES = sorted((ROOT / "topologies").glob("*.yaml"))
CATALOGUES = sorted((ROOT / "scenarios" / "catalogue").glob("*.yaml"))
CJK = re.compile(r"[\u4e00-\u9fff]")
# What a text cites and a translation must carry over as written: web sites, files, months.
CITATION = re.compile(r"\b[A-Za-z][\w-]*(?:\.[\w-]+)*\.(?:cn|com|org|csv|md)\b"
                      r"|\b\d{4}-\d{2}(?:-\d{2})?\b", re.ASCII)
SHIPPED_SCENARIOS = ("baseline", "consolidation", "dc-outage", "growth-5y", "n-1-audit",
                     "smart-city-2020", "video-surge")


def _pairs(english: str, chinese: str, where: str) -> list[tuple[str, str, str]]:
    return [(english, chinese, where)] if english else []


def _scenario_texts(path: Path) -> list[tuple[str, str, str]]:
    """``(English, Chinese, field)`` of every input text the report shows from a scenario."""
    scenario = netplan.load_scenario(path)
    pairs = _pairs(scenario.title, scenario.title_zh, "title")
    pairs += _pairs(scenario.question, scenario.question_zh, "question")
    pairs += _pairs(scenario.description, scenario.description_zh, "description")
    pairs += _pairs(scenario.drivers.source, scenario.drivers.source_zh, "drivers.source")
    return pairs + _service_texts(scenario.services)


def _service_texts(services) -> list[tuple[str, str, str]]:
    pairs = []
    for service in services:
        pairs += _pairs(service.name, service.name_zh, f"services.{service.id}.name")
        pairs += _pairs(service.source, service.source_zh, f"services.{service.id}.source")
    return pairs


def _catalogue_texts(path: Path) -> list[tuple[str, str, str]]:
    """The catalogue's own title and its services' texts, which every scenario on it shows."""
    doc = load_yaml(path)
    pairs = _pairs(doc.data.get("title", ""), doc.data.get("title_zh", ""), "title")
    return pairs + _service_texts(catalogue_from_document(doc)[1])


def _texts(path: Path) -> list[tuple[str, str, str]]:
    if path in SCENARIOS:
        return _scenario_texts(path)
    return _catalogue_texts(path) if path in CATALOGUES else _topology_texts(path)


def _topology_texts(path: Path) -> list[tuple[str, str, str]]:
    topology = netplan.load_topology(path)
    pairs = _pairs(topology.name, topology.name_zh, "name")
    if topology.notes:
        assert len(topology.notes_zh) == len(topology.notes), path.name
    pairs += [(en, zh, f"notes[{i}]")
              for i, (en, zh) in enumerate(zip(topology.notes, topology.notes_zh, strict=True))]
    return pairs


def test_the_shipped_files_are_the_ones_checked():
    assert tuple(p.stem for p in SCENARIOS) == SHIPPED_SCENARIOS
    assert [p.name for p in TOPOLOGIES] == ["chongqing-2025.yaml", "chongqing.yaml"]
    assert [p.name for p in CATALOGUES] == ["programme.yaml"]


@pytest.mark.parametrize("path", SCENARIOS + CATALOGUES + TOPOLOGIES, ids=lambda p: p.name)
def test_every_shown_english_text_has_a_chinese_one(path):
    pairs = _texts(path)
    assert pairs
    for english, chinese, field in pairs:
        assert chinese.strip(), f"{path.name}: {field} has no Chinese text"
        assert CJK.search(chinese), f"{path.name}: {field}_zh is not Chinese: {chinese!r}"
        assert chinese != english, f"{path.name}: {field}_zh repeats the English"


@pytest.mark.parametrize("path", SCENARIOS + CATALOGUES + TOPOLOGIES, ids=lambda p: p.name)
def test_translations_keep_the_cited_sources(path):
    pairs = _texts(path)
    for english, chinese, field in pairs:
        for cited in CITATION.findall(english):
            assert cited in chinese, f"{path.name}: {field}_zh drops {cited!r}"


def test_the_citations_found_are_the_sources_named():
    # The pattern above finds what the baseline cites, and no decimal number.
    text = ("渝快办 895,000 daily active users (2026-01, cbg.cn); 0.84 Mbit/s, ~830 bytes "
            "(cqrd.gov.cn), from traffic_classes.csv and topologies/data/PROVENANCE.md")
    assert CITATION.findall(text) == ["2026-01", "cbg.cn", "cqrd.gov.cn", "traffic_classes.csv",
                                      "PROVENANCE.md"]


# --- the notes come one for one ---------------------------------------------------------------

def _topology(**extra):
    return {
        "name": "two sites",
        "tiers": [{"name": "10G", "capacity_gbps": 10, "capex_cny": 1, "opex_cny_per_year": 1}],
        "nodes": [{"id": "a", "name": "A", "kind": "core", "lat": 29.56, "lon": 106.55},
                  {"id": "b", "name": "B", "kind": "district", "lat": 30.81, "lon": 108.41}],
        "links": [{"id": "a-b", "a": "a", "b": "b", "plane": "extranet", "tier": "10G"}],
        **extra,
    }


def test_notes_zh_of_another_length_is_a_problem_of_notes_zh():
    with pytest.raises(ValidationError) as caught:
        netplan.build_topology(_topology(notes=["one", "two"], notes_zh=["一"]))
    (problem,) = caught.value.problems
    assert problem.field == "notes_zh"
    assert problem.message.startswith("gives 1 notes, notes has 2")


def test_notes_zh_longer_than_notes_is_refused_too():
    with pytest.raises(ValidationError) as caught:
        netplan.build_topology(_topology(notes=["one"], notes_zh=["一", "二", "三"]))
    assert [p.field for p in caught.value.problems] == ["notes_zh"]
    assert "gives 3 notes, notes has 1" in caught.value.problems[0].message


def test_notes_zh_may_be_left_out_or_match():
    assert netplan.build_topology(_topology(notes=["one", "two"])).notes_zh == ()
    topo = netplan.build_topology(_topology(notes=["one", "two"], notes_zh=["一", "二"]))
    assert topo.notes_zh == ("一", "二")


def test_notes_zh_refuses_characters_that_disguise_text():
    with pytest.raises(ValidationError) as caught:
        netplan.build_topology(_topology(notes=["one"], notes_zh=["一\u202e"]))
    assert caught.value.problems[0].field == "notes_zh[0]"


def test_validate_names_the_file_line_and_counts(tmp_path):
    data = load_yaml(ROOT / "topologies" / "chongqing.yaml").data
    data["notes_zh"] = data["notes_zh"][:2]
    text = dump_yaml(data)
    (tmp_path / "chongqing.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "chongqing").symlink_to(ROOT / "topologies" / "chongqing")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "chongqing.yaml")],
                                catch_exceptions=False)
    assert result.exit_code == 2
    found = re.search(r"chongqing\.yaml:(\d+): notes_zh: gives 2 notes, notes has 7", result.output)
    assert found, result.output
    key_line = text[:text.index("\nnotes_zh:")].count("\n") + 2
    assert int(found[1]) in (key_line, key_line + 1)  # the key, or its first item


# --- extends ------------------------------------------------------------------------------------

def _extending(tmp_path: Path, body: str) -> Path:
    # baseline.yaml extends the programme's catalogue: both are copied, laid out as shipped.
    for name in ("baseline.yaml", "catalogue/programme.yaml"):
        copy = tmp_path / name
        copy.parent.mkdir(exist_ok=True)
        copy.write_text((ROOT / "scenarios" / name).read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "variant.yaml"
    path.write_text("kind: scenario\nextends: baseline.yaml\nname: variant\n" + body,
                    encoding="utf-8")
    return path


@pytest.fixture
def topology():
    return netplan.load_topology(netplan.default_topology_path())


def test_a_rewritten_drivers_source_drops_the_inherited_translation(tmp_path, topology):
    path = _extending(tmp_path, "drivers:\n  source: every total is an estimate\n")
    scenario = netplan.load_scenario(path, topology)
    assert scenario.drivers.source == "every total is an estimate"
    assert scenario.drivers.source_zh == ""
    assert scenario.drivers.staff_total == 550000  # the rest of the mapping still merges


def test_a_drivers_source_rewritten_with_its_translation_keeps_both(tmp_path, topology):
    path = _extending(tmp_path, "drivers:\n  source: all estimates\n  source_zh: 均为估算\n")
    scenario = netplan.load_scenario(path, topology)
    assert (scenario.drivers.source, scenario.drivers.source_zh) == ("all estimates", "均为估算")


def test_untouched_texts_keep_the_base_translation(tmp_path, topology):
    path = _extending(tmp_path, "drivers:\n  staff_total: 600000\nhorizon_years: 2\n")
    scenario = netplan.load_scenario(path, topology)
    base = netplan.load_scenario(ROOT / "scenarios" / "baseline.yaml", topology)
    assert scenario.drivers.source_zh == base.drivers.source_zh != ""
    assert [s.source_zh for s in scenario.services] == [s.source_zh for s in base.services]


def test_a_new_service_of_an_extending_file_is_added_to_the_catalogue_ones(tmp_path, topology):
    # baseline.yaml rests on a catalogue, so its services are added to by id, not replaced;
    # the new one has no translation, the inherited ones keep theirs.
    path = _extending(tmp_path, (
        "services:\n"
        "  - {id: only, name: Only, plane: extranet, pattern: district_to_far_end,\n"
        "     far_end: dc-cloud, driver: staff, up_mbps_per_unit: 0.01, profile: office,\n"
        "     source: a new estimate}\n"))
    scenario = netplan.load_scenario(path, topology)
    base = netplan.load_scenario(ROOT / "scenarios" / "baseline.yaml", topology)
    assert [s.id for s in scenario.services] == [s.id for s in base.services] + ["only"]
    assert (scenario.services[-1].source, scenario.services[-1].source_zh) == (
        "a new estimate", "")
    assert [s.source_zh for s in scenario.services[:-1]] == [s.source_zh for s in base.services]


def test_a_service_rewritten_by_id_drops_the_inherited_translation(tmp_path, topology):
    path = _extending(tmp_path, (
        "services:\n  - {id: oa_email, name: Office mail, source: a new estimate}\n"))
    scenario = netplan.load_scenario(path, topology)
    base = netplan.load_scenario(ROOT / "scenarios" / "baseline.yaml", topology)
    changed = scenario.service("oa_email")
    assert changed.up_mbps_per_unit == base.service("oa_email").up_mbps_per_unit  # merged
    assert (changed.name, changed.name_zh) == ("Office mail", "")
    assert (changed.source, changed.source_zh) == ("a new estimate", "")


# --- every shipped file validates ---------------------------------------------------------------

def test_validate_accepts_every_shipped_scenario_and_topology():
    files = [str(p) for p in SCENARIOS + CATALOGUES + TOPOLOGIES]
    result = CliRunner().invoke(cli, ["validate", *files], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.count("ok ") == len(files)
