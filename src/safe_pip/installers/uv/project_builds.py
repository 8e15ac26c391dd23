"""``uv lock`` / ``uv add`` / ``uv sync`` of a project build nothing unchecked.

Project commands take no constraint or build-constraint files on the command line, so:

* every run gets ``--no-build``; when uv can only lock by building ``X`` it says so, and X's
  source versions are checked: one refused version blocks (uv cannot be kept away from it
  here), otherwise uv may build X (``--no-binary-package X``);
* every build runs with ``--require-build-hashes``. uv then takes build dependencies only
  from the project's own ``[tool.uv] build-constraint-dependencies`` (exact version and
  sha256). Those pins are checked before uv runs (``check_build_pins``); when a build needs
  a dependency that is not pinned there, safe-pip resolves and checks it and stops with the
  checked lines to add (exit 2), or blocks (exit 1).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from safe_pip.errors import CannotCheckError, UsageError
from safe_pip.installers.uv.args import parse_uv_install_args
from safe_pip.installers.uv.build_gate import BuildBlocked, BuildGate
from safe_pip.installers.uv.builds import (
    PREVIEW_FEATURE,
    BuildPermits,
    needed_build_requirements,
    needed_sources,
    refused_builds,
)
from safe_pip.installers.uv.plan import MAX_BUILD_ROUNDS, uv_index_urls
from safe_pip.installers.uv.runs import run_uv_completed, uv_failure
from safe_pip.models import PlanItem
from safe_pip.producers.lockfiles.toml_reading import load_toml

if TYPE_CHECKING:
    from safe_pip.index.settings import IndexSettings
    from safe_pip.pipeline.check_plan import GuardResult
    from safe_pip.pipeline.policy import Policy
    from safe_pip.pipeline.report_options import ReportOptions


def project_build_args(permits: BuildPermits) -> list[str]:
    """uv options for a project command: build only what the gate allowed."""
    args = ["--no-build"]
    for name in permits.sources:
        args += ["--no-binary-package", name]
    if permits.isolated_builds:
        args += ["--require-build-hashes", "--preview-features", PREVIEW_FEATURE]
    return args


def lock_through_gate(
    command: Sequence[str],
    gate: BuildGate,
    index_urls: Callable[[], list[str]],
    env: Mapping[str, str],
) -> None:
    """Run a locking uv ``command`` until it succeeds, letting the gate answer each build
    uv asks for; raises ``BuildBlocked`` or uv's own error otherwise."""
    for _ in range(MAX_BUILD_ROUNDS):
        completed = run_uv_completed([*command, *project_build_args(gate.permits)], env)
        if completed.returncode == 0:
            return
        sources = [n for n in needed_sources(completed.stderr) if n not in gate.permits.sources]
        if sources:
            gate.allow_sources(sources, index_urls(), can_exclude=False)
            continue
        needed = needed_build_requirements(completed.stderr)
        if needed is not None and needed.requirements:
            pins = gate.checked_build_pins(needed, index_urls())
            entries = ", ".join(_constraint_entry(pin) for pin in pins)
            raise UsageError(
                f"uv must build {needed.for_package or 'a source distribution'} here and "
                "safe-pip makes uv require a checked hash for every build dependency; these "
                "were checked, add them to [tool.uv] build-constraint-dependencies in "
                f"pyproject.toml: {entries}"
            )
        raise uv_failure(completed.stderr)
    raise uv_failure("error: uv kept asking to build more than safe-pip allows in one run")


def refuse_unvetted_builds(sync: Sequence[str], env: Mapping[str, str]) -> None:
    """Before ``sync`` (a ``uv sync --frozen`` with the guard's build options, no locking
    run): when uv.lock has a package uv could only install by building it -- whose build
    nothing has vetted -- stop with exit 3, naming the guarded way (``safe-uv sync``)."""
    from safe_pip.installers.uv.inspect_project import dry_run_command

    completed = run_uv_completed(dry_run_command(sync), env)
    names = refused_builds(completed.stderr) if completed.returncode != 0 else []
    if names:
        raise CannotCheckError(
            f"uv.lock has {', '.join(names)} only as source; `uv sync --frozen` would build "
            "it with build requirements safe-pip has not vetted (there is no locking run): "
            "run `safe-uv sync` without --frozen, which checks the build first"
        )


def check_build_pins(
    pyproject: Path | None,
    policy: Policy,
    index_urls: Callable[[], list[str]],
    settings: IndexSettings,
) -> GuardResult | None:
    """Check the project's ``[tool.uv] build-constraint-dependencies`` (what uv will install
    into build environments); None when it pins nothing."""
    from safe_pip.pipeline.check_plan import check_plan

    items = _pinned_build_dependencies(pyproject) if pyproject is not None else []
    if not items:
        return None
    return check_plan(items, policy, index_urls(), record_seen=False, index_settings=settings)


def _pinned_build_dependencies(pyproject: Path) -> list[PlanItem]:
    document = load_toml(pyproject, pyproject.read_text(encoding="utf-8"))
    entries = document.get("tool", {}).get("uv", {}).get("build-constraint-dependencies", [])
    items: list[PlanItem] = []
    for entry in entries if isinstance(entries, list) else []:
        text = entry.get("requirement") if isinstance(entry, dict) else entry
        hashes = entry.get("hashes", []) if isinstance(entry, dict) else []
        item = _exact_pin(str(text), hashes, pyproject)
        if item is not None:
            items.append(item)
    return items


def _exact_pin(text: str, hashes: object, pyproject: Path) -> PlanItem | None:
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        raise UsageError(f"{pyproject}: build-constraint-dependencies: {exc}") from None
    exact = [s.version for s in requirement.specifier if s.operator in ("==", "===")]
    if not exact:
        return None  # a range installs nothing without a hash (--require-build-hashes)
    sha256 = (
        next(
            (h.partition(":")[2] for h in hashes if str(h).startswith("sha256:")),
            None,
        )
        if isinstance(hashes, list)
        else None
    )
    return PlanItem(name=canonicalize_name(requirement.name), version=exact[0], sha256=sha256)


def _constraint_entry(pin: str) -> str:
    requirement, _, digest = pin.partition(" --hash=")
    return f'{{ requirement = "{requirement}", hashes = ["{digest}"] }}'


class ProjectBuildGuard:
    """The build gate of one project command, with its work directory (a context manager)."""

    def __init__(
        self,
        *,
        uv: str,
        global_args: list[str],
        resolve_args: list[str],
        pyproject: Path | None,
        policy: Policy,
        report_options: ReportOptions,
        env: Mapping[str, str],
        settings: IndexSettings,
    ) -> None:
        self._uv, self._global_args, self._env = uv, global_args, env
        self._pyproject, self._report_options, self._settings = pyproject, report_options, settings
        self._request = parse_uv_install_args(resolve_args)
        self._work = tempfile.TemporaryDirectory(prefix="safe-pip-uv-")
        self._index_urls: list[str] | None = None
        self.gate = BuildGate(
            uv_pip=[uv, *global_args, "pip"],
            resolve_args=resolve_args,
            work=Path(self._work.name),
            policy=policy,
            settings=settings,
            env=env,
        )

    def __enter__(self) -> ProjectBuildGuard:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._work.cleanup()

    def index_urls(self) -> list[str]:
        if self._index_urls is None:
            self._index_urls = uv_index_urls(self._uv, self._global_args, self._request, self._env)
        return self._index_urls

    def lock(self, command: list[str]) -> bool:
        """Run the locking ``command`` through the gate; False (reported) when blocked."""
        from safe_pip.pipeline.report import print_verdict

        if not self.pins_pass():
            return False
        try:
            lock_through_gate(command, self.gate, self.index_urls, self._env)
        except BuildBlocked as blocked:
            print_verdict(blocked.result, self._report_options)
            return False
        return True

    def pins_pass(self) -> bool:
        """Check the project's build pins (what uv installs into its build environments);
        False (reported) when one is blocked."""
        from safe_pip.pipeline.report import print_verdict

        pins = check_build_pins(self._pyproject, self.gate.policy, self.index_urls, self._settings)
        if pins is not None and pins.verdict.blocked:
            pins.notes.append("[tool.uv] build-constraint-dependencies of this project")
            print_verdict(pins, self._report_options)
            return False
        return True

    def build_args(self) -> list[str]:
        return project_build_args(self.gate.permits)
