"""The report's first screen answers the question, in headless Chromium, in both languages.

The first 1,000 px show the verdict and the capex total of the purchases. The screenshots in
docs/reports.md are made here: ``NETPLAN_WRITE_SCREENSHOTS=1 pytest -n 0
tests/test_report_first_screen.py`` rewrites them from the current report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from browser import browser_unavailable, open_in_browser

import netplan
from netplan.report.i18n import t
from netplan.report.numbers import format_money

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(browser_unavailable() is not None, reason=str(browser_unavailable())),
]

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
FIRST_SCREEN_PX = 1000

# The visible text of every element whose top lies on the first screen.
TOP_TEXT_JS = """(limit) => {
  const out = [];
  for (const el of document.querySelectorAll('h1, h2, p, td, th, li, .subtitle')) {
    const box = el.getBoundingClientRect();
    if (box.top + window.scrollY < limit && box.height > 0) out.push(el.innerText);
  }
  return out.join('\\n');
}"""


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    topo = netplan.load_topology(netplan.default_topology_path())
    scenario = netplan.load_scenario(netplan.default_scenario_path("growth-5y"), topo)
    run = netplan.plan(topo, scenario)
    directory = tmp_path_factory.mktemp("first-screen")
    for lang in ("zh", "en"):
        (directory / f"report-{lang}.html").write_text(run.report_html(lang), encoding="utf-8")
    return directory, run


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_first_screen_shows_the_verdict_and_the_capex(saved_run, lang, tmp_path):
    directory, run = saved_run
    out = IMAGES if os.environ.get("NETPLAN_WRITE_SCREENSHOTS") else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    shots = {out / f"report-{lang}-first-screen.png": "viewport",
             out / f"report-{lang}-map.png": f"section:has(h2:has-text('{t('sec.map', lang)}')) figure",
             out / f"report-{lang}-plan.png": "section:first-of-type .table-wrap"}
    _, errors, info = open_in_browser(
        directory / f"report-{lang}.html",
        evaluate=f"() => ({TOP_TEXT_JS})({FIRST_SCREEN_PX})", screenshots=shots)
    assert not errors, errors
    top = info["evaluated"]
    summary = json.loads(json.dumps(run.summary()))
    capex = format_money(summary["costs"]["purchases"]["capex_total_cny"], lang)
    assert capex in top, top[:600]
    assert ("达标" if lang == "zh" else "Meets targets") in top, top[:600]
    assert all(path.stat().st_size > 10_000 for path in shots), "a screenshot is empty"


def test_reports_page_shows_the_screenshots():
    page = (ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    for lang in ("zh", "en"):
        for part in ("first-screen", "map", "plan"):
            name = f"images/report-{lang}-{part}.png"
            assert name in page and (ROOT / "docs" / name).is_file(), name
