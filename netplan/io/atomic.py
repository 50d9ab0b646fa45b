"""Atomic writes: a killed run leaves the old file or the new one, never half of one.

Output directories are checked before any work starts (:func:`check_output_dir`), written
beside their place and swapped in whole (:func:`staged_output_dir`), and replaced only when
netplan wrote them: a verb's directory carries a marker file (:data:`MARKER`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_bytes_atomic(d / "a.txt", b"hello").read_bytes()
    b'hello'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private; give it the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(target.parent)
    return target


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` atomically (see :func:`write_bytes_atomic`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_text_atomic(d / "b.txt", "重庆").read_text(encoding="utf-8")
    '重庆'
    """
    return write_bytes_atomic(path, text.encode(encoding))


MARKER = ".netplan-output"
"""The file in every output directory a verb writes: netplan's version, the verb, the files."""

MARKER_FORMAT = "netplan-output/1"

NETPLAN_FILES = frozenset({
    # plan / analyze / optimize / simulate / demand / compare / report
    "results.json", "arrays.npz", "summary.json", "report.html", "report.pdf",
    "plan.json", "plan.csv", "costs.json", "routes.csv", "plan.xlsx",
    "bill_of_quantities.csv", "racks.csv", "worst_case.csv", "sla_violations.csv",
    "lost_demand.csv", "dc_load.csv", "link_loads.csv", "sim_summary.json",
    "sim_services.csv", "sim_link_utilisation.csv", "sim_pool_queue.csv", "demand.csv",
    "demand.npz", "busy_hour.csv", "demand_meta.json", "compare.html", "inputs_diff.csv",
    "worst_case_diff.csv", "purchases_diff.csv", "costs_diff.csv", "index.md",
    # a batch variant's folder
    "record.json", "scenario.yaml", "links.csv", "purchases.csv", "infeasibilities.csv",
    "services.csv",
    # deduce / calibrate
    "demands.csv", "fit.csv", "calibrated.yaml", "calibration.csv", "measured_vs_modelled.csv",
    # availability
    "availability.csv", "equity.csv", "availability_summary.json", "equity_summary.json",
})
"""Every file name netplan writes in an output directory (folders written before markers)."""

_FIGURE = re.compile(r"^figure-\d{2,}\.png$")

# The verb whose outputs are being written; set by the command line around a verb.
_VERB: ContextVar[str | None] = ContextVar("netplan_output_verb", default=None)


@contextmanager
def marking_outputs(verb: str) -> Iterator[None]:
    """Within the block, every directory :func:`staged_output_dir` writes gets the marker.

    The marker (``.netplan-output``) names netplan's version, ``verb`` and the files
    written; ``--overwrite`` replaces only a directory that carries it (or one whose every
    file is a name netplan writes, see :func:`check_output_dir`).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> with marking_outputs("analyze"), staged_output_dir(out) as stage:
    ...     _ = (stage / "summary.json").write_text("{}")
    >>> marker = json.loads((out / MARKER).read_text())
    >>> marker["verb"], marker["files"]
    ('analyze', ['summary.json'])
    """
    token = _VERB.set(verb)
    try:
        yield
    finally:
        _VERB.reset(token)


_PROBED: set[Path] = set()


def _nearest_existing(path: Path) -> Path:
    while not os.path.lexists(path) and path.parent != path:
        path = path.parent
    return path


def _probe_writable(folder: Path, given: Path) -> None:
    """Create and remove a file in ``folder``: a read-only mount or a permission shows now."""
    from netplan.errors import OutputPathError

    if folder in _PROBED:
        return
    try:
        fd, probe = tempfile.mkstemp(prefix=".netplan-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputPathError(
            f"{given}: cannot write in {folder} ({exc.strerror or exc}); "
            "choose another -o or fix the folder's permissions"
        ) from None
    _PROBED.add(folder)


def resolve_output_dir(target: str | os.PathLike) -> Path:
    """The directory ``target`` names, with symbolic links resolved once and its place checked.

    A symbolic link stands for the directory it points to (the outputs go there and the
    link stays). Refused at once: a dangling link, a path that exists and is not a
    directory, a mount point (a directory there cannot be replaced whole), a path below a
    file, and a folder one cannot create files in (read-only, no permission). Missing
    parent folders are fine: they are created when the outputs are written.

    Raises
    ------
    OutputPathError
        Naming ``target`` and the reason.

    Examples
    --------
    >>> import os, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "real").mkdir()
    >>> os.symlink(d / "real", d / "link")
    >>> resolve_output_dir(d / "link") == (d / "real").resolve()
    True
    >>> os.symlink(d / "gone", d / "dangling")
    >>> resolve_output_dir(d / "dangling")
    Traceback (most recent call last):
    ...
    netplan.errors.OutputPathError: .../dangling: a symbolic link to .../gone, which does not exist; ...
    """
    from netplan.errors import OutputPathError

    given = Path(target)
    if os.path.islink(given) and not os.path.exists(given):
        raise OutputPathError(
            f"{given}: a symbolic link to {os.readlink(given)}, which does not exist; "
            "point it at a directory or choose another -o"
        )
    real = Path(os.path.realpath(given))
    if os.path.lexists(real) and not real.is_dir():
        raise OutputPathError(f"{given}: output path exists and is not a directory")
    if real.is_dir() and os.path.ismount(real):
        raise OutputPathError(
            f"{given}: a mount point; netplan replaces its output directory whole, so name "
            "a new folder inside it"
        )
    folder = _nearest_existing(real.parent)
    if not folder.is_dir():
        raise OutputPathError(f"{given}: {folder} is a file, not a directory")
    _probe_writable(folder, given)
    return real


def _marker_files(directory: Path) -> set[str] | None:
    """The files the marker in ``directory`` lists, or None when there is no readable one."""
    try:
        document = json.loads((directory / MARKER).read_text(encoding="utf-8"))
        files = document["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if document.get("format") != MARKER_FORMAT or not isinstance(files, list):
        return None
    return {str(name) for name in files}


def _is_figures(entry: os.DirEntry) -> bool:
    if entry.name != "figures" or not entry.is_dir(follow_symlinks=False):
        return False
    return all(_FIGURE.match(e.name) and e.is_file(follow_symlinks=False)
               for e in os.scandir(entry.path))


def foreign_entry(directory: str | os.PathLike) -> str | None:
    """The first entry of ``directory`` netplan did not write, or None when it wrote them all.

    With a marker, netplan wrote the entries the marker lists (and the marker). A folder
    without one (written by the API, or before markers) counts as netplan's when every
    entry is a file with a name netplan writes (:data:`NETPLAN_FILES`) or the
    ``figures`` folder of PNGs. Symbolic links never count as netplan's.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "plan.csv").write_text("x")
    >>> foreign_entry(d) is None
    True
    >>> _ = (d / "notes.txt").write_text("mine")
    >>> foreign_entry(d)
    'notes.txt'
    """
    directory = Path(directory)
    listed = _marker_files(directory)
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        if entry.is_symlink():
            return entry.name
        if listed is not None:
            if entry.name not in listed and entry.name != MARKER:
                return entry.name
        elif not ((entry.name in NETPLAN_FILES and entry.is_file()) or _is_figures(entry)):
            return entry.name
    return None


def check_output_dir(target: str | os.PathLike, overwrite: bool = False) -> Path:
    """Check an output path before any work starts; the directory the outputs will go to.

    The place must be usable (see :func:`resolve_output_dir`: not a file, not a dangling
    link, a folder one can write in). An empty or missing directory is fine. A directory
    holding anything netplan did not write (see :func:`foreign_entry`) is refused, with or
    without ``overwrite``: it is never deleted. One netplan wrote needs ``overwrite``.

    Parameters
    ----------
    target : path
        The output directory the user named.
    overwrite : bool
        Replace a directory netplan wrote.

    Returns
    -------
    Path
        ``target`` with symbolic links resolved: where the outputs go.

    Raises
    ------
    OutputPathError
        The path cannot be used.
    OutputExistsError
        The directory is not empty, and ``overwrite`` is false or netplan did not write it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "worst_case.csv").write_text("x")
    >>> check_output_dir(d)
    Traceback (most recent call last):
    ...
    netplan.errors.OutputExistsError: ...output directory is not empty; choose another -o ...
    >>> check_output_dir(d, overwrite=True) == d.resolve()
    True
    >>> _ = (d / "thesis.docx").write_text("years of work")
    >>> check_output_dir(d, overwrite=True)
    Traceback (most recent call last):
    ...
    netplan.errors.OutputExistsError: ... was not written by netplan (it holds thesis.docx); ...
    >>> check_output_dir(d)
    Traceback (most recent call last):
    ...
    netplan.errors.OutputExistsError: ...not empty and was not written by netplan (it holds thesis.docx); ...
    """
    from netplan.errors import OutputExistsError

    real = resolve_output_dir(target)
    if not real.is_dir() or not any(os.scandir(real)):
        return real
    stranger = foreign_entry(real)
    if stranger is not None and not overwrite:  # said now: --overwrite would not help
        raise OutputExistsError(
            f"{target}: output directory is not empty and was not written by netplan (it holds "
            f"{stranger}); choose another -o (--overwrite replaces only what netplan wrote)"
        )
    if stranger is not None:
        raise OutputExistsError(
            f"{target} was not written by netplan (it holds {stranger}); choose another -o "
            "or remove it yourself"
        )
    if not overwrite:
        raise OutputExistsError(
            f"{target}: output directory is not empty; choose another -o or pass --overwrite"
        )
    return real


def _write_marker(stage: Path, verb: str) -> None:
    from netplan import __version__

    document = {
        "format": MARKER_FORMAT,
        "netplan": __version__,
        "verb": verb,
        "files": sorted(p.name for p in stage.iterdir()),
    }
    with open(stage / MARKER, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(document, indent=1) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _swap_in(stage: Path, target: Path) -> None:
    """Put ``stage`` at ``target``; a previous ``target`` ends up in ``stage`` (or is gone).

    On failure ``target`` is as it was and the error is raised.
    """
    if not target.exists():
        os.replace(stage, target)
        return
    if _exchange(stage, target):
        return  # one atomic step: ``stage`` now holds the previous run
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging.{os.getpid()}.",
                                  dir=target.parent))
    try:
        os.replace(target, aside / "run")
    except OSError:
        os.rmdir(aside)
        raise
    try:
        os.replace(stage, target)
    except OSError:
        try:
            _put_back(aside / "run", target)
        finally:
            try:
                os.rmdir(aside)  # empty: the previous run is back or kept beside
            except OSError:
                pass
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _put_back(previous: Path, target: Path) -> None:
    """Return the previous run to ``target``; if even that fails, keep it under a plain name."""
    try:
        os.replace(previous, target)
    except OSError as exc:
        # Never left in a staging folder, which a later run would sweep away.
        kept = target.with_name(f"{target.name}.previous-{os.getpid()}")
        os.replace(previous, kept)
        raise OSError(exc.errno, f"{exc.strerror}; the previous outputs are in {kept}",
                      exc.filename) from exc


def _write_error(target: str | os.PathLike, exc: OSError):
    from netplan.errors import OutputWriteError

    where = f" ({exc.filename})" if exc.filename else ""
    return OutputWriteError(
        f"{target}: could not write the outputs: {exc.strerror or exc}{where}; nothing was "
        "changed there and no partial output was left"
    )


@contextmanager
def staged_output_dir(target: str | os.PathLike, overwrite: bool = False, *,
                      verb: str | None = None) -> Iterator[Path]:
    """Build a run's output directory beside ``target`` and swap it in at the end.

    The body writes into a fresh staging directory. Only when the body returns does the
    staging directory replace ``target`` (in one atomic exchange where the system has
    one; otherwise the previous contents are moved aside first and removed afterwards), so
    a run killed at any moment leaves either the previous complete outputs or the new
    complete outputs. A symbolic link ``target`` stands for the directory it points to.

    Parameters
    ----------
    target : path
        The output directory the user named.
    overwrite : bool
        Replace a non-empty ``target`` that netplan wrote (see :func:`check_output_dir`).
    verb : str, optional
        Write the marker naming this verb; by default the verb of the enclosing
        :func:`marking_outputs` block, and no marker outside one.

    Raises
    ------
    OutputPathError, OutputExistsError
        From :func:`check_output_dir`, before the body runs.
    OutputWriteError
        Writing failed (disk full, device busy …): the staging directory is removed and
        ``target`` is as it was. Other errors of the body pass through, with the same
        clean-up.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> with staged_output_dir(out) as stage:
    ...     _ = (stage / "summary.json").write_text("{}")
    >>> sorted(p.name for p in out.iterdir())
    ['summary.json']
    """
    real = check_output_dir(target, overwrite)
    verb = verb or _VERB.get()
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_stages(real)
        # The owner's pid in the name lets a later run tell an abandoned stage from a live one.
        stage = Path(
            tempfile.mkdtemp(prefix=f".{real.name}.staging.{os.getpid()}.", dir=real.parent)
        )
    except OSError as exc:
        raise _write_error(target, exc) from None
    try:
        os.chmod(stage, 0o777 & ~_umask())
        try:
            yield stage
            if verb:
                _write_marker(stage, verb)
            _swap_in(stage, real)
        except OSError as exc:
            raise _write_error(target, exc) from exc
        _fsync_dir(real.parent)
    finally:
        # The new run's leftovers on failure, the previous run's after an exchange.
        shutil.rmtree(stage, ignore_errors=True)


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directory entries atomically (Linux ``renameat2``); False where unsupported."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_SWEPT: set[Path] = set()
_STAGE = re.compile(r"^\..+\.staging\.(\d+)\.[^.]+$")


def _remove_stale_stages(target: Path) -> None:
    """Delete staging directories beside ``target`` left by runs that were killed.

    Only entries named ``.<name>.staging.<pid>.<random>`` whose process no longer exists are
    removed, so a run writing beside it right now keeps its stage. Each folder is swept once
    per process: a batch writing thousands of variant folders side by side scans it once.
    """
    parent = target.parent.resolve()
    if parent in _SWEPT:
        return
    _SWEPT.add(parent)
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        match = _STAGE.match(entry.name)
        if match is None or not entry.is_dir(follow_symlinks=False):
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or pid_alive(pid):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
