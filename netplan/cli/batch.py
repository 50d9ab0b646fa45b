"""The ``batch`` verb: run a batch of scenario variants on all cores or a Dask cluster.

``load → netplan.batch.run → print``; what is left here is the command line's own part:
which executor the options name, and the closing lines on stderr.
"""

from __future__ import annotations

import os
from contextlib import ExitStack

import click

EXIT_FAILED = 1


@click.command()
@click.argument("batch_file", required=False, type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(file_okay=False), default=None,
              help="Results directory of the batch.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: every core).")
@click.option("--dask-scheduler", default=None, metavar="ADDRESS",
              help="Run on an existing Dask cluster (needs netplan[dask]).")
@click.option("--dask-local", is_flag=True, help="Start a local Dask cluster for this run.")
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False), default=None,
              help="Continue a killed or failed batch: run only what is missing.")
@click.option("--overwrite", is_flag=True, help="Replace another batch's results in -o DIR.")
@click.option("--no-progress", is_flag=True, help="Do not draw the progress bar.")
def batch(batch_file: str | None, output: str | None, workers: int | None,
          dask_scheduler: str | None, dask_local: bool, resume_dir: str | None,
          overwrite: bool, no_progress: bool) -> None:
    """Run a batch of scenario variants (sweep, Monte Carlo or list) on all cores or Dask.

    `egov-netplan batch BATCH.yaml -o DIR` starts one; `egov-netplan batch --resume DIR`
    finishes one. Exit code 1 when some variants failed (each is recorded with its error).
    """
    from netplan.batch.runner import run
    from netplan.batch.spec import load_batch
    from netplan.cli.progress import ProgressDisplay
    from netplan.io.atomic import resolve_output_dir

    batch_file, output = batch_paths(batch_file, output, resume_dir)
    output = str(resolve_output_dir(output))  # a bad -o fails now, not after the variants
    if dask_scheduler and dask_local:
        _bad("--dask-scheduler", "give --dask-scheduler or --dask-local, not both")
    definition = load_batch(batch_file)
    display = None if no_progress else ProgressDisplay()
    with ExitStack() as stack:
        stack.callback(lambda: display and display.close())
        result = run(definition, executor=_executor(stack, workers, dask_scheduler, dask_local),
                     output_dir=output, resume=resume_dir is not None,
                     progress=display.batch if display else None, overwrite=overwrite,
                     workers=workers)
    for line in outcome_lines(definition.name, result):
        click.echo(line, err=True)
    if result.failed:
        raise SystemExit(EXIT_FAILED)


def batch_paths(batch_file: str | None, output: str | None,
                resume_dir: str | None) -> tuple[str, str]:
    """The batch file and results directory the options name (``--resume DIR`` gives both)."""
    if resume_dir is None:
        if batch_file is None or output is None:
            _bad("BATCH", "give a batch file and -o DIR, or --resume DIR")
        return batch_file, output
    if output is not None and os.path.abspath(output) != os.path.abspath(resume_dir):
        _bad("--resume", "give the batch's directory once: --resume DIR (without -o)")
    batch_file = os.path.join(resume_dir, "batch.yaml")
    if not os.path.isfile(batch_file):
        _bad("--resume", "no batch results to resume here (no batch.yaml)", str(resume_dir))
    return batch_file, resume_dir


def _executor(stack: ExitStack, workers: int | None, dask_scheduler: str | None,
              dask_local: bool):
    from netplan.batch.executors import SerialExecutor, dask_executor

    if dask_scheduler or dask_local:
        return stack.enter_context(dask_executor(dask_scheduler, n_workers=workers))
    if workers == 1:
        return SerialExecutor()
    return None  # run() starts a process pool over `workers` (default: all cores)


def outcome_lines(name: str, result) -> list[str]:
    """The closing lines: how many variants ran now or before, and the first failures."""
    ran = len(result.ran)
    lines = [f"batch {name}: {len(result.variants)} variants ({ran} run now, "
             f"{len(result.variants) - ran} complete before), {len(result.failed)} failed; "
             f"results in {result.directory}"]
    for variant_id, message in list(result.failed.items())[:10]:
        first = message.splitlines()[0] if message else ""
        lines.append(f"  {variant_id}: {first}")
    if len(result.failed) > 10:
        lines.append(f"  … and {len(result.failed) - 10} more (see index.json)")
    return lines


def _bad(field: str, reason: str, file: str = "") -> None:
    from netplan.errors import Problem, ValidationError

    raise ValidationError([Problem(file, field, reason)])
