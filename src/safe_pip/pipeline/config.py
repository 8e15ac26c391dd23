"""Where the policy comes from: configuration layers, keys and their validation.

Configuration layers, later ones win for single values while ``allow``, ``ignore`` and
``index-for`` accumulate across all layers:

1. the administrator's policy files (``paths.admin_policy_files()``; same keys at the top
   level, plus ``locked``: keys no later layer, the command line included, may loosen);
2. ``[tool.safe-pip]`` in the nearest ``pyproject.toml`` (searched from the working
   directory up to the filesystem root; the search stops at the first one found, even
   if it has no ``[tool.safe-pip]`` table). Unless the user trusted this exact file
   (``pipeline.trust``), it may only tighten: its values that would loosen the policy the
   other layers give are dropped (``pipeline.tightening``), and its ``ignore`` entries
   apply to vulnerability advisories only (never a MAL- id or a safe-pip check);
3. the user config file (``paths.user_config_file()``; same keys, at the top level);
4. ``SAFE_PIP_*`` environment variables;
5. command-line options (``PolicyOverrides``).

Dropped values are named in one warning line per reason (``Policy.warnings``).

Keys (defaults in brackets):

``fail-mode`` ["closed"]
    "closed": when a check cannot run (no advisory database, index unreachable) refuse to
    install (exit 3). "open": print a warning and continue without that check.
``vulnerability`` ["block"]
    "block" or "warn" for known vulnerabilities.
``min-severity`` ["any"]
    "any", "low" (0.1), "medium" (4.0), "high" (7.0), "critical" (9.0) or a CVSS score
    0-10. Vulnerabilities whose CVSS score is below it are warned about, not blocked.
    Vulnerabilities without a score are treated as meeting the threshold (blocked).
``yanked`` ["warn"], ``hash-mismatch`` ["block"], ``unverifiable`` ["warn"]
    "block" or "warn" for yanked files, hash mismatches (index, pinned, first-seen) and
    artifacts that cannot be verified (direct URLs, local paths, VCS, editables, no hash).
``max-db-age-days`` [30]
    Advisory data older than this (since its fetch, or its newest record if older) gets one
    warning line with the refresh command (never a block); 0 disables.
``min-release-age`` ["2d"]
    A release uploaded less than this long ago is a ``TOO-NEW`` finding (blocked; only
    warned about by ``check --installed``). A duration: ``36h``, ``2d``, ``1w``; ``0``
    disables. Exempt one package with an ``ignore`` entry ``{id = "TOO-NEW", package =
    ..., reason = ..., expires = ...}`` (TOO-NEW ignores must name a package).
``unknown-upload-time`` ["warn"]
    "warn", "block" or "ignore": what to do when no upload time is known for an artifact
    from a local source (a ``file://`` index or mirror, a local ``--find-links`` directory)
    or from an index named in ``indexes-without-upload-time``. From any other (remote)
    index such an artifact counts as too new (``TOO-NEW``).
``indexes-without-upload-time`` [[]]
    Index (or ``--find-links`` page) URLs that publish no PEP 700 upload times, such as an
    old private index: their files without one are ``NO-UPLOAD-TIME`` findings
    (``unknown-upload-time``) instead of ``TOO-NEW``. Environment: comma-separated.
``resolve`` ["avoid"]
    "avoid": steer the resolver to the newest version policy allows within the user's
    constraints; "block": do not steer, block the plan the resolver chose.
``refresh-after`` ["4h"]
    Before a check, an advisory database whose data was fetched longer ago than this is
    refreshed (only what changed is fetched; a short time budget). A duration; 0 disables.
``max-malware-age`` ["7d"]
    When the refresh fails (offline), the check goes on with a warning unless the
    malicious-package data is older than this: then it cannot run (exit 3, or a warning
    with fail-mode "open"). A duration; 0 disables.
``advisory-sources`` [[]]
    Where ``db update`` reads advisories when no ``--source`` is given: URLs or paths of
    OSV zips, directories or JSON files, merged. Empty: OSV's PyPI export.
``warn-only`` [false]
    Every block becomes a warning, except malicious packages.
``confusion`` ["block"]
    "block" or "warn" for dependency confusion: with several indexes, a project served by
    more than one, or by another index than the first time safe-pip saw it.
``request-deadline`` [30], ``run-deadline`` [120]
    Seconds one index page, and all index pages of a run together, may take (a slow index
    that keeps sending a byte at a time never trips a per-read timeout); then exit 3.
``index-for`` [{}]
    ``{name = "index URL"}``: the one index a project may come from; such a name is no
    dependency-confusion finding when other indexes serve it too, but one from any other
    index is.
``contents`` ["default"]
    What a wheel carries (``docs/package-contents.md``), looked at after its hash check and
    before anything is installed. "default": ``PTH-EXEC`` lines the project's installed or
    first-seen release did not have, ``STARTUP-HOOK``, ``SCRIPT-SHADOW`` of python/pip/uv/
    safe-pip commands, ``FILE-CLASH`` outside the install scheme and ``RECORD-MISMATCH``
    block; other ``PTH-EXEC``, ``SCRIPT-SHADOW`` and ``FILE-CLASH`` findings warn. "block":
    every contents finding blocks; "warn": none does.
``pth-allow`` [[]]
    Tables with ``package``, ``file`` (a file name or glob such as "*.pth") and ``reason``:
    every executable line of that ``.pth`` file of that package passes (added to the shipped
    allow-list of long-standing lines).
``typosquat`` ["warn"]
    "block" or "warn" for a name you typed that is close to a popular project's
    (``TYPOSQUAT``; dependencies are never checked for it).
``attestation-dropped`` ["warn"]
    "block" or "warn" for a release without a PEP 740 attestation of a project whose earlier
    releases were attested (``ATTESTATION-DROPPED``). ``PUBLISHER-CHANGED`` and
    ``ATTESTATION-INVALID`` always block (unless ignored).
``require-provenance`` [[]]
    Package names that must come with a valid PEP 740 attestation (``PROVENANCE-MISSING``
    blocks otherwise); needs the ``provenance`` extra.
``allow`` [[]]
    Package names whose vulnerability, yanked and unverifiable findings are ignored.
    Never hides malicious packages or hash mismatches.
``ignore`` [[]]
    Tables with ``id`` (advisory id or any of its aliases, or a check id such as
    "HASH-CHANGED"), ``reason`` (required), optional ``expires`` (date; the ignore stops
    applying after that day) and optional ``package``. A malicious finding is only ignored
    by an entry naming its own id exactly (not an alias).

Malicious packages are always blocked unless explicitly ignored.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

from packaging.utils import canonicalize_name

from safe_pip import limits, paths
from safe_pip.errors import UsageError
from safe_pip.models import Action
from safe_pip.pipeline import trust
from safe_pip.pipeline.contents.pth_allow import PthAllowance
from safe_pip.pipeline.policy import (
    NO_UPLOAD_TIME_ID,
    SEVERITY_LEVELS,
    TOO_NEW_ID,
    ContentsMode,
    FailMode,
    IgnoreRule,
    Policy,
    PolicyOverrides,
    ResolveMode,
)
from safe_pip.pipeline.tightening import loosens
from safe_pip.times import parse_duration


@dataclass
class _Layer:
    """Values one configuration layer sets; None means "not set here"."""

    source: str
    fail_mode: FailMode | None = None
    vulnerability: Action | None = None
    min_severity: float | None = None
    yanked: Action | None = None
    hash_mismatch: Action | None = None
    unverifiable: Action | None = None
    max_db_age_days: int | None = None
    min_release_age: timedelta | None = None
    unknown_upload_time: Action | None = None
    indexes_without_upload_time: tuple[str, ...] | None = None
    resolve: ResolveMode | None = None
    refresh_after: timedelta | None = None
    max_malware_age: timedelta | None = None
    advisory_sources: tuple[str, ...] | None = None
    warn_only: bool | None = None
    confusion: Action | None = None
    contents: ContentsMode | None = None
    typosquat: Action | None = None
    attestation_dropped: Action | None = None
    require_provenance: tuple[str, ...] | None = None
    request_deadline: float | None = None
    run_deadline: float | None = None
    allow: list[str] = field(default_factory=list)
    ignore: list[IgnoreRule] = field(default_factory=list)
    index_for: dict[str, str] = field(default_factory=dict)
    pth_allow: list[PthAllowance] = field(default_factory=list)
    locked: tuple[str, ...] = ()  # administrator layers only


@dataclass(frozen=True)
class _ProjectLayer:
    layer: _Layer
    pyproject: Path
    trusted: bool
    changed_since_trusted: bool


def load_policy(
    start_dir: Path,
    overrides: PolicyOverrides | None = None,
    env: Mapping[str, str] | None = None,
) -> Policy:
    """The effective policy for a run started in ``start_dir``; ``UsageError`` on bad config."""
    environ = os.environ if env is None else env
    admin_layers = [
        _admin_layer(path) for path in paths.admin_policy_files(environ) if path.is_file()
    ]
    pyproject = find_pyproject(start_dir)
    project = _project_layer(pyproject) if pyproject is not None else None
    user_layers: list[_Layer] = []
    config_file = _user_config_file(environ)
    if config_file.is_file():
        user_layers.append(_user_config_layer(config_file))
    env_layer = _env_layer(environ)
    if env_layer is not None:
        user_layers.append(env_layer)
    if overrides is not None:
        user_layers.append(_overrides_layer(overrides))
    return _merge(admin_layers, project, user_layers)


def _merge(
    admin_layers: Sequence[_Layer], project: _ProjectLayer | None, user_layers: Sequence[_Layer]
) -> Policy:
    """Apply the layers in order, keeping the administrator's locks and the project's
    trust boundary; every dropped value is named in ``Policy.warnings``."""
    policy = Policy()
    locked: dict[str, str] = {}  # key -> the administrator file that locked it
    refused: list[str] = []  # "key (layer)" dropped because locked

    def add(policy: Policy, layer: _Layer, *, quiet: bool = False) -> Policy:
        kept, dropped = _without_loosening(layer, policy, only=locked)
        if not quiet:
            refused.extend(f"{key} ({layer.source})" for key in dropped)
        return _apply(policy, kept)

    for layer in admin_layers:
        policy = add(policy, layer)
        locked.update(dict.fromkeys((k for k in layer.locked if k not in locked), layer.source))
    warnings: list[str] = []
    if project is not None:
        layer = project.layer
        if not project.trusted:
            others = policy
            for later in user_layers:
                others = add(others, later, quiet=True)
            layer, warning = _untrusted(project, others)
            warnings.extend(warning)
        policy = add(policy, layer)
    for layer in user_layers:
        policy = add(policy, layer)
    if refused:
        by = ", ".join(sorted(set(locked.values())))
        warnings.append(
            f"settings locked by the administrator ({by}) cannot be loosened, so these were "
            f"ignored: {'; '.join(refused)}"
        )
    return replace(policy, warnings=tuple(warnings))


def _untrusted(project: _ProjectLayer, others: Policy) -> tuple[_Layer, list[str]]:
    """The project layer an untrusted pyproject.toml may add, and the warning naming what it
    may not: loosening values are dropped, ignore entries limited to vulnerabilities."""
    kept, dropped = _without_loosening(project.layer, others, only=None)
    kept.ignore = [replace(rule, trusted=False) for rule in kept.ignore]
    limited = [rule.id for rule in kept.ignore if _names_no_vulnerability(rule.id)]
    if limited:
        dropped.append(
            f"ignore {', '.join(limited)} (an untrusted project may ignore "
            "vulnerability advisories only)"
        )
    if not dropped:
        return kept, []
    state = "changed since you trusted it" if project.changed_since_trusted else "not trusted"
    return kept, [
        f"{project.pyproject} is {state}, so its [tool.safe-pip] settings that loosen your "
        f"policy were ignored: {'; '.join(dropped)}. If you trust this project: "
        f"safe-pip trust {project.pyproject.parent}"
    ]


def _names_no_vulnerability(finding_id: str) -> bool:
    """For the warning only (``IgnoreRule.applies_to`` enforces the rule): a MAL- id, or one
    of safe-pip's own check ids (they have no digits: HASH-CHANGED, YANKED, ...)."""
    return finding_id.upper().startswith("MAL-") or not any(ch.isdigit() for ch in finding_id)


def _without_loosening(
    layer: _Layer, base: Policy, *, only: Collection[str] | None
) -> tuple[_Layer, list[str]]:
    """A copy of ``layer`` without the values that would loosen ``base``, and their keys.

    ``only``: the keys to guard (the administrator's locked keys); None guards every key
    except ``ignore``, which an untrusted project keeps in a limited form."""

    def guarded(key: str) -> bool:
        return key in only if only is not None else key != "ignore"

    kept = replace(
        layer,
        allow=list(layer.allow),
        ignore=list(layer.ignore),
        index_for=dict(layer.index_for),
        pth_allow=list(layer.pth_allow),
    )
    dropped: list[str] = []
    for key, (attribute, _) in _SCALAR_KEYS.items():
        value = getattr(layer, attribute)
        if value is not None and guarded(key) and loosens(key, getattr(base, attribute), value):
            setattr(kept, attribute, None)
            dropped.append(key)
    if layer.allow and guarded("allow") and loosens("allow", base.allow, layer.allow):
        kept.allow = [name for name in layer.allow if name in base.allow]
        dropped.append("allow")
    if (
        layer.index_for
        and guarded("index-for")
        and loosens("index-for", base.index_for, layer.index_for)
    ):
        kept.index_for = {n: u for n, u in layer.index_for.items() if base.index_for.get(n) == u}
        dropped.append("index-for")
    if (
        layer.pth_allow
        and guarded("pth-allow")
        and loosens("pth-allow", base.pth_allow, layer.pth_allow)
    ):
        kept.pth_allow = [entry for entry in layer.pth_allow if entry in base.pth_allow]
        dropped.append("pth-allow")
    if layer.ignore and guarded("ignore") and loosens("ignore", base.ignore, layer.ignore):
        kept.ignore = []
        dropped.append("ignore")
    return kept, dropped


def find_pyproject(start_dir: Path) -> Path | None:
    """The nearest pyproject.toml in ``start_dir`` or one of its parents."""
    return paths.nearest_file(start_dir, "pyproject.toml")


def _user_config_file(environ: Mapping[str, str]) -> Path:
    override = environ.get("SAFE_PIP_CONFIG_FILE")
    return Path(override) if override else paths.user_config_file()


def _apply(policy: Policy, layer: _Layer) -> Policy:
    scalars = {
        attribute: getattr(layer, attribute)
        for attribute, _ in _SCALAR_KEYS.values()
        if getattr(layer, attribute) is not None
    }
    allow = tuple(dict.fromkeys((*policy.allow, *layer.allow)))
    return replace(
        policy,
        **scalars,
        allow=allow,
        ignore=(*policy.ignore, *layer.ignore),
        index_for={**policy.index_for, **layer.index_for},
        pth_allow=(*policy.pth_allow, *(a for a in layer.pth_allow if a not in policy.pth_allow)),
        sources=(*policy.sources, layer.source),
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return limits.read_bytes(path, limits.CONFIG_MAX_BYTES)
    except OSError as exc:
        raise UsageError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    except limits.DocumentError as exc:
        raise UsageError(f"cannot read config file {path}: {exc}") from exc


def _parse_toml(path: Path, content: bytes) -> dict[str, object]:
    """A config file within ``limits`` (a pyproject.toml comes with whatever was cloned)."""
    try:
        return limits.load_toml(content.decode("utf-8"), max_bytes=limits.CONFIG_MAX_BYTES)
    except ValueError as exc:  # DocumentError, UnicodeDecodeError
        message = " ".join(str(exc).split()).replace("invalid TOML: ", "", 1)
        raise UsageError(f"invalid TOML in {path}: {message}") from exc


def _project_layer(path: Path) -> _ProjectLayer | None:
    content = _read_bytes(path)  # hashed and parsed from the same bytes
    tool = _parse_toml(path, content).get("tool")
    if not isinstance(tool, dict) or "safe-pip" not in tool:
        return None
    table = tool["safe-pip"]
    where = f"invalid config in {path}: [tool.safe-pip]"
    if not isinstance(table, dict):
        raise UsageError(f"{where} must be a table")
    layer = _table_layer(table, source=f"{path} [tool.safe-pip]", where=f"{where} ")
    trusted = trust.is_trusted(path, content)
    changed = not trusted and any(entry.pyproject == path.resolve() for entry in _trusted())
    return _ProjectLayer(layer, path, trusted, changed)


def _trusted() -> list[trust.TrustedProject]:
    try:
        return trust.trusted_projects()
    except UsageError:
        return []


def _user_config_layer(path: Path) -> _Layer:
    table = _parse_toml(path, _read_bytes(path))
    return _table_layer(table, source=str(path), where=f"invalid config in {path}: ")


def _admin_layer(path: Path) -> _Layer:
    table = dict(_parse_toml(path, _read_bytes(path)))
    where = f"invalid config in {path}: "
    locked = table.pop("locked", [])
    layer = _table_layer(table, source=f"{path} (administrator)", where=where)
    with _bad_values(f"{where}locked "):
        layer.locked = _locked_keys(locked)
    return layer


def _table_layer(table: Mapping[str, object], source: str, where: str) -> _Layer:
    layer = _Layer(source=source)
    for key, value in table.items():
        if key == "locked":
            raise UsageError(
                f"{where}locked is read only from the administrator's policy file "
                f"({paths.admin_policy_files({})[0]})"
            )
        if key == "index-for":
            with _bad_values(f"{where}index-for "):
                layer.index_for = _index_bindings(value)
            continue
        if key == "ignore":
            with _bad_values(f"{where}ignore "):
                layer.ignore = _ignore_rules(value, source)
            continue
        if key == "pth-allow":
            with _bad_values(f"{where}pth-allow "):
                layer.pth_allow = _pth_allowances(value)
            continue
        if key not in _SCALAR_KEYS and key != "allow":
            top_level = key == "safe-pip" and "[tool.safe-pip]" not in where
            hint = " (keys go at the top level of this file)" if top_level else ""
            known = ", ".join(sorted(CONFIG_KEYS))
            raise UsageError(f"{where}unknown key {key!r}{hint}; known keys: {known}")
        with _bad_values(f"{where}{key} "):
            if key == "allow":
                layer.allow = _package_names(value)
            else:
                attribute, parse = _SCALAR_KEYS[key]
                setattr(layer, attribute, parse(value))
    return layer


def _env_layer(environ: Mapping[str, str]) -> _Layer | None:
    used = [name for name in _ENV_VARS if environ.get(name, "").strip()]
    if not used:
        return None
    layer = _Layer(source=f"environment ({', '.join(used)})")
    for name in used:
        key, parse_text = _ENV_VARS[name]
        text = environ[name].strip()
        with _bad_values(f"invalid environment variable: {name} "):
            if key == "allow":
                layer.allow = _package_names([p for p in text.split(",") if p.strip()])
            elif key == "ignore":
                layer.ignore = _env_ignore_rules(text, source=f"environment ({name})")
            else:
                attribute, parse = _SCALAR_KEYS[key]
                setattr(layer, attribute, parse(parse_text(text)))
    return layer


def _overrides_layer(overrides: PolicyOverrides) -> _Layer:
    layer = _Layer(source="command line", warn_only=overrides.warn_only)
    with _bad_values("invalid command-line value: fail-mode "):
        if overrides.fail_mode is not None:
            layer.fail_mode = _fail_mode(overrides.fail_mode)
    with _bad_values("invalid command-line value: allow "):
        layer.allow = _package_names(list(overrides.allow))
    for vuln_id, reason in overrides.ignore_vulns:
        with _bad_values("invalid command-line value: ignore "):
            layer.ignore.append(_ignore_rule(vuln_id, reason, None, None, "command line"))
    return layer


# ------------------------------------------------------------------ value parsing


class _BadValue(ValueError):
    """A value failed validation; the message says why without naming where it came from."""


@contextmanager
def _bad_values(prefix: str) -> Iterator[None]:
    """Turn a ``_BadValue`` into a one-line ``UsageError`` that starts with ``prefix``."""
    try:
        yield
    except _BadValue as exc:
        raise UsageError(f"{prefix}{exc}") from None


def _choice(value: object, choices: Sequence[str]) -> str:
    if isinstance(value, str) and value.strip().lower() in choices:
        return value.strip().lower()
    allowed = " or ".join(repr(c) for c in choices)
    raise _BadValue(f"must be {allowed}, got {value!r}")


def _fail_mode(value: object) -> FailMode:
    return FailMode(_choice(value, ("closed", "open")))


def _action(value: object) -> Action:
    return Action(_choice(value, ("warn", "block")))


def _min_severity(value: object) -> float:
    problem = (
        "must be 'any', 'low', 'medium', 'high', 'critical' or a CVSS score from 0 to 10,"
        f" got {value!r}"
    )
    if isinstance(value, str):
        level = SEVERITY_LEVELS.get(value.strip().lower())
        if level is not None:
            return level
        try:
            value = float(value)
        except ValueError:
            raise _BadValue(problem) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 10:
        raise _BadValue(problem)
    return float(value)


def _max_db_age_days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _BadValue(f"must be a whole number of days (0 disables), got {value!r}")
    return value


def _duration(value: object) -> timedelta:
    if isinstance(value, int) and not isinstance(value, bool) and value == 0:
        return timedelta(0)
    if not isinstance(value, str):
        raise _BadValue(f"must be a duration like '36h', '2d' or '1w' (0 disables), got {value!r}")
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise _BadValue(str(exc)) from None


def _unknown_upload_time(value: object) -> Action:
    return Action(_choice(value, ("warn", "block", "ignore")))


def _locations(value: object) -> tuple[str, ...]:
    if isinstance(value, str):  # the environment variable: comma-separated
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _BadValue(f"must be a list of URLs or paths, got {value!r}")
    return tuple(v.strip() for v in value)


def _resolve(value: object) -> ResolveMode:
    return ResolveMode(_choice(value, ("avoid", "block")))


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 86400:
        raise _BadValue(f"must be a number of seconds (more than 0, at most 86400), got {value!r}")
    return float(value)


def _index_bindings(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(name, str) and name.strip() and isinstance(url, str) and "://" in url
        for name, url in value.items()
    ):
        raise _BadValue(f"must be a table of package name = index URL, got {value!r}")
    return {canonicalize_name(name.strip()): url.strip() for name, url in value.items()}


def _index_urls(value: object) -> tuple[str, ...]:
    if isinstance(value, str):  # the environment variable: comma-separated
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) and "://" in v for v in value):
        raise _BadValue(f"must be a list of index URLs, got {value!r}")
    return tuple(v.strip() for v in value)


def _locked_keys(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(key, str) for key in value):
        raise _BadValue(f"must be a list of keys, got {value!r}")
    unknown = [key for key in value if key not in CONFIG_KEYS]
    if unknown:
        raise _BadValue(f"names unknown key {unknown[0]!r}; known keys: {', '.join(CONFIG_KEYS)}")
    return tuple(value)


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise _BadValue(f"must be true or false, got {value!r}")
    return value


def _package_names(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _BadValue(f"must be a list of package names, got {value!r}")
    return [canonicalize_name(v.strip()) for v in value]


def _contents(value: object) -> ContentsMode:
    return ContentsMode(_choice(value, ("default", "block", "warn")))


def _names_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, str):  # the environment variable: comma-separated
        value = [part for part in value.split(",") if part.strip()]
    return tuple(_package_names(value))


_PTH_ALLOW_KEYS = ("package", "file", "reason")


def _pth_allowances(value: object) -> list[PthAllowance]:
    if not isinstance(value, list):
        raise _BadValue("must be a list of tables like {package = ..., file = ..., reason = ...}")
    allowances: list[PthAllowance] = []
    for number, entry in enumerate(value, start=1):
        if not isinstance(entry, dict) or set(entry) != set(_PTH_ALLOW_KEYS):
            raise _BadValue(f"entry {number} must be a table with exactly package, file, reason")
        package, file, reason = (entry[key] for key in _PTH_ALLOW_KEYS)
        if not all(isinstance(v, str) and v.strip() for v in (package, file, reason)):
            raise _BadValue(f"entry {number}: package, file and reason must be non-empty text")
        if "/" in file or "\\" in file:
            raise _BadValue(f"entry {number}: file must be a file name or glob, got {file!r}")
        allowances.append(
            PthAllowance(
                file=file.strip(),
                reason=" ".join(reason.split()),
                packages=frozenset({canonicalize_name(package.strip())}),
            )
        )
    return allowances


_IGNORE_KEYS = ("id", "reason", "expires", "package")
# Checks that are only ever exempted for one package at a time (never for everything).
_PER_PACKAGE_IDS = frozenset({TOO_NEW_ID, NO_UPLOAD_TIME_ID})


def _ignore_rules(value: object, source: str) -> list[IgnoreRule]:
    if not isinstance(value, list):
        raise _BadValue(f"must be a list of tables like {{id = ..., reason = ...}}, got {value!r}")
    rules: list[IgnoreRule] = []
    for number, entry in enumerate(value, start=1):
        if not isinstance(entry, dict):
            raise _BadValue(f"entry {number} must be a table with 'id' and 'reason', got {entry!r}")
        unknown = sorted(set(entry) - set(_IGNORE_KEYS))
        if unknown:
            known = ", ".join(_IGNORE_KEYS)
            raise _BadValue(f"entry {number} has unknown key {unknown[0]!r}; known keys: {known}")
        try:
            rules.append(
                _ignore_rule(
                    entry.get("id"),
                    entry.get("reason"),
                    entry.get("expires"),
                    entry.get("package"),
                    source,
                )
            )
        except _BadValue as exc:
            raise _BadValue(f"entry {number} {exc}") from None
    return rules


def _env_ignore_rules(text: str, source: str) -> list[IgnoreRule]:
    rules: list[IgnoreRule] = []
    for entry in (e.strip() for e in text.split(";")):
        if entry:
            vuln_id, _, reason = entry.partition(":")
            rules.append(_ignore_rule(vuln_id.strip(), reason.strip(), None, None, source))
    return rules


def _ignore_rule(
    vuln_id: object, reason: object, expires: object, package: object, source: str
) -> IgnoreRule:
    if not isinstance(vuln_id, str) or not vuln_id.strip():
        raise _BadValue(f"needs an 'id' (advisory id or alias), got {vuln_id!r}")
    vuln_id = vuln_id.strip()
    if not isinstance(reason, str) or not reason.strip():
        raise _BadValue(f"for {vuln_id} needs a non-empty reason saying why it is safe to ignore")
    if package is not None and (not isinstance(package, str) or not package.strip()):
        raise _BadValue(f"for {vuln_id}: package must be a package name, got {package!r}")
    if package is None and vuln_id.upper() in _PER_PACKAGE_IDS:
        raise _BadValue(f"for {vuln_id} must name the package it exempts (package = ...)")
    return IgnoreRule(
        id=vuln_id,
        reason=" ".join(reason.split()),
        expires=None if expires is None else _expiry_date(vuln_id, expires),
        package=canonicalize_name(package.strip()) if isinstance(package, str) else None,
        source=source,
    )


def _expiry_date(vuln_id: str, value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _BadValue(f"for {vuln_id}: expires must be a date (YYYY-MM-DD), got {value!r}")


def _same(text: str) -> object:
    return text


def _number_text(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text  # rejected with the usual message by the key's parser


def _integer_text(text: str) -> object:
    try:
        return int(text)
    except ValueError:
        return text  # rejected with the usual message by the key's parser


def _boolean_text(text: str) -> object:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise _BadValue(f"must be 1/true/yes or 0/false/no, got {text!r}")


# TOML key -> (Policy/_Layer attribute, parser). ``allow`` and ``ignore`` are lists.
_SCALAR_KEYS: Mapping[str, tuple[str, Callable[[object], object]]] = {
    "fail-mode": ("fail_mode", _fail_mode),
    "vulnerability": ("vulnerability", _action),
    "min-severity": ("min_severity", _min_severity),
    "yanked": ("yanked", _action),
    "hash-mismatch": ("hash_mismatch", _action),
    "unverifiable": ("unverifiable", _action),
    "max-db-age-days": ("max_db_age_days", _max_db_age_days),
    "min-release-age": ("min_release_age", _duration),
    "unknown-upload-time": ("unknown_upload_time", _unknown_upload_time),
    "indexes-without-upload-time": ("indexes_without_upload_time", _index_urls),
    "resolve": ("resolve", _resolve),
    "refresh-after": ("refresh_after", _duration),
    "max-malware-age": ("max_malware_age", _duration),
    "advisory-sources": ("advisory_sources", _locations),
    "warn-only": ("warn_only", _boolean),
    "confusion": ("confusion", _action),
    "contents": ("contents", _contents),
    "typosquat": ("typosquat", _action),
    "attestation-dropped": ("attestation_dropped", _action),
    "require-provenance": ("require_provenance", _names_tuple),
    "request-deadline": ("request_deadline", _seconds),
    "run-deadline": ("run_deadline", _seconds),
}

# Environment variable -> (TOML key, text -> value before the key's parser).
_ENV_VARS: Mapping[str, tuple[str, Callable[[str], object]]] = {
    "SAFE_PIP_FAIL_MODE": ("fail-mode", _same),
    "SAFE_PIP_VULNERABILITY": ("vulnerability", _same),
    "SAFE_PIP_MIN_SEVERITY": ("min-severity", _same),
    "SAFE_PIP_YANKED": ("yanked", _same),
    "SAFE_PIP_HASH_MISMATCH": ("hash-mismatch", _same),
    "SAFE_PIP_UNVERIFIABLE": ("unverifiable", _same),
    "SAFE_PIP_MAX_DB_AGE_DAYS": ("max-db-age-days", _integer_text),
    "SAFE_PIP_MIN_RELEASE_AGE": ("min-release-age", _same),
    "SAFE_PIP_UNKNOWN_UPLOAD_TIME": ("unknown-upload-time", _same),
    "SAFE_PIP_INDEXES_WITHOUT_UPLOAD_TIME": ("indexes-without-upload-time", _same),
    "SAFE_PIP_RESOLVE": ("resolve", _same),
    "SAFE_PIP_REFRESH_AFTER": ("refresh-after", _same),
    "SAFE_PIP_MAX_MALWARE_AGE": ("max-malware-age", _same),
    "SAFE_PIP_WARN_ONLY": ("warn-only", _boolean_text),
    "SAFE_PIP_CONFUSION": ("confusion", _same),
    "SAFE_PIP_CONTENTS": ("contents", _same),
    "SAFE_PIP_TYPOSQUAT": ("typosquat", _same),
    "SAFE_PIP_ATTESTATION_DROPPED": ("attestation-dropped", _same),
    "SAFE_PIP_REQUIRE_PROVENANCE": ("require-provenance", _same),
    "SAFE_PIP_REQUEST_DEADLINE": ("request-deadline", _number_text),
    "SAFE_PIP_RUN_DEADLINE": ("run-deadline", _number_text),
    "SAFE_PIP_ALLOW": ("allow", _same),
    "SAFE_PIP_IGNORE": ("ignore", _same),
}

# Public lists of what can be configured (documentation and tests use them).
CONFIG_KEYS: tuple[str, ...] = (*_SCALAR_KEYS, "allow", "ignore", "index-for", "pth-allow")
ENVIRONMENT_VARIABLES: tuple[str, ...] = tuple(_ENV_VARS)
