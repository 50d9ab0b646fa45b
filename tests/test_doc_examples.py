"""The Python examples of README.md and docs/architecture.md run as written.

Each ```python block is run from the repository root (the examples name shipped files by
their paths there), with the outputs they write redirected into a temporary folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("README.md", "docs/architecture.md", "docs/analysis.md")
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _blocks():
    for page in PAGES:
        text = (ROOT / page).read_text(encoding="utf-8")
        for i, block in enumerate(BLOCK.findall(text)):
            yield pytest.param(block, id=f"{page}#{i}")


@pytest.mark.parametrize("code", list(_blocks()))
def test_python_example_runs(code, tmp_path, monkeypatch, capsys):
    code = code.replace('"out/', f'"{tmp_path.as_posix()}/out/')
    monkeypatch.chdir(ROOT)
    exec(compile(code, "<example>", "exec"), {"__name__": "example"})
    assert capsys.readouterr().out.strip(), "the example prints what it found"
