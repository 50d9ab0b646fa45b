"""The verbs' outputs on the shipped scenarios are those recorded in the golden digests.

The digests were recorded before the package's layout was redesigned; a move of code must
not change a byte of what users get. Where an issue asks for a change in the outputs, the
digests are regenerated with ``python -m tests.golden --update`` in the same commit.
"""

from __future__ import annotations

import json

import pytest

from tests import golden

RECORDED = json.loads(golden.DIGESTS.read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RECORDED))
def test_outputs_match_the_golden_digests(name, tmp_path):
    args = dict(golden.runs())[name]
    found = golden.run_one(args, tmp_path / "out")
    expected = RECORDED[name]
    assert sorted(found) == sorted(expected), f"{name}: different files written"
    changed = [path for path in expected if found[path] != expected[path]]
    assert not changed, f"{name}: content changed in {changed}"


def test_every_golden_run_is_recorded():
    assert sorted(RECORDED) == sorted(name for name, _ in golden.runs())
