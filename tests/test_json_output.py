"""Machine-readable output stays clean: ``egov-netplan sndlib --json`` prints one strict JSON
document on stdout, whatever the solver underneath writes to the process's file descriptors.

HiGHS (inside scipy) prints debug lines such as
``HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();`` with a bare
``printf``; geant ``U-U-M-N-C-A-N-N`` is an instance where it does so within its first
seconds, so it stays in the quick loop although it runs into the time limit.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from netplan.cli import cli
from netplan.io.quiet import captured_native_output

SNDLIB = Path(__file__).parent / "data" / "sndlib"
REPO = Path(__file__).parent.parent
TIME_LIMIT_S = 5
# Proven optima of the U-U-M-N-C-A-N-N models, from tests/data/sndlib/PROVENANCE.md.
OPTIMUM_NO_SURVIVABILITY = {
    "france": 20200.0, "polska": 23619.0, "pdh": 10903843.0, "atlanta": 86492550.3,
}  # fmt: skip
# These run into the time limit (the MILP is not closed within TIME_LIMIT_S).
LONG = {("pdh", "U-U-M-N-C-A-N-N"), ("pdh", "U-U-M-N-C-A-N-U"), ("polska", "U-U-M-N-C-A-N-U"),
        ("india35", "U-U-M-N-C-A-N-N")}  # fmt: skip


def _instances() -> list:
    """Every network/model pair under tests/data/sndlib, one pytest param each."""
    params = []
    for folder in sorted(p for p in SNDLIB.iterdir() if (p / f"{p.name}.txt").is_file()):
        for model in sorted(folder.glob("?-?-?-?-?-?-?-?.txt")):
            marks = [pytest.mark.slow] if (folder.name, model.stem) in LONG else []
            params.append(pytest.param(folder.name, model.stem, marks=marks,
                                       id=f"{folder.name}-{model.stem}"))
    return params


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "netplan", *args], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=120, check=False)


def _strict_json(text: str) -> dict:
    """Parse ``text`` as one RFC 8259 document (no NaN or Infinity, nothing around it)."""

    def reject(token: str):
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=reject)


def _no_solver_lines(stderr: str) -> None:
    assert "highs" not in stderr.lower(), stderr
    assert "tmpSolver" not in stderr, stderr


def test_every_instance_is_found():
    names = {p.id for p in _instances()}
    assert {"geant-U-U-M-N-C-A-N-N", "polska-U-U-M-N-C-A-N-U", "pdh-U-U-M-N-C-A-N-U",
            "india35-U-U-M-N-C-A-N-N", "cost266-U-U-M-N-C-A-N-N"} <= names
    assert len(names) == 11


@pytest.mark.parametrize(("name", "model"), _instances())
def test_sndlib_json_is_clean(name, model):
    folder = SNDLIB / name
    proc = _run("sndlib", str(folder / f"{name}.txt"), str(folder / f"{model}.txt"), "--json",
                "--time-limit", str(TIME_LIMIT_S))
    assert proc.returncode == 0, proc.stderr
    doc = _strict_json(proc.stdout)
    _no_solver_lines(proc.stderr)
    assert doc["network"] == name and doc["model"] == model
    assert doc["status"] in {"optimal", "time_limit"}
    cost = doc["total_cost"]
    assert math.isfinite(cost) and cost > 0
    parts = ("cost_modules", "cost_pre_installed", "cost_setup", "cost_routing")
    assert cost == pytest.approx(sum(doc[k] for k in parts), rel=1e-9)
    assert doc["gap"] >= 0
    assert doc["bound"] <= cost * (1 + 1e-6)
    assert doc["gap"] == pytest.approx((cost - doc["bound"]) / cost, abs=1e-9)
    optimum = OPTIMUM_NO_SURVIVABILITY.get(name)
    if optimum is not None:
        # No design may cost less than the proven optimum of the model without failures
        # (surviving every single link failure only adds constraints).
        assert cost >= optimum * (1 - 1e-9)
        if doc["status"] == "optimal" and model.endswith("-N"):
            assert cost == pytest.approx(optimum, rel=1e-4)
    if doc["status"] == "optimal":
        assert doc["gap"] <= 1e-4 + 1e-12


def test_unsupported_model_leaves_stdout_empty():
    folder = SNDLIB / "format-example"
    proc = _run("sndlib", str(folder / "network.txt"), str(folder / "model.txt"), "--json",
                "--time-limit", "1")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "SURVIVABILITY_MODEL" in proc.stderr


def test_verbose_logs_still_reach_stderr():
    folder = SNDLIB / "abilene"
    proc = _run("-v", "sndlib", str(folder / "abilene.txt"), str(folder / "U-U-M-N-C-A-N-N.txt"),
                "--json", "--time-limit", str(TIME_LIMIT_S))
    assert proc.returncode == 0, proc.stderr
    assert _strict_json(proc.stdout)["network"] == "abilene"
    # Logged from inside the captured solve: it must not be swallowed with the solver's lines.
    assert "INFO netplan.planning.design.milp: design MILP" in proc.stderr


def test_unknown_numbers_are_null_when_no_design_was_found(monkeypatch):
    import netplan.planning.design.sndlib as design_sndlib

    nan = float("nan")
    fake = SimpleNamespace(
        network="net", model_code="U-U-M-N-C-A-N-U", status="no_solution", has_design=False,
        total_cost=nan, bound=1234.5, gap=nan, cost_modules=nan, cost_pre=nan, cost_setup=nan,
        cost_routing=nan, solve_time_s=2.0,
    )  # fmt: skip
    monkeypatch.setattr(design_sndlib, "solve_sndlib", lambda *a, **k: fake)
    result = CliRunner().invoke(cli, ["sndlib", str(SNDLIB / "abilene" / "abilene.txt"),
                                      str(SNDLIB / "abilene" / "U-U-M-N-C-A-N-N.txt"), "--json"])
    assert result.exit_code == 1
    assert _strict_json(result.stdout) == {
        "network": "net", "model": "U-U-M-N-C-A-N-U", "status": "no_solution",
        "total_cost": None, "bound": 1234.5, "gap": None, "cost_modules": None,
        "cost_pre_installed": None, "cost_setup": None, "cost_routing": None,
        "solve_time_s": 2.0,
    }  # fmt: skip


def _child(snippet: str) -> subprocess.CompletedProcess:
    """Run ``snippet`` in a fresh interpreter with its stdout and stderr as pipes."""
    code = "import ctypes, logging, os, sys\nfrom netplan.io.quiet import captured_native_output\n"
    return subprocess.run([sys.executable, "-c", code + textwrap.dedent(snippet)],
                          capture_output=True, text=True, cwd=REPO, timeout=60, check=False)


def test_native_writes_do_not_reach_the_real_descriptors():
    proc = _child("""
        with captured_native_output() as out:
            os.write(1, b"fd-one\\n")
            os.write(2, b"fd-two\\n")
            # Left in the C library's stdout buffer: it must be flushed into the capture.
            ctypes.CDLL(None).printf(b"c-printf\\n")
            print("python-print")
        os.write(1, b"after\\n")
        sys.stderr.write(repr(out.text))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "after\n"
    captured = eval(proc.stderr)  # the repr of a str written by the child
    assert sorted(captured.splitlines()) == ["c-printf", "fd-one", "fd-two", "python-print"]


def test_descriptors_are_restored_after_an_exception():
    proc = _child("""
        try:
            with captured_native_output():
                os.write(1, b"lost\\n")
                raise RuntimeError("solver failed")
        except RuntimeError:
            pass
        os.write(1, b"fd-one\\n")
        os.write(2, b"fd-two\\n")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "fd-one\n"
    assert proc.stderr == "fd-two\n"


def test_python_logging_still_reaches_stderr():
    proc = _child("""
        logging.basicConfig(format="%(levelname)s %(message)s")
        # The same handler on a second logger must be swapped and restored only once.
        logging.getLogger("other").addHandler(logging.getLogger().handlers[0])
        logging.getLogger("other").propagate = False
        with captured_native_output() as out:
            logging.warning("kept")
            os.write(2, b"native\\n")
        logging.warning("after")
        logging.getLogger("other").warning("other after")
        sys.stdout.write(repr(out.text))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "WARNING kept\nWARNING after\nWARNING other after\n"
    assert eval(proc.stdout) == "native\n"


def test_works_when_sys_stdout_has_no_descriptor(capsys):
    # capsys swaps sys.stdout for an in-memory stream whose fileno() raises.
    with pytest.raises(OSError):
        sys.stdout.fileno()
    with captured_native_output() as out:
        os.write(1, b"native\n")
        print("python")
    assert capsys.readouterr().out == ""
    assert sorted(out.text.splitlines()) == ["native", "python"]
