"""The slower steps a page asks for: a full run with its report, the routed MILP, the simulation.

Each runs ``plan`` on the page's what-if in a process of its own, writing a run directory
under the workspace's ``runs/`` (atomically, as ``egov-netplan plan -o`` does), and reports
its progress back through a queue. A process, not a thread, because a solver or a numba
kernel cannot be interrupted from outside: cancelling terminates the process, and the
staged output it leaves is never swapped in. A page has at most one job; starting another
cancels the one running.

Examples
--------
>>> JOB_KINDS["routed"]
{'routing': 'optimized', 'sim': 'analytic'}
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["JOB_KINDS", "Job", "JobTable"]

# What each kind runs: options of netplan.plan.
JOB_KINDS: dict[str, dict[str, str]] = {
    "report": {"routing": "fixed", "sim": "analytic"},
    "routed": {"routing": "optimized", "sim": "analytic"},
    "simulate": {"routing": "fixed", "sim": "simulate"},
}


def _job_main(topology_file: str, text: str, scenario_file: str, kind: str, out_dir: str,
              lang: str, messages: Any) -> None:
    """In the job's process: compute, save the run directory, say how it went."""
    try:
        import netplan
        from netplan.errors import NetplanError
        from netplan.run.pipeline import plan
        from netplan.serve.answer import run_summary
        from netplan.serve.edits import load_whatif

        def stage(name: str, index: int, total: int) -> None:
            messages.put(("stage", name, index, total))

        def step(done: int, total: int, message: str) -> None:
            messages.put(("step", done, total, message))

        try:
            topology = netplan.load_topology(topology_file)
            scenario = load_whatif(text, scenario_file, topology)
            run = plan(topology, scenario, progress=stage, step_progress=step,
                       topology_file=topology_file, scenario_file=scenario_file,
                       **JOB_KINDS[kind])
            stage("report", 6, 6)
            run.save(out_dir, lang=lang, overwrite=True)
        except NetplanError as exc:
            messages.put(("error", str(exc)))
            return
        messages.put(("done", run_summary(run)))
    except Exception as exc:  # an internal error: the page says so, the server carries on
        messages.put(("error", f"the run could not finish: {type(exc).__name__}: {exc}"))


@dataclass
class Job:
    """One slow step of one page, as the page polls it."""

    kind: str
    run: str  # the run directory's name under runs/
    started: float = field(default_factory=time.monotonic)
    state: str = "running"  # running | done | failed | cancelled
    stage: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    result: dict | None = None
    process: Any = None

    def status(self) -> dict:
        """JSON-ready status for the page."""
        return {"kind": self.kind, "run": self.run, "state": self.state, "stage": self.stage,
                "done": self.done, "total": self.total, "message": self.message,
                "result": self.result, "elapsed_s": round(time.monotonic() - self.started, 1)}

    def take(self, item: tuple) -> None:
        """Apply one message from the job's process."""
        what = item[0]
        if what == "stage":
            self.stage, self.done, self.total, self.message = item[1], 0, 0, ""
        elif what == "step":
            self.done, self.total, self.message = item[1], item[2], str(item[3])
        elif what == "done":
            self.state, self.result = "done", item[1]
        elif what == "error":
            self.state, self.message = "failed", item[1]


class JobTable:
    """The running and finished job of every page; one per page, the latest wins."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._context = multiprocessing.get_context("spawn")

    def start(self, page: str, kind: str, *, topology_file: Path, text: str,
              scenario_file: Path, out_dir: Path, lang: str) -> Job:
        """Start ``kind`` for ``page``, cancelling the page's job still running."""
        self.cancel(page)
        messages = self._context.Queue()
        job = Job(kind=kind, run=out_dir.name)
        job.process = self._context.Process(
            target=_job_main, daemon=True,
            args=(str(topology_file), text, str(scenario_file), kind, str(out_dir), lang,
                  messages))
        with self._lock:
            self._jobs[page] = job
        job.process.start()
        threading.Thread(target=self._follow, args=(job, messages), daemon=True).start()
        return job

    @staticmethod
    def _follow(job: Job, messages: Any) -> None:
        while job.state == "running":
            try:
                job.take(messages.get(timeout=0.2))
            except queue.Empty:
                if not job.process.is_alive() and job.state == "running":
                    job.state, job.message = "failed", "the job's process ended without a result"
            except (EOFError, OSError):
                break

    def status(self, page: str) -> dict | None:
        """The page's job as it stands, or None."""
        with self._lock:
            job = self._jobs.get(page)
        return job.status() if job else None

    def cancel(self, page: str) -> bool:
        """Stop the page's running job; True when there was one."""
        with self._lock:
            job = self._jobs.get(page)
        if job is None or job.state != "running":
            return False
        job.state = "cancelled"
        job.process.terminate()
        job.process.join(5)
        return True

    def cancel_all(self) -> None:
        """Stop every running job (the server is stopping)."""
        with self._lock:
            pages = list(self._jobs)
        for page in pages:
            self.cancel(page)
