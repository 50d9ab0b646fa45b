"""Output paths are checked before any work, replaced only when netplan wrote them, and
batch workers end with their parent.

Each case builds the situation on disk by hand (a read-only folder, a symbolic link, a user's
file) and checks what is on disk afterwards: the user's files as they were, no staging
folders (``.NAME.staging.*``) and no partial output.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import netplan.io.atomic as atomic
from netplan.cli import cli
from netplan.errors import OutputPathError, OutputWriteError
from tests.conftest import SMALL

ROOT = Path(__file__).resolve().parents[1]
TOPOLOGY = str(SMALL / "topology.yaml")
SCENARIO = str(SMALL / "scenario.yaml")
STUDY_FILES = {"worst_case.csv", "sla_violations.csv", "lost_demand.csv", "dc_load.csv",
               "summary.json"}
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def analyze(out, *extra: str):
    """``egov-netplan analyze`` on the small network into ``out``, in this process."""
    result = CliRunner().invoke(cli, ["analyze", TOPOLOGY, SCENARIO, "-o", str(out), *extra])
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, AssertionError), result.exception
    return result


def hidden(folder: Path) -> list[str]:
    """Entries whose name starts with a dot: staging folders, temporary files, probes."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.fixture
def no_computing(monkeypatch):
    """Fail the test if a verb gets as far as loading its inputs."""
    import netplan.cli.compute as compute

    def loaded(*args, **kwargs):
        raise AssertionError("the inputs were loaded before the output was refused")

    monkeypatch.setattr(compute, "load_topology_arg", loaded)


# --- refused before any work -------------------------------------------------------------

@pytest.mark.skipif(IS_ROOT, reason="root ignores permissions; see the /proc case")
def test_read_only_parent_is_refused_before_computing(tmp_path, no_computing):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        result = analyze(parent / "out")
        assert result.exit_code == 2
        assert f"{parent / 'out'}: cannot write in {parent} (Permission denied)" in result.output
        assert list(parent.iterdir()) == []
    finally:
        parent.chmod(0o755)


def test_read_only_file_system_is_refused_before_computing(tmp_path, monkeypatch, no_computing):
    # A read-only mount answers the probe file with EROFS, for root too.
    real_mkstemp = atomic.tempfile.mkstemp

    def read_only(*args, **kwargs):
        if kwargs.get("dir") == tmp_path:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(atomic.tempfile, "mkstemp", read_only)
    result = analyze(tmp_path / "out")
    assert result.exit_code == 2
    assert (f"{tmp_path / 'out'}: cannot write in {tmp_path} (Read-only file system); choose "
            "another -o or fix the folder's permissions") in result.output
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder_is_refused_before_computing(no_computing):
    # /proc takes no new files, not even from root.
    result = analyze("/proc/netplan-out")
    assert result.exit_code == 2
    assert "/proc/netplan-out: cannot write in /proc (" in result.output
    assert not os.path.lexists("/proc/netplan-out")


def test_a_file_on_the_way_is_refused(tmp_path, no_computing):
    (tmp_path / "notes.txt").write_text("mine")
    result = analyze(tmp_path / "notes.txt" / "out")
    assert result.exit_code == 2
    assert f"{tmp_path / 'notes.txt'} is a file, not a directory" in result.output
    assert analyze(tmp_path / "notes.txt").exit_code == 2  # click's own check says it
    with pytest.raises(OutputPathError, match="output path exists and is not a directory"):
        atomic.check_output_dir(tmp_path / "notes.txt", overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert hidden(tmp_path) == []


def test_dangling_symlink_is_refused(tmp_path, no_computing):
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "gone")
    result = analyze(link)
    assert result.exit_code == 2
    assert (f"{link}: a symbolic link to {tmp_path / 'gone'}, which does not exist; point it "
            "at a directory or choose another -o") in result.output
    assert link.is_symlink() and not (tmp_path / "gone").exists()
    assert hidden(tmp_path) == []


def test_mount_point_is_refused(no_computing):
    result = analyze("/proc")
    assert result.exit_code == 2
    assert "/proc: a mount point" in result.output


def test_overwrite_never_deletes_a_users_folder(tmp_path, no_computing):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("years of work")
    (out / "summary.json").write_text("{}")
    result = analyze(out)
    assert result.exit_code == 2
    assert (f"{out}: output directory is not empty and was not written by netplan (it holds "
            "notes.txt); choose another -o (--overwrite replaces only what netplan wrote)"
            ) in result.output
    result = analyze(out, "--overwrite")
    assert result.exit_code == 2
    assert (f"{out} was not written by netplan (it holds notes.txt); choose another -o or "
            "remove it yourself") in result.output
    assert files(out) == {"notes.txt": b"years of work", "summary.json": b"{}"}
    assert hidden(tmp_path) == []


# --- what is written ---------------------------------------------------------------------

def test_marker_names_the_verb_and_overwrite_replaces_a_netplan_folder(tmp_path):
    out = tmp_path / "run"
    assert analyze(out).exit_code in (0, 3)
    marker = json.loads((out / atomic.MARKER).read_text(encoding="utf-8"))
    assert marker["verb"] == "analyze"
    assert marker["format"] == "netplan-output/1"
    assert set(marker["files"]) == STUDY_FILES
    first = (out / atomic.MARKER).stat().st_ino
    refused = analyze(out)
    assert refused.exit_code == 2
    assert "output directory is not empty; choose another -o or pass --overwrite" in \
        refused.output
    assert analyze(out, "--overwrite").exit_code in (0, 3)
    assert {p.name for p in out.iterdir()} == STUDY_FILES | {atomic.MARKER}
    assert (out / atomic.MARKER).stat().st_ino != first  # a new directory was swapped in
    assert hidden(tmp_path) == []


def test_a_file_added_to_a_netplan_folder_is_kept(tmp_path):
    out = tmp_path / "run"
    assert analyze(out).exit_code in (0, 3)
    (out / "my-notes.md").write_text("mine")
    result = analyze(out, "--overwrite")
    assert result.exit_code == 2
    assert "was not written by netplan (it holds my-notes.md)" in result.output
    assert (out / "my-notes.md").read_text() == "mine"


def test_folders_written_before_markers_are_recognised_by_their_names(tmp_path):
    out = tmp_path / "old-run"
    out.mkdir()
    for name in ("results.json", "plan.csv", "report.html"):
        (out / name).write_text("old")
    (out / "figures").mkdir()
    (out / "figures" / "figure-01.png").write_bytes(b"png")
    assert analyze(out, "--overwrite").exit_code in (0, 3)
    assert {p.name for p in out.iterdir()} == STUDY_FILES | {atomic.MARKER}


def test_every_file_a_verb_writes_has_a_known_name(tmp_path):
    """Folders without a marker are told by their names, so the list must be complete."""
    digests = json.loads((ROOT / "tests" / "data" / "golden" / "digests.json").read_text())
    names = set()
    for run, written in digests.items():
        for path in set(written) - {"exit_code"}:
            parts = path.split("/")
            if not run.startswith("batch/"):
                names.add(parts[0])
            elif parts[0] == "variants":
                names.add(parts[2])  # a variant's folder; the batch's own files are apart
    result = CliRunner().invoke(cli, ["demand", TOPOLOGY, SCENARIO, "-o", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    names |= {p.name for p in (tmp_path / "d").iterdir()} - {atomic.MARKER}
    assert len(names) >= 20
    assert names <= atomic.NETPLAN_FILES, names - atomic.NETPLAN_FILES


def test_an_old_folder_with_another_file_is_refused(tmp_path):
    out = tmp_path / "old-run"
    out.mkdir()
    (out / "results.json").write_text("old")
    (out / "figures").mkdir()
    (out / "figures" / "holiday.jpg").write_bytes(b"jpg")
    result = analyze(out, "--overwrite")
    assert result.exit_code == 2
    assert "was not written by netplan (it holds figures)" in result.output
    assert (out / "figures" / "holiday.jpg").read_bytes() == b"jpg"


def test_an_empty_folder_is_written_into(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert analyze(out).exit_code in (0, 3)
    assert {p.name for p in out.iterdir()} == STUDY_FILES | {atomic.MARKER}


def test_symlinked_output_writes_to_the_links_target(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    assert analyze(link).exit_code in (0, 3)
    assert {p.name for p in real.iterdir()} == STUDY_FILES | {atomic.MARKER}
    assert analyze(link, "--overwrite").exit_code in (0, 3)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert {p.name for p in real.iterdir()} == STUDY_FILES | {atomic.MARKER}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


# --- failures while writing --------------------------------------------------------------

def _previous_run(out: Path) -> dict[str, bytes]:
    assert analyze(out).exit_code in (0, 3)
    return files(out)


def test_disk_full_while_writing_leaves_the_previous_run(tmp_path, monkeypatch):
    out = tmp_path / "run"
    before = _previous_run(out)
    real_write = atomic.write_text_atomic
    calls = []

    def fill_up(path, text, encoding="utf-8"):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_write(path, text, encoding)

    monkeypatch.setattr(atomic, "write_text_atomic", fill_up)
    result = analyze(out, "--overwrite")
    assert result.exit_code == 1
    assert f"{out}: could not write the outputs: No space left on device" in result.output
    assert "nothing was changed there and no partial output was left" in result.output
    assert files(out) == before
    assert hidden(tmp_path) == []


def test_disk_full_on_a_new_folder_leaves_nothing(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic, "write_text_atomic", full)
    result = analyze(tmp_path / "run")
    assert result.exit_code == 1
    assert "could not write the outputs: No space left on device" in result.output
    assert list(tmp_path.iterdir()) == []


def test_busy_target_at_the_swap_keeps_the_previous_run(tmp_path, monkeypatch):
    out = tmp_path / "run"
    before = _previous_run(out)
    real_replace = os.replace

    def busy(src, dst, *args, **kwargs):
        if Path(src).name.startswith(".run.staging.") and Path(dst) == out:
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)  # the fallback path
    monkeypatch.setattr(atomic.os, "replace", busy)
    result = analyze(out, "--overwrite")
    assert result.exit_code == 1
    assert "could not write the outputs: Device or resource busy" in result.output
    assert files(out) == before
    assert hidden(tmp_path) == []


def test_previous_run_is_kept_when_it_cannot_be_put_back(tmp_path, monkeypatch):
    out = tmp_path / "run"
    before = _previous_run(out)
    real_replace = os.replace

    def busy(src, dst, *args, **kwargs):
        if Path(dst) == out:  # neither the new run nor the previous one can go back
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    monkeypatch.setattr(atomic.os, "replace", busy)
    result = analyze(out, "--overwrite")
    assert result.exit_code == 1
    kept = tmp_path / f"run.previous-{os.getpid()}"
    assert f"the previous outputs are in {kept}" in result.output
    assert files(kept) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [kept.name]


def test_api_raises_a_write_error_and_cleans_up(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(OutputWriteError) as err:
        with atomic.staged_output_dir(out) as stage:
            (stage / "summary.json").write_text("{}")
            raise OSError(errno.EIO, os.strerror(errno.EIO))
    assert err.value.exit_code == 1
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(KeyError):  # other errors pass through, with the same clean-up
        with atomic.staged_output_dir(out) as stage:
            raise KeyError("x")
    assert list(tmp_path.iterdir()) == []


# --- batch workers end with their parent -------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state first), None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


BATCH = """kind: batch
name: long
scenario: {scenario}
stage: analyze
seed: 4
grid:
  scale.web: {scales}
  horizon_years: [0, 1]
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("guard", ["signal", "thread"])
def test_batch_workers_end_when_the_batch_is_killed(tmp_path, guard):
    """``kill -9`` of ``egov-netplan batch`` ends its pool workers within 5 s.

    ``thread`` turns the kernel's parent-death signal off, leaving the watching thread.
    """
    batch = tmp_path / "long.batch.yaml"
    scales = [round(1 + 0.05 * i, 2) for i in range(100)]
    batch.write_text(BATCH.format(scenario=SMALL / "scenario.yaml", scales=scales),
                     encoding="utf-8")
    patch = ("import netplan.batch.executors as e; e._set_parent_death_signal = lambda s: False; "
             if guard == "thread" else "")
    code = (f"import sys; {patch}from netplan.cli import main; sys.argv[0] = 'egov-netplan'; "
            "main()")
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "batch", str(batch), "--workers", "2", "-o",
         str(tmp_path / "out"), "--no-progress"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and len(workers) < 2:
            workers = _children(proc.pid)
            time.sleep(0.05)
        assert len(workers) == 2, proc.stderr.read().decode() if proc.poll() is not None else ""
        time.sleep(0.5)  # the workers are busy with variants
        assert proc.poll() is None, "the batch ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        survivors = [w for w in workers if _alive(w)]
        assert survivors == [], f"workers still running 5 s after the kill: {survivors}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for worker in workers:
            if _alive(worker):
                os.kill(worker, signal.SIGKILL)


def test_every_file_of_the_run_index_is_known_as_netplans():
    # --overwrite recognises a run folder by these names: the index and the marker list agree.
    from netplan.run.files import RUN_FILES

    files = {name for name in RUN_FILES if "/" not in name}  # figures/ is a known folder
    assert files <= atomic.NETPLAN_FILES, files - atomic.NETPLAN_FILES
