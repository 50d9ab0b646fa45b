"""The one verdict of a run: does the network, as it stands or after the plan, meet its targets?

Computed once per run and read by everything that states an answer: the command's summary
line, ``summary.json``, the report and the exit code (0 meets targets, 3 ran but does not).
A run meets its targets only when every demand is served in every failure state of its
policy, every link stays within its utilisation targets, latency and service targets hold,
every district meets the scenario's availability targets (when set), and (for a plan) the
independent re-check passed.

Examples
--------
>>> import netplan
>>> from netplan.verdict import network_verdict
>>> topo = netplan.load_topology(netplan.default_topology_path())
>>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
>>> v = network_verdict(netplan.analyze(topo, s))
>>> v.meets_targets, v.exit_code, sorted(v.counts())
(False, 3, ['utilisation'])
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from netplan.verdict.findings import (
    availability_findings,
    availability_missed_findings,
    cut_off_findings,
    latency_findings,
    lost_records_of_plan,
    rack_findings,
    service_findings,
    unmet_findings,
    utilisation_findings,
)
from netplan.verdict.text import finding_line, headline, tally

__all__ = ["EXIT_MEETS_TARGETS", "EXIT_MISSES_TARGETS", "Verdict", "network_verdict",
           "plan_verdict"]

EXIT_MEETS_TARGETS = 0
EXIT_MISSES_TARGETS = 3


@dataclass(frozen=True)
class Verdict:
    """Whether a run meets its targets, and every finding that says why not.

    Attributes
    ----------
    judged : {"network", "plan"}
        The network as it stands (``analyze``) or after the plan's purchases.
    failure_policy : tuple of str
    targets : dict
        The utilisation targets judged against.
    findings : tuple of dict
        See :mod:`netplan.verdict.findings`; empty when the targets are met.
    """

    judged: str
    failure_policy: tuple[str, ...]
    targets: dict
    findings: tuple[dict, ...] = ()

    @property
    def meets_targets(self) -> bool:
        """True when nothing was found against the targets."""
        return not self.findings

    @property
    def exit_code(self) -> int:
        """0 when the targets are met, 3 when the run finished but misses them."""
        return EXIT_MEETS_TARGETS if self.meets_targets else EXIT_MISSES_TARGETS

    def counts(self) -> dict[str, int]:
        """Findings per kind."""
        return dict(Counter(f["kind"] for f in self.findings))

    def headline(self, lang: str = "en") -> str:
        """The verdict in one line (``"en"`` or ``"zh"``)."""
        return headline(self.meets_targets, self.judged, list(self.failure_policy),
                        list(self.findings), lang)

    def tally(self, lang: str = "en") -> str:
        """The verdict and the number of findings of each kind."""
        return tally(self.meets_targets, self.counts(), lang)

    def lines(self, lang: str = "en") -> list[str]:
        """One sentence per finding."""
        return [finding_line(f, lang) for f in self.findings]

    def to_json(self) -> dict:
        """The verdict as saved in ``summary.json`` and ``results.json``."""
        return {
            "meets_targets": self.meets_targets,
            "verdict": "meets targets" if self.meets_targets else "misses targets",
            "exit_code": self.exit_code,
            "judged": self.judged,
            "failure_policy": list(self.failure_policy),
            "targets": dict(self.targets),
            "headline": self.headline("en"),
            "headline_zh": self.headline("zh"),
            "counts": self.counts(),
            "findings": list(self.findings),
        }

    @classmethod
    def from_json(cls, document: dict) -> Verdict:
        """The verdict saved by :meth:`to_json`."""
        return cls(document["judged"], tuple(document["failure_policy"]),
                   dict(document["targets"]), tuple(document["findings"]))


def _targets(study) -> dict:
    return {"max_utilisation_normal": study.max_utilisation_normal,
            "max_utilisation_failure": study.max_utilisation_failure}


def network_verdict(study, availability=None) -> Verdict:
    """The verdict on the network as it stands, from its analysis.

    Parameters
    ----------
    study : netplan.Study
    availability : AvailabilityResult, optional
        The network's availability against the scenario's targets
        (:func:`netplan.availability.availability`); each district and plane below its
        target is a finding.

    Returns
    -------
    Verdict
        Cut-off districts, links over target, latency misses, data centres short of racks
        and districts below their availability targets.
    """
    findings = [
        *cut_off_findings(study, study.lost_demand()),
        *utilisation_findings(study.worst_case(), study.max_utilisation_normal,
                              study.max_utilisation_failure),
        *latency_findings(study, study.sla_violations()),
        *rack_findings(study.dc_load),
    ]
    if availability is not None:
        findings += availability_missed_findings(study.demand(study.scenarios[0]).whatif.topology,
                                                 availability)
    return Verdict("network", tuple(study.failure_policy), _targets(study), tuple(findings))


def plan_verdict(plan, study, simulation=None) -> Verdict:
    """The verdict on the network after a plan's purchases.

    Parameters
    ----------
    plan : netplan.Plan
        With its independent check (a plan without one cannot be said to meet its targets).
    study : netplan.Study
        The analysis the plan was sized from (names, services, failure states, latency).
    simulation : SimScenarioResult, optional
        What users feel on the sized network; services that miss their targets are findings.

    Returns
    -------
    Verdict

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> study = netplan.analyze(topo, s)
    >>> plan_verdict(netplan.optimize(topo, s, study=study), study).meets_targets
    True
    """
    # What the plan cannot buy its way out of comes first, then the districts cut off.
    findings = unmet_findings(plan.infeasibilities)
    findings += availability_findings(study.demand(plan.scenario).whatif.topology,
                                      plan.infeasibilities)
    findings += cut_off_findings(study, lost_records_of_plan(plan, plan.scenario))
    if plan.check:
        findings += utilisation_findings(plan.check.get("breaches", ()),
                                         study.max_utilisation_normal,
                                         study.max_utilisation_failure)
    else:
        findings.append({"kind": "unchecked"})
    if plan.routing == "fixed":
        # Fixed routing keeps the network's paths, so the analysis's latencies are the plan's.
        findings += latency_findings(study, study.sla_violations())
    if simulation is not None:
        findings += service_findings(simulation.summary.get("services", ()))
    return Verdict("plan", tuple(study.failure_policy), _targets(study), tuple(findings))
