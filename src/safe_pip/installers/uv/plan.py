"""uv's exact install plan, with a URL and sha256 for every file, for the target interpreter.

``uv pip compile --format pylock.toml --python TARGET`` resolves the same inputs as the
``uv pip install`` it stands for and lists, per package, only the files that fit the target
interpreter. The distributions already installed are written into the output file first:
uv keeps its existing pins as preferences, so an installed version that satisfies the
requirements is kept, as ``uv pip install`` would keep it (``--upgrade`` drops them).

A second, input-less ``uv pip compile --emit-index-url`` (no network) reports the index URLs
uv uses after its configuration, environment and command line, including its default index.
Both start with the other planning runs before safe-pip imports its checks (``runs``); the
first round runs before the installed versions are known, and is kept only where they could
not have changed it (``_first_round_stands``).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from safe_pip.errors import PipError
from safe_pip.installers.process import ChildOutput, PendingChild
from safe_pip.installers.uv.args import UvInstallArgs
from safe_pip.installers.uv.builds import (
    BuildPermits,
    BuildRequirements,
    needed_build_requirements,
    needed_sources,
    source_tree_build_requirements,
)
from safe_pip.installers.uv.runs import (
    PLAN_FILE,
    Installed,
    PlanningRuns,
    compile_command,
    is_no_solution,
    requirement_file_options,
    run_uv_completed,
    start_index_lookup,
    uv_child_env,
)
from safe_pip.installers.uv.runs import find_uv as find_uv  # (these three: moved to runs)
from safe_pip.installers.uv.runs import uv_error_line as uv_error_line
from safe_pip.installers.uv.runs import uv_failure as uv_failure
from safe_pip.models import ArtifactSource, PlanItem
from safe_pip.producers.lockfiles.model import LockedArtifact, LockedPackage
from safe_pip.producers.lockfiles.plan import package_item
from safe_pip.producers.lockfiles.pylock import read_pylock
from safe_pip.producers.lockfiles.toml_reading import load_toml

if TYPE_CHECKING:
    from safe_pip.pipeline.check_plan import GuardResult

# The user's own code, which uv builds to install it.
_OWN_SOURCES = (ArtifactSource.LOCAL_PATH, ArtifactSource.EDITABLE, ArtifactSource.VCS)
MAX_BUILD_ROUNDS = 20  # each round lets uv build at least one more checked thing


@dataclass(frozen=True)
class UvPlan:
    items: list[PlanItem]
    index_urls: list[str]
    lock_file: Path  # uv's pylock.toml of the plan, in the caller's work directory
    kept_installed: frozenset[str] = frozenset()  # names planned at their installed version
    lock_document: Mapping[str, Any] | None = None  # ``lock_file`` as read (read once)


class BuildVetting(Protocol):
    """Checks what uv asks to build before uv may build it (``build_gate.BuildGate``)."""

    permits: BuildPermits

    def allow_sources(self, names: Sequence[str], index_urls: Sequence[str]) -> None: ...

    def pin_build_requirements(
        self, needed: BuildRequirements, index_urls: Sequence[str]
    ) -> None: ...

    def refused_result(self, uv_message: str) -> GuardResult | None: ...


def resolve_uv_plan(
    uv: str,
    global_args: Sequence[str],
    request: UvInstallArgs,
    *,
    work: Path,
    gate: BuildVetting,
    runs: PlanningRuns,
    no_deps: bool = False,
    env: Mapping[str, str] | None = None,
) -> UvPlan:
    """The distributions ``uv pip install``/``sync`` of ``request`` would end up with.

    uv resolves with builds disallowed; each sdist (and build dependency) it asks for goes
    through ``gate`` first, then uv resolves again with what the gate allowed (``builds``).
    ``runs`` are the planning runs started for this install (``runs.start_planning``); the
    first resolution takes their first compile round.
    """
    child_env = uv_child_env(env)
    base = [uv, *global_args, "pip"]
    items, document, installed = _compile_plan(base, request, work, no_deps, child_env, gate, runs)
    index_urls = runs.index_lookup.result()
    # The install pins the planned sha256, not the user's ``--hash``: check those here.
    hashes = {} if runs.requirement_files is None else runs.requirement_files.hashes
    items = [
        replace(item, pinned_hashes=tuple(sorted(hashes[item.name])))
        if item.name in hashes
        else item
        for item in items
    ]
    installed_versions = {(canonicalize_name(row["name"]), row["version"]) for row in installed}
    return UvPlan(
        items=items,
        index_urls=index_urls,
        lock_file=work / PLAN_FILE,
        kept_installed=frozenset(
            item.name for item in items if (item.name, item.version) in installed_versions
        ),
        lock_document=document,
    )


def uv_index_urls(
    uv: str,
    global_args: Sequence[str],
    request: UvInstallArgs,
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """The index URLs uv would search for ``request`` (no network needed)."""
    with tempfile.TemporaryDirectory(prefix="safe-pip-uv-") as tmp:
        options = requirement_file_options(request)
        base = [uv, *global_args, "pip"]
        with start_index_lookup(base, request, options, Path(tmp), uv_child_env(env)) as lookup:
            return lookup.result()


def _compile_plan(
    base: list[str],
    request: UvInstallArgs,
    work: Path,
    no_deps: bool,
    env: Mapping[str, str],
    gate: BuildVetting,
    runs: PlanningRuns,
) -> tuple[list[PlanItem], dict[str, Any], Installed]:
    """The plan, its pylock document, and what is installed in the target (uv keeps those
    versions)."""
    output = work / PLAN_FILE
    command = compile_command(base, request, work, no_deps)
    requested = _requested_names(request)
    first_round = runs.first_round()
    for _ in range(MAX_BUILD_ROUNDS):
        speculative = first_round is not None
        if first_round is not None:
            completed, first_round = first_round, None
        else:
            _write_preferences(output, runs.installed_rows())
            ran = run_uv_completed(command + gate.permits.args(work), env)
            completed = ChildOutput(ran.returncode, ran.stdout, ran.stderr)
        plan = read_plan(output, requested) if completed.returncode == 0 else None
        preferences = runs.installed_rows()  # read while uv lists them
        if speculative and not _first_round_stands(plan, preferences, completed.stderr):
            continue  # plan again, with the installed versions as preferences
        if plan is not None:
            items, document = plan
            _allow_own_builds(items, gate, runs.index_lookup)
            return items, document, preferences
        if not _let_gate_answer(completed.stderr, gate, runs.index_lookup):
            _block_if_only_refused_sources_fit(completed.stderr, gate)
            raise uv_failure(completed.stderr)
    raise PipError(f"uv still asked to build more after {MAX_BUILD_ROUNDS} rounds of checks")


def _block_if_only_refused_sources_fit(stderr: str, gate: BuildVetting) -> None:
    """uv found no solution once source versions policy refuses were kept from it (``pkg==V``
    of an sdist-only release): the requirement needs one of them, so the run is blocked with
    their findings (exit 1), as the pip front end does, not a "could not resolve" error."""
    from safe_pip.installers.uv.build_gate import BuildBlocked

    if not is_no_solution(stderr):
        return
    result = gate.refused_result(uv_error_line(stderr))
    if result is not None:
        raise BuildBlocked(result)


def _first_round_stands(
    plan: tuple[list[PlanItem], dict[str, Any]] | None, installed: Installed, stderr: str
) -> bool:
    """Whether the first round, planned without the installed versions as preferences, is
    the plan uv makes with them: nothing is installed, or the plan names none of the installed
    projects (a preference only guides uv's choice of its own project, so uv made no choice
    it could have changed). A round that failed on resolving (no solution, or a build uv
    wants) with something installed is planned again; one that failed otherwise (an
    unreachable index, a bad requirement) would only fail the same way again, as slowly."""
    if not installed:
        return True
    if plan is None:
        return not (is_no_solution(stderr) or needed_sources(stderr))
    installed_names = {canonicalize_name(row["name"]) for row in installed}
    return not any(item.name in installed_names for item in plan[0])


def _let_gate_answer(
    stderr: str, gate: BuildVetting, index_lookup: PendingChild[list[str]]
) -> bool:
    """Hand what uv wants to build to ``gate``; False when that is not why uv stopped, or
    the gate already allowed it (uv would only fail the same way again)."""
    sources = [name for name in needed_sources(stderr) if name not in gate.permits.sources]
    if sources and not gate.permits.builds_forbidden:
        gate.allow_sources(sources, index_lookup.result())
        return True
    needed = needed_build_requirements(stderr)
    if needed is not None and needed.requirements:
        pins_before = list(gate.permits.build_pins)
        gate.pin_build_requirements(needed, index_lookup.result())
        return gate.permits.build_pins != pins_before
    return False


def _allow_own_builds(
    items: Sequence[PlanItem], gate: BuildVetting, index_lookup: PendingChild[list[str]]
) -> None:
    """uv builds local projects, editables and VCS checkouts to install them: allow it, with
    the build requirements of local source trees checked and pinned first. (A VCS checkout's
    build requirements are not known before uv clones it: uv refuses to install them.)"""
    own = [item for item in items if item.source in _OWN_SOURCES]
    gate.permits.allow_builds_of(item.name for item in own)
    for item in own:
        tree = _source_tree(item)
        if tree is not None and gate.permits.isolated_builds:
            requirements = source_tree_build_requirements(tree)
            if requirements:
                needed = BuildRequirements(requirements, for_package=item.name)
                gate.pin_build_requirements(needed, index_lookup.result())


def _source_tree(item: PlanItem) -> Path | None:
    if not item.url or not item.url.startswith("file:"):
        return None
    from urllib.request import url2pathname  # urllib.request is slow to import

    path = Path(url2pathname(urlsplit(item.url).path))
    return path if path.is_dir() else None


def plan_items(lock_file: Path, requested: Collection[str]) -> list[PlanItem]:
    """The plan in a pylock.toml uv wrote: one item per package, the file uv installs, with
    the upload time uv read from the index page."""
    return read_plan(lock_file, requested)[0]


def read_plan(lock_file: Path, requested: Collection[str]) -> tuple[list[PlanItem], dict[str, Any]]:
    """``plan_items`` and the pylock document they were read from."""
    document = load_toml(lock_file, lock_file.read_text(encoding="utf-8"))
    lock = read_pylock(lock_file, document)
    uploaded = _upload_times(document)
    items = [_plan_item(package, package.name in requested) for package in lock.packages]
    items = [
        replace(item, upload_time=uploaded.get(item.filename or ""))
        if item.upload_time is None and item.filename in uploaded
        else item
        for item in items
    ]
    return items, document


def _upload_times(document: Mapping[str, Any]) -> dict[str, str]:
    """file name -> ``upload-time`` of every wheel and sdist a pylock.toml lists."""
    times: dict[str, str] = {}
    for package in document.get("packages", []):
        files = [*package.get("wheels", []), package.get("sdist") or {}]
        for file in files:
            moment, url = file.get("upload-time"), str(file.get("url") or file.get("path") or "")
            if moment is not None and url:
                name = str(file.get("name") or url.rsplit("/", 1)[-1])
                times[name] = moment.isoformat() if hasattr(moment, "isoformat") else str(moment)
    return times


def _write_preferences(output: Path, installed: Sequence[Mapping[str, str]]) -> None:
    """A minimal pylock.toml whose pins uv takes as preferences when it writes over it."""
    if not installed:
        output.unlink(missing_ok=True)
        return
    lines = ['lock-version = "1.0"', 'created-by = "safe-pip"', ""]
    for row in installed:
        lines += ["[[packages]]", f"name = {json.dumps(row['name'])}"]
        lines += [f"version = {json.dumps(row['version'])}", ""]
    output.write_text("\n".join(lines), encoding="utf-8")


def _requested_names(request: UvInstallArgs) -> set[str]:
    names: set[str] = set()
    for text in request.requirements:
        try:
            names.add(canonicalize_name(Requirement(text).name))
        except InvalidRequirement:
            continue
    return names


def _plan_item(package: LockedPackage, requested: bool) -> PlanItem:
    item = package_item(package, _installed_artifact(package.artifacts), requested=requested)
    if package.source is ArtifactSource.LOCAL_PATH and item.url and "://" not in item.url:
        return replace(item, url=Path(item.url).as_uri())
    return item


def _installed_artifact(artifacts: Sequence[LockedArtifact]) -> LockedArtifact | None:
    """The file uv installs: the most specific compatible wheel, else the sdist.

    uv already left out the wheels that do not fit the target. When several fit, the vetted
    install pins this one's hash, so uv installs exactly this file.
    """
    wheels = [a for a in artifacts if a.filename and a.filename.endswith(".whl")]
    if wheels:
        return max(wheels, key=_wheel_specificity)
    return artifacts[0] if artifacts else None


def _wheel_specificity(artifact: LockedArtifact) -> tuple[bool, bool, bool]:
    try:
        tags = parse_wheel_filename(artifact.filename or "")[3]
    except InvalidWheelFilename:
        return (False, False, False)
    return max(
        (tag.platform != "any", tag.abi != "none", not tag.interpreter.startswith("py"))
        for tag in tags
    )
