"""Where a batch parameter's value goes in the scenario: :class:`Target` and its parser.

A parameter's name says the place (``growth_per_year.<service>``,
``services.<service>.<field>``, ``scale.<service>`` …); :func:`parse_target` checks it
against the scenario and the topology. :func:`failure_pool` lists the links random link
failures may remove.
"""

from __future__ import annotations

from dataclasses import dataclass

from netplan.model.scenario import (
    DriverTotals,
    Scenario,
    Service,
    ServiceTargets,
    SessionModel,
    SimulationSettings,
    Targets,
)
from netplan.model.topology import Topology

# Scenario fields a parameter may set directly (``horizon_years``) or one level down
# (``targets.max_utilisation_normal``); services, growth and scaling have their own forms.
_TOP_FIELDS = (
    "horizon_years",
    "base_year",
    "budget_cny_per_year",
    "discount_rate",
    "failure_policy",
)
_NESTED_FIELDS = ("targets", "drivers", "simulation")
_SERVICE_SUBMODELS = {"targets": ServiceTargets, "session": SessionModel}

@dataclass(frozen=True)
class Target:
    """Where a parameter's value goes in the scenario.

    Attributes
    ----------
    kind : str
        ``growth`` (``growth_per_year.<service>``), ``service`` (``services.<id>.<field>``),
        ``scale`` (``scale.<service>``: appends a ``scale_service`` override),
        ``scale_district`` (``scale_district.<node>``), ``remove_link`` (a link id or null),
        or ``field`` (a scenario field such as ``horizon_years`` or ``targets.<field>``).
    path : tuple of str
        The rest of the name, split at dots.
    """

    name: str
    kind: str
    path: tuple[str, ...]


def parse_target(name: str, scenario: Scenario, topology: Topology | None = None) -> Target:
    """Check a parameter name against ``scenario`` and say where its value goes.

    Raises
    ------
    ValueError
        With the reason, when the name matches no known target.

    Examples
    --------
    >>> import netplan
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"))
    >>> parse_target("growth_per_year.internet_access", s).kind
    'growth'
    >>> parse_target("services.video_conference.active_fraction", s).path
    ('video_conference', 'active_fraction')
    >>> parse_target("scale.video_surveillance", s).kind
    'scale'
    >>> parse_target("services.nope.active_fraction", s)
    Traceback (most recent call last):
    ...
    ValueError: unknown service 'nope' in 'services.nope.active_fraction'; services: ...
    """
    parts = tuple(name.split("."))
    services = [s.id for s in scenario.services]

    def known_service(service_id: str) -> None:
        if service_id not in services:
            raise ValueError(
                f"unknown service {service_id!r} in {name!r}; services: {', '.join(services)}"
            )

    head = parts[0]
    if head == "growth_per_year" and len(parts) == 2:
        known_service(parts[1])
        return Target(name, "growth", parts[1:])
    if head == "scale" and len(parts) == 2:
        known_service(parts[1])
        return Target(name, "scale", parts[1:])
    if head == "scale_district" and len(parts) == 2:
        if topology is not None and parts[1] not in {n.id for n in topology.nodes}:
            raise ValueError(f"unknown node {parts[1]!r} in {name!r}")
        return Target(name, "scale_district", parts[1:])
    if name == "remove_link":
        return Target(name, "remove_link", ())
    if head == "services" and len(parts) in (3, 4):
        known_service(parts[1])
        fieldname = parts[2]
        if fieldname == "id" or fieldname not in Service.model_fields:
            raise ValueError(f"services have no field {fieldname!r} (in {name!r})")
        if len(parts) == 4:
            sub = _SERVICE_SUBMODELS.get(fieldname)
            if sub is None or parts[3] not in sub.model_fields:
                raise ValueError(f"no field {'.'.join(parts[2:])!r} in a service (in {name!r})")
        elif fieldname in _SERVICE_SUBMODELS:
            raise ValueError(f"name a field of {fieldname!r}, e.g. {name}.<field>")
        return Target(name, "service", parts[1:])
    if head in _TOP_FIELDS and len(parts) == 1:
        return Target(name, "field", parts)
    if head in _NESTED_FIELDS and len(parts) == 2:
        model = {"targets": Targets, "drivers": DriverTotals, "simulation": SimulationSettings}[
            head
        ]
        if parts[1] not in model.model_fields:
            raise ValueError(f"{head} has no field {parts[1]!r}")
        return Target(name, "field", parts)
    raise ValueError(
        f"unknown parameter {name!r}; use growth_per_year.<service>, "
        "services.<service>.<field>, scale.<service>, scale_district.<node>, remove_link, "
        f"{', '.join(_TOP_FIELDS)} or {'/'.join(_NESTED_FIELDS)}.<field>"
    )


def failure_pool(topology: Topology, scenario: Scenario, plane: str | None) -> list[str]:
    """Built links random link failures may remove: not candidates, not removed already.

    Parameters
    ----------
    topology : Topology
    scenario : Scenario
        Its ``remove_link`` overrides leave the pool.
    plane : str or None
        Only this plane's links; both planes when None.

    Returns
    -------
    list of str
        Link ids, in topology order.
    """
    removed = {o.link for o in scenario.overrides if o.action == "remove_link"}
    return [
        link.id
        for link in topology.links
        if not link.candidate and link.id not in removed and (plane is None or link.plane == plane)
    ]
