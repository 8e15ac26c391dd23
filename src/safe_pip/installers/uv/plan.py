"""uv's exact install plan, with a URL and sha256 for every file, for the target interpreter.

``uv pip compile --format pylock.toml --python TARGET`` resolves the same inputs as the
``uv pip install`` it stands for and lists, per package, only the files that fit the target
interpreter. The distributions already installed are written into the output file first:
uv keeps its existing pins as preferences, so an installed version that satisfies the
requirements is kept, as ``uv pip install`` would keep it (``--upgrade`` drops them).

A second, input-less ``uv pip compile --emit-index-url`` (no network) reports the index URLs
uv uses after its configuration, environment and command line, including its default index.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from safe_pip.console import strip_ansi
from safe_pip.errors import PipError, SafePipError, UsageError
from safe_pip.installers.process import ChildOutput, PendingChild, start_child
from safe_pip.installers.uv.args import UvInstallArgs
from safe_pip.installers.uv.builds import (
    BuildPermits,
    BuildRequirements,
    needed_build_requirements,
    needed_sources,
    source_tree_build_requirements,
)
from safe_pip.models import ArtifactSource, PlanItem
from safe_pip.producers.lockfiles.model import LockedArtifact, LockedPackage
from safe_pip.producers.lockfiles.plan import package_item
from safe_pip.producers.lockfiles.pylock import read_pylock
from safe_pip.producers.lockfiles.toml_reading import load_toml

if TYPE_CHECKING:
    from safe_pip.installers.requirement_pins import RequirementFiles

_CAUSE_PREFIXES = ("cause:", "caused by:", "╰─▶")
# uv errors that mean the user's input is wrong, not that checking failed.
_USAGE_ERRORS = (
    "couldn't parse",
    "failed to parse",
    "file not found",
    "no such file",
    "unexpected argument",
    "invalid value",
    "no interpreter found",
    "not a supported input format",
    "requires at least one",
    "no virtual environment found",
    "is externally managed",
)


_LOCATION_OPTIONS = ("--index-url", "--extra-index-url", "--find-links", "--no-index")
PLAN_FILE = "pylock.toml"  # uv insists on this name (or pylock.NAME.toml)
# The user's own code, which uv builds to install it.
_OWN_SOURCES = (ArtifactSource.LOCAL_PATH, ArtifactSource.EDITABLE, ArtifactSource.VCS)
MAX_BUILD_ROUNDS = 20  # each round lets uv build at least one more checked thing
MINIMUM_UV = "0.13.9"  # the first uv safe-pip was tested with --require-build-hashes on
_NEWER_UV_OPTIONS = ("--require-build-hashes", "--preview-features")


@dataclass(frozen=True)
class UvPlan:
    items: list[PlanItem]
    index_urls: list[str]
    lock_file: Path  # uv's pylock.toml of the plan, in the caller's work directory
    kept_installed: frozenset[str] = frozenset()  # names planned at their installed version


class BuildVetting(Protocol):
    """Checks what uv asks to build before uv may build it (``build_gate.BuildGate``)."""

    permits: BuildPermits

    def allow_sources(self, names: Sequence[str], index_urls: Sequence[str]) -> None: ...

    def pin_build_requirements(
        self, needed: BuildRequirements, index_urls: Sequence[str]
    ) -> None: ...


def find_uv(explicit: str | None, env: Mapping[str, str] | None = None) -> str:
    """``--uv PATH``, else the uv next to this Python (same venv), else the one on PATH."""
    if explicit:
        found = shutil.which(explicit)
        if found is None:
            raise UsageError(f"--uv {explicit}: no such executable")
        return found
    exe = "uv.exe" if os.name == "nt" else "uv"
    beside = Path(sys.executable).parent / exe
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    search_path = (os.environ if env is None else env).get("PATH")
    on_path = shutil.which("uv", path=search_path)
    if on_path is None:
        raise UsageError(
            "uv not found: install it (`pip install uv`) or tell safe-pip where it is "
            "with --uv PATH"
        )
    return on_path


def uv_child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """uv runs no pip, so nothing marks its environment (see ``process.pip_child_env``)."""
    return dict(os.environ if env is None else env)


def resolve_uv_plan(
    uv: str,
    global_args: Sequence[str],
    request: UvInstallArgs,
    *,
    work: Path,
    gate: BuildVetting,
    no_deps: bool = False,
    env: Mapping[str, str] | None = None,
) -> UvPlan:
    """The distributions ``uv pip install``/``sync`` of ``request`` would end up with.

    uv resolves with builds disallowed; each sdist (and build dependency) it asks for goes
    through ``gate`` first, then uv resolves again with what the gate allowed (``builds``).
    """
    child_env = uv_child_env(env)
    base = [uv, *global_args, "pip"]
    files = _read_requirement_files(request)
    options = _location_lines(files)
    with _start_index_lookup(base, request, options, work, child_env) as index_lookup:
        items, installed = _compile_plan(
            base, request, work, no_deps, child_env, gate, index_lookup
        )
        index_urls = index_lookup.result()
    # The install pins the planned sha256, not the user's ``--hash``: check those here.
    items = [
        replace(item, pinned_hashes=tuple(sorted(files.hashes[item.name])))
        if item.name in files.hashes
        else item
        for item in items
    ]
    return UvPlan(
        items=items,
        index_urls=index_urls,
        lock_file=work / PLAN_FILE,
        kept_installed=frozenset(
            item.name
            for item in items
            if (item.name, item.version)
            in {(canonicalize_name(row["name"]), row["version"]) for row in installed}
        ),
    )


_UV_ENVIRONMENT = re.compile(r"environment at: (.+)")


def start_environment_check(
    uv: str, global_args: Sequence[str], request: UvInstallArgs, work: Path, env: Mapping[str, str]
) -> PendingChild[str | None]:
    """Ask uv, in the background, whether it would install into the target at all (no
    virtual environment, an externally managed interpreter): a dry ``uv pip sync`` of nothing
    finds the environment exactly as the install will. ``result()`` raises uv's message,
    else returns the environment's path as uv names it."""
    nothing = work / "nothing.txt"
    nothing.write_text("", encoding="utf-8")
    command = [uv, *global_args, "pip", "sync", str(nothing), "--dry-run"]
    command += ["--allow-empty-requirements", *request.target_args, *request.environment_args]
    return start_child(
        command,
        uv_child_env(env),
        _environment_verdict,
        cannot_start=lambda exc: _cannot_run_uv(command, exc),
    )


def _environment_verdict(output: ChildOutput) -> str | None:
    """The environment uv names ("Using Python 3.12.1 environment at: .venv"), if it does."""
    if output.returncode != 0:
        raise uv_failure(output.stderr)
    named = _UV_ENVIRONMENT.search(output.stderr)
    return named.group(1).strip() if named else None


def requirement_file_options(request: UvInstallArgs) -> list[str]:
    """The index and find-links lines of the user's requirement files, as written there."""
    return _location_lines(_read_requirement_files(request))


def _read_requirement_files(request: UvInstallArgs) -> RequirementFiles:
    from safe_pip.installers.requirement_pins import read_requirement_files

    return read_requirement_files(f for f in request.requirement_files if _is_requirements_txt(f))


def _location_lines(files: RequirementFiles) -> list[str]:
    return [option.as_line() for option in files.options if option.name in _LOCATION_OPTIONS]


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
        with _start_index_lookup(base, request, options, Path(tmp), uv_child_env(env)) as lookup:
            return lookup.result()


def _compile_plan(
    base: list[str],
    request: UvInstallArgs,
    work: Path,
    no_deps: bool,
    env: Mapping[str, str],
    gate: BuildVetting,
    index_lookup: PendingChild[list[str]],
) -> tuple[list[PlanItem], list[dict[str, str]]]:
    """The plan, and what is installed in the target (uv keeps those versions)."""
    output = work / PLAN_FILE
    preferences = [] if request.upgrade else _installed(base, request, env)
    command = [
        *base,
        "compile",
        *_inputs(request, work),
        "--format",
        "pylock.toml",
        "--output-file",
        str(output),
        "--no-header",
        "--quiet",
        *request.target_args,
        *request.plan_args,
    ]
    if no_deps:
        command.append("--no-deps")
    for _ in range(MAX_BUILD_ROUNDS):
        _write_preferences(output, preferences)
        completed = run_uv_completed(command + gate.permits.args(work), env)
        if completed.returncode == 0:
            items = plan_items(output, _requested_names(request))
            _allow_own_builds(items, gate, index_lookup)
            return items, preferences
        if not _let_gate_answer(completed.stderr, gate, index_lookup):
            raise uv_failure(completed.stderr)
    raise PipError(f"uv still asked to build more after {MAX_BUILD_ROUNDS} rounds of checks")


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
    document = load_toml(lock_file, lock_file.read_text(encoding="utf-8"))
    lock = read_pylock(lock_file, document)
    uploaded = _upload_times(document)
    items = [_plan_item(package, package.name in requested) for package in lock.packages]
    return [
        replace(item, upload_time=uploaded.get(item.filename or ""))
        if item.upload_time is None and item.filename in uploaded
        else item
        for item in items
    ]


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


def uv_failure(stderr: str) -> SafePipError:
    """One line from uv's error output; ``UsageError`` when the input is at fault."""
    line = uv_error_line(stderr)
    if any(option in line for option in _NEWER_UV_OPTIONS) and "unexpected argument" in line:
        return UsageError(
            f"uv: {line} (safe-pip lets uv build only what it checked with uv's "
            f"{' / '.join(_NEWER_UV_OPTIONS)}: use uv {MINIMUM_UV} or newer)"
        )
    if any(marker in line.lower() for marker in _USAGE_ERRORS):
        return UsageError(f"uv: {line}")
    return PipError(f"uv could not resolve the install plan: {line}")


def uv_error_line(stderr: str) -> str:
    """uv's last ``error:`` line, joined with the last cause it gives for it."""
    lines = [strip_ansi(line).strip() for line in stderr.splitlines()]
    lines = [line for line in lines if line]
    starts = [i for i, line in enumerate(lines) if line.lower().startswith("error:")]
    if not starts:
        return lines[-1] if lines else "uv failed without a message"
    message = lines[starts[-1]][len("error:") :].strip()
    causes = [
        _strip_cause(line)
        for line in lines[starts[-1] + 1 :]
        if line.lower().startswith(_CAUSE_PREFIXES)
    ]
    if causes and causes[-1]:
        return f"{message.rstrip(':')}: {causes[-1]}"
    return message


def _strip_cause(line: str) -> str:
    lowered = line.lower()
    for prefix in _CAUSE_PREFIXES:
        if lowered.startswith(prefix):
            return line[len(prefix) :].strip()
    return line


def run_uv(command: Sequence[str], env: Mapping[str, str], input: str | None = None) -> str:
    """Run a uv step and return its output; a failure raises uv's own error line."""
    completed = run_uv_completed(command, env, input)
    if completed.returncode != 0:
        raise uv_failure(completed.stderr)
    return completed.stdout


def run_uv_completed(
    command: Sequence[str], env: Mapping[str, str], input: str | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(command),
            env=dict(env),
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise _cannot_run_uv(command, exc) from None


def call_uv(command: Sequence[str], env: Mapping[str, str]) -> int:
    """Run uv with this terminal (its output is the user's) and return its exit code."""
    try:
        return subprocess.call(list(command), env=dict(env))
    except OSError as exc:
        raise _cannot_run_uv(command, exc) from None


def _cannot_run_uv(command: Sequence[str], exc: OSError) -> UsageError:
    return UsageError(f"cannot run uv ({command[0]}): {exc.strerror or exc}")


def _inputs(request: UvInstallArgs, work: Path) -> list[str]:
    """Compile inputs: the command-line requirements as a file, then the ``-r`` files."""
    inputs = list(request.requirement_files)
    if request.requirements or request.editables:
        lines = [*request.requirements, *(f"-e {editable}" for editable in request.editables)]
        command_line = work / "command-line-requirements.txt"
        command_line.write_text("\n".join(lines) + "\n", encoding="utf-8")
        inputs.insert(0, str(command_line))
    return inputs


def _installed(
    base: list[str], request: UvInstallArgs, env: Mapping[str, str]
) -> list[dict[str, str]]:
    """What uv sees installed in the target environment (``uv pip list``)."""
    command = [*base, "list", "--format", "json", "--quiet", *request.target_args]
    output = run_uv([*command, *request.location_args], env)
    try:
        rows = json.loads(output or "[]")
        return [{"name": str(r["name"]), "version": str(r["version"])} for r in rows]
    except (ValueError, TypeError, KeyError) as exc:
        raise PipError(f"could not read `uv pip list` output: {exc}") from None


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


def _start_index_lookup(
    base: list[str],
    request: UvInstallArgs,
    options: Sequence[str],
    work: Path,
    env: Mapping[str, str],
) -> PendingChild[list[str]]:
    """An input-less ``uv pip compile --emit-index-url`` running in the background; index
    options inside the user's requirement files are copied into its input."""
    options_file = work / "index-options.txt"
    options_file.write_text("".join(line + "\n" for line in options), encoding="utf-8")
    command = [
        *base,
        "compile",
        str(options_file),
        "--emit-index-url",
        "--no-header",
        "--quiet",
        *request.target_args,
        *request.shared_args,
    ]
    return start_child(
        command, env, _emitted_index_urls, cannot_start=lambda exc: _cannot_run_uv(command, exc)
    )


def _emitted_index_urls(output: ChildOutput) -> list[str]:
    """The ``--index-url``/``--extra-index-url`` lines of ``--emit-index-url`` output."""
    if output.returncode != 0:
        raise uv_failure(output.stderr)
    urls: list[str] = []
    for line in output.stdout.splitlines():
        option, _, value = line.strip().partition(" ")
        if option in ("--index-url", "--extra-index-url") and value.strip():
            urls.append(value.strip())
    return list(dict.fromkeys(urls))


def _is_requirements_txt(path: str) -> bool:
    """uv also takes pyproject.toml, setup.cfg, setup.py and pylock.toml as inputs."""
    name = Path(path).name.lower()
    return not name.endswith((".toml", ".cfg", ".py"))
