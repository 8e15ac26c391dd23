"""The CycloneDX 1.6 JSON report (``--format cyclonedx``): a BOM of the plan or environment
with a ``vulnerabilities`` section, built with ``cyclonedx-python-lib`` (an optional extra,
imported only here).

Every plan item is a ``library`` component (``pkg:pypi/NAME@VERSION`` purl, sha256 when
known); every advisory finding (vulnerability, malicious) is a vulnerability affecting it,
with its aliases, CVSS score, advisory URL and fix; safe-pip's decision (block, warn, ignore
and why) is in the vulnerability's ``safe-pip:*`` properties. Other findings (yanked, hash,
unverifiable) are ``safe-pip:finding`` properties of the component. Artifact and index URLs
are left out: they may carry credentials.
"""

from __future__ import annotations

import warnings
from decimal import Decimal
from typing import TYPE_CHECKING

from safe_pip import __version__
from safe_pip.errors import UsageError
from safe_pip.models import Category, Decision, PlanItem, Verdict
from safe_pip.pipeline.report import dependency_paths, ordered_decisions
from safe_pip.pipeline.report_options import ReportOptions
from safe_pip.redaction import redact_text

if TYPE_CHECKING:
    from cyclonedx.model.component import Component
    from cyclonedx.model.vulnerability import Vulnerability


def missing_library_message() -> str:
    """The usage error without cyclonedx-python-lib, with the command that adds it to this
    safe-pip (its ``cyclonedx`` extra) for the way it was installed."""
    from safe_pip.paths import self_install

    command = self_install().add_library_command("cyclonedx-python-lib>=8")
    return (
        "--format cyclonedx needs cyclonedx-python-lib (safe-pip's 'cyclonedx' extra); add it "
        f"to this safe-pip with: {command}"
    )


_ADVISORY_CATEGORIES = (Category.VULNERABILITY, Category.MALICIOUS)
# Where an alias of an advisory is published, by its prefix.
_ALIAS_SOURCES = {"CVE-": "NVD", "GHSA-": "GitHub", "PYSEC-": "PyPA", "MAL-": "OSV"}


def render_cyclonedx(verdict: Verdict, options: ReportOptions) -> str:
    """The BOM as CycloneDX 1.6 JSON text."""
    try:
        from cyclonedx.model.bom import Bom
        from cyclonedx.model.component import Component, ComponentType
        from cyclonedx.output.json import JsonV1Dot6
    except ImportError:
        raise UsageError(missing_library_message()) from None

    bom = Bom()
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="safe-pip", version=__version__)
    )
    bom.metadata.component = Component(
        type=ComponentType.APPLICATION,
        name=options.environment or "install plan",
        bom_ref="safe-pip:target",
        description="the environment audited" if options.audit else "the install plan",
    )
    via = dependency_paths(verdict)
    components: dict[tuple[str, str], Component] = {}
    decisions = ordered_decisions(verdict.decisions)
    for item in verdict.plan:
        key = (item.name, item.version)
        if key not in components:
            components[key] = _component(item, via.get(key, ()), decisions)
            bom.components.add(components[key])
    for decision in decisions:
        if decision.finding.category not in _ADVISORY_CATEGORIES:
            continue
        key = (decision.finding.name, decision.finding.version)
        if key not in components:  # a finding without a plan item (pip refused a download)
            components[key] = _component(PlanItem(*key), (), decisions)
            bom.components.add(components[key])
        bom.vulnerabilities.add(_vulnerability(decision, components[key]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the library warns about what a plan does not know
        return redact_text(str(JsonV1Dot6(bom).output_as_string(indent=2)))


def _component(item: PlanItem, via: tuple[str, ...], decisions: list[Decision]) -> Component:
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    purl = PackageURL(type="pypi", name=item.name, version=item.version)
    properties = [Property(name="safe-pip:source", value=item.source.value)]
    properties.append(Property(name="safe-pip:requested", value=str(item.requested).lower()))
    properties.extend(Property(name="safe-pip:via", value=spec) for spec in via)
    for decision in decisions:
        finding = decision.finding
        if (finding.name, finding.version) == (item.name, item.version) and (
            finding.category not in _ADVISORY_CATEGORIES
        ):
            text = f"{finding.id} ({decision.action.value}): {finding.summary}"
            properties.append(Property(name="safe-pip:finding", value=text))
    return Component(
        type=ComponentType.LIBRARY,
        name=item.name,
        version=item.version,
        bom_ref=str(purl),
        purl=purl,
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=item.sha256)] if item.sha256 else [],
        properties=properties,
    )


def _vulnerability(decision: Decision, component: Component) -> Vulnerability:
    from cyclonedx.model import Property, XsUri
    from cyclonedx.model.impact_analysis import ImpactAnalysisAffectedStatus
    from cyclonedx.model.vulnerability import (
        BomTarget,
        BomTargetVersionRange,
        Vulnerability,
        VulnerabilityAdvisory,
        VulnerabilityRating,
        VulnerabilityReference,
        VulnerabilityScoreSource,
        VulnerabilitySeverity,
        VulnerabilitySource,
    )

    finding = decision.finding
    advisory_url = XsUri(finding.url) if finding.url else None
    ratings = []
    if finding.severity is not None:
        ratings.append(
            VulnerabilityRating(
                score=Decimal(str(finding.severity)),
                severity=VulnerabilitySeverity(_severity_name(finding.severity)),
                method=VulnerabilityScoreSource.CVSS_V3,
            )
        )
    properties = [Property(name="safe-pip:action", value=decision.action.value)]
    if decision.reason:
        properties.append(Property(name="safe-pip:reason", value=decision.reason))
    properties.append(Property(name="safe-pip:category", value=finding.category.value))
    return Vulnerability(
        bom_ref=f"{finding.id}@{component.bom_ref.value}",
        id=finding.id,
        source=VulnerabilitySource(name=_source_name(finding.id), url=advisory_url),
        references=[
            VulnerabilityReference(id=alias, source=VulnerabilitySource(name=_source_name(alias)))
            for alias in finding.aliases
        ],
        ratings=ratings,
        description=finding.summary or None,
        recommendation=f"Upgrade to {finding.fixed_in} or later." if finding.fixed_in else None,
        advisories=[VulnerabilityAdvisory(url=advisory_url)] if advisory_url else [],
        affects=[
            BomTarget(
                ref=str(component.bom_ref.value),
                versions=[
                    BomTargetVersionRange(
                        version=finding.version, status=ImpactAnalysisAffectedStatus.AFFECTED
                    )
                ],
            )
        ],
        properties=properties,
    )


def _source_name(advisory_id: str) -> str:
    return next(
        (name for prefix, name in _ALIAS_SOURCES.items() if advisory_id.startswith(prefix)), "OSV"
    )


def _severity_name(score: float) -> str:
    """CVSS v3 qualitative rating of a base score."""
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low" if score > 0 else "none"


def render_cyclonedx_error(error: dict[str, object]) -> str:
    """A run that ended in an error: a CycloneDX 1.6 BOM with no components, whose metadata
    properties carry the error (written by hand: the library may be what is missing)."""
    import json

    from safe_pip.redaction import redact_document

    properties = [
        {"name": "safe-pip:verdict", "value": "error"},
        {"name": "safe-pip:exit-code", "value": str(error["exit_code"])},
        {"name": "safe-pip:error", "value": str(error["message"])},
    ]
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "tools": {
                "components": [{"type": "application", "name": "safe-pip", "version": __version__}]
            },
            "properties": properties,
        },
        "components": [],
    }
    return json.dumps(redact_document(document), indent=2)
