"""The ``egov-netplan`` command-line tool: ``load → API call → save``, a few lines per verb.

The verbs live by what they work on: :mod:`netplan.cli.files` (``validate``, ``schema``,
``show``), :mod:`netplan.cli.compute` (``demand``, ``analyze``, ``optimize``, ``simulate``),
:mod:`netplan.cli.runs` (``plan``, ``report``, ``compare``), :mod:`netplan.cli.batch` and
:mod:`netplan.cli.sndlib`. They share :mod:`netplan.cli.options` (the ``-o`` check, input
loading) and :mod:`netplan.cli.progress` (the one progress display).

Only click is imported at module level, so ``egov-netplan --help`` starts fast; every verb
imports what it needs when it runs.
"""

from __future__ import annotations

import sys

import click

from netplan import __version__
from netplan.cli.availability import availability
from netplan.cli.batch import batch
from netplan.cli.compute import analyze, demand, optimize, simulate
from netplan.cli.files import schema, show, validate
from netplan.cli.measured import calibrate, deduce
from netplan.cli.runs import compare, plan, report
from netplan.cli.serve import serve
from netplan.cli.sndlib import sndlib

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class NetplanGroup(click.Group):
    """A click group that prints netplan's errors without a traceback and sets the exit code."""

    def invoke(self, ctx: click.Context):
        from netplan.errors import NetplanError

        try:
            return super().invoke(ctx)
        except NetplanError as exc:
            _print_error(exc)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; no output was changed", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # an internal error: the run could not finish
            import logging
            import traceback

            if logging.getLogger().isEnabledFor(logging.INFO):
                traceback.print_exc()
            from netplan.io.text import terminal_safe

            click.echo(f"error: the run could not finish: {type(exc).__name__}: "
                       f"{terminal_safe(str(exc))} "
                       "(an internal error; no output was changed; -v shows where)", err=True)
            ctx.exit(EXIT_FAILED)


def _print_error(exc: Exception) -> None:
    from netplan.errors import ValidationError

    if isinstance(exc, ValidationError):
        count = len(exc.problems)
        click.echo(f"error: {count} problem{'s' if count != 1 else ''} found", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
    else:
        click.echo(f"error: {exc}", err=True)


@click.group(cls=NetplanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="egov-netplan")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("--allow-outside", is_flag=True,
              help="Read files named inside input files (extends:, topology:, CSV tables) even "
                   "outside the input folders: the current folder, the folder above each "
                   "file named here, and netplan's own (docs/errors.md).")
@click.pass_context
def cli(ctx: click.Context, verbose: int, allow_outside: bool) -> None:
    """Capacity planning for the Chongqing e-government extranet and intranet.

    Start with `egov-netplan show` on the default network, then `egov-netplan validate`
    on your own topology and scenario files.
    """
    import logging

    from netplan.io.safe_read import allowing_outside

    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # Kept for the verbs, and the loaders' default for the whole command.
    ctx.ensure_object(dict)["allow_outside"] = allow_outside
    ctx.with_resource(allowing_outside(allow_outside))


for _verb in (validate, schema, show, demand, analyze, optimize, simulate, plan, report,
              compare, batch, sndlib, serve, deduce, calibrate, availability):
    cli.add_command(_verb)


def main() -> None:
    """Entry point of the ``egov-netplan`` console script."""
    cli.main(prog_name="egov-netplan")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
