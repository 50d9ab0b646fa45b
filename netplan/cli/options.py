"""What the verbs share: the ``-o`` option and its check, input loading, failure policies.

Only click is imported at module level, so ``egov-netplan --help`` stays fast.
"""

from __future__ import annotations

import click

FAILURE_CHOICES = ("none", "n-1", "n-1-nodes", "srlg", "n-2")


def output_option(*, required: bool = True, help_text: str = "Output directory."):
    """The ``-o DIR`` and ``--overwrite`` options, checked before any work starts.

    With ``required``, a missing ``-o`` is bad input. A path netplan cannot use (a file, a
    dangling link, a folder it cannot write in), a directory holding another run without
    ``--overwrite``, or one holding files netplan did not write, is refused at once rather
    than after minutes of computing (:func:`netplan.io.atomic.check_output_dir`). The verb
    receives ``output`` and ``overwrite``; the directories it writes carry netplan's marker
    naming the verb, so a later ``--overwrite`` knows them.
    """

    def decorate(func):
        func = click.option("--overwrite", is_flag=True,
                            help="Replace the results already in the output directory.")(func)
        return click.option("-o", "--output", "output", type=click.Path(file_okay=False),
                            default=None, help=help_text)(func)

    def check(func):
        import functools

        @functools.wraps(func)
        def wrapper(*args, output: str | None, overwrite: bool, **kwargs):
            if output is None and required:
                from netplan.errors import Problem, ValidationError

                raise ValidationError([Problem("-o", "", "give an output directory with -o DIR")])
            from netplan.io.atomic import check_output_dir, marking_outputs

            if output is not None:
                check_output_dir(output, overwrite)
            with marking_outputs(func.__name__):
                return func(*args, output=output, overwrite=overwrite, **kwargs)

        return decorate(wrapper)

    return check


def load_topology_arg(value: str | None):
    """The topology a verb was given, or the default Chongqing network."""
    import netplan

    return netplan.load_topology(value or netplan.default_topology_path(),
                                 allow_outside=allow_outside_arg())


def load_scenario_arg(value: str | None, topology):
    """The scenario a verb was given (checked against ``topology``), or the baseline."""
    import netplan

    return netplan.load_scenario(value or netplan.default_scenario_path(), topology,
                                 allow_outside=allow_outside_arg())


def allow_outside_arg() -> bool:
    """The group's ``--allow-outside`` flag (False outside a command, e.g. in code)."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return bool(obj.get("allow_outside", False)) if isinstance(obj, dict) else False


def parse_failures(value: str | None) -> tuple[str, ...] | None:
    """``--failures n-1,srlg`` as a policy tuple; None when the option was not given.

    Examples
    --------
    >>> parse_failures("n-1, srlg")
    ('n-1', 'srlg')
    >>> parse_failures(None) is None
    True
    """
    if value is None:
        return None
    from netplan.errors import Problem, ValidationError

    parts = tuple(p.strip() for p in value.split(",") if p.strip())
    bad = [p for p in parts if p not in FAILURE_CHOICES]
    if bad or not parts:
        raise ValidationError([Problem("--failures", "", f"unknown policy {', '.join(bad) or value!r};"
                                       f" choose from {', '.join(FAILURE_CHOICES)}")])
    return parts


def load_run_dir(run_dir: str):
    """A saved run, with damaged files reported as bad input rather than a traceback."""
    import zipfile

    from netplan.errors import Problem, ValidationError
    from netplan.io.run_dir import load_run

    try:
        run = load_run(run_dir)
    except zipfile.BadZipFile as exc:
        raise ValidationError(
            [Problem(run_dir, "arrays.npz", f"unreadable arrays: {exc}")]
        ) from None
    damaged = [key for key in ("inputs", "topology", "scenario", "analysis", "plan")
               if not isinstance(run.results.get(key), dict)]
    if damaged:
        raise ValidationError([Problem(run_dir, "results.json", "not a complete netplan run: "
                                       f"{', '.join(damaged)} missing or damaged")])
    return run
