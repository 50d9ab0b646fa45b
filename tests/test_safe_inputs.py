"""Input files are read safely: regular files only, bounded, inside the input folders, never echoed.

Each case runs ``python -m netplan validate`` in a fresh folder (``tmp_path``, so neither
``/dev`` nor ``/etc`` is below the current folder) and checks the exit code (2), the exact
lines printed (file, line, field, reason), that no traceback is printed and that the run
ends well within 30 s (a named pipe must not block it). The static inputs are in
``tests/data/safe-inputs/`` (its README says what each tests); pipes and symbolic links are
made here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import netplan
from netplan.errors import Problem, ValidationError
from netplan.io.safe_read import read_input_bytes
from netplan.io.scenario_io import scenario_with_topology
from netplan.io.yamlfile import load_yaml

DATA = Path(__file__).parent / "data" / "safe-inputs"
SMALL = Path(__file__).parent / "data" / "small"
ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = "is outside the input folders; pass --allow-outside to read it"
NO_FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


def netplan_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netplan", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=30)


def refused(proc: subprocess.CompletedProcess) -> list[str]:
    """The problem lines of a run that must have refused its input (exit 2, no traceback)."""
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stdout + proc.stderr
    head, *lines = proc.stderr.splitlines()
    count = len(lines)
    assert head == f"error: {count} problem{'s' if count != 1 else ''} found", proc.stderr
    return [line.strip() for line in lines]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def small_scenario(topology_line: str) -> str:
    text = (SMALL / "scenario.yaml").read_text(encoding="utf-8")
    return text.replace("topology: topology.yaml", topology_line)


def problems_of(call) -> list[Problem]:
    with pytest.raises(ValidationError) as err:
        call()
    return list(err.value.problems)


# --- extends: devices, pipes, directories, system files --------------------------------------

def test_extends_naming_a_device_is_outside_the_input_folders(tmp_path):
    f = DATA / "extends-dev-zero.yaml"
    assert refused(netplan_cli("validate", str(f), cwd=tmp_path)) == [
        f"{f}:3: extends: `/dev/zero` {OUTSIDE}"
    ]


def test_extends_naming_a_device_is_refused_even_when_outside_is_allowed(tmp_path):
    f = DATA / "extends-dev-zero.yaml"
    proc = netplan_cli("--allow-outside", "validate", str(f), cwd=tmp_path)
    assert refused(proc) == [f"{f}:3: extends: `/dev/zero` is a character device, not a regular file"]


@NO_FIFO
def test_extends_naming_a_named_pipe_does_not_block(tmp_path):
    os.mkfifo(tmp_path / "base.yaml")
    f = write(tmp_path / "s.yaml", "kind: scenario\nextends: base.yaml\nname: s\n")
    assert refused(netplan_cli("validate", str(f), cwd=tmp_path)) == [
        f"{f}:2: extends: `base.yaml` is a named pipe (FIFO), not a regular file"
    ]


@NO_FIFO
def test_a_named_pipe_on_the_command_line_does_not_block(tmp_path):
    fifo = tmp_path / "net.yaml"
    os.mkfifo(fifo)
    assert refused(netplan_cli("validate", str(fifo), cwd=tmp_path)) == [
        f"{fifo}: file is a named pipe (FIFO), not a regular file; netplan reads only regular files"
    ]


def test_extends_naming_a_directory(tmp_path):
    f = DATA / "extends-directory.yaml"
    assert refused(netplan_cli("validate", str(f), cwd=tmp_path)) == [
        f"{f}:3: extends: `.` is a directory, not a file"
    ]


def test_a_system_file_named_by_extends_is_not_echoed(tmp_path):
    system = Path("/etc/hostname")
    if not system.is_file() or not system.read_text(errors="replace").strip():
        pytest.skip("no /etc/hostname with content here")
    f = DATA / "extends-etc-hostname.yaml"
    assert refused(netplan_cli("validate", str(f), cwd=tmp_path)) == [
        f"{f}:3: extends: `/etc/hostname` {OUTSIDE}"
    ]
    proc = netplan_cli("--allow-outside", "validate", str(f), cwd=tmp_path)
    assert refused(proc) == [
        f"{f}:3: extends: `/etc/hostname` is not a netplan scenario file (not a mapping of fields)"
    ]
    printed = proc.stdout + proc.stderr.replace(str(f), "")
    for line in system.read_text(errors="replace").splitlines():
        assert not line.strip() or line.strip() not in printed.replace("/etc/hostname", "")


@NO_FIFO
def test_a_symbolic_link_cannot_lead_a_table_outside(tmp_path):
    system = Path("/etc/os-release")
    if not system.is_file():
        pytest.skip("no /etc/os-release here")
    net = tmp_path / "net"
    topo = write(net / "topology.yaml", (DATA / "csv-lf.yaml").read_text(encoding="utf-8")
                 .replace("links: lf-links.csv", "links: links.csv"))
    (net / "links.csv").symlink_to(system)
    assert refused(netplan_cli("validate", str(topo), cwd=tmp_path)) == [
        f"{topo}:16: links: `links.csv` {OUTSIDE}"
    ]
    proc = netplan_cli("--allow-outside", "validate", str(topo), cwd=tmp_path)
    assert refused(proc) == [
        f"{topo}:16: links: `links.csv` is not a netplan links table "
        "(its first line names no links column)"
    ]
    for line in system.read_text(errors="replace").splitlines():
        assert not line.strip() or line.strip() not in proc.stdout + proc.stderr


# --- the input folders ----------------------------------------------------------------------

@NO_FIFO
def test_allow_outside_reaches_the_verbs(tmp_path, tmp_path_factory):
    # A valid links table in a folder beside this test's own, reached by a symbolic link.
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "links.csv"
    shutil.copy(SMALL / "links.csv", elsewhere)
    topo = write(tmp_path / "net" / "topology.yaml", (DATA / "csv-lf.yaml").read_text(
        encoding="utf-8").replace("links: lf-links.csv", "links: links.csv"))
    (tmp_path / "net" / "links.csv").symlink_to(elsewhere)
    assert refused(netplan_cli("show", str(topo), cwd=tmp_path)) == [
        f"{topo}:16: links: `links.csv` {OUTSIDE}"
    ]
    proc = netplan_cli("--allow-outside", "show", str(topo), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "small test network" in proc.stdout


def test_input_folders_are_the_folder_above_the_named_file(tmp_path, monkeypatch):
    # project/scenarios/s.yaml may name project/topologies/…, not what lies beside project/.
    project = tmp_path / "work" / "project"
    base = small_scenario("topology: ../topologies/none.yaml")
    write(project / "shared" / "base.yaml", base)
    write(tmp_path / "work" / "elsewhere" / "base.yaml", base)
    inside = write(project / "scenarios" / "s.yaml",
                   "kind: scenario\nextends: ../shared/base.yaml\nname: s\n")
    outside = write(project / "scenarios" / "t.yaml",
                    "kind: scenario\nextends: ../../elsewhere/base.yaml\nname: t\n")
    monkeypatch.chdir(project / "scenarios")
    assert netplan.load_scenario(inside).name == "s"
    assert problems_of(lambda: netplan.load_scenario(outside)) == [
        Problem(str(outside), "extends", f"`../../elsewhere/base.yaml` {OUTSIDE}", 2)
    ]
    assert netplan.load_scenario(outside, allow_outside=True).name == "t"


def test_shipped_scenarios_validate_from_another_folder(tmp_path):
    files = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    proc = netplan_cli("validate", *files, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("ok  ") == len(files)


def test_the_api_keyword_allows_outside(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = DATA / "extends-dev-zero.yaml"
    assert problems_of(lambda: netplan.load_scenario(f)) == [
        Problem(str(f), "extends", f"`/dev/zero` {OUTSIDE}", 3)
    ]
    assert problems_of(lambda: netplan.load_scenario(f, allow_outside=True)) == [
        Problem(str(f), "extends", "`/dev/zero` is a character device, not a regular file", 3)
    ]


# --- sizes are counted while reading -----------------------------------------------------------

def test_the_size_limit_holds_when_the_system_reports_size_zero():
    status = Path("/proc/self/status")
    if not status.is_file() or status.stat().st_size != 0:
        pytest.skip("no /proc file reporting size 0 here")
    assert problems_of(lambda: read_input_bytes(status, limit=16)) == [
        Problem(str(status), "", "file holds more than 16 bytes; the limit is 16 bytes")
    ]


def test_the_size_limit_is_inclusive(tmp_path):
    f = tmp_path / "five.txt"
    f.write_bytes(b"12345")
    assert read_input_bytes(f, limit=5) == b"12345"
    assert problems_of(lambda: read_input_bytes(f, limit=4)) == [
        Problem(str(f), "", "file is 5 bytes; the limit is 4 bytes")
    ]


# --- CSV tables ---------------------------------------------------------------------------

def test_a_column_named_twice_is_refused(tmp_path):
    f = DATA / "csv-duplicate-column.yaml"
    assert refused(netplan_cli("validate", str(f), cwd=tmp_path)) == [
        f"{DATA / 'duplicate-column-links.csv'}:1: links: column 'tier' is named twice in the "
        "header (columns 5 and 9)"
    ]


def test_an_unknown_column_is_refused_with_a_suggestion(tmp_path):
    f = DATA / "csv-unknown-column.yaml"
    assert refused(netplan_cli("validate", str(f), cwd=tmp_path)) == [
        f"{DATA / 'unknown-column-links.csv'}:1: links: unknown column 'capacity_gpbs'; "
        "did you mean 'capacity_gbps'?"
    ]


def test_mixed_line_endings_load_like_newlines(tmp_path):
    raw = (DATA / "mixed-eol-links.csv").read_bytes()
    assert b"\r\n" in raw and b"\r" in raw.replace(b"\r\n", b"")  # the file really mixes them
    proc = netplan_cli("validate", str(DATA / "csv-mixed-eol.yaml"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    mixed = netplan.load_topology(DATA / "csv-mixed-eol.yaml")
    plain = netplan.load_topology(DATA / "csv-lf.yaml")
    assert mixed == plain
    assert len(mixed.links) == 16  # the 16 rows under the header of tests/data/small/links.csv


def test_lines_are_counted_across_mixed_line_endings(tmp_path):
    # Physical line 6 (d1-c1, the 5th link, ended by a lone \r) gets a bad tier.
    rows = (DATA / "lf-links.csv").read_text(encoding="utf-8").splitlines()
    assert rows[5].startswith("d1-c1,")
    rows[5] = rows[5].replace(",10G,", ",7G,")
    text = "".join(row + ("\r\n" if i % 2 == 0 else "\r") for i, row in enumerate(rows))
    (tmp_path / "links.csv").write_bytes(text.encode("utf-8"))
    topo = write(tmp_path / "t.yaml", (DATA / "csv-lf.yaml").read_text(encoding="utf-8")
                 .replace("links: lf-links.csv", "links: links.csv"))
    problems = problems_of(lambda: netplan.load_topology(topo))
    assert [(p.file, p.line, p.field) for p in problems] == [
        (str(tmp_path / "links.csv"), 6, "links[4].tier")
    ]


# --- one pass: the scenario's own problems when its references cannot be read ----------------

def extends_missing_expected(f: Path) -> list[tuple]:
    base = (f.parent / "no-such-base.yaml").resolve()
    return [
        (str(f), 3, "extends", f"extended scenario {str(base)!r} does not exist"),
        (str(f), 5, "seed", "Input should be a valid integer"),
        (str(f), 6, "horizon_yeers", "unknown field"),
    ]


def test_a_missing_extends_still_reports_the_files_own_fields(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = DATA / "extends-missing-own-errors.yaml"
    problems = problems_of(lambda: netplan.load_scenario(f))
    expected = extends_missing_expected(f)
    assert len(problems) == len(expected)
    for problem, (file, line, field, start) in zip(problems, expected, strict=True):
        assert (problem.file, problem.line, problem.field) == (file, line, field)
        assert problem.message.startswith(start), problem


def test_validate_lists_the_own_fields_when_extends_is_missing(tmp_path):
    f = DATA / "extends-missing-own-errors.yaml"
    lines = refused(netplan_cli("validate", str(f), cwd=tmp_path))
    expected = extends_missing_expected(f)
    assert len(lines) == len(expected)
    for line, (file, number, field, start) in zip(lines, expected, strict=True):
        assert line.startswith(f"{file}:{number}: {field}: {start}")


def topology_outside_expected(f: Path) -> list[Problem]:
    return [
        Problem(str(f), "topology", f"`/etc/hostname` {OUTSIDE}", 6),
        Problem(str(f), "services[0].profile", "unknown profile 'night'; allowed: day, flat", 17),
    ]


def test_an_unreadable_topology_still_reports_the_scenarios_problems(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = DATA / "topology-outside-own-errors.yaml"
    problems = problems_of(lambda: scenario_with_topology(load_yaml(f)))
    assert problems == topology_outside_expected(f)


def test_validate_lists_the_scenarios_problems_when_its_topology_is_outside(tmp_path):
    f = DATA / "topology-outside-own-errors.yaml"
    assert refused(netplan_cli("validate", str(f), cwd=tmp_path)) == [
        str(p) for p in topology_outside_expected(f)
    ]


@NO_FIFO
def test_a_topology_that_is_a_named_pipe_is_named_at_its_field(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "net.yaml")
    shutil.copy(SMALL / "links.csv", tmp_path / "links.csv")
    f = write(tmp_path / "s.yaml", small_scenario("topology: net.yaml"))
    assert problems_of(lambda: scenario_with_topology(load_yaml(f))) == [
        Problem(str(f), "topology", "`net.yaml` is a named pipe (FIFO), not a regular file", 5)
    ]


@NO_FIFO
def test_validate_names_the_topology_field_of_a_named_pipe(tmp_path):
    os.mkfifo(tmp_path / "net.yaml")
    f = write(tmp_path / "s.yaml", small_scenario("topology: net.yaml"))
    assert refused(netplan_cli("validate", str(f), cwd=tmp_path)) == [
        f"{f}:5: topology: `net.yaml` is a named pipe (FIFO), not a regular file"
    ]
