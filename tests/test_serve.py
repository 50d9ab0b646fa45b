"""The what-if server: its gate (token, host, 127.0.0.1), its folders, its messages, its runner.

The references are independent of the server's own answers: 403 and the bound address from
HTTP and the socket, confinement from files that must not exist afterwards, the messages
from ``egov-netplan validate`` run on the same scenario text, superseding from two
overlapping requests of one page.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import netplan
from netplan.errors import ValidationError
from netplan.serve.app import make_server
from netplan.serve.edits import Edits, dump_whatif, load_whatif, whatif_document
from netplan.serve.workspace import Workspace

TOKEN = "test-token-123"


@pytest.fixture()
def workspace(tmp_path) -> Workspace:
    return Workspace.start(netplan.default_topology_path(),
                           netplan.default_scenario_path("growth-5y"), tmp_path)


@pytest.fixture()
def server(workspace):
    srv = make_server(workspace, port=0, token=TOKEN, lang="en")
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _request(server, path: str, body: dict | None = None, *, token: str | None = TOKEN,
             host: str | None = None) -> tuple[int, dict | str]:
    url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["X-Netplan-Token"] = token
    if host is not None:
        headers["Host"] = host
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            status, text = reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode()
    try:
        return status, json.loads(text)
    except json.JSONDecodeError:
        return status, text


# --- the gate ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/api/init", "/static/page.js", "/static/plotly.min.js",
                                  "/api/job?page=x", "/runs/a/report.html"])
def test_requests_without_the_token_get_403(server, path):
    assert _request(server, path, token=None)[0] == 403
    assert _request(server, path, token="wrong-token")[0] == 403
    assert _request(server, path, token=TOKEN[:-1])[0] == 403


def test_posts_without_the_token_get_403_and_compute_nothing(server, workspace):
    status, _ = _request(server, "/api/save", {"edits": {"base": "shipped/baseline.yaml"},
                                               "file": "x.yaml"}, token=None)
    assert status == 403
    assert not (workspace.root / "x.yaml").exists()


def test_the_token_in_the_url_or_the_header_lets_a_request_in(server):
    assert _request(server, f"/api/init?token={TOKEN}", token=None)[0] == 200
    status, init = _request(server, "/api/init")
    assert status == 200 and init["start"] == "shipped/growth-5y.yaml"


def test_another_host_name_is_refused_even_with_the_token(server):
    # A DNS name pointed at 127.0.0.1 by another site must not reach the server.
    status, _ = _request(server, "/api/init", host=f"evil.example:{server.server_address[1]}")
    assert status == 403
    assert _request(server, "/api/init", host=f"localhost:{server.server_address[1]}")[0] == 200


def test_the_server_binds_127_0_0_1_by_default(workspace):
    srv = make_server(workspace)
    try:
        assert srv.socket.getsockname()[0] == "127.0.0.1"
        assert srv.url.startswith("http://127.0.0.1:") and "?token=" in srv.url
        assert len(srv.token) >= 24
    finally:
        srv.server_close()


def test_the_page_is_served_with_its_assets_locally(server):
    status, html = _request(server, "/")
    assert status == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/") for s in sources)
    for source in sources:
        assert _request(server, source)[0] == 200


# --- the folders ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["shipped/../topologies/chongqing.yaml", "/etc/passwd",
                                 "shipped//etc/passwd.yaml", "elsewhere/baseline.yaml",
                                 "workspace/.hidden.yaml", "shipped/sub/x.yaml"])
def test_a_key_never_leaves_its_folder(workspace, key):
    with pytest.raises(ValidationError, match="base"):
        workspace.resolve(key)


def test_a_link_out_of_the_workspace_is_not_followed(workspace, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.yaml"
    outside.write_text("kind: scenario\nname: secret\n")
    (workspace.root / "link.yaml").symlink_to(outside)
    with pytest.raises(ValidationError, match="no such scenario file"):
        workspace.resolve("workspace/link.yaml")
    with pytest.raises(ValidationError, match="not a regular file"):
        workspace.save_path("link.yaml")


@pytest.mark.parametrize("name", ["../evil.yaml", "sub/evil.yaml", "/tmp/evil.yaml",
                                  ".evil.yaml", "evil.txt", ""])
def test_saving_outside_the_workspace_is_refused(server, workspace, name):
    status, reply = _request(server, "/api/save", {"edits": {"base": "shipped/baseline.yaml"},
                                                   "file": name})
    assert status == 400 and "page: file:" in reply["problems"][0]
    assert not (workspace.root.parent / "evil.yaml").exists()
    assert not Path("/tmp/evil.yaml").exists()


@pytest.mark.parametrize("path", ["/runs/../../etc/passwd", "/runs/a/../../x",
                                  "/static/../app.py", "/static/page.html"])
def test_files_outside_the_runs_and_the_static_assets_are_not_served(server, path):
    assert _request(server, path)[0] == 404


# --- edits as scenario files ---------------------------------------------------------------

def test_bad_edits_get_the_messages_validate_prints(server, workspace):
    edits = {"base": "shipped/growth-5y.yaml", "growth": {"internet_access": 40.0},
             "remove_links": ["no-such-link"]}
    status, reply = _request(server, "/api/compute", {"page": "p", "edits": edits})
    assert status == 400
    # The same scenario text, saved and given to `egov-netplan validate`.
    saved = workspace.root / "whatif.yaml"
    topo = netplan.load_topology(workspace.topology)
    saved.write_text(dump_whatif(whatif_document(Edits.from_json(edits), workspace, topo)))
    cli = subprocess.run([sys.executable, "-m", "netplan", "validate", str(saved)],
                         capture_output=True, text=True, cwd=workspace.root, timeout=120)
    assert cli.returncode == 2
    for problem in reply["problems"]:
        assert re.match(r".*whatif\.yaml:\d+: [\w.\[\]]+: ", problem), problem
        assert problem.split("whatif.yaml")[1] in cli.stderr
    fields = " ".join(reply["problems"])
    assert "growth_per_year.internet_access" in fields and "unknown link 'no-such-link'" in fields


def test_malformed_requests_name_each_field():
    with pytest.raises(ValidationError) as caught:
        Edits.from_json({"base": 3, "growth": {"a": "fast"}, "remove_links": "x",
                         "horizon_years": 2.5, "failure_policy": ["n-3"]})
    fields = sorted(p.field for p in caught.value.problems)
    assert fields == ["base", "failure_policy", "growth.a", "horizon_years", "remove_links"]
    assert all(p.file == "page" for p in caught.value.problems)


def test_a_saved_what_if_extends_its_base_and_loads_as_the_page_computed_it(server, workspace):
    edits = {"base": "shipped/growth-5y.yaml", "horizon_years": 3, "remove_links": ["ex-wanzhou-1"],
             "failure_policy": ["n-1", "srlg"], "budget_cny_per_year": 2_000_000,
             "add_links": [{"candidate": "ex-ring-kaizhou-wanzhou", "tier": "1G", "modules": 2}]}
    status, reply = _request(server, "/api/save", {"edits": edits, "file": "mine.yaml"})
    assert status == 200 and reply["key"] == "workspace/mine.yaml"
    saved = workspace.root / "mine.yaml"
    text = saved.read_text()
    assert text == reply["yaml"]
    doc = __import__("yaml").safe_load(text)
    assert doc["extends"] == os.path.relpath(netplan.default_scenario_path("growth-5y"),
                                             workspace.root)
    topo = netplan.load_topology(workspace.topology)
    scenario = netplan.load_scenario(saved, topo)
    assert scenario == load_whatif(text, saved, topo)
    assert (scenario.horizon_years, scenario.failure_policy, scenario.budget_cny_per_year) == (
        3, ("n-1", "srlg"), 2_000_000)
    actions = [(o.action, getattr(o, "link", None)) for o in scenario.overrides]
    assert actions[-3][0] == "remove_link" and actions[-3][1] == "ex-wanzhou-1"
    assert actions[-2] == ("remove_link", "ex-ring-kaizhou-wanzhou")
    built = scenario.overrides[-1].link
    assert (built.id, built.modules, built.candidate, built.a, built.b) == (
        "ex-ring-kaizhou-wanzhou", 2, False, "kaizhou", "wanzhou")
    # A second save under the same name needs "overwrite".
    again = _request(server, "/api/save", {"edits": edits, "file": "mine.yaml"})
    assert again[0] == 400 and "exists" in again[1]["problems"][0]


# --- one computation per page, the latest wins -------------------------------------------

def test_a_later_request_of_a_page_replaces_an_earlier_one(server):
    results: dict[str, dict] = {}

    def ask(name: str, growth: float) -> None:
        results[name] = _request(server, "/api/compute", {"page": "same", "lang": "en", "edits": {
            "base": "shipped/growth-5y.yaml", "growth": {"internet_access": growth}}})[1]

    first = threading.Thread(target=ask, args=("first", 0.3))
    first.start()
    time.sleep(0.3)  # the first is computing (it takes longer than this)
    ask("second", 0.5)
    first.join()
    assert results["first"] == {"superseded": True}
    assert "growth_per_year:\n  internet_access: 0.5" in results["second"]["scenario_yaml"]
    # Its service check belongs to the second request too.
    status, checked = _request(server, "/api/services", {"page": "same", "lang": "en"})
    assert status == 200 and checked["services_checked"] is True


# --- the command ---------------------------------------------------------------------------

def test_serve_prints_a_loopback_address_with_a_token_and_stops_on_ctrl_c(tmp_path):
    # A process started with SIGINT ignored keeps ignoring it (as shells do for background
    # jobs); the test's own process may have inherited that from the test runner, so the
    # server is started with the default disposition a terminal gives it.
    process = subprocess.Popen([sys.executable, "-m", "netplan", "serve", "--dir", str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=tmp_path,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]{24,})", line)
        assert found, line
        port, token = found.groups()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/init?token={token}") as reply:
            assert reply.status == 200
        process.send_signal(signal.SIGINT)
        # Generous: this guards against a hang, it does not time the shutdown.
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


def test_serve_refuses_a_missing_scenario_with_exit_2(tmp_path):
    cli = subprocess.run([sys.executable, "-m", "netplan", "serve",
                          str(netplan.default_topology_path()), str(tmp_path / "none.yaml")],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 2 and "none.yaml: no such file" in cli.stderr


# --- slow steps ----------------------------------------------------------------------------

def _wait_job(server, page: str, until: set[str], timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = _request(server, f"/api/job?page={page}")[1]["job"]
        if job["state"] in until:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job still {job}")


def test_a_slow_step_can_be_cancelled_and_leaves_no_run(server, workspace):
    status, started = _request(server, "/api/job", {"page": "j", "kind": "simulate",
                                                    "edits": {"base": "shipped/growth-5y.yaml"}})
    assert status == 200 and started["job"]["state"] == "running"
    time.sleep(1.0)
    assert _request(server, "/api/job/cancel", {"page": "j"})[1] == {"cancelled": True}
    job = _wait_job(server, "j", {"cancelled", "failed", "done"})
    assert job["state"] == "cancelled"
    assert not (workspace.root / "runs" / job["run"]).exists()


@pytest.mark.slow
def test_a_full_report_job_writes_a_run_the_page_can_open(server, workspace):
    _request(server, "/api/job", {"page": "r", "kind": "report", "lang": "en",
                                  "edits": {"base": "shipped/growth-5y.yaml"}})
    job = _wait_job(server, "r", {"done", "failed", "cancelled"})
    assert job["state"] == "done", job
    summary = json.loads((workspace.root / "runs" / job["run"] / "summary.json").read_text())
    assert summary["verdict"]["meets_targets"] == job["result"]["meets_targets"]
    assert summary["costs"]["purchases"]["capex_total_cny"] == job["result"]["capex_total_cny"]
    status, html = _request(server, f"/runs/{job['run']}/report.html")
    assert status == 200 and "<html" in html
