"""Time from a control change on the what-if page to the redrawn page, against running ``plan``.

The page (``egov-netplan serve``) is loaded in headless Chromium (Debian's /usr/bin/chromium
through Playwright, kept off the network). Each change moves one service's growth slider;
the page records, in the browser, the time from the change to the redrawn verdict,
purchases, tables and map (``window.netplanLastRedrawMs``), and to the verdict with the
services' closed forms (``window.netplanLastCheckedMs``). The naive reference, in the same
run, is what a planner did before: save the changed scenario and run ``egov-netplan plan``
on it (a fresh process per change, report included), timed from start to exit.

Usage::

    python benchmarks/bench_serve.py [--changes 15] [--naive 3] [--scenario baseline ...]

Prints a Markdown table (median and best of the changes; ratio of medians).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import netplan  # noqa: E402
from netplan.serve.app import make_server  # noqa: E402
from netplan.serve.edits import Edits, dump_whatif, whatif_document  # noqa: E402
from netplan.serve.workspace import Workspace  # noqa: E402

TIMEOUT_MS = 300_000


def _page_times(server, changes: int) -> tuple[list[float], list[float], str]:
    """Redraw and fully-checked times (ms) of ``changes`` growth-slider moves in the page."""
    from urllib.parse import urlsplit

    from browser import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    host = f"127.0.0.1:{server.server_address[1]}"
    drawn, checked = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", lambda route: route.continue_()
                          if urlsplit(route.request.url).netloc == host else route.abort())
            page = context.new_page()
            page.goto(server.url, wait_until="load", timeout=TIMEOUT_MS)
            page.wait_for_function("() => document.body.dataset.checked", timeout=TIMEOUT_MS)
            service = page.evaluate(
                "() => document.querySelector('#services input[type=range]').id.slice(7)")
            for k in range(changes):
                seen = int(page.evaluate("() => Number(document.body.dataset.checked)"))
                page.eval_on_selector(f"#growth-{service}", """(e, v) => { e.value = String(v);
                    e.dispatchEvent(new Event('change')); }""", 20 + 5 * (k % 12))
                page.wait_for_function(
                    f"() => Number(document.body.dataset.checked || 0) > {seen}",
                    timeout=TIMEOUT_MS)
                drawn.append(page.evaluate("() => window.netplanLastRedrawMs"))
                checked.append(page.evaluate("() => window.netplanLastCheckedMs"))
        finally:
            browser.close()
    return drawn, checked, service


def _naive_times(workspace: Workspace, key: str, service: str, repeats: int) -> list[float]:
    """Seconds per change of: write the scenario, run ``egov-netplan plan`` on it."""
    topo = netplan.load_topology(workspace.topology)
    times = []
    for k in range(repeats):
        edits = Edits.from_json({"base": key, "growth": {service: 0.2 + 0.05 * k}})
        path = workspace.root / "naive.yaml"
        start = time.perf_counter()
        path.write_text(dump_whatif(whatif_document(edits, workspace, topo)), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "netplan", "plan", str(workspace.topology),
                        str(path), "-o", str(workspace.root / "naive-run"), "--overwrite"],
                       check=False, capture_output=True, cwd=workspace.root)
        times.append(time.perf_counter() - start)
    return times


def measure(scenario: str, changes: int, naive: int) -> dict:
    """One scenario of the default network: page times and the naive reference's."""
    with tempfile.TemporaryDirectory() as root:
        workspace = Workspace.start(netplan.default_topology_path(),
                                    netplan.default_scenario_path(scenario), root)
        server = make_server(workspace, port=0, lang="en")
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            drawn, checked, service = _page_times(server, changes)
        finally:
            server.shutdown()
            server.server_close()
        naive_s = _naive_times(workspace, workspace.key(workspace.scenario), service, naive)
    return {"scenario": scenario, "service": service, "drawn_ms": drawn, "checked_ms": checked,
            "naive_s": naive_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=15, help="slider moves per scenario")
    parser.add_argument("--naive", type=int, default=3, help="plan runs per scenario")
    parser.add_argument("--scenario", action="append", default=None,
                        help="shipped scenario (repeat; default: baseline and growth-5y)")
    args = parser.parse_args()
    print("| scenario | changes | redrawn: median (best) | verdict checked: median (best) "
          "| `plan` per change: median (best) | ratio of medians |")
    print("|---|---:|---:|---:|---:|---:|")
    for scenario in args.scenario or ["baseline", "growth-5y"]:
        r = measure(scenario, args.changes, args.naive)
        drawn, checked = statistics.median(r["drawn_ms"]), statistics.median(r["checked_ms"])
        naive = statistics.median(r["naive_s"])
        print(f"| {scenario} | {len(r['drawn_ms'])} | {drawn / 1000:.2f} s "
              f"({min(r['drawn_ms']) / 1000:.2f} s) | {checked / 1000:.2f} s "
              f"({min(r['checked_ms']) / 1000:.2f} s) | {naive:.1f} s ({min(r['naive_s']):.1f} s) "
              f"| {naive / (drawn / 1000):.0f}× |", flush=True)


if __name__ == "__main__":
    main()
