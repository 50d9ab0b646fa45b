"""Keep what a native solver prints off the process's stdout and stderr.

HiGHS, the solver behind ``scipy.optimize.milp`` and ``linprog``, is C++ and writes to the
process's file descriptors itself. Its log is switched off at every solver call through its
own options (``disp=False``, which scipy turns into ``log_to_console=False``, and, for
``milp``, ``output_flag=False`` passed on verbatim; ``linprog`` sets both from ``disp``). That
is not enough: its MIP solver also prints debug lines with a bare ``printf``, such as
``HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();``, whatever the
options say. ``contextlib.redirect_stdout`` cannot catch them either, since it only swaps the
Python object ``sys.stdout``, not file descriptor 1.

:func:`captured_native_output` therefore points file descriptors 1 and 2 at a temporary file
for the length of a ``with`` block and hands back what arrived there, for the caller to log at
debug level. Inside the block:

* native writes to descriptors 1 and 2 (``printf``, ``std::cout``, ``write(2)``) are captured,
  the C library's stdio buffers flushed into the capture before the descriptors come back;
* Python writes to ``sys.stdout`` are captured too, whether or not it has a descriptor;
* Python writes to ``sys.stderr`` and logging handlers writing to descriptor 2 still reach
  the real stderr, so warnings and ``-v`` logs are seen.

Where it is used, and why only there: the redirection is process-wide. While a block runs,
every thread's writes to descriptors 1 and 2 land in the capture, so it is used only in the
command-line process, around the solve of a verb whose stdout must stay clean (``egov-netplan
sndlib``, whose ``--json`` prints a document to parse), where one solve runs at a time. The
library's solver calls stay as they are: a caller embedding netplan (a notebook, a batch run
with threads) keeps its own descriptors, and a stray solver line costs it nothing. Blocks
are serialised by a re-entrant lock, so nested blocks restore correctly and two threads
never save each other's redirected descriptors as the originals.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["CapturedOutput", "captured_native_output"]

_LOCK = threading.RLock()


@dataclass
class CapturedOutput:
    """What a :func:`captured_native_output` block caught; ``text`` is filled on exit."""

    text: str = ""


@functools.lru_cache(maxsize=1)
def _libc():
    try:
        return ctypes.CDLL(None)
    except (OSError, TypeError):  # no C library to reach this way: nothing to flush
        return None


def _flush_everything() -> None:
    """Flush Python's standard streams and the C library's stdio buffers."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass  # missing, closed or odd stream: nothing to flush
    libc = _libc()
    if libc is not None and hasattr(libc, "fflush"):
        libc.fflush(None)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _writes_to(stream, fd: int) -> bool:
    try:
        return stream.fileno() == fd
    except (AttributeError, OSError, ValueError):
        return False


def _stderr_handlers() -> list[logging.StreamHandler]:
    loggers = [logging.getLogger()]
    loggers += [lg for lg in logging.Logger.manager.loggerDict.values()
                if isinstance(lg, logging.Logger)]
    # A handler shared by several loggers is swapped once, or it would be restored wrongly.
    handlers = dict.fromkeys(h for lg in loggers for h in lg.handlers)
    return [h for h in handlers
            if isinstance(h, logging.StreamHandler) and _writes_to(h.stream, 2)]


@contextlib.contextmanager
def _python_stderr_kept(saved_fd: int) -> Iterator[None]:
    """Send Python's own stderr writers to ``saved_fd`` (the real stderr) for the block."""
    handlers = _stderr_handlers()
    swap_sys = _writes_to(sys.stderr, 2)
    if not handlers and not swap_sys:
        yield
        return
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    real = open(saved_fd, "w", encoding=encoding, errors="backslashreplace",
                buffering=1, closefd=False)
    previous = [(h, h.setStream(real)) for h in handlers]
    try:
        with contextlib.redirect_stderr(real) if swap_sys else contextlib.nullcontext():
            yield
    finally:
        real.flush()
        for handler, stream in reversed(previous):
            handler.setStream(stream)


@contextlib.contextmanager
def captured_native_output(fds: tuple[int, ...] = (1, 2)) -> Iterator[CapturedOutput]:
    """Capture what is written to file descriptors ``fds`` (and ``sys.stdout``) in the block.

    Descriptors that are not open are left alone. They are restored on exit, also when the
    block raises. Process-wide: see the module notes before using it outside the CLI.

    Parameters
    ----------
    fds : tuple of int
        The descriptors to capture; stdout and stderr by default.

    Yields
    ------
    CapturedOutput
        Its ``text`` holds everything captured (UTF-8, undecodable bytes replaced) once the
        block has ended.

    Examples
    --------
    >>> import os
    >>> with captured_native_output() as out:
    ...     _ = os.write(1, b"a line from C\\n")
    ...     print("a line from Python")
    >>> out.text.splitlines()
    ['a line from C', 'a line from Python']
    """
    captured = CapturedOutput()
    with _LOCK, tempfile.TemporaryFile(buffering=0) as sink:
        targets = [fd for fd in fds if _is_open(fd)]
        python_out = open(sink.fileno(), "w", encoding="utf-8", errors="replace",
                          buffering=1, closefd=False)
        saved: list[tuple[int, int]] = []
        _flush_everything()
        try:
            for fd in targets:
                saved.append((fd, os.dup(fd)))
                os.dup2(sink.fileno(), fd)
            real_stderr = dict(saved).get(2)
            keep_stderr = (_python_stderr_kept(real_stderr) if real_stderr is not None
                           else contextlib.nullcontext())
            with keep_stderr, contextlib.redirect_stdout(python_out):
                yield captured
        finally:
            python_out.flush()
            _flush_everything()
            for fd, copy in reversed(saved):
                os.dup2(copy, fd)
                os.close(copy)
            sink.seek(0)
            captured.text = sink.read().decode("utf-8", errors="replace")
