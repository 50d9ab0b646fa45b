"""The golden runs: the command-line verbs on the shipped scenarios, as content digests.

``tests/data/golden/digests.json`` holds, for every file each verb writes, a SHA-256 digest of
its content. :func:`run_all` runs the verbs again and :mod:`tests.test_golden` compares the
two, so a refactoring that changes any number, table or page shows up as the file it changed.

A digest is of the bytes, except where a file records the run itself rather than its
results: wall-clock times, the folder it was written to, and the folder the repository is
in (a batch records the absolute paths of its inputs). Those are blanked first (see
``VOLATILE_KEYS``) so the digest depends on the inputs only.

When an issue asks for a change in the outputs, regenerate the digests and commit them with
the change that explains them::

    python -m tests.golden --update
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIGESTS = Path(__file__).parent / "data" / "golden" / "digests.json"
TOPOLOGY = "topologies/chongqing.yaml"
SCENARIOS = ("baseline", "growth-5y", "video-surge", "dc-outage", "consolidation", "n-1-audit")
VOLATILE_KEYS = {"elapsed_s", "solve_time_s", "wall_s", "runtime_s", "started", "finished",
                 "created", "seconds", "duration_s", "output_dir", "time_s"}
VOLATILE_FILES = {"timing.json", ".netplan-output"}  # how long each variant took: the clock, not a result


def runs() -> Iterator[tuple[str, list[str]]]:
    """Each golden run: its name and the command line's arguments (paths from the repo root)."""
    for name in SCENARIOS:
        scenario = f"scenarios/{name}.yaml"
        yield f"plan/{name}", ["plan", TOPOLOGY, scenario, "--lang", "en"]
        yield f"analyze/{name}", ["analyze", TOPOLOGY, scenario]
        yield f"optimize/{name}", ["optimize", TOPOLOGY, scenario]
        yield f"simulate/{name}", ["simulate", TOPOLOGY, scenario, "--method", "analytic"]
    yield "plan-zh/baseline", ["plan", TOPOLOGY, "scenarios/baseline.yaml"]
    yield "batch/growth-video", ["batch", "scenarios/growth-video.batch.yaml", "--workers", "1",
                                 "--no-progress"]


def _blank_volatile(value):
    if isinstance(value, dict):
        return {k: (None if k in VOLATILE_KEYS else _blank_volatile(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank_volatile(v) for v in value]
    return value


_TIMES = re.compile(rb'"(?:elapsed_s|solve_time_s|wall_s|runtime_s|time_s|seconds)": ?[0-9.eE+-]+')


def digest(path: Path, out_dir: Path) -> str:
    """SHA-256 of a file's content, with the run's clock and output folder blanked."""
    data = path.read_bytes()
    if path.suffix == ".json":
        document = json.loads(data.decode("utf-8"))
        text = json.dumps(_blank_volatile(document), sort_keys=True, ensure_ascii=False)
        data = text.encode("utf-8")
    else:
        data = _TIMES.sub(b"", data)
    data = data.replace(str(out_dir).encode(), b"<out>").replace(str(ROOT).encode(), b"<root>")
    return hashlib.sha256(data).hexdigest()


@contextmanager
def _cwd(path: Path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def run_one(args: list[str], out_dir: Path) -> dict[str, str]:
    """Run one verb in-process into ``out_dir``; the digests of every file it wrote."""
    from click.testing import CliRunner

    from netplan.cli import cli

    with _cwd(ROOT):
        result = CliRunner().invoke(cli, [*args, "-o", str(out_dir)], catch_exceptions=False)
    if result.exit_code not in (0, 1, 3):  # 3: ran, misses targets (a result, recorded)
        raise RuntimeError(f"{' '.join(args)} exited {result.exit_code}: {result.output}")
    found = {"exit_code": str(result.exit_code)}
    for path in sorted(p for p in out_dir.rglob("*")
                       if p.is_file() and p.name not in VOLATILE_FILES):
        found[path.relative_to(out_dir).as_posix()] = digest(path, out_dir)
    return found


def run_all(work: Path, only: set[str] | None = None) -> dict[str, dict[str, str]]:
    """Every golden run (or those named in ``only``), each into its own folder under ``work``."""
    results = {}
    for name, args in runs():
        if only is not None and name not in only:
            continue
        results[name] = run_one(args, work / name.replace("/", "__"))
    return results


def main(argv: list[str]) -> int:
    import tempfile

    if argv != ["--update"]:
        print("usage: python -m tests.golden --update", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        results = run_all(Path(tmp))
    DIGESTS.parent.mkdir(parents=True, exist_ok=True)
    DIGESTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {DIGESTS.relative_to(ROOT)}: {sum(map(len, results.values()))} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
