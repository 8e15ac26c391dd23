"""The data every part of safe-pip passes around: plan items, findings and the verdict.

A *plan* is the exact list of distributions an installer is about to install. Every
producer (pip's dry-run report, the in-process pip hook, uv, lock files, an installed
environment) turns its input into ``PlanItem`` objects; every consumer (checks, policy,
report, vetted install) reads only these.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from safe_pip.artifacts import is_sha256


class ArtifactSource(str, enum.Enum):
    """Where an artifact comes from. Only ``INDEX`` artifacts can be verified against an index."""

    INDEX = "index"
    DIRECT_URL = "url"  # name @ https://host/file.whl
    LOCAL_PATH = "path"  # ./dist/file.whl, a local directory
    VCS = "vcs"  # git+https://...
    EDITABLE = "editable"  # -e ./project
    INSTALLED = "installed"  # already in the environment (check --installed)


@dataclass(frozen=True)
class PlanItem:
    """One distribution that would be installed."""

    name: str  # PEP 503-normalized project name
    version: str
    source: ArtifactSource = ArtifactSource.INDEX
    url: str | None = None  # artifact URL (without the #hash fragment)
    filename: str | None = None  # artifact file name, e.g. pkg-1.0-py3-none-any.whl
    sha256: str | None = None  # sha256 the installer will verify, lower-case hex
    requested: bool = False  # named directly by the user (not a transitive dependency)
    index_url: str | None = None  # simple-API base URL of the index it came from, if known
    yanked: bool | None = None  # None: not known yet
    yanked_reason: str | None = None
    pinned_hashes: tuple[str, ...] = ()  # sha256 values the user pinned (requirements --hash)
    upload_time: str | None = None  # ISO 8601, as the index or lock file publishes it (PEP 700)
    # For a dependency: the requested items (``name==version``) that pull it in, when known.
    required_by: tuple[str, ...] = ()

    @property
    def spec(self) -> str:
        return f"{self.name}=={self.version}"


class Category(str, enum.Enum):
    """What kind of problem a finding is. The string values appear in JSON output."""

    MALICIOUS = "malicious"
    VULNERABILITY = "vulnerability"
    YANKED = "yanked"
    HASH_MISMATCH = "hash-mismatch"
    CONFUSION = "confusion"  # a name served by several indexes, or by another one than before
    UNVERIFIABLE = "unverifiable"  # direct URL, local path, VCS, editable: no index to verify
    RELEASE_AGE = "release-age"  # younger than min-release-age, or no upload time known
    PROJECT_STATUS = "project-status"  # PEP 792: quarantined, archived, deprecated
    CONTENTS = "contents"  # what a wheel carries: .pth code, startup hooks, shadowing, RECORD
    PROVENANCE = "provenance"  # PEP 740: publisher changed, attestation dropped or invalid
    TYPOSQUAT = "typosquat"  # a typed name close to a popular project's


class Action(str, enum.Enum):
    BLOCK = "block"
    WARN = "warn"
    IGNORE = "ignore"  # suppressed by an ignore/allow rule; kept so reports can say so


@dataclass(frozen=True)
class Finding:
    """One problem with one plan item, before policy decides what to do about it."""

    name: str
    version: str
    category: Category
    id: str  # advisory id (PYSEC-/GHSA-/MAL-), or a stable check id such as "HASH-INDEX"
    summary: str
    aliases: tuple[str, ...] = ()
    fixed_in: str | None = None  # first version that is not affected, if the advisory says
    severity: float | None = None  # CVSS base score when the advisory carries one
    url: str | None = None  # where a person reads the advisory (advisory findings only)


@dataclass(frozen=True)
class Decision:
    """A finding together with what policy decided about it."""

    finding: Finding
    action: Action
    reason: str | None = None  # why it was ignored/downgraded (the ignore's reason)


@dataclass
class Verdict:
    plan: list[PlanItem]
    decisions: list[Decision] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(d.action is Action.BLOCK for d in self.decisions)

    @property
    def warnings(self) -> list[Decision]:
        return [d for d in self.decisions if d.action is Action.WARN]


def plan_to_json(plan: list[PlanItem], index_urls: list[str] | None = None) -> dict[str, object]:
    """The plan exchange format (``safe-pip check --plan FILE``, the pip hook, JSON reports)."""
    return {
        "items": [
            {
                "name": item.name,
                "version": item.version,
                "source": item.source.value,
                "url": item.url,
                "filename": item.filename,
                "sha256": item.sha256,
                "requested": item.requested,
                "index_url": item.index_url,
                "yanked": item.yanked,
                "yanked_reason": item.yanked_reason,
                "pinned_hashes": list(item.pinned_hashes),
                "upload_time": item.upload_time,
                "required_by": list(item.required_by),
            }
            for item in plan
        ],
        "index_urls": list(index_urls or []),
    }


def finding_to_json(finding: Finding) -> dict[str, object]:
    """A finding in JSON reports and the decision log."""
    return {
        "name": finding.name,
        "version": finding.version,
        "category": finding.category.value,
        "id": finding.id,
        "aliases": list(finding.aliases),
        "summary": finding.summary,
        "url": finding.url,
        "fixed_in": finding.fixed_in,
        "severity": finding.severity,
    }


def plan_from_json(data: object) -> tuple[list[PlanItem], list[str]]:
    """Inverse of ``plan_to_json``; raises ``ValueError`` with a short reason on bad input.

    Every field is checked for its type before use: the plan may come from a file or a pipe.
    """
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ValueError("plan JSON must be an object with an 'items' list")
    items: list[PlanItem] = []
    for number, raw in enumerate(data["items"], start=1):
        if not isinstance(raw, dict) or not raw.get("name") or not raw.get("version"):
            raise ValueError("every plan item needs 'name' and 'version'")
        fields = _PlanFields(raw, f"item {number}")
        try:
            source = ArtifactSource(raw.get("source", "index"))
        except ValueError as exc:
            raise ValueError(f"unknown plan item source {raw.get('source')!r}") from exc
        items.append(
            PlanItem(
                name=fields.text("name"),
                version=fields.text("version"),
                source=source,
                url=fields.optional_text("url"),
                filename=fields.optional_text("filename"),
                sha256=fields.optional_sha256("sha256"),
                requested=fields.flag("requested", default=False) is True,
                index_url=fields.optional_text("index_url"),
                yanked=fields.flag("yanked", default=None),
                yanked_reason=fields.optional_text("yanked_reason"),
                pinned_hashes=fields.text_list("pinned_hashes"),
                upload_time=fields.optional_text("upload_time"),
                required_by=fields.text_list("required_by"),
            )
        )
    index_urls = data.get("index_urls") or []
    if not isinstance(index_urls, list) or not all(isinstance(u, str) for u in index_urls):
        raise ValueError("'index_urls' must be a list of URLs")
    return items, list(index_urls)


@dataclass(frozen=True)
class _PlanFields:
    """Typed access to one plan item's JSON object (``where`` names it in errors)."""

    raw: dict[str, object]
    where: str

    def text(self, key: str) -> str:
        value = self.raw.get(key)
        if not isinstance(value, str):
            raise ValueError(f"{self.where}: {key!r} must be a string, got {_kind(value)}")
        return value

    def optional_text(self, key: str) -> str | None:
        return None if self.raw.get(key) is None else self.text(key)

    def optional_sha256(self, key: str) -> str | None:
        value = self.optional_text(key)
        return None if value is None else self._sha256(value, key)

    def flag(self, key: str, default: bool | None) -> bool | None:
        value = self.raw.get(key, default)
        if value is not None and not isinstance(value, bool):
            raise ValueError(f"{self.where}: {key!r} must be true, false or null")
        return value

    def text_list(self, key: str) -> tuple[str, ...]:
        """Pins are taken as the user wrote them: one that is no sha256 matches nothing."""
        value = self.raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{self.where}: {key!r} must be a list of strings")
        return tuple(v.lower() for v in value)

    def _sha256(self, value: str, key: str) -> str:
        if not is_sha256(value):
            raise ValueError(f"{self.where}: {key!r} must be 64 hex digits")
        return value.lower()


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__
