"""The Chinese report is Chinese: no English word outside ids and units; the English one is English.

Every reason the shipped scenarios' plans give is rendered in Chinese too.
"""

from __future__ import annotations

import re

import pytest

import netplan
from netplan.report.reasons_zh import reason_zh
from tests.zh_text import english_words, visible_strings

#: Units, formats and names that are the same in both languages.
UNITS = {"Gbit/s", "Mbit/s", "ms", "km", "s", "kW", "G", "GB/T", "n-1", "n-1-nodes", "n-2",
         "srlg", "netplan", "Plotly", "HiGHS", "MILP", "ECMP", "DC", "CSV", "JSON", "PDF",
         "SHA-256", "Erlang", "Erlang-B", "Erlang-C", "Kaufman-Roberts", "M/M/c", "PS", "UTC",
         "plotly.js", "summary.json", "x", "e"}
#: Names cited inside the Chinese source texts: sites, files, standards, vendors, codecs.
CITED = {"cbg.cn", "cqrd.gov.cn", "ceirp.cn", "traffic_classes.csv", "PROVENANCE.md", "GCJ-02", "WGS-84",
         "H.264", "H.265", "1080p30", "1080P", "720p", "TB", "Cisco", "Zoom", "carrier-a",
         "carrier-b", "calculator", "topologies/data/PROVENANCE.md"}


def _ids(run) -> set[str]:
    topo = run.topology
    ids = {n.id for n in topo.nodes} | {k.id for k in topo.links} | {t.name for t in topo.tiers}
    ids |= {d.id for d in topo.data_centres} | {s.id for s in run.scenario.services}
    ids |= {run.scenario.name, *run.scenario.profiles}
    ids |= {k.id for k in run.demand.whatif.topology.links}
    return ids | {f"link:{k}" for k in ids} | {f"node:{k}" for k in ids}


@pytest.fixture(scope="module", params=["baseline", "growth-5y"])
def run(request):
    topo = netplan.load_topology(netplan.default_topology_path())
    scenario = netplan.load_scenario(netplan.default_scenario_path(request.param), topo)
    return netplan.plan(topo, scenario)


def test_zh_report_shows_no_untranslated_english(run):
    words = english_words(visible_strings(run.report_html("zh")), _ids(run) | UNITS | CITED)
    assert not words, words


def test_en_report_shows_no_chinese_outside_names(run):
    names = {n.name_zh for n in run.topology.nodes} | {s.name_zh for s in run.scenario.services}
    strings = visible_strings(run.report_html("en"))

    def mostly_chinese(s: str) -> bool:
        # English text may cite a Chinese proper name (渝快办); a Chinese sentence may not stay.
        letters = re.findall(r"[A-Za-z\u4e00-\u9fff]", s)
        return sum("\u4e00" <= c <= "\u9fff" for c in letters) > len(letters) / 2

    chinese = [s for s in strings if mostly_chinese(s) and s not in names]
    # Names of places and services are shown beside their English names: nothing else.
    assert not [s for s in chinese if not any(n and n in s for n in names)], chinese[:10]


def test_no_year_prints_with_a_thousands_separator(run):
    for lang in ("zh", "en"):
        page = "\n".join(visible_strings(run.report_html(lang)))
        assert not re.search(r"\b2,0\d\d\b", page), lang


@pytest.mark.parametrize("name", ["baseline", "growth-5y", "video-surge", "dc-outage",
                                  "consolidation", "n-1-audit", "smart-city-2020"])
def test_every_reason_of_the_shipped_plans_reads_in_chinese(name):
    topo = netplan.load_topology(netplan.default_topology_path())
    scenario = netplan.load_scenario(netplan.default_scenario_path(name), topo)
    plan = netplan.optimize(topo, scenario, check=False)
    allowed = {n.id for n in topo.nodes} | {k.id for k in topo.links} | {name} | UNITS
    allowed |= {t.name for t in topo.tiers}
    for row in plan.purchases():
        zh = reason_zh(row["reason"])
        assert not english_words([zh], allowed), (row["reason"], zh)
    for item in plan.infeasibilities:
        zh = reason_zh(item["reason"])
        assert not english_words([zh], allowed), (item["reason"], zh)
