"""Fingerprints of a run's inputs, so a result can be traced to exactly what produced it."""

from __future__ import annotations

import hashlib
import json

from netplan.model.scenario import Scenario
from netplan.model.topology import Topology


def _canonical(data) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def input_fingerprint(topology: Topology, scenario: Scenario) -> dict[str, str]:
    """SHA-256 of the validated topology, of the resolved scenario (seed included), and of both.

    The hashes are of the models as validated (``extends`` resolved, derived lengths filled),
    so two files that say the same thing in different words have the same fingerprint.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> a = input_fingerprint(topo, s)
    >>> a == input_fingerprint(topo, s), len(a["run"])
    (True, 64)
    >>> a["run"] != input_fingerprint(topo, s.model_copy(update={"seed": 1}))["run"]
    True
    """
    topo_hash = hashlib.sha256(_canonical(topology.model_dump(mode="json"))).hexdigest()
    scen_hash = hashlib.sha256(_canonical(scenario.model_dump(mode="json"))).hexdigest()
    run = hashlib.sha256(f"{topo_hash}:{scen_hash}:{scenario.seed}".encode()).hexdigest()
    return {"topology": topo_hash, "scenario": scen_hash, "seed": str(scenario.seed), "run": run}
