"""The `egov-netplan sndlib` command on SNDlib's polska (reference optimum 23619)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from netplan.cli import cli
from netplan.io.sndlib import read_solution

DATA = Path(__file__).parent / "data" / "sndlib" / "polska"


def test_sndlib_command_reaches_the_reference_optimum(tmp_path):
    out = tmp_path / "polska.sol"
    result = CliRunner().invoke(cli, ["sndlib", str(DATA / "polska.txt"),
                                      str(DATA / "U-U-M-N-C-A-N-N.txt"), "--json",
                                      "--solution-out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["status"] == "optimal" and round(doc["total_cost"]) == 23619
    assert doc["bound"] <= doc["total_cost"] + 1e-6
    assert read_solution(out) is not None


def test_sndlib_command_rejects_a_bad_file(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("NODES (\n  A ( 1 2 )\n")
    result = CliRunner().invoke(cli, ["sndlib", str(bad), str(DATA / "U-U-M-N-C-A-N-N.txt")])
    assert result.exit_code == 2 and str(bad) in result.output and "Traceback" not in result.output
