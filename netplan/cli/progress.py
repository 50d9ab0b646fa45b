"""The one progress display of the command line: stages, counted steps and batches, on stderr.

Library code reports progress through plain callbacks and never writes to the terminal;
each verb hands it one of this display's callbacks:

- :meth:`ProgressDisplay.stage` — ``(stage, index, total)``: a line with each stage's
  duration as it ends (``[3/6] analyse … 0.21 s``); a stage still running after
  ``every_s`` seconds gets its start line (``[3/6] analyse …``) first;
- :meth:`ProgressDisplay.count` — ``(done, total, message)``: where a long step stands (the
  failure sweep's states, the routed planner's solves, a simulation's replications), shown
  at most every ``every_s`` seconds, so a quick step adds no lines;
- :meth:`ProgressDisplay.batch` — a :class:`netplan.batch.runner.Progress`: the bar with the
  variants that failed, those done before, and the time left.

While a stage or a counted step runs, a heartbeat repeats where it stands every ``every_s``
seconds (:meth:`ProgressDisplay.tick`), so a MILP solve that reports nothing for minutes
still shows that it is alive. Every line but the batch bar is a whole line, so a log file
reads like the terminal.
"""

from __future__ import annotations

import sys
import threading
import time
import weakref
from collections.abc import Callable
from typing import TextIO

__all__ = ["ProgressDisplay", "clock", "duration"]


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


def duration(seconds: float) -> str:
    """A stage's duration as a reader wants it: hundredths for a quick one, minutes for a long.

    Examples
    --------
    >>> duration(0.213), duration(12.34), duration(125.4), duration(3725)
    ('0.21 s', '12.3 s', '2 min 05 s', '1 h 02 min')
    """
    seconds = max(0.0, float(seconds))
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(round(seconds))
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


class ProgressDisplay:
    """Progress of one command: a line per stage, and a line now and then within long ones.

    Parameters
    ----------
    stream : text stream, optional
        Where to write (default: stderr).
    width : int
        Characters of the batch bar.
    min_interval_s : float
        Redraw the batch bar at most this often; its final state is always drawn.
    every_s : float
        Within a stage, a line on where it stands at most, and (with ``heartbeat``) at
        least, this often.
    clock : callable, optional
        Seconds on a monotonic clock (default :func:`time.monotonic`; tests pass a fake).
    heartbeat : bool
        Run a background thread that calls :meth:`tick` five times a second, so a step that
        reports nothing for a long time still gets its line every ``every_s`` seconds.

    Examples
    --------
    With a fake clock: a quick stage gets one line as it ends; a long one its start line, a
    line on where it stands every 5 s of the clock (whatever the number of counts), and its
    end line.

    >>> import io
    >>> now = [0.0]
    >>> out = io.StringIO()
    >>> show = ProgressDisplay(out, clock=lambda: now[0], heartbeat=False)
    >>> show.stage("demand", 2, 6)
    >>> now[0] = 0.25
    >>> show.stage("optimize", 3, 6)
    >>> for done in range(12):
    ...     now[0] += 1.0
    ...     show.count(done, 12, f"solving year {2026 + done}")
    >>> show.close()
    >>> print(out.getvalue(), end="")
    [2/6] demand … 0.25 s
    [3/6] optimize …
      optimize 00:05 · solving year 2030 (4/12 done)
      optimize 00:10 · solving year 2035 (9/12 done)
    [3/6] optimize … 12.0 s
    """

    def __init__(self, stream: TextIO | None = None, width: int = 30,
                 min_interval_s: float = 0.2, *, every_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic, heartbeat: bool = True):
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.min_interval_s = min_interval_s
        self.every_s = every_s
        self._clock = clock
        self._heartbeat = heartbeat
        self._lock = threading.RLock()
        self._start = clock()
        self._last = 0.0  # the batch bar's last redraw
        self._last_line = self._start  # the last stage or count line
        self._open = False  # a batch bar's line waits for its end
        self._stage: tuple[str, int, int, float] | None = None
        self._announced = False  # the running stage's start line is out
        self._step: tuple[int, int, str] | None = None
        self._beat: tuple[threading.Thread, threading.Event] | None = None

    # --- the callbacks ---------------------------------------------------------------
    def stage(self, name: str, index: int, total: int) -> None:
        """Stage ``index`` of ``total`` starts; the stage before it ends here (its line)."""
        with self._lock:
            now = self._clock()
            self._end_bar()
            self._end_stage(now)
            self._stage, self._step, self._last_line = (name, index, total, now), None, now
            self._announced = False
        self._start_heartbeat()

    def count(self, done: int, total: int, message: str = "") -> None:
        """``done`` of ``total`` units of a long step finished; ``message`` says what runs.

        Shown only when ``every_s`` seconds have passed since the last line.
        """
        with self._lock:
            self._step = (int(done), int(total), message)
        self._start_heartbeat()
        self.tick()

    def tick(self) -> None:
        """A line on where the running stage or step stands, if ``every_s`` seconds passed."""
        with self._lock:
            if self._stage is None and self._step is None:
                return
            now = self._clock()
            if now - self._last_line < self.every_s:
                return
            self._end_bar()
            if self._stage is not None and not self._announced:
                name, index, total, _ = self._stage
                self._write(f"[{index}/{total}] {name} …\n")
                self._announced = True
            self._write(self._status(now) + "\n")
            self._last_line = now

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

    def close(self, *, failed: bool = False) -> None:
        """End the running stage (its duration line) and the heartbeat.

        With ``failed`` the stage's line says it stopped rather than that it is done.
        """
        self._stop_heartbeat()
        with self._lock:
            self._end_bar()
            self._end_stage(self._clock(), failed=failed)
            self._step = None

    def __enter__(self) -> ProgressDisplay:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self.close(failed=kind is not None)

    # --- drawing ---------------------------------------------------------------------
    def _status(self, now: float) -> str:
        if self._stage is not None:
            name, _, _, started = self._stage
            head = f"  {name} {clock(now - started)}"
        else:
            head = f"  {clock(now - self._start)}"
        if self._step is None:
            return f"{head} · still working"
        done, total, message = self._step
        return f"{head} · {message} ({done}/{total} done)" if message else \
            f"{head} · {done}/{total} done"

    def _end_stage(self, now: float, *, failed: bool = False) -> None:
        if self._stage is not None:
            name, index, total, started = self._stage
            took = duration(now - started)
            self._write(f"[{index}/{total}] {name} … {'stopped after ' if failed else ''}{took}\n")
            self._stage = None
            self._last_line = now

    def _end_bar(self) -> None:
        if self._open:
            self._write("\n")
            self._open = False

    def _bar(self, done: int, total: int, text: str) -> None:
        with self._lock:
            now = self._clock()
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

    # --- the heartbeat ---------------------------------------------------------------
    def _start_heartbeat(self) -> None:
        with self._lock:
            if not self._heartbeat or self._beat is not None:
                return
            stop = threading.Event()
            # Polled often enough that a line comes within a few percent of every_s.
            thread = threading.Thread(target=_beat, args=(weakref.ref(self), stop,
                                                          min(0.2, self.every_s / 20)),
                                      name="netplan-progress", daemon=True)
            self._beat = (thread, stop)
        thread.start()

    def _stop_heartbeat(self) -> None:
        with self._lock:
            beat, self._beat = self._beat, None
        if beat is not None:
            thread, stop = beat
            stop.set()
            if thread is not threading.current_thread():
                thread.join(timeout=5.0)


def _beat(display_ref: weakref.ref, stop: threading.Event, poll_s: float) -> None:
    """Call the display's :meth:`~ProgressDisplay.tick` until stopped or the display is gone."""
    while not stop.wait(poll_s):
        display = display_ref()
        if display is None:
            return
        try:
            display.tick()
        except (OSError, ValueError):  # the stream was closed under it: nothing to show
            return
        del display  # hold no reference while waiting, so the display can be collected
