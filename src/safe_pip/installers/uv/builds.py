"""What uv may build while it resolves and installs, told to uv with its own options.

uv runs a source distribution's build backend (and first installs the backend's build
dependencies) whenever it needs an sdist's metadata or a wheel from it. safe-pip therefore
never lets uv build anything it has not checked:

* every uv run gets ``--only-binary :all:``: uv uses wheels only and runs no build backend;
* when uv can only go on by building ``X`` it stops with "Wheels are required for `X`"
  (``needed_sources``); safe-pip checks X's source versions and lets uv build X
  (``--no-binary X``, which uv reads as an exception to ``:all:``) with the versions policy
  does not allow excluded (constraint ``X!=V``);
* every build runs with ``--require-build-hashes``: uv installs a build dependency only when
  ``--build-constraints`` pins it to an exact version and a trusted sha256. Before a build uv
  names the build requirements it could not pin (``needed_build_requirements``); safe-pip
  resolves them (wheels only), checks them and pins each to the checked file.

``BuildPermits`` is what has been allowed so far; its ``args`` go to every uv run of one
install (the plan and the install itself), so the install builds exactly what was checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from safe_pip.errors import UsageError

# uv's words for "I would have to build this sdist, and building is disabled".
_WHEELS_REQUIRED = re.compile(r"Wheels are required for `([^`]+)`")
# uv's words for "these build requirements have no trusted hash" (--require-build-hashes).
_HASH_REQUIRED = "no trusted hash was provided for"
_UNRESOLVED_BUILD = re.compile(r"No solution found when resolving: ((?:`[^`]+`(?:, )?)+)")
_BACKTICKED = re.compile(r"`([^`]+)`")
# uv's words when --no-build keeps it from installing a locked package (``uv sync --frozen``).
_NO_BUILD_REFUSED = re.compile(
    r"Distribution `([^`=\s]+)==[^`]*` can't be installed because it is marked as `--no-build`"
)
_BUILDING = re.compile(r"(?:build|prepare|download and build) `([^`=\s]+)==([^`\s]+)`")

PREVIEW_FEATURE = "build-dependency-hashes"
# What uv builds a project with when it has no ``[build-system] requires`` (PEP 517's default).
LEGACY_BUILD_REQUIREMENTS = ("setuptools>=40.8.0",)
# Settings that make uv build from source what safe-pip has not checked (exceptions to
# ``--only-binary :all:``): refused rather than passed on.
_FORCED_SOURCE_VARIABLES = ("UV_NO_BINARY", "UV_NO_BINARY_PACKAGE")


@dataclass(frozen=True)
class BuildRequirements:
    """Build requirements uv could not pin, and the sdist whose build needs them."""

    requirements: tuple[str, ...]
    for_package: str | None  # ``name==version`` of the sdist being built, when uv says


@dataclass
class BuildPermits:
    """The sdists uv may build and the exact build dependencies it may install for them."""

    sources: list[str] = field(default_factory=list)  # normalized names uv may build
    exclusions: list[str] = field(default_factory=list)  # constraint lines: ``x!=1.0``
    build_pins: list[str] = field(default_factory=list)  # ``x==1.0 --hash=sha256:...``
    isolated_builds: bool = True  # False: the user disabled build isolation
    builds_forbidden: bool = False  # the user said --no-build / --only-binary :all:

    def allow_source(self, name: str, excluded_versions: Sequence[str]) -> None:
        name = _canonical(name)
        if name not in self.sources:
            self.sources.append(name)
        self.exclude(name, excluded_versions)

    def exclude(self, name: str, versions: Sequence[str]) -> None:
        """Keep uv away from these versions of ``name`` (constraint ``name!=version``)."""
        name = _canonical(name)
        for version in versions:
            line = f"{name}!={version}"
            if line not in self.exclusions:
                self.exclusions.append(line)

    def allow_builds_of(self, names: Iterable[str]) -> None:
        """Sources that were checked (or are the user's own code: local directories,
        editables, VCS checkouts), which uv builds to install them; their build dependencies
        still need pins."""
        for name in map(_canonical, names):
            if name not in self.sources:
                self.sources.append(name)

    def pin_build_dependencies(self, lines: Sequence[str]) -> None:
        self.build_pins.extend(line for line in lines if line not in self.build_pins)

    def args(self, work: Path, *, resolving: bool = True) -> list[str]:
        """uv options for one run; the constraint files are written into ``work``.
        ``resolving`` False: for the install from the lock (uv takes no constraints there;
        the lock already keeps to them)."""
        args = ["--only-binary", ":all:"]
        for name in [] if self.builds_forbidden else self.sources:
            args += ["--no-binary", name]
        if self.exclusions and resolving:
            constraints = work / "safe-pip-exclusions.txt"
            constraints.write_text("\n".join(self.exclusions) + "\n", encoding="utf-8")
            args += ["--constraints", str(constraints)]
        if self.build_pins:
            build_constraints = work / "safe-pip-build-constraints.txt"
            build_constraints.write_text("\n".join(self.build_pins) + "\n", encoding="utf-8")
            args += ["--build-constraints", str(build_constraints)]
        if self.isolated_builds:
            args += ["--require-build-hashes", "--preview-features", PREVIEW_FEATURE]
        return args


def permits_for(args: Sequence[str], env: Mapping[str, str]) -> BuildPermits:
    """The starting permits for a command line whose resolution options are ``args``
    (canonical option names, as ``args.parse_uv_install_args`` keeps them)."""
    for variable in _FORCED_SOURCE_VARIABLES:
        if env.get(variable, "").strip():
            raise UsageError(
                f"{variable} makes uv build packages from source before safe-pip has checked "
                "them; unset it (safe-pip lets uv build a source distribution once it is checked)"
            )
    if "--no-binary" in args:
        raise UsageError(
            "uv's --no-binary makes uv build packages from source before safe-pip has checked "
            "them; leave it out (safe-pip lets uv build a source distribution once it is checked)"
        )
    pairs = set(zip(args, args[1:]))
    return BuildPermits(
        isolated_builds="--no-build-isolation" not in args
        and not env.get("UV_NO_BUILD_ISOLATION", "").strip(),
        builds_forbidden="--no-build" in args or ("--only-binary", ":all:") in pairs,
    )


def source_tree_build_requirements(directory: Path) -> tuple[str, ...]:
    """``[build-system] requires`` of a local project (uv's setuptools default without it)."""
    from safe_pip.producers.lockfiles.toml_reading import load_toml

    pyproject = directory / "pyproject.toml"
    if not pyproject.is_file():
        return LEGACY_BUILD_REQUIREMENTS
    build_system = load_toml(pyproject, pyproject.read_text(encoding="utf-8")).get("build-system")
    if not isinstance(build_system, dict) or "requires" not in build_system:
        return LEGACY_BUILD_REQUIREMENTS
    requires = build_system["requires"]
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise UsageError(f"{pyproject}: [build-system] requires must be a list of strings")
    return tuple(requires)


def refused_builds(stderr: str) -> list[str]:
    """The packages a ``uv sync --frozen --no-build`` could only install by building them
    (normalized, in uv's order)."""
    names = [_canonical(name) for name in _NO_BUILD_REFUSED.findall(stderr)]
    return list(dict.fromkeys(names))


def needed_sources(stderr: str) -> list[str]:
    """The packages uv could only use by building them (normalized, in uv's order)."""
    names = [_canonical(name) for name in _WHEELS_REQUIRED.findall(stderr)]
    return list(dict.fromkeys(names))


def needed_build_requirements(stderr: str) -> BuildRequirements | None:
    """The build requirements uv refused to install without a pinned hash, if that is why
    uv stopped."""
    if _HASH_REQUIRED not in stderr:
        return None
    found = _UNRESOLVED_BUILD.search(stderr)
    if found is None:
        return None
    requirements = tuple(_BACKTICKED.findall(found.group(1)))
    building = _BUILDING.search(stderr)
    package = f"{building.group(1)}=={building.group(2)}" if building else None
    return BuildRequirements(requirements=requirements, for_package=package)


def _canonical(name: str) -> str:
    """PEP 503 name; ``packaging.utils`` is imported here, not before uv's first run starts
    (``runs``), as it is slow to import."""
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)
