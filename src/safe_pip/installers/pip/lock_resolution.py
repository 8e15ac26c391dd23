"""What checking a lock file needs from pip, the installer that would install it: the
target interpreter, pip's dry run for requirement lines only a resolver can pin (guarded as
an install is, building nothing), pip's index and network settings, and the target's
environment markers. ``producers.lockfiles.check`` asks through ``PipLockResolver``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from safe_pip.errors import CannotCheckError, PipError, SafePipError, UnsatisfiableError
from safe_pip.index.settings import IndexSettings
from safe_pip.models import Decision, PlanItem
from safe_pip.pipeline.policy import Policy
from safe_pip.producers.lockfiles.model import LockFile
from safe_pip.producers.lockfiles.plan import to_plan

# packaging's default_environment(), computed by the target interpreter (which may not
# have packaging installed).
_MARKER_ENVIRONMENT_SCRIPT = r"""
import json, os, platform, sys
info = sys.implementation.version
version = "{0.major}.{0.minor}.{0.micro}".format(info)
if info.releaselevel != "final":
    version += info.releaselevel[0] + str(info.serial)
print(json.dumps({
    "implementation_name": sys.implementation.name,
    "implementation_version": version,
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}))
"""
_MARKER_ENVIRONMENT_TIMEOUT = 30.0


class PipLockResolver:
    """``producers.lockfiles.check.LockResolver`` with pip, for ``--python`` (or the active
    environment, see ``target_python``), looked up once and only when needed."""

    def __init__(self, python: str | None = None) -> None:
        self._explicit = python
        self._target: str | None = None
        self._environment: dict[str, str] | None = None

    @property
    def target(self) -> str:
        if self._target is None:
            from safe_pip.installers.target_python import resolve_target_python

            self._target = resolve_target_python(self._explicit)
        return self._target

    def resolve(
        self, lock: LockFile, policy: Policy, notes: list[str]
    ) -> tuple[list[PlanItem], list[Decision]]:
        return resolve_unresolved(lock, self.target, policy, notes)

    def index_settings(
        self, *, required: bool, meanwhile: Callable[[], object] | None = None
    ) -> IndexSettings | None:
        return pip_settings(self.target, required=required, meanwhile=meanwhile)

    def marker_environment(self) -> Mapping[str, str]:
        if self._environment is None:
            self._environment = marker_environment(self.target)
        return self._environment


def marker_environment(python: str) -> dict[str, str]:
    """The values environment markers are evaluated with in ``python``."""
    if Path(python) == Path(sys.executable):
        from packaging.markers import default_environment

        return {key: str(value) for key, value in default_environment().items()}
    try:
        done = subprocess.run(
            [python, "-I", "-S", "-c", _MARKER_ENVIRONMENT_SCRIPT],
            capture_output=True,
            text=True,
            timeout=_MARKER_ENVIRONMENT_TIMEOUT,
        )
        answer = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError):
        answer = None
    if not isinstance(answer, dict):
        raise CannotCheckError(f"cannot read the environment markers of {python}")
    return {str(key): str(value) for key, value in answer.items()}


def resolve_unresolved(
    lock: LockFile, python: str, policy: Policy, notes: list[str]
) -> tuple[list[PlanItem], list[Decision]]:
    """Resolve ``lock.unresolved`` with pip's dry run, guarded as an install is and building
    nothing; complete pins are constraints. Returns the resolved items and the decisions that
    stopped the resolution early (a blocked candidate, ``NEEDS-BUILD``).

    Items for packages the file pins completely are left out (they are checked as pinned).
    Exact pins the resolution did not reach (it stopped early) are checked as written, with a
    note in ``notes``. (A file of nothing but exact pins is never resolved: ``lockfiles.check``
    checks it as written.)
    """
    from safe_pip.installers.pip.one_pass import audit

    pinned_versions: dict[str, set[str]] = {}
    for package in lock.packages:
        pinned_versions.setdefault(package.name, set()).add(package.version)
    constraints = [f"{name}=={v.pop()}" for name, v in pinned_versions.items() if len(v) == 1]
    with tempfile.TemporaryDirectory(prefix="safe-pip-check-") as tmp:
        requirements_file = Path(tmp) / "requirements.txt"
        requirements_file.write_text("\n".join([*lock.resolver_options, *lock.unresolved]) + "\n")
        constraints_file = Path(tmp) / "constraints.txt"
        constraints_file.write_text("\n".join(constraints) + "\n")
        args = ["--ignore-installed", "-r", str(requirements_file), "-c", str(constraints_file)]
        for extra in lock.constraint_files:
            args += ["-c", str(extra)]
        try:
            found = audit(python, args, policy)
        except (PipError, UnsatisfiableError) as exc:
            # conflicting pins, or a pin with no distribution for this Python, beside lines
            # only a resolver can pin: pip's error in the user's file and lines
            told = _in_the_users_terms(exc, lock, requirements_file)
            if lock.exact_pins:
                from safe_pip.producers.lockfiles.check import UnresolvableFile

                raise UnresolvableFile(told) from None
            raise told from None
    items = [item for item in found.items if item.name not in pinned_versions]
    reached = {item.name for item in items} | {d.finding.name for d in found.decisions}
    as_written = [pin for pin in lock.exact_pins if pin.name not in reached]
    if as_written:
        notes.append(
            "the resolution stopped early: checked "
            f"{', '.join(f'{pin.name}=={pin.version}' for pin in as_written)} as written, "
            "without their dependencies"
        )
    return items + to_plan(as_written), found.decisions


def _in_the_users_terms(exc: SafePipError, lock: LockFile, resolved_file: Path) -> SafePipError:
    """pip's error about the temporary requirements file safe-pip handed it, told in the
    user's file and lines: ``-r TMP (line N)`` becomes ``FILE:LINE: REQUIREMENT``, and the
    user's lines of the projects pip names are listed under pip's explanation."""
    user_lines = _requirement_lines(lock.path)
    first = len(lock.resolver_options)

    def users_line(match: re.Match[str]) -> str:
        position = int(match.group(1)) - 1 - first
        if 0 <= position < len(lock.unresolved):
            requirement = lock.unresolved[position]
            for number, text, _ in user_lines:
                if text == requirement:
                    return f"{lock.path}:{number}: {requirement}"
            return f"{lock.path}: {requirement}"
        return str(lock.path)

    pattern = re.compile(rf"-r {re.escape(str(resolved_file))} \(line (\d+)\)")

    def told(text: str) -> str:
        text = pattern.sub(users_line, text)
        return text.replace(str(resolved_file.parent), f"(safe-pip's copy of {lock.path.name})")

    said = f"{exc}\n{exc.details}".lower()
    named = [
        f"  {lock.path}:{number}: {text}"
        for number, text, name in user_lines
        if name and re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", said)
    ]
    details = told(exc.details)
    if named:
        details += f"\nthe lines of {lock.path} that pip names:\n" + "\n".join(named)
    error = type(exc)(told(str(exc)))
    error.details = details
    return error


def _requirement_lines(path: Path) -> list[tuple[int, str, str | None]]:
    """(line number, requirement text, project name) of each requirement line of ``path``."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    found: list[tuple[int, str, str | None]] = []
    for number, line in enumerate(text.splitlines(), 1):
        requirement = line.split(" #")[0].strip()
        if not requirement or requirement.startswith(("#", "-")):
            continue
        try:
            name: str | None = canonicalize_name(Requirement(requirement).name)
        except InvalidRequirement:
            name = None
        found.append((number, requirement, name))
    return found


def pip_settings(
    python: str, *, required: bool, meanwhile: Callable[[], object] | None = None
) -> IndexSettings | None:
    """pip's configured index URLs and network settings for ``python``: what an install would
    have used. Without pip in that environment (e.g. a uv-made venv) the lock file's own index
    URLs are still checked, with default network settings, unless pip's index is ``required``.
    ``meanwhile`` runs while the target pip works out its answer (~0.1 s of waiting)."""
    from safe_pip.installers.pip.args import parse_install_args
    from safe_pip.installers.pip.config import start_effective_index_urls

    try:
        with start_effective_index_urls(python, parse_install_args([])) as pending:
            if meanwhile is not None:
                meanwhile()
            return pending.result()
    except PipError:
        if required:
            raise
        return None
