"""Shared fixtures: the small test network, as files and as data to mutate."""

from __future__ import annotations

import copy
import csv
import shutil
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).parent / "data"
SMALL = DATA / "small"


def read_small_topology() -> dict:
    """The small topology as plain data with its links table inlined."""
    data = yaml.safe_load((SMALL / "topology.yaml").read_text(encoding="utf-8"))
    with open(SMALL / "links.csv", encoding="utf-8") as fh:
        rows = []
        for row in csv.DictReader(fh):
            item = {k: v for k, v in row.items() if v != ""}
            item["modules"] = int(item["modules"])
            if "srlg" in item:
                item["srlg"] = [item["srlg"]]
            if "candidate" in item:
                item["candidate"] = item["candidate"] == "true"
            rows.append(item)
    data["links"] = rows
    return data


def read_small_scenario() -> dict:
    return yaml.safe_load((SMALL / "scenario.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def small_topology_data() -> dict:
    return copy.deepcopy(read_small_topology())


@pytest.fixture
def small_scenario_data() -> dict:
    return copy.deepcopy(read_small_scenario())


@pytest.fixture
def small_dir(tmp_path: Path) -> Path:
    """A writable copy of the small network's files."""
    target = tmp_path / "small"
    shutil.copytree(SMALL, target)
    return target


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
