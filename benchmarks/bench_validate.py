"""Validation time and memory as networks grow, against the naive reference.

For a synthetic two-plane topology of N sites (two cores, a data centre, an Internet exit and
N - 4 districts; each district hangs off a random earlier site in each plane and has a
second extranet uplink: about 3N links), it times netplan's validation of the parsed
document — :func:`netplan.io.topology_io.build_topology`: the field checks, the
cross-reference rules and the derived link quantities, which is what
``egov-netplan validate`` does once a file is read — and the same validation with the
reference lookups: ``Topology.node`` and ``Topology.tier`` replaced by the linear scans
netplan used before its indexes, which makes the lookups of every link scan the node list
(quadratic in N). Both run in the same invocation, each in a fresh process so that its
peak resident memory (``ru_maxrss``, the generated input included) is its own; their
validated topologies are compared by a SHA-256 of the model's JSON. Times are processor
times of the validating process (wall time in brackets): on a shared machine they hold
still where wall times do not.

The reference is run up to ``--reference-max`` sites; above that its time is extrapolated
from the largest measured size as quadratic (and marked so). With ``--files``, the command
``egov-netplan validate`` is also timed on YAML + CSV files where the file limits admit the
network (a CSV table holds at most 1,000,000 rows).

Usage::

    python benchmarks/bench_validate.py [--sizes 10000 20000 50000 100000]
        [--reference-max 20000] [--files] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from netplan.io.topology_io import MAX_ROWS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPECIAL = [
    {"id": "core-1", "name": "Core 1", "kind": "core", "lat": 29.56, "lon": 106.55},
    {"id": "core-2", "name": "Core 2", "kind": "core", "lat": 29.60, "lon": 106.50},
    {"id": "dc", "name": "Data centre", "kind": "data_centre", "lat": 29.75, "lon": 106.45},
    {"id": "exit", "name": "Internet exit", "kind": "internet_exit", "lat": 29.57,
     "lon": 106.56, "planes": ["extranet"]},
]


# ---------------------------------------------------------------------- inputs
def topology_data(n_sites: int, seed: int = 0) -> dict:
    """A valid two-plane topology of ``n_sites`` sites as plain data (both planes connected)."""
    rng = random.Random(seed)
    nodes = [dict(node) for node in SPECIAL]
    links = [
        {"id": "x-c1-c2", "a": "core-1", "b": "core-2", "plane": "extranet", "tier": "100G"},
        {"id": "x-c1-dc", "a": "core-1", "b": "dc", "plane": "extranet", "tier": "100G"},
        {"id": "x-c2-dc", "a": "core-2", "b": "dc", "plane": "extranet", "tier": "100G"},
        {"id": "x-c1-exit", "a": "core-1", "b": "exit", "plane": "extranet", "tier": "100G"},
        {"id": "i-c1-c2", "a": "core-1", "b": "core-2", "plane": "intranet", "tier": "100G"},
        {"id": "i-c1-dc", "a": "core-1", "b": "dc", "plane": "intranet", "tier": "100G"},
    ]
    attach = ["core-1", "core-2"]  # sites a new district may hang off, in both planes
    for i in range(n_sites - len(SPECIAL)):
        site = f"d{i}"
        nodes.append({"id": site, "name": f"District {i}", "kind": "district",
                      "lat": round(28.2 + 4.0 * rng.random(), 5),
                      "lon": round(105.3 + 4.8 * rng.random(), 5),
                      "population": rng.randrange(10_000, 3_000_000)})
        up, second, inner = (rng.choice(attach) for _ in range(3))
        links.append({"id": f"x{i}a", "a": site, "b": up, "plane": "extranet", "tier": "10G"})
        if second != up:
            links.append({"id": f"x{i}b", "a": site, "b": second, "plane": "extranet",
                          "tier": "1G", "modules": 2})
        links.append({"id": f"i{i}", "a": site, "b": inner, "plane": "intranet", "tier": "1G"})
        attach.append(site)
    return {
        "kind": "topology",
        "name": f"synthetic benchmark network ({n_sites} sites)",
        "tiers": [
            {"name": "1G", "capacity_gbps": 1, "capex_cny": 30000, "opex_cny_per_year": 60000},
            {"name": "10G", "capacity_gbps": 10, "capex_cny": 150000, "opex_cny_per_year": 250000},
            {"name": "100G", "capacity_gbps": 100, "capex_cny": 1e6, "opex_cny_per_year": 1e6},
        ],
        "nodes": nodes,
        "links": links,
        "data_centres": [{"id": "dc-main", "node": "dc", "name": "Data centre", "racks": 10,
                          "racks_max": 40, "kw_per_rack": 6, "servers_per_rack": 12,
                          "rack_capex_cny": 500000, "rack_opex_cny_per_year": 80000}],
    }


def write_files(data: dict, folder: Path) -> Path:
    """``data`` as topology.yaml with nodes.csv and links.csv beside it."""
    for table in ("nodes", "links"):
        rows = data[table]
        columns = sorted({key for row in rows for key in row})
        with open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: ";".join(v) if isinstance(v, list) else v
                                 for k, v in row.items()})
    head = {k: v for k, v in data.items() if k not in ("nodes", "links")}
    head |= {"nodes": "nodes.csv", "links": "links.csv"}
    path = folder / "topology.yaml"
    path.write_text(yaml.safe_dump(head, sort_keys=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------------- the reference
def use_linear_scans() -> None:
    """Give Topology the lookups it had before its indexes: a scan of the list per call."""
    from netplan.model.topology import Topology

    def node(self, node_id):
        for item in self.nodes:
            if item.id == node_id:
                return item
        raise KeyError(node_id)

    def tier(self, name):
        for item in self.tiers:
            if item.name == name:
                return item
        raise KeyError(name)

    Topology.node = node
    Topology.tier = tier


# ---------------------------------------------------------------------- one measurement
def child(n_sites: int, method: str, seed: int) -> dict:
    """Validate one network in this process; time, peak memory and a digest of the result."""
    import scipy.sparse.csgraph  # noqa: F401 - imported before the clock starts

    from netplan.io.topology_io import build_topology

    data = topology_data(n_sites, seed)
    if method == "reference":
        use_linear_scans()
    if method == "file":
        from netplan.cli.file_kinds import validate_file

        with tempfile.TemporaryDirectory() as tmp:
            path = write_files(data, Path(tmp))
            del data
            start, cpu = time.perf_counter(), time.process_time()
            summary = validate_file(path)
            seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
        digest, links = summary, None
    else:
        start, cpu = time.perf_counter(), time.process_time()
        topology = build_topology(data, name="<benchmark>")
        seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
        digest = hashlib.sha256(topology.model_dump_json().encode()).hexdigest()
        links = len(topology.links)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"sites": n_sites, "method": method, "seconds": seconds, "cpu_s": cpu_s,
            "peak_mb": peak_mb, "digest": digest, "links": links}


def measure(n_sites: int, method: str, seed: int, timeout_s: float) -> dict:
    cmd = [sys.executable, __file__, "--child", str(n_sites), method, "--seed", str(seed)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- the table
def run(sizes: list[int], reference_max: int, files: bool, seed: int) -> list[dict]:
    rows = []
    measured_ref: tuple[int, float] | None = None
    for n in sizes:
        fast = measure(n, "indexed", seed, timeout_s=1800)
        row = {"sites": n, "links": fast["links"], "netplan_s": fast["cpu_s"],
               "netplan_wall_s": fast["seconds"], "netplan_peak_mb": fast["peak_mb"],
               "reference_s": None, "estimated": False, "same": None, "file_s": None}
        if n <= reference_max:
            ref = measure(n, "reference", seed, timeout_s=7200)
            row.update(reference_s=ref["cpu_s"], same=ref["digest"] == fast["digest"])
            measured_ref = (n, ref["cpu_s"])
        elif measured_ref is not None:
            base_n, base_s = measured_ref
            row.update(reference_s=base_s * (n / base_n) ** 2, estimated=True)
        if files and fast["links"] <= MAX_ROWS:
            row["file_s"] = measure(n, "file", seed, timeout_s=1800)["cpu_s"]
        rows.append(row)
        print(_line(row), flush=True)
    return rows


def _line(row: dict) -> str:
    ref = "—" if row["reference_s"] is None else (
        f"{row['reference_s']:,.1f} s" + (" (est., quadratic)" if row["estimated"] else ""))
    ratio = "—" if row["reference_s"] is None else f"{row['reference_s'] / row['netplan_s']:,.0f}×"
    same = {None: "—", True: "identical", False: "DIFFERENT"}[row["same"]]
    file_s = "—" if row["file_s"] is None else f"{row['file_s']:.1f} s"
    return (f"| {row['sites']:,} | {row['links']:,} | {row['netplan_s']:.2f} s "
            f"({row['netplan_wall_s']:.2f} s) | {row['netplan_peak_mb']:,.0f} MB | {ref} | "
            f"{ratio} | {same} | {file_s} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 50_000, 100_000])
    parser.add_argument("--reference-max", type=int, default=20_000)
    parser.add_argument("--files", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", nargs=2, metavar=("SITES", "METHOD"))
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.child[1], args.seed)))
        return 0
    print("| sites | links | netplan, processor time (wall) | peak memory "
          "| linear-scan reference, processor time | ratio | results "
          "| `validate` on YAML + CSV, processor time |")
    print("|---:|---:|---:|---:|---:|---:|---|---:|")
    rows = run(args.sizes, args.reference_max, args.files, args.seed)
    return 0 if all(r["same"] is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
