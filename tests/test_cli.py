"""The command-line tool: exit codes, messages without tracebacks, documented JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import netplan
from netplan.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_help_and_version():
    assert run("--help").exit_code == 0
    result = run("--version")
    assert result.exit_code == 0 and netplan.__version__ in result.output


def test_python_dash_m_works():
    proc = subprocess.run(
        [sys.executable, "-m", "netplan", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0 and "validate" in proc.stdout


def test_cli_imports_only_click_at_top():
    code = (
        "import sys, netplan.cli; heavy = [m for m in ('numpy', 'scipy', 'pydantic', "
        "'networkx', 'plotly', 'yaml', 'simpy') if m in sys.modules]; print(heavy)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert proc.stdout.strip() == "[]"


def test_validate_accepts_every_shipped_file():
    files = sorted(str(p) for p in (ROOT / "topologies").glob("*.yaml"))
    files += sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    assert len(files) >= 8
    result = run("validate", *files)
    assert result.exit_code == 0, result.output
    assert result.output.count("ok ") == len(files)


def test_validate_bad_input_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: topology\nname: x\ntiers: []\nnodes: []\nlinks: []\n")
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{bad}:3: tiers:" in result.output


@pytest.mark.parametrize("content", ["", "a: [", "kind: topology\n", "\x00"])
def test_validate_exit_codes_on_garbage(tmp_path, content):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    proc = subprocess.run(
        [sys.executable, "-m", "netplan", "validate", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and str(bad) in proc.stderr


def test_validate_missing_file_and_unknown_type(tmp_path):
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "not found" in result.output
    other = tmp_path / "net.txt"
    other.write_text("x")
    result = CliRunner().invoke(cli, ["validate", str(other)])
    assert result.exit_code == 2 and "unknown file type" in result.output


def test_show_json_document():
    result = run("show", str(ROOT / "topologies/chongqing.yaml"), "--json")
    assert result.exit_code == 0
    doc = json.loads(result.output)
    for node in doc["nodes"]:
        assert {"id", "kind", "lat", "lon"} <= set(node)
    for link in doc["links"]:
        assert {"id", "a", "b", "plane", "capacity_gbps", "length_km"} <= set(link)
    assert doc["data_centres"] and set(doc["planes"]) == {"extranet", "intranet"}


def test_show_text_summary():
    result = run("show")
    assert result.exit_code == 0 and "extranet:" in result.output and "intranet:" in result.output


@pytest.mark.parametrize("what", ["topology", "scenario"])
def test_schema_is_json_schema(what):
    result = run("schema", what)
    schema = json.loads(result.output)
    assert schema["type"] == "object" and "properties" in schema


def test_schema_validates_shipped_files_in_an_editor_sense():
    import yaml

    schema = json.loads(run("schema", "topology").output)
    data = yaml.safe_load((ROOT / "tests/data/small/topology.yaml").read_text(encoding="utf-8"))
    assert set(data) - {"links"} <= set(schema["properties"])


def test_demand_writes_outputs_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "demand"
    args = [
        "demand",
        str(ROOT / "tests/data/small/topology.yaml"),
        str(ROOT / "tests/data/small/scenario.yaml"),
        "-o",
        str(out),
    ]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert {"demand.csv", "demand.npz", "busy_hour.csv"} <= {p.name for p in out.iterdir()}
    before = (out / "demand.csv").read_bytes()
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 2 and "--overwrite" in again.output
    assert (out / "demand.csv").read_bytes() == before
    assert run(*args, "--overwrite").exit_code == 0
