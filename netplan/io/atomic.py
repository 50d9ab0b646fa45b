"""Atomic writes: a killed run leaves the old file or the new one, never half of one."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


def check_output_dir(target: str | os.PathLike, overwrite: bool = False) -> None:
    """Refuse an output path that is a file, or a non-empty directory without ``overwrite``.

    Called before a long computation too, so a wrong ``-o`` is reported at once.

    Raises
    ------
    OutputExistsError
        With the reason and what to do.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "old.csv").write_text("x")
    >>> check_output_dir(d)
    Traceback (most recent call last):
    ...
    netplan.errors.OutputExistsError: ...output directory is not empty; choose another -o ...
    >>> check_output_dir(d, overwrite=True)
    """
    from netplan.errors import OutputExistsError

    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"{target}: output path exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise OutputExistsError(
            f"{target}: output directory is not empty; choose another -o or pass --overwrite"
        )


@contextmanager
def staged_output_dir(target: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Build a run's output directory beside ``target`` and swap it in at the end.

    The body writes into a fresh staging directory. Only when the body returns does the
    staging directory replace ``target`` (the previous contents are moved aside first and
    removed afterwards), so a run killed at any moment leaves either the previous complete
    outputs or the new complete outputs.

    Parameters
    ----------
    target : path
        The output directory the user named.
    overwrite : bool
        Replace a non-empty ``target``. Without it a non-empty ``target`` is refused.

    Raises
    ------
    OutputExistsError
        ``target`` exists, is not empty, and ``overwrite`` is false.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> with staged_output_dir(out) as stage:
    ...     _ = (stage / "summary.json").write_text("{}")
    >>> sorted(p.name for p in out.iterdir())
    ['summary.json']
    """
    target = Path(target)
    check_output_dir(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_stages(target)
    # The owner's pid in the name lets a later run tell an abandoned stage from a live one.
    stage = Path(
        tempfile.mkdtemp(prefix=f".{target.name}.staging.{os.getpid()}.", dir=target.parent)
    )
    os.chmod(stage, 0o777 & ~_umask())
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if target.exists() and _exchange(stage, target):
        # One atomic step: ``target`` now holds the new run and ``stage`` the previous one.
        _fsync_dir(target.parent)
        shutil.rmtree(stage, ignore_errors=True)
        return
    old = None
    if target.exists():
        old = Path(
            tempfile.mkdtemp(prefix=f".{target.name}.staging.{os.getpid()}.", dir=target.parent)
        )
        os.replace(target, old / "run")
    os.replace(stage, target)
    _fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


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


def _pid_alive(pid: int) -> bool:
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
        if pid == os.getpid() or _pid_alive(pid):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
