"""Every example of README.md and docs/*.md runs as written, or as the tables below say.

Each group of blocks (a block and the earlier blocks of its page whose outputs it reads,
see tests/doc_blocks.py) runs in order in a temporary folder that holds copies of
``scenarios/`` and ``topologies/`` and links to ``tests/data/`` and ``benchmarks/``, so the
pages' relative paths work and nothing is written into the repository:

- ```sh / ```console commands: ``egov-netplan ...`` and ``python -m netplan ...`` run as
  ``python -m netplan ...``, benchmark scripts as ``python benchmarks/...``; the commands in
  ``SKIPPED`` are setup and are not run; any other command fails the test. Each must exit
  0 or as its ``# exits N`` comment says, and print the lines the page shows for it.
- ```python blocks run as scripts; a single-line expression whose comment is a literal
  (``r.status  # 'optimal'``) must have that value; a block that prints must print.
- ```yaml blocks are netplan files and must pass ``egov-netplan validate``; a
  ``<!-- file: PATH -->`` marker writes the block to PATH for later commands, or, when PATH
  is a shipped file, requires the block to be an excerpt of it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.doc_blocks import (
    SHELL_LANGS,
    Block,
    Command,
    groups,
    read_page,
    script,
    shown_lines_missing,
    split_words,
    yaml_excerpt_differences,
)

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")))
TIMEOUT_S = 1200
RUN_LANGS = {*SHELL_LANGS, "python", "yaml"}

# Setup commands that are not run: what they set up is what runs these tests.
SKIPPED = {
    ("python", "-m", "venv"): "creates the virtual environment the tests already run in",
    ("pip", "install"): "installs the package the tests already import",
    ("python", "-m", "pytest"): "the test suite this test is part of",
    ("apt-get",): "system packages (.ci/run installs those the tests need)",
    ("cd",): "every command runs in the example folder",
    ("open",): "opens a file in a desktop program",
    ("xdg-open",): "opens a file in a desktop program",
}
# The one environment assignment pages use: every command here runs with the repository
# root on PYTHONPATH already.
ENV_ASSIGNMENTS = {"PYTHONPATH=."}


@dataclass(frozen=True)
class Override:
    """Commands (or Python blocks) of a page holding ``find`` run changed, and why.

    ``find`` is replaced by ``replace`` (when given) and ``append`` goes at the end of the
    command; later options win over the page's own.
    """

    page: str
    find: str
    why: str
    replace: str | None = None
    append: str = ""


# "{dask_scheduler}" stands for the address of a Dask LocalCluster on 127.0.0.1 that the
# test starts. Every entry must match some example (a test checks).
OVERRIDES = (
    Override(
        "docs/batches.md",
        "--dask-scheduler tcp://10.0.0.5:8786",
        "the page's cluster does not exist here: a LocalCluster stands in for it",
        replace="--dask-scheduler {dask_scheduler}",
    ),
    Override(
        "docs/batches.md",
        'dask_executor("tcp://scheduler:8786")',
        "the page's cluster does not exist here: a LocalCluster stands in for it",
        replace='dask_executor("{dask_scheduler}")',
    ),
    Override(
        "docs/simulation.md",
        "simulate topologies/chongqing.yaml scenarios/baseline.yaml -o out/sim",
        "ten replications of the busy hour take 1.5-3 min on two cores; two, the fewest that "
        "give a confidence interval, run the same code",
        append="--replications 2",
    ),
    Override(
        "docs/bench-batch.md",
        "benchmarks/bench_batch.py",
        "the measurements take up to 30 min; a few variants and a 30-site network run the "
        "same code and check the options",
        append="--variants 4 --naive-variants 2 --repeats 1 --nodes 30 --sample-states 2",
    ),
)

# Python blocks that take long, by a line of theirs (seconds measured on two busy cores).
SLOW_PYTHON = {
    'routing="optimized"': "the routing MILP and its check (80 s)",
    'load_batch("scenarios/growth-failures-mc.batch.yaml")': "100 Monte Carlo variants (50 s)",
    "ProcessPoolExecutor(max_workers=2)": "a nine-variant batch, four times (40 s)",
}

# Examples that expose a bug in the code: they must fail until it is fixed.
XFAIL = {}


def _program(word: str) -> str:
    name = Path(word).name
    return "python" if name in ("python3", "python3.11", "python3.12") else name


def _env_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """The ``NAME=value`` words a command starts with."""
    k = 0
    while k < len(words) and "=" in words[k] and words[k].split("=")[0].isidentifier():
        k += 1
    return words[:k]


def _strip_env(words: tuple[str, ...]) -> tuple[str, ...]:
    return words[len(_env_words(words)) :]


def _skip_reason(words: tuple[str, ...]) -> str | None:
    normal = (_program(words[0]), *words[1:])
    for prefix, why in SKIPPED.items():
        if normal[: len(prefix)] == prefix:
            return why
    return None


def _argv(words: tuple[str, ...]) -> list[str] | None:
    """How a command runs here, or None when it is not a command these tests know."""
    program, rest = _program(words[0]), list(words[1:])
    if program == "egov-netplan":
        return [sys.executable, "-m", "netplan", *rest]
    if program != "python" or not rest:
        return None
    if rest[:2] == ["-m", "netplan"] or rest[0].startswith("benchmarks/"):
        return [sys.executable, *rest]
    return None


def _netplan_args(argv: list[str]) -> list[str]:
    return argv[3:] if argv[1:3] == ["-m", "netplan"] else []


def _slow_reason(page: str, command: Command) -> str | None:
    words = _strip_env(tuple(split_words(_overridden(page, command.text))))
    argv = _argv(words) if words else None
    if argv is None:
        return None
    if argv[1].startswith("benchmarks/"):
        return "a benchmark, even shortened"
    args = _netplan_args(argv)
    if args[:1] == ["batch"] and "--resume" not in args:
        return "a batch of variants"
    if args[:1] == ["simulate"] and "analytic" not in args:
        return "the event simulation"
    if "optimized" in args:
        return "the routing MILP"
    if "--pdf" in args:
        return "chromium prints a PDF"
    return None


def _overridden(page: str, text: str, dask_scheduler=None) -> str:
    """The command or Python text as it runs here; without a cluster, as it is judged."""
    for override in OVERRIDES:
        if override.page != page or override.find not in text:
            continue
        if override.replace is not None:
            replace = override.replace
            if "{dask_scheduler}" in replace and dask_scheduler is not None:
                replace = replace.replace("{dask_scheduler}", dask_scheduler())
            text = text.replace(override.find, replace)
        if override.append:
            text = f"{text} {override.append}"
    return text


def _all_blocks() -> list[Block]:
    return [block for page in PAGES for block in read_page(ROOT, page)]


def _shipped(path: str) -> bool:
    return (ROOT / path).is_file()


def _slow_reasons(group: list[Block]) -> list[str]:
    found = [_slow_reason(b.page, c) for b in group for c in b.commands]
    found += [why for b in group for key, why in SLOW_PYTHON.items() if key in b.text]
    return [why for why in found if why]


def _group_params():
    run = [b for b in _all_blocks() if b.lang in RUN_LANGS]
    for group in groups(run, _shipped):
        marks = []
        if _slow_reasons(group):
            marks.append(pytest.mark.slow)
        for key, why in XFAIL.items():
            if any(key in b.text for b in group):
                marks.append(pytest.mark.xfail(strict=True, reason=why))
        ident = f"{group[0].page}:" + "+".join(str(b.line) for b in group)
        yield pytest.param(group, id=ident, marks=marks)


def _workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("scenarios", "topologies"):
        shutil.copytree(ROOT / name, work / name, ignore=ignore)
    (work / "tests").mkdir()
    (work / "tests" / "data").symlink_to(ROOT / "tests" / "data")
    (work / "benchmarks").symlink_to(ROOT / "benchmarks")
    return work


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # Outside a notebook fig.show() would serve the figure to a browser and wait for it;
    # this renderer fails at once instead.
    env["PLOTLY_RENDERER"] = "json"
    return env


def _run(argv: list[str], work: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv, cwd=work, env=_env(), capture_output=True, text=True, timeout=TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )


def _tail(done: subprocess.CompletedProcess) -> str:
    return f"\n--- stdout ---\n{done.stdout[-3000:]}\n--- stderr ---\n{done.stderr[-3000:]}"


def _run_command(block: Block, command: Command, work: Path, dask_scheduler) -> None:
    where = f"{block.page}:{command.line}"
    unknown = set(_env_words(command.words)) - ENV_ASSIGNMENTS
    assert not unknown, f"{where}: unknown environment settings {sorted(unknown)}"
    words = _strip_env(command.words)
    assert words, f"{where}: a line that only sets variables"
    if _skip_reason(words):
        return
    assert _argv(words) is not None, (
        f"{where}: unknown command {words[0]!r}: run it here, or add it to SKIPPED with why"
    )
    words = _strip_env(tuple(split_words(_overridden(block.page, command.text, dask_scheduler))))
    done = _run(_argv(words), work)
    assert done.returncode in command.exits, (
        f"{where}: `{' '.join(words)}` exited {done.returncode}, the page expects "
        f"{sorted(command.exits)}{_tail(done)}"
    )
    missing = shown_lines_missing(command.shown, done.stdout + done.stderr)
    assert not missing, f"{where}: the page shows lines the command did not print: {missing}"


def _run_yaml(block: Block, work: Path) -> None:
    data = yaml.safe_load(block.text)
    assert isinstance(data, dict) and "kind" in data, (
        f"{block.where}: a YAML example must be a netplan file with a `kind:`"
    )
    if block.file and _shipped(block.file):
        shipped = yaml.safe_load((ROOT / block.file).read_text(encoding="utf-8"))
        differences = yaml_excerpt_differences(data, shipped)
        assert not differences, f"{block.where}: differs from {block.file}: {differences}"
        path = block.file
    else:
        folder = "topologies" if data["kind"] == "topology" else "scenarios"
        stem = Path(block.page).stem
        path = block.file or f"{folder}/doc-{stem}-{block.line}.yaml"
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(block.text, encoding="utf-8")
    done = _run([sys.executable, "-m", "netplan", "validate", path], work)
    assert done.returncode == 0, f"{block.where}: the example does not validate{_tail(done)}"


def _run_python(block: Block, work: Path, dask_scheduler) -> None:
    slug = block.page.replace("/", "_").replace(".md", "")
    path = work / f"{slug}_{block.line}.py"
    source = script(block)
    path.write_text(_overridden(block.page, source, dask_scheduler), encoding="utf-8")
    done = _run([sys.executable, path.name], work)
    assert done.returncode == 0, f"{block.where}: the example fails{_tail(done)}"
    if "print(" in block.text:
        assert done.stdout.strip(), f"{block.where}: the example prints nothing"


@pytest.fixture
def dask_scheduler(request):
    """A function giving the address of a Dask LocalCluster on 127.0.0.1, started once."""
    started = []

    def address() -> str:
        if not started:
            distributed = pytest.importorskip("distributed")
            cluster = distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                host="127.0.0.1",
            )
            request.addfinalizer(cluster.close)
            started.append(cluster.scheduler_address)
        return started[0]

    return address


@pytest.mark.parametrize("group", list(_group_params()))
def test_doc_example(group, tmp_path, dask_scheduler):
    work = _workdir(tmp_path)
    for block in group:
        if block.lang in SHELL_LANGS:
            for command in block.commands:
                _run_command(block, command, work, dask_scheduler)
        elif block.lang == "yaml":
            _run_yaml(block, work)
        elif block.lang == "python":
            _run_python(block, work, dask_scheduler)


def test_every_block_is_of_a_kind_that_is_run():
    # Untagged blocks are pictures, listings and shown output; everything else runs.
    odd = [b.where for b in _all_blocks() if b.lang and b.lang not in RUN_LANGS]
    assert not odd, f"blocks of a language these tests do not run: {odd}"


def _is_netplan_command(line: str) -> bool:
    words = tuple(line.removeprefix("$ ").split())
    argv = _argv(words) if words else None
    return argv is not None and argv[1:3] == ["-m", "netplan"]


def test_no_untagged_block_holds_a_command():
    found = [
        b.where
        for b in _all_blocks()
        if not b.lang and any(_is_netplan_command(line) for line in b.text.splitlines())
    ]
    assert not found, f"tag these blocks ```sh so that their commands run: {found}"


def test_every_override_and_table_entry_matches_an_example():
    blocks = _all_blocks()
    texts = {(b.page, c.text) for b in blocks for c in b.commands if c.words}
    texts |= {(b.page, b.text) for b in blocks if b.lang == "python"}
    unused = [o.find for o in OVERRIDES if not any(o.page == p and o.find in t for p, t in texts)]
    unused += [k for k in (*SLOW_PYTHON, *XFAIL) if not any(k in t for _, t in texts)]
    assert not unused, f"table entries that match no example any more: {unused}"
