"""What travels to a worker: the variant task, the compressed topology and the fingerprints.

Each variant travels as a self-contained :class:`VariantTask` — the stage, its options, the
topology (compressed JSON with its fingerprint; a worker validates it once and keeps it), the
resolved scenario as plain data, and the variant's seed — so workers need nothing but the
package.
"""

from __future__ import annotations

import hashlib
import json
import threading
import zlib
from dataclasses import dataclass
from typing import Any

from netplan.batch.stages.registry import Stage
from netplan.io.topology_io import build_topology, topology_to_dict
from netplan.model.topology import Topology


@dataclass(frozen=True)
class TopologyBlob:
    """A topology as compressed canonical JSON, with the SHA-256 of that JSON."""

    fingerprint: str
    data: bytes

    @classmethod
    def of(cls, topology: Topology) -> TopologyBlob:
        """Serialise ``topology``.

        Examples
        --------
        >>> import netplan
        >>> blob = TopologyBlob.of(netplan.load_topology(netplan.default_topology_path()))
        >>> len(blob.fingerprint), blob.topology().name.startswith("Chongqing")
        (64, True)
        """
        text = canonical_json(topology_to_dict(topology))
        return cls(hashlib.sha256(text.encode()).hexdigest(), zlib.compress(text.encode(), 6))

    def topology(self) -> Topology:
        """The topology, validated once per process and kept by fingerprint."""
        with _CACHE_LOCK:
            cached = _TOPOLOGIES.get(self.fingerprint)
        if cached is not None:
            return cached
        topology = build_topology(json.loads(zlib.decompress(self.data)), name="<batch topology>")
        with _CACHE_LOCK:
            if len(_TOPOLOGIES) >= 8:
                _TOPOLOGIES.pop(next(iter(_TOPOLOGIES)))
            _TOPOLOGIES[self.fingerprint] = topology
        return topology


# Per-process cache of validated topologies, keyed by content hash (so it cannot go stale).
_TOPOLOGIES: dict[str, Topology] = {}
_CACHE_LOCK = threading.Lock()


@dataclass(frozen=True)
class VariantTask:
    """Everything a worker needs to run one variant."""

    variant_id: str
    stage: Stage
    options: dict[str, Any]
    topology: TopologyBlob
    scenario: dict[str, Any]
    seed: int


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spaces: equal data give equal text.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [1.5, None]})
    '{"a":[1.5,null],"b":1}'
    """
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def fingerprint(
    topology: TopologyBlob, scenario: dict[str, Any], stage: str, options: dict[str, Any], seed: int
) -> str:
    """SHA-256 of everything a variant's result depends on.

    Parameters
    ----------
    topology : TopologyBlob
        The serialised topology (its own fingerprint enters the hash).
    scenario : dict
        The variant's resolved scenario as plain data.
    stage : str
        The stage's name.
    options : dict
        The stage's options as written in the batch.
    seed : int
        The variant's seed.

    Returns
    -------
    str
        The hex digest.
    """
    text = canonical_json(
        {
            "topology": topology.fingerprint,
            "scenario": scenario,
            "stage": stage,
            "options": options,
            "seed": seed,
        }
    )
    return hashlib.sha256(text.encode()).hexdigest()
