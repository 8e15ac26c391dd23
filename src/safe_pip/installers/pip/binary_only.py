"""The fail-open fallback runs no package code: wheels only, or nothing.

When the guard cannot load into this pip and policy says ``fail-mode = "open"``, safe-pip
plans with pip's dry run and installs the checked plan (``PipInstaller``). Nothing gates that
dry run, so it must not build anything: pip gets ``--only-binary=:all:`` after every other
option (it wins over ``--no-binary`` on the command line, in pip's config and environment),
and what pip would build whatever that option says -- a local project, an archive or VCS URL,
an editable, a requirements file safe-pip cannot read first or one that sets
``--no-binary`` -- is refused before pip starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from safe_pip.installers.pip.args import InstallArgs
from safe_pip.producers.requirements_file import is_remote, read_requirements_file

ONLY_BINARY = "--only-binary=:all:"
NOT_CHECKED = (
    "with fail-mode open, pip plans with its dry run and only wheels are allowed: nothing is "
    "built from source, so no package code runs before the check; steering to allowed "
    "versions is off (a blocked version blocks the install)"
)


def binary_only_args(pip_args: Sequence[str]) -> list[str]:
    """``pip_args`` with ``--only-binary=:all:`` after every option (before a ``--``)."""
    args = list(pip_args)
    end = args.index("--") if "--" in args else len(args)
    return [*args[:end], ONLY_BINARY, *args[end:]]


def built_from_source(install_args: InstallArgs) -> list[str]:
    """What pip would build even with ``--only-binary=:all:``, as the user wrote it."""
    culprits = [f"-e {editable}" for editable in install_args.editables]
    culprits += [text for text in install_args.requirements if not _named(text)]
    for file in install_args.requirement_inputs:
        if is_remote(file):
            culprits.append(f"-r {file} (a remote requirements file is not read beforehand)")
            continue
        for entry in read_requirements_file(Path(file), read_constraints=True):
            by_location = entry.parsed is None or entry.parsed.url is not None
            if entry.requirement is not None and by_location:
                culprits.append(f"{entry.requirement} ({entry.location})")
            elif entry.option is not None and entry.option.name in ("--no-binary", "--editable"):
                culprits.append(f"{entry.option.as_line()} ({entry.location})")
    return culprits


def _named(text: str) -> bool:
    """A requirement pip looks up on an index (``name[extras] specifiers; markers``)."""
    try:
        return Requirement(text).url is None
    except InvalidRequirement:
        return False
