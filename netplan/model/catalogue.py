"""The service catalogue: what a service is in the programme, and where each of its numbers comes from.

The default scenarios share one catalogue (``scenarios/catalogue/programme.yaml``, which
``baseline.yaml`` extends): the portal, the application systems, the base databases, the
city's sensing and the common services, each with its group, the reason for its plane, its
hosting and, for every number it sets, a source (``sourced``) or ``estimate: true``.

This module holds the catalogue's own models and rules; :class:`netplan.model.scenario.Service`
uses them, so a catalogue is validated like every other scenario field (``file:line: field:
reason``, exit code 2).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from netplan.model.topology import Frozen, Identifier

GROUPS: tuple[str, ...] = ("portal", "application_system", "base_database", "sensing", "common")
Group = Literal["portal", "application_system", "base_database", "sensing", "common"]

NUMBER_FIELDS: tuple[str, ...] = (
    "up_mbps_per_unit", "down_mbps_per_unit", "active_fraction", "fixed_gbps",
    "growth_per_year", "servers_per_gbps", "region_weights", "session", "targets", "hosting",
)
"""A service's fields that hold numbers: each one it sets is sourced or an estimate."""


class Hosting(Frozen):
    """Where a service is hosted and what its data occupies.

    ``records`` × ``storage_kb_per_record`` is the data a base database keeps at each data
    centre it is synchronised to; ``storage_tb_per_server`` turns that into servers.
    """

    data_centre: Identifier | None = Field(None, description="Data centre serving it.")
    records: int | None = Field(None, ge=0, le=10**12, description="Records held (base year).")
    storage_kb_per_record: float | None = Field(None, gt=0, le=1e9)
    storage_tb_per_server: float | None = Field(None, gt=0, le=1e6)


def storage_servers(hosting: Hosting | None) -> float:
    """Servers a data centre needs to keep ``hosting``'s records (0 when it keeps none).

    Examples
    --------
    >>> storage_servers(Hosting(records=10**8, storage_kb_per_record=1000, storage_tb_per_server=10))
    10.0
    >>> storage_servers(None)
    0.0
    """
    if hosting is None or None in (hosting.records, hosting.storage_kb_per_record,
                                   hosting.storage_tb_per_server):
        return 0.0
    terabytes = hosting.records * hosting.storage_kb_per_record / 1e9
    return terabytes / hosting.storage_tb_per_server


def storage_servers_per_gbps(hosting: Hosting | None, fixed_gbps: float) -> float:
    """Servers per Gbit/s of a base database's synchronisation that keep its records.

    Synchronisation and storage both grow with the records, so the ratio is the same every
    year: the rack sizing, which counts ``servers_per_gbps`` × Gbit/s at a data centre, then
    sees the storage year by year.

    Examples
    --------
    >>> h = Hosting(records=10**8, storage_kb_per_record=1000, storage_tb_per_server=10)
    >>> storage_servers_per_gbps(h, 0.5)
    20.0
    """
    if fixed_gbps <= 0:
        return 0.0
    return storage_servers(hosting) / fixed_gbps


def unsourced_numbers(service: dict, set_fields: set[str]) -> list[str]:
    """The number fields a service sets that carry neither a source nor ``estimate: true``.

    Parameters
    ----------
    service : dict
        ``sourced`` (field → source) and ``estimate`` of the service.
    set_fields : set of str
        The fields the service gives.

    Examples
    --------
    >>> unsourced_numbers({"sourced": {"fixed_gbps": "a report"}, "estimate": False},
    ...                   {"fixed_gbps", "growth_per_year", "name"})
    ['growth_per_year']
    >>> unsourced_numbers({"sourced": {}, "estimate": True}, {"fixed_gbps"})
    []
    """
    if service.get("estimate"):
        return []
    sourced = service.get("sourced") or {}
    return [f for f in NUMBER_FIELDS if f in set_fields and not str(sourced.get(f, "")).strip()]


def sourced_key_problems(sourced: dict[str, str]) -> list[str]:
    """Keys of ``sourced`` that name no number field (a misspelt field hides a number).

    Examples
    --------
    >>> sourced_key_problems({"fixed_gbps": "x", "fixd_gbps": "y"})
    ["'fixd_gbps' is not a number field of a service"]
    """
    return [f"{key!r} is not a number field of a service"
            for key in sourced if key not in NUMBER_FIELDS]
