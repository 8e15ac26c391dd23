"""Which of uv.lock's wheels ``safe-uv sync`` opens: the one uv installs here."""

from __future__ import annotations

import sys

from packaging import tags

from safe_pip.installers.uv.inspect_project import best_wheels, dry_run_command, tag_ranking
from safe_pip.producers.lockfiles.model import LockedArtifact, LockedPackage

HERE = f"{sys.version_info.major}.{sys.version_info.minor}.0"
CP = f"cp{sys.version_info.major}{sys.version_info.minor}"


def _package(*filenames: str) -> LockedPackage:
    artifacts = tuple(
        LockedArtifact(filename=name, url=f"https://files.invalid/{name}", sha256="a" * 64)
        for name in filenames
    )
    return LockedPackage(name="lib", version="1.0", artifacts=artifacts)


def test_the_dry_run_replaces_the_users_output_format() -> None:
    sync = ["uv", "sync", "--frozen", "--output-format", "text", "--output-format=text", "-q"]
    assert dry_run_command(sync) == [
        "uv", "sync", "--frozen", "-q", "--dry-run", "--output-format", "json"
    ]  # fmt: skip


def test_a_platform_wheel_for_this_interpreter_ranks_before_the_pure_one() -> None:
    platform = next(iter(tags.platform_tags()))
    native = f"lib-1.0-{CP}-{CP}-{platform}.whl"
    package = _package(
        "lib-1.0.tar.gz", "lib-1.0-py3-none-any.whl", native, "lib-1.0-cp27-cp27m-win32.whl"
    )

    chosen = best_wheels([package], tag_ranking(HERE, "cpython", ["uv", "sync"]))

    assert [item.filename for item in chosen] == [native]


def test_no_wheel_for_this_interpreter_means_uv_builds_it() -> None:
    package = _package("lib-1.0.tar.gz", "lib-1.0-cp27-cp27m-win32.whl")
    assert best_wheels([package], tag_ranking(HERE, "cpython", ["uv", "sync"])) == []


def test_another_platform_opens_every_wheel_of_the_version() -> None:
    package = _package("lib-1.0.tar.gz", "lib-1.0-py3-none-any.whl", "lib-1.0-cp27-cp27m-win32.whl")
    ranking = tag_ranking(HERE, "cpython", ["uv", "sync", "--python-platform", "windows"])

    chosen = best_wheels([package], ranking)

    assert sorted(item.filename or "" for item in chosen) == [
        "lib-1.0-cp27-cp27m-win32.whl",
        "lib-1.0-py3-none-any.whl",
    ]
