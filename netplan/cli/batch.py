"""What ``egov-netplan batch`` runs: choose the executor, run the batch, show progress.

This is the command-line side of :mod:`netplan.batch`: it may write to the terminal
(the progress bar and the closing line go to stderr); the library itself only logs.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import ExitStack
from typing import TextIO

EXIT_OK, EXIT_FAILED = 0, 1


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class ProgressBar:
    """A progress callback that draws a bar with the time left on one terminal line.

    Examples
    --------
    >>> import io
    >>> from netplan.batch.runner import Progress
    >>> out = io.StringIO()
    >>> bar = ProgressBar(out, width=10, min_interval_s=0)
    >>> bar(Progress(done=5, total=20, failed=1, skipped=3, elapsed_s=10.0, eta_s=30.0))
    >>> out.getvalue().strip()
    '[##........] 5/20 variants, 1 failed, 3 done before | 00:10 elapsed, ~00:30 left'
    """

    def __init__(self, stream: TextIO | None = None, width: int = 30, min_interval_s: float = 0.2):
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.min_interval_s = min_interval_s
        self._last = 0.0
        self._drawn = False

    def __call__(self, progress) -> None:
        now = time.monotonic()
        final = progress.done >= progress.total
        if not final and now - self._last < self.min_interval_s:
            return
        self._last = now
        filled = int(self.width * progress.done / progress.total) if progress.total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        parts = [f"[{bar}] {progress.done}/{progress.total} variants"]
        if progress.failed:
            parts.append(f", {progress.failed} failed")
        if progress.skipped:
            parts.append(f", {progress.skipped} done before")
        parts.append(f" | {_clock(progress.elapsed_s)} elapsed")
        if progress.eta_s is not None and not final:
            parts.append(f", ~{_clock(progress.eta_s)} left")
        self.stream.write("\r" + "".join(parts) + ("\n" if final else ""))
        self.stream.flush()
        self._drawn = not final

    def close(self) -> None:
        """End the line if the bar is still open."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def batch_main(
    batch_path: str | os.PathLike | None,
    output_dir: str | os.PathLike | None,
    workers: int | None = None,
    dask_scheduler: str | None = None,
    dask_local: bool = False,
    resume_dir: str | os.PathLike | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> int:
    """Run ``egov-netplan batch``; return the exit code (0 all ok, 1 some variants failed).

    Parameters
    ----------
    batch_path : path or None
        The batch file (not needed with ``resume_dir``).
    output_dir : path or None
        The results directory (``-o``); with ``resume_dir`` it must be None or the same.
    workers : int, optional
        Local worker processes (default: every core; 1 runs in this process).
    dask_scheduler : str, optional
        Address of a running Dask scheduler.
    dask_local : bool
        Start a Dask ``LocalCluster`` of ``workers`` processes for this run.
    resume_dir : path, optional
        Continue the batch stored there (``--resume DIR``).
    overwrite : bool
        Replace another batch's results in ``output_dir``.
    progress : bool
        Draw a progress bar on stderr.

    Raises
    ------
    NetplanError
        Bad input (exit code 2) or a run that cannot start (exit code 1); the CLI
        prints it without a traceback.
    """
    from netplan.batch.executors import SerialExecutor, dask_executor
    from netplan.batch.runner import run
    from netplan.batch.spec import load_batch
    from netplan.errors import Problem, ValidationError

    if dask_scheduler and dask_local:
        raise ValidationError(
            [Problem("", "--dask-scheduler", "give --dask-scheduler or --dask-local, not both")]
        )
    if workers is not None and workers < 1:
        raise ValidationError([Problem("", "--workers", f"must be at least 1, got {workers}")])
    resume = resume_dir is not None
    if resume:
        if output_dir is not None and os.path.abspath(output_dir) != os.path.abspath(resume_dir):
            raise ValidationError(
                [
                    Problem(
                        "", "--resume", "give the batch's directory once: --resume DIR (without -o)"
                    )
                ]
            )
        output_dir = resume_dir
        batch_path = os.path.join(resume_dir, "batch.yaml")
        if not os.path.isfile(batch_path):
            raise ValidationError(
                [
                    Problem(
                        str(resume_dir),
                        "--resume",
                        "no batch results to resume here (no batch.yaml)",
                    )
                ]
            )
    elif batch_path is None or output_dir is None:
        raise ValidationError(
            [Problem("", "BATCH", "give a batch file and -o DIR, or --resume DIR")]
        )
    batch = load_batch(batch_path)
    bar = ProgressBar() if progress else None
    with ExitStack() as stack:
        if dask_scheduler or dask_local:
            executor = stack.enter_context(dask_executor(dask_scheduler, n_workers=workers))
        elif workers == 1:
            executor = SerialExecutor()
        else:
            executor = None  # run() starts a process pool over `workers` (default: all cores)
        try:
            result = run(
                batch,
                executor=executor,
                output_dir=output_dir,
                resume=resume,
                progress=bar,
                overwrite=overwrite,
                workers=workers,
            )
        finally:
            if bar is not None:
                bar.close()
    failed = result.failed
    ran = len(result.ran)
    sys.stderr.write(
        f"batch {batch.name}: {len(result.variants)} variants ({ran} run now, "
        f"{len(result.variants) - ran} complete before), {len(failed)} failed; "
        f"results in {result.directory}\n"
    )
    for variant_id, message in list(failed.items())[:10]:
        first = message.splitlines()[0] if message else ""
        sys.stderr.write(f"  {variant_id}: {first}\n")
    if len(failed) > 10:
        sys.stderr.write(f"  … and {len(failed) - 10} more (see index.json)\n")
    return EXIT_FAILED if failed else EXIT_OK
