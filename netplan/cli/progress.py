"""The one progress display of the command line: stages, counted steps and batches, on stderr.

Library code reports progress through plain callbacks and never writes to the terminal;
each verb hands it one of this display's callbacks:

- :meth:`ProgressDisplay.stage` — ``(stage, index, total)``: one line per stage of a run;
- :meth:`ProgressDisplay.count` — ``(done, total, message)``: a bar redrawn in place
  (replications of a simulation);
- :meth:`ProgressDisplay.batch` — a :class:`netplan.batch.runner.Progress`: the bar with the
  variants that failed, those done before, and the time left.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def clock(seconds: float) -> str:
    """``mm:ss`` (or ``h:mm:ss``) of a duration.

    Examples
    --------
    >>> clock(75), clock(3725)
    ('01:15', '1:02:05')
    """
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class ProgressDisplay:
    """Progress of one command on one terminal line (stages get a line each).

    Parameters
    ----------
    stream : text stream, optional
        Where to draw (default: stderr).
    width : int
        Characters of the bar.
    min_interval_s : float
        Redraw a bar at most this often; the final state is always drawn.

    Examples
    --------
    >>> import io
    >>> from netplan.batch.runner import Progress
    >>> out = io.StringIO()
    >>> show = ProgressDisplay(out, width=10, min_interval_s=0)
    >>> show.batch(Progress(done=5, total=20, failed=1, skipped=3, elapsed_s=10.0, eta_s=30.0))
    >>> out.getvalue().strip()
    '[##........] 5/20 variants, 1 failed, 3 done before | 00:10 elapsed, ~00:30 left'
    >>> show.count(2, 2, "replications")
    >>> out.getvalue().splitlines()[-1].strip()
    '[##########] 2/2 replications'
    """

    def __init__(self, stream: TextIO | None = None, width: int = 30,
                 min_interval_s: float = 0.2):
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.min_interval_s = min_interval_s
        self._start = time.monotonic()
        self._last = 0.0
        self._open = False

    # --- the callbacks ---------------------------------------------------------------
    def stage(self, name: str, index: int, total: int) -> None:
        """One line per stage of a run, with the seconds since the command started."""
        self.close()
        self._write(f"[{index}/{total}] {name} ({time.monotonic() - self._start:.1f} s)\n")

    def count(self, done: int, total: int, message: str = "") -> None:
        """A bar of ``done`` out of ``total`` steps, followed by ``message``."""
        self._bar(done, total, f" {done}/{total} {message}".rstrip())

    def batch(self, progress) -> None:
        """A bar of a batch's variants, with failures, earlier results and the time left."""
        final = progress.done >= progress.total
        parts = [f" {progress.done}/{progress.total} variants"]
        if progress.failed:
            parts.append(f", {progress.failed} failed")
        if progress.skipped:
            parts.append(f", {progress.skipped} done before")
        parts.append(f" | {clock(progress.elapsed_s)} elapsed")
        if progress.eta_s is not None and not final:
            parts.append(f", ~{clock(progress.eta_s)} left")
        self._bar(progress.done, progress.total, "".join(parts))

    def close(self) -> None:
        """End a bar's line if one is still open."""
        if self._open:
            self._write("\n")
            self._open = False

    # --- drawing ---------------------------------------------------------------------
    def _bar(self, done: int, total: int, text: str) -> None:
        now = time.monotonic()
        final = done >= total
        if not final and now - self._last < self.min_interval_s:
            return
        self._last = now
        filled = int(self.width * done / total) if total else self.width
        line = "[" + "#" * filled + "." * (self.width - filled) + "]" + text
        self._write("\r" + line + ("\n" if final else ""))
        self._open = not final

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
