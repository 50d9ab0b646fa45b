"""The what-if page in headless Chromium: offline, a link failure changes the answer, and the
saved scenario gives the page's numbers under ``egov-netplan plan``.

The page is driven as a planner would: raise a service's growth, remove a district's link,
save. The references are independent of the page: the browser's own request log (only the
local server is asked for anything), the topology (Wanzhou hangs on two extranet links, so
without one of them the n-1 failure of the other cuts it off), and ``validate`` and ``plan``
run as commands on the file the page saved. The screenshots in docs/whatif-page.md are made
here: ``NETPLAN_WRITE_SCREENSHOTS=1 pytest -n 0 tests/test_serve_browser.py`` rewrites them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, browser_unavailable

import netplan
from netplan.serve.app import make_server
from netplan.serve.workspace import Workspace

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(browser_unavailable() is not None, reason=str(browser_unavailable())),
]

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
TIMEOUT_MS = 120_000
LINK = "ex-wanzhou-1"

# What the page shows now: verdict, capex and purchases (as numbers), findings.
SHOWN_JS = """() => ({
  meets: document.getElementById('verdict').dataset.meets,
  capex: Number(document.getElementById('capex').dataset.capex),
  purchases: Number(document.getElementById('capex').dataset.purchases),
  headline: document.getElementById('headline').textContent,
  purchase_rows: Array.from(document.querySelectorAll('#purchases tbody tr'))
    .map(tr => Array.from(tr.children).slice(0, 3).map(td => td.textContent).join('|')),
  map_traces: (document.getElementById('map').data || []).length,
  map_svg: document.querySelectorAll('#map .main-svg').length,
})"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("whatif")
    workspace = Workspace.start(netplan.default_topology_path(),
                                netplan.default_scenario_path("growth-5y"), root)
    server = make_server(workspace, port=0, lang="en")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server, root
    server.shutdown()
    server.server_close()


def _checked(page, before: int) -> int:
    """Wait until an answer newer than ``before`` is drawn and its verdict fully checked."""
    page.wait_for_function(f"() => Number(document.body.dataset.checked || 0) > {before}",
                           timeout=TIMEOUT_MS)
    return int(page.evaluate("() => Number(document.body.dataset.checked)"))


def _growth_service(page) -> str:
    ids = page.evaluate("() => Array.from(document.querySelectorAll('#services input[type=range]'))"
                        ".map(e => e.id.slice('growth-'.length))")
    return "internet_access" if "internet_access" in ids else ids[0]


def _set_range(page, selector: str, value: int) -> None:
    page.eval_on_selector(selector, """(e, v) => { e.value = String(v);
        e.dispatchEvent(new Event('input')); e.dispatchEvent(new Event('change')); }""", value)


def test_the_page_answers_what_ifs_and_plan_reproduces_them(served, tmp_path):
    from playwright.sync_api import sync_playwright

    server, root = served
    host = f"127.0.0.1:{server.server_address[1]}"
    requests: list[str] = []
    errors: list[str] = []
    shots = IMAGES if os.environ.get("NETPLAN_WRITE_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            # Offline: anything but the local server is refused (and recorded).
            context.route("**/*", lambda route: route.continue_()
                          if urlsplit(route.request.url).netloc == host else route.abort())
            page = context.new_page()
            page.on("request", lambda req: requests.append(req.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server.url, wait_until="load", timeout=TIMEOUT_MS)
            seen = _checked(page, 0)
            start = page.evaluate(SHOWN_JS)
            assert start["meets"] == "true" and start["map_svg"] >= 1, start

            service = _growth_service(page)
            _set_range(page, f"#growth-{service}", 100)
            seen = _checked(page, seen)
            grown = page.evaluate(SHOWN_JS)
            # Doubling a service every year for five years cannot cost less.
            assert grown["capex"] > start["capex"], (start, grown)
            assert grown["purchases"] != start["purchases"] or \
                grown["purchase_rows"] != start["purchase_rows"]

            page.select_option("#link-pick", LINK)
            page.click("#link-remove")
            seen = _checked(page, seen)
            failed = page.evaluate(SHOWN_JS)
            assert failed["meets"] == "false", failed
            assert "Wanzhou" in failed["headline"] and "cut off" in failed["headline"]
            assert failed["purchase_rows"] != grown["purchase_rows"]
            page.locator("#verdict").screenshot(path=str(shots / "whatif-en-verdict.png"))
            page.locator("#map").screenshot(path=str(shots / "whatif-en-map.png"))

            page.fill("#save-name", "wanzhou-cut.yaml")
            page.click("#save")
            page.wait_for_selector("#save-result.ok", timeout=TIMEOUT_MS)
            page.evaluate("() => window.scrollTo(0, 0)")
            page.screenshot(path=str(shots / "whatif-en-page.png"))
            page.locator("#changes").screenshot(path=str(shots / "whatif-en-changes.png"))
        finally:
            browser.close()

    assert not errors, errors
    assert requests and all(urlsplit(u).netloc == host for u in requests), requests
    saved = root / "wanzhou-cut.yaml"
    assert saved.is_file()

    validate = subprocess.run([sys.executable, "-m", "netplan", "validate", str(saved)],
                              capture_output=True, text=True, cwd=root, timeout=300)
    assert validate.returncode == 0, validate.stderr
    out = tmp_path / "run"
    plan = subprocess.run([sys.executable, "-m", "netplan", "plan",
                           str(netplan.default_topology_path()), str(saved), "-o", str(out)],
                          capture_output=True, text=True, cwd=root, timeout=600)
    assert plan.returncode == 3, plan.stderr  # ran, misses targets: as the page said
    summary = json.loads((out / "summary.json").read_text())
    assert summary["verdict"]["meets_targets"] is False
    assert summary["verdict"]["headline"] == failed["headline"]
    assert summary["plan"]["purchases"] == failed["purchases"]
    assert summary["costs"]["purchases"]["capex_total_cny"] == failed["capex"]
    rows = json.loads((out / "plan.json").read_text())["rows"]
    bought = sorted(f"{r['year']}|{r['item']}|{r['id']}" for r in rows if r["purchase"])
    assert bought == sorted(failed["purchase_rows"])
