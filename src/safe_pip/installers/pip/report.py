"""Read pip's output: the ``--report`` installation report and hash-mismatch errors.

Report versions "0" (pip 22.2-22.x) and "1" (pip 23+) are read. Each ``install`` entry has a
PEP 610 ``download_info`` (url + archive_info / dir_info / vcs_info), ``is_direct``,
``requested`` and the PEP 566 JSON ``metadata``; pip 23.1+ adds ``is_yanked``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from packaging.utils import canonicalize_name

from safe_pip.artifacts import filename_from_url, is_sha256, without_fragment
from safe_pip.errors import PipError
from safe_pip.models import ArtifactSource, PlanItem
from safe_pip.pipeline.dependency_paths import attach_required_by, requirement_names

SUPPORTED_VERSIONS = ("0", "1")


def parse_report(report: object) -> list[PlanItem]:
    """The plan in a pip installation report; ``PipError`` if it is not one safe-pip can read."""
    if not isinstance(report, dict):
        raise _unreadable("not a JSON object")
    version = report.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise _unreadable(f"unsupported report version {version!r}")
    entries = report.get("install")
    if not isinstance(entries, list):
        raise _unreadable("no 'install' list")
    items = [_plan_item(entry, position) for position, entry in enumerate(entries)]
    return attach_required_by(items, _dependency_edges(entries, report.get("environment")))


def _dependency_edges(entries: list[Any], environment: object) -> dict[str, list[str]]:
    """name -> the names its ``Requires-Dist`` asks for, in the report's marker environment
    (with the extras the user requested for it)."""
    marker_values = (
        {k: v for k, v in environment.items() if isinstance(v, str)}
        if isinstance(environment, dict)
        else None
    )
    edges: dict[str, list[str]] = {}
    for entry in entries:  # every entry was validated by _plan_item
        metadata = entry["metadata"]
        requires = metadata.get("requires_dist")
        extras = entry.get("requested_extras")
        edges[canonicalize_name(metadata["name"])] = requirement_names(
            requires if isinstance(requires, list) else [],
            marker_values,
            [e for e in extras if isinstance(e, str)] if isinstance(extras, list) else [],
        )
    return edges


def _unreadable(reason: str) -> PipError:
    return PipError(f"could not read pip's installation report: {reason}")


def _plan_item(entry: object, position: int) -> PlanItem:
    if not isinstance(entry, dict):
        raise _unreadable(f"install entry {position} is not an object")
    metadata = _mapping(entry, "metadata", position)
    name, version = metadata.get("name"), metadata.get("version")
    if not isinstance(name, str) or not name or not isinstance(version, str) or not version:
        raise _unreadable(f"install entry {position} has no metadata name/version")
    download = _mapping(entry, "download_info", position)
    url = download.get("url")
    if not isinstance(url, str) or not url:
        raise _unreadable(f"install entry {position} ({name}) has no download URL")
    is_yanked = entry.get("is_yanked")
    source, item_url, sha256 = _artifact(download, bool(entry.get("is_direct")), url, name)
    is_archive = "archive_info" in download
    return PlanItem(
        name=canonicalize_name(name),
        version=version,
        source=source,
        url=item_url,
        filename=filename_from_url(item_url) if is_archive else None,
        sha256=sha256,
        requested=bool(entry.get("requested", False)),
        yanked=is_yanked if isinstance(is_yanked, bool) else None,
    )


def _mapping(entry: Mapping[str, Any], key: str, position: int) -> Mapping[str, Any]:
    value = entry.get(key)
    if not isinstance(value, dict):
        raise _unreadable(f"install entry {position} has no {key!r} object")
    return value


def _artifact(
    download: Mapping[str, Any], is_direct: bool, url: str, name: str
) -> tuple[ArtifactSource, str, str | None]:
    """(source, the URL to record, sha256) from a PEP 610 direct URL structure."""
    if isinstance(download.get("vcs_info"), dict):
        return ArtifactSource.VCS, _vcs_requirement_url(download, url), None
    if isinstance(download.get("dir_info"), dict):
        editable = bool(download["dir_info"].get("editable"))
        source = ArtifactSource.EDITABLE if editable else ArtifactSource.LOCAL_PATH
        return source, _with_subdirectory(url, download), None
    archive = download.get("archive_info")
    if not isinstance(archive, dict):
        raise _unreadable(f"{name}: download_info has no archive_info, dir_info or vcs_info")
    sha256 = _archive_sha256(archive, name)
    plain_url = without_fragment(url)
    if not is_direct:
        return ArtifactSource.INDEX, plain_url, sha256
    if urlsplit(url).scheme.lower() == "file":
        return ArtifactSource.LOCAL_PATH, plain_url, sha256
    return ArtifactSource.DIRECT_URL, plain_url, sha256


def _archive_sha256(archive: Mapping[str, Any], name: str) -> str | None:
    hashes = archive.get("hashes")
    candidate: object = None
    if isinstance(hashes, dict):
        candidate = hashes.get("sha256")
    legacy = archive.get("hash")
    if candidate is None and isinstance(legacy, str) and legacy.startswith("sha256="):
        candidate = legacy[len("sha256=") :]
    if candidate is None:
        return None
    if not isinstance(candidate, str) or not is_sha256(candidate):
        raise _unreadable(f"{name}: malformed sha256 {candidate!r}")
    return candidate.lower()


def _vcs_requirement_url(download: Mapping[str, Any], url: str) -> str:
    """``git+https://host/repo@<commit>``: what pip needs to install exactly this checkout."""
    vcs = download["vcs_info"]
    kind = vcs.get("vcs")
    commit = vcs.get("commit_id")
    if not isinstance(kind, str) or not isinstance(commit, str):
        raise _unreadable(f"vcs_info of {url} has no vcs/commit_id")
    return _with_subdirectory(f"{kind}+{without_fragment(url)}@{commit}", download)


def _with_subdirectory(url: str, download: Mapping[str, Any]) -> str:
    subdirectory = download.get("subdirectory")
    if isinstance(subdirectory, str) and subdirectory:
        return f"{url}#subdirectory={subdirectory}"
    return url


# ---------------------------------------------------------------- hash-mismatch errors

_MISMATCH_HEADLINE = "THESE PACKAGES DO NOT MATCH THE HASHES"
_MISMATCH_REQUIREMENT = re.compile(
    r"^ {4}(?P<requirement>\S.*?)(?: from (?P<url>[A-Za-z][\w+.-]*://\S+))?(?: \(from .*\))?:\s*$"
)
_MISMATCH_EXPECTED = re.compile(r"^\s+Expected\s+(?P<algorithm>\w+)\s+(?P<digest>[0-9a-fA-F]+)")
_MISMATCH_OR = re.compile(r"^\s+or\s+(?P<digest>[0-9a-fA-F]+)")
_MISMATCH_GOT = re.compile(r"^\s+Got\s+(?P<digest>[0-9a-fA-F]+)")


@dataclass(frozen=True)
class HashMismatch:
    """One requirement whose downloaded file did not have an allowed hash."""

    requirement: str  # e.g. "demo==1.0"
    url: str | None
    expected: tuple[str, ...]
    got: str | None

    def describe(self) -> str:
        expected = " or ".join(self.expected) or "a pinned hash"
        return f"{self.requirement}: expected sha256 {expected}, got {self.got or 'unknown'}"


def is_hash_mismatch(pip_stderr: str) -> bool:
    return _MISMATCH_HEADLINE in pip_stderr


def hash_mismatches(pip_stderr: str) -> list[HashMismatch]:
    """The mismatches listed after pip's ``THESE PACKAGES DO NOT MATCH THE HASHES`` error."""
    lines = pip_stderr.splitlines()
    start = next((n for n, line in enumerate(lines) if _MISMATCH_HEADLINE in line), None)
    if start is None:
        return []
    found: list[HashMismatch] = []
    current: dict[str, Any] | None = None
    for line in lines[start + 1 :]:
        if not line.startswith(" "):
            break
        expected = _MISMATCH_EXPECTED.match(line) or _MISMATCH_OR.match(line)
        got = _MISMATCH_GOT.match(line)
        if current is not None and expected:
            current["expected"].append(expected.group("digest").lower())
        elif current is not None and got:
            current["got"] = got.group("digest").lower()
        else:
            requirement = _MISMATCH_REQUIREMENT.match(line)
            if requirement is None:
                continue
            if current is not None:
                found.append(_mismatch(current))
            current = {**requirement.groupdict(), "expected": [], "got": None}
    if current is not None:
        found.append(_mismatch(current))
    return found


def _mismatch(raw: Mapping[str, Any]) -> HashMismatch:
    url = raw.get("url")
    return HashMismatch(
        requirement=str(raw["requirement"]).strip(),
        url=without_fragment(url) if isinstance(url, str) else None,
        expected=tuple(raw["expected"]),
        got=raw["got"],
    )
