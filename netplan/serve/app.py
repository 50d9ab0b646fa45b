"""The what-if server: the standard library's threaded HTTP server, a page and a small JSON API.

Every request must carry the server's token (``?token=`` in the URL it prints, or the
``X-Netplan-Token`` header the page sends), else 403; on a loopback address the ``Host``
header must name it too, so another web site cannot reach the server through a DNS name
that points at 127.0.0.1. Files come only from the :class:`~netplan.serve.workspace.Workspace`.

=====================  ==========================================================
``GET /``              the page (``page.html`` with the token filled in)
``GET /static/NAME``   the page's script and style, and plotly.js from the plotly package
``GET /api/init``      the network and the scenarios to pick from
``GET /api/base``      a base scenario's services, horizon, failure policy, budget
``POST /api/compute``  a what-if: verdict, purchases, hottest links, map (one per page
                       at a time; a later request replaces an earlier one)
``POST /api/services`` then the verdict with the services' closed forms, as ``plan``
``POST /api/save``     write the what-if as a scenario file in the workspace
``POST /api/job``      start a slow step (``report``, ``routed``, ``simulate``)
``GET /api/job``       its progress; ``POST /api/job/cancel`` stops it
``GET /runs/RUN/FILE`` a file of a finished run (its report)
=====================  ==========================================================

Examples
--------
>>> import netplan, tempfile, urllib.request, threading
>>> from netplan.serve.workspace import Workspace
>>> ws = Workspace.start(netplan.default_topology_path(), netplan.default_scenario_path(),
...                      tempfile.mkdtemp())
>>> server = make_server(ws, port=0, token="abc")
>>> server.server_address[0]
'127.0.0.1'
>>> thread = threading.Thread(target=server.serve_forever, daemon=True)
>>> thread.start()
>>> url = f"http://127.0.0.1:{server.server_address[1]}/api/init"
>>> try:
...     urllib.request.urlopen(url)
... except urllib.error.HTTPError as exc:
...     exc.code
403
>>> init = json.load(urllib.request.urlopen(url + "?token=abc"))
>>> init["start"], len(init["nodes"])
('shipped/baseline.yaml', 46)
>>> server.shutdown(); server.server_close()
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import secrets
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from netplan.errors import NetplanError, Problem, ValidationError
from netplan.serve.workspace import Workspace

__all__ = ["MAX_BODY_BYTES", "WhatIfServer", "make_server"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
MAX_PAGES = 32  # pages remembered at once; the oldest is forgotten first
STATIC = {"page.js": "text/javascript", "page.css": "text/css"}
CONTENT_TYPES = {".html": "text/html", ".json": "application/json", ".csv": "text/csv",
                 ".md": "text/markdown", ".png": "image/png", ".pdf": "application/pdf",
                 ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 ".yaml": "text/plain"}
PAGE_CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data: "
            "blob:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


class _Page:
    """One open page: its latest request number, the lock that runs one computation at a time."""

    def __init__(self) -> None:
        self.latest = 0
        self.counter = threading.Lock()
        self.computing = threading.Lock()
        self.last_seen = time.monotonic()
        self.last: tuple[int, Any] | None = None  # (ticket, WhatIfRun) of the latest answer

    def ticket(self) -> int:
        with self.counter:
            self.latest += 1
            self.last_seen = time.monotonic()
            return self.latest

    def superseded(self, ticket: int) -> bool:
        return ticket != self.latest


class WhatIfServer(ThreadingHTTPServer):
    """The HTTP server with what every request needs: workspace, topology, token, pages, jobs."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], workspace: Workspace, token: str,
                 lang: str = "zh") -> None:
        import netplan
        from netplan.serve.jobs import JobTable

        super().__init__(address, _Handler)
        self.workspace = workspace
        self.topology = netplan.load_topology(workspace.topology)
        self.token = token
        self.lang = lang
        self.jobs = JobTable()
        self._pages: dict[str, _Page] = {}
        self._pages_lock = threading.Lock()
        self._bases: dict[tuple[str, float], dict] = {}
        self._bases_lock = threading.Lock()

    @property
    def url(self) -> str:
        """The address to open, with the token."""
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/?token={self.token}"

    def page(self, page_id: str) -> _Page:
        """The state of one page, created on its first request."""
        with self._pages_lock:
            page = self._pages.get(page_id)
            if page is None:
                if len(self._pages) >= MAX_PAGES:
                    oldest = min(self._pages, key=lambda k: self._pages[k].last_seen)
                    del self._pages[oldest]
                page = self._pages[page_id] = _Page()
            return page

    def base_summary(self, key: str) -> dict:
        """The base scenario's numbers (computed once per file version)."""
        import netplan
        from netplan.run.pipeline import plan
        from netplan.serve.answer import run_summary

        path = self.workspace.resolve(key)
        cache_key = (key, path.stat().st_mtime)
        with self._bases_lock:
            if cache_key not in self._bases:
                scenario = netplan.load_scenario(path, self.topology)
                self._bases[cache_key] = run_summary(plan(self.topology, scenario,
                                                          sim="analytic"))
            return self._bases[cache_key]

    def allowed_host(self, host_header: str | None) -> bool:
        """Whether the ``Host`` header names this server (checked on loopback addresses)."""
        host, port = self.server_address[:2]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return True
        names = {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]", host)}
        return (host_header or "").lower() in names

    def server_close(self) -> None:
        self.jobs.cancel_all()
        super().server_close()


def make_server(workspace: Workspace, host: str = "127.0.0.1", port: int = 0,
                token: str | None = None, lang: str = "zh") -> WhatIfServer:
    """A what-if server bound to ``host:port`` (0: any free port), not yet serving.

    ``token`` defaults to a fresh random one (``secrets.token_urlsafe``).
    """
    return WhatIfServer((host, port), workspace, token or secrets.token_urlsafe(24), lang)


def _static_text(name: str) -> str:
    return resources.files("netplan.serve").joinpath("static", name).read_text(encoding="utf-8")


class _Handler(BaseHTTPRequestHandler):
    server: WhatIfServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: without this, the peer's delayed ACK
    # holds each reply about 40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        log.info("%s %s", self.address_string(), format % args)

    # --- the gate every request passes -------------------------------------------------
    def _query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def _authorised(self) -> bool:
        given = self.headers.get("X-Netplan-Token") or self._query().get("token") or ""
        token_ok = hmac.compare_digest(given.encode(), self.server.token.encode())
        return token_ok and self.server.allowed_host(self.headers.get("Host"))

    def _refuse(self) -> None:
        self._send(HTTPStatus.FORBIDDEN, b"forbidden: this server needs its token\n",
                   "text/plain; charset=utf-8")

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        if not self._authorised():
            return self._refuse()
        path = urlsplit(self.path).path
        try:
            if path == "/":
                return self._page()
            if path.startswith("/static/"):
                return self._static(path[len("/static/"):])
            if path == "/api/init":
                return self._json(self._init())
            if path == "/api/base":
                return self._json(self._base_inputs(self._query().get("key", "")))
            if path == "/api/job":
                return self._json({"job": self.server.jobs.status(self._query().get("page", ""))})
            if path.startswith("/runs/"):
                return self._run_file(path[len("/runs/"):])
        except NetplanError as exc:
            return self._problems(exc)
        self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

    def do_POST(self) -> None:  # noqa: N802 - the base class's name
        if not self._authorised():
            return self._refuse()
        path = urlsplit(self.path).path
        routes = {"/api/compute": self._compute, "/api/services": self._services,
                  "/api/save": self._save,
                  "/api/job": self._start_job, "/api/job/cancel": self._cancel_job}
        if path not in routes:
            return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
        try:
            return routes[path](self._body())
        except NetplanError as exc:
            return self._problems(exc)
        except Exception as exc:  # an internal error: say so, keep serving
            log.exception("internal error on %s", path)
            return self._json({"error": f"{type(exc).__name__}: {exc}"},
                              HTTPStatus.INTERNAL_SERVER_ERROR)

    # --- replies -----------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, data: Any, status: int = HTTPStatus.OK) -> None:
        body = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        self._send(status, body.encode("utf-8"), "application/json; charset=utf-8")

    def _problems(self, exc: NetplanError) -> None:
        problems = ([str(p) for p in exc.problems] if isinstance(exc, ValidationError)
                    else [str(exc)])
        self._json({"problems": problems}, HTTPStatus.BAD_REQUEST)

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise ValidationError([Problem("page", "", f"request larger than {MAX_BODY_BYTES} bytes")])
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValidationError([Problem("page", "", f"not JSON: {exc}")]) from None
        if not isinstance(data, dict):
            raise ValidationError([Problem("page", "", "the request must be a JSON object")])
        return data

    # --- GET ---------------------------------------------------------------------------
    def _page(self) -> None:
        html = _static_text("page.html").replace("{{token}}", self.server.token)
        html = html.replace("{{lang}}", self.server.lang)
        self._send(HTTPStatus.OK, html.encode("utf-8"), "text/html; charset=utf-8",
                   {"Content-Security-Policy": PAGE_CSP})

    def _static(self, name: str) -> None:
        if name == "plotly.min.js":
            from netplan.report.html import plotly_js

            body = plotly_js().encode("utf-8")
            return self._send(HTTPStatus.OK, body, "text/javascript; charset=utf-8")
        if name not in STATIC:
            return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
        self._send(HTTPStatus.OK, _static_text(name).encode("utf-8"),
                   f"{STATIC[name]}; charset=utf-8")

    def _run_file(self, relative: str) -> None:
        path = self.server.workspace.run_file(relative)
        if path is None:
            return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
        kind = CONTENT_TYPES.get(path.suffix, "application/octet-stream")
        if kind.startswith("text/") or kind == "application/json":
            kind += "; charset=utf-8"
        self._send(HTTPStatus.OK, path.read_bytes(), kind)

    def _init(self) -> dict:
        from netplan.model.scenario import FAILURE_POLICIES

        topo = self.server.topology
        workspace = self.server.workspace
        return {
            "topology": topo.name,
            "nodes": [{"id": n.id, "name": n.name, "name_zh": n.name_zh, "kind": n.kind,
                       "planes": list(n.planes)} for n in topo.nodes],
            "links": [{"id": k.id, "a": k.a, "b": k.b, "plane": k.plane, "tier": k.tier,
                       "candidate": k.candidate, "build_capex_cny": k.build_capex_cny}
                      for k in topo.links],
            "tiers": [t.name for t in topo.tiers],
            "policies": list(FAILURE_POLICIES),
            "scenarios": workspace.scenarios(),
            "start": workspace.key(workspace.scenario),
            "workspace": str(workspace.root),
        }

    def _base_inputs(self, key: str) -> dict:
        """What the controls start from: the base's services, horizon, policy and budget."""
        import netplan

        scenario = netplan.load_scenario(self.server.workspace.resolve(key, "key"),
                                         self.server.topology)
        return {
            "key": key, "name": scenario.name, "title": scenario.title,
            "title_zh": scenario.title_zh, "horizon_years": scenario.horizon_years,
            "failure_policy": list(scenario.failure_policy),
            "budget_cny_per_year": scenario.budget_cny_per_year,
            "services": [{"id": s.id, "name": s.name, "name_zh": s.name_zh, "plane": s.plane,
                          "growth_per_year": scenario.growth_per_year.get(s.id,
                                                                          s.growth_per_year)}
                         for s in scenario.services],
        }

    # --- POST --------------------------------------------------------------------------
    def _edits(self, body: dict):
        from netplan.serve.edits import Edits

        return Edits.from_json(body.get("edits"))

    def _lang(self, body: dict) -> str:
        return "en" if body.get("lang") == "en" else "zh"

    def _compute(self, body: dict) -> None:
        from netplan.serve.answer import page_answer, run_whatif

        edits = self._edits(body)
        page = self.server.page(str(body.get("page", "")))
        ticket = page.ticket()
        with page.computing:
            if page.superseded(ticket):
                return self._json({"superseded": True})
            done = run_whatif(edits, self.server.workspace, self.server.topology)
            page.last = (ticket, done)
        if page.superseded(ticket):
            return self._json({"superseded": True})
        base = self.server.base_summary(edits.base)
        self._json(page_answer(done, self._lang(body), base))

    def _services(self, body: dict) -> None:
        """The second step of an answer: the verdict with the services' closed forms."""
        from netplan.serve.answer import checked_verdict, verdict_answer

        page = self.server.page(str(body.get("page", "")))
        with page.computing:
            last = page.last
            if last is None or page.superseded(last[0]):
                return self._json({"superseded": True})
            verdict = checked_verdict(last[1].run)
        if page.superseded(last[0]):
            return self._json({"superseded": True})
        self._json(verdict_answer(last[1].run, verdict, self._lang(body), services_checked=True))

    def _save(self, body: dict) -> None:
        from netplan.io.atomic import write_text_atomic
        from netplan.serve.edits import dump_whatif, load_whatif, whatif_document

        edits = self._edits(body)
        workspace = self.server.workspace
        target = workspace.save_path(str(body.get("file", "")))
        if target.exists() and not body.get("overwrite"):
            raise ValidationError([Problem("page", "file", f"{target.name} exists; tick "
                                           "'overwrite' to replace it")])
        text = dump_whatif(whatif_document(edits, workspace, self.server.topology))
        load_whatif(text, target, self.server.topology)  # never write a file validate refuses
        write_text_atomic(target, text)
        self._json({"path": str(target), "key": workspace.key(target), "yaml": text})

    def _start_job(self, body: dict) -> None:
        from netplan.serve.answer import WHATIF_FILE
        from netplan.serve.edits import dump_whatif, load_whatif, whatif_document
        from netplan.serve.jobs import JOB_KINDS

        kind = body.get("kind")
        if kind not in JOB_KINDS:
            raise ValidationError([Problem("page", "kind", f"one of {', '.join(JOB_KINDS)}")])
        edits = self._edits(body)
        workspace = self.server.workspace
        text = dump_whatif(whatif_document(edits, workspace, self.server.topology))
        scenario_file = workspace.save_path(WHATIF_FILE)
        scenario = load_whatif(text, scenario_file, self.server.topology)
        run = workspace.run_dir(f"{scenario.name}-{kind}-{time.strftime('%Y%m%d-%H%M%S')}")
        run.parent.mkdir(parents=True, exist_ok=True)
        job = self.server.jobs.start(str(body.get("page", "")), kind,
                                     topology_file=workspace.topology, text=text,
                                     scenario_file=scenario_file, out_dir=run,
                                     lang=self._lang(body))
        self._json({"job": job.status()})

    def _cancel_job(self, body: dict) -> None:
        self._json({"cancelled": self.server.jobs.cancel(str(body.get("page", "")))})


def serve_until_interrupted(server: WhatIfServer) -> None:
    """Serve until Ctrl-C; then stop the jobs and close the socket."""
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
