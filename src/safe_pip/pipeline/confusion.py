"""Dependency confusion: the same project name on more than one index.

pip and uv merge every configured index (``--index-url PRIVATE --extra-index-url PUBLIC``)
and take the highest version from any of them, so ``corpinternal 99.0`` uploaded to a
public index beats the private ``1.0``. With more than one index configured, a project that
more than one of them serves is a ``CONFUSION`` finding (category ``confusion``, blocked
by default) unless the indexes agree or policy ``index-for`` binds the name to one index; a
bound name that comes from any other index is a finding too. And ``INDEX-CHANGED``: a
project that came from another configured index the first time safe-pip allowed it
(``seen_hashes.first_index``), unless that index still serves it and the indexes agree.

The indexes *agree* on a project when one of them lists every file any of them lists (the
others are mirrors of it, perhaps behind) and every file listed by more than one has the same
sha256 on each (a file without a published hash does not count as the same). That is a
mirror of a public index configured beside it, which is common and harmless; the attack is
not: the private index lists ``corpinternal-1.0`` which the public one does not, and an
attacker cannot publish the private file's exact bytes without having them.

Index URLs are compared by ``redaction.index_identity`` (no credentials, no trailing slash).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from safe_pip.models import ArtifactSource, Category, Finding, PlanItem
from safe_pip.redaction import index_identity

CONFUSION_ID = "CONFUSION"
INDEX_CHANGED_ID = "INDEX-CHANGED"


class ServedFile(Protocol):
    @property
    def index_url(self) -> str: ...
    @property
    def filename(self) -> str: ...
    @property
    def sha256(self) -> str | None: ...


class FirstIndex(Protocol):
    @property
    def index_url(self) -> str: ...
    @property
    def first_seen(self) -> str: ...


@dataclass(frozen=True)
class ConfusionRule:
    """The configured indexes, the ``index-for`` bindings, and what was seen before."""

    index_urls: Sequence[str]
    bindings: Mapping[str, str]  # normalized name -> index URL
    first_index: Callable[[str], FirstIndex | None] = lambda name: None

    @property
    def configured(self) -> frozenset[str]:
        return frozenset(index_identity(url) for url in self.index_urls)


@dataclass(frozen=True)
class Serving:
    """What the configured indexes serve for one project: which indexes (by
    ``index_identity``, sorted) and whether they agree. A lock lists many files of a
    project, so this is worked out once per project, not once per listed file."""

    indexes: tuple[str, ...]
    agree: bool

    @classmethod
    def of(cls, files: Sequence[ServedFile]) -> Serving:
        """``files``: every index page file listed for the project, from every index."""
        listed = _listed_by_index(files)
        return cls(indexes=tuple(sorted(listed)), agree=_agree(listed))


def confusion_findings(
    item: PlanItem,
    files: Sequence[ServedFile],
    rule: ConfusionRule,
    *,
    serving: Serving | None = None,
) -> list[Finding]:
    """The dependency-confusion findings of one plan item (``files``: every index page file
    listed for its name, from every configured index; ``serving``: ``Serving.of(files)``
    when the caller keeps it for the project's other items)."""
    if item.source is not ArtifactSource.INDEX:
        return []
    came_from = index_identity(item.index_url) if item.index_url else None
    findings: list[Finding] = []
    bound = rule.bindings.get(item.name)
    if bound is not None:  # the user's explicit choice replaces both other rules
        if came_from != index_identity(bound):
            source = came_from or "an index safe-pip could not tell"
            summary = f"comes from {source}, but index-for binds it to {index_identity(bound)}"
            findings.append(_finding(item, CONFUSION_ID, summary))
        return findings
    served = serving or Serving.of(files)
    if len(rule.configured) > 1 and len(served.indexes) > 1 and not served.agree:
        summary = (
            f"served by {len(served.indexes)} indexes ({', '.join(served.indexes)}), this "
            f"one from {came_from or 'an unknown index'}: an attacker may have published the "
            "name on another index; bind it with index-for"
        )
        findings.append(_finding(item, CONFUSION_ID, summary))
    first = rule.first_index(item.name)
    # Only when the first index is still configured: switching to a mirror is no attack.
    if (
        first is not None
        and came_from
        and first.index_url != came_from
        and first.index_url in rule.configured
        and not (served.agree and first.index_url in served.indexes)
    ):
        summary = (
            f"came from {first.index_url} when first seen on {first.first_seen[:10]}, "
            f"now from {came_from}"
        )
        findings.append(_finding(item, INDEX_CHANGED_ID, summary))
    return findings


def indexes_agree(files: Sequence[ServedFile]) -> bool:
    """Whether one index lists every file the others list, with the same sha256 (see the
    module's docstring); trivially so when one index serves the project."""
    return _agree(_listed_by_index(files))


def _listed_by_index(files: Sequence[ServedFile]) -> dict[str, dict[str, str | None]]:
    """index identity -> file name -> sha256 (each distinct index URL named once)."""
    identities: dict[str, str] = {}
    listed: dict[str, dict[str, str | None]] = {}
    for file in files:
        url = file.index_url
        identity = identities.get(url)
        if identity is None:
            identity = identities[url] = index_identity(url)
        listed.setdefault(identity, {})[file.filename] = file.sha256
    return listed


def _agree(listed: dict[str, dict[str, str | None]]) -> bool:
    if len(listed) < 2:
        return True
    every_file = {name for files_of in listed.values() for name in files_of}
    if not any(len(files_of) == len(every_file) for files_of in listed.values()):
        return False
    for name in every_file:
        hashes = [files_of[name] for files_of in listed.values() if name in files_of]
        if len(hashes) > 1 and (None in hashes or len(set(hashes)) > 1):
            return False
    return True


def _finding(item: PlanItem, finding_id: str, summary: str) -> Finding:
    return Finding(
        name=item.name,
        version=item.version,
        category=Category.CONFUSION,
        id=finding_id,
        summary=summary,
    )
