"""The standard world the end-to-end tests install from.

Packages on the local index (all built by the tests) and the advisories that describe them
(hand-written OSV records in ``tests/data/osv-local``):

| package            | what it is                                               |
|--------------------|----------------------------------------------------------|
| cleanlib 1.0       | no known problems (a withdrawn advisory names it)        |
| app 1.0            | clean itself, depends on ``vulnlib<1.1`` (transitive)    |
| vulnlib 1.0 / 1.1  | 1.0 affected by PYSEC-2099-1 = GHSA-aaaa-bbbb-cccc; 1.1 fixed |
| lowsev 1.0         | a low-severity (CVSS 2.0) vulnerability, fixed in 2.0     |
| evilpkg 0.1        | malicious (MAL-2099-7)                                   |
| oldpkg 1.0 / 1.1   | 1.0 yanked ("broken build, use 1.1")                      |

Published only by the tests that need them (``publish_build_attacks``, ``publish_steering``):

| package            | what it is                                               |
|--------------------|----------------------------------------------------------|
| evilsdist 1.0      | malicious (MAL-2099-8), an sdist only: its build writes the marker |
| evilbuild 1.0      | malicious (MAL-2099-9), a wheel whose import writes the marker |
| buildapp 1.0       | clean sdist whose ``[build-system] requires = ["evilbuild"]`` |
| steerpkg 1.1 / 1.2 / 2.0 | 1.2 affected by PYSEC-2099-4; 1.1 and 2.0 clean      |
"""

from __future__ import annotations

from pathlib import Path

from support.index_server import LocalIndex
from support.sdists import marker_wheel_files, sdist_bytes, sdist_filename

OSV_LOCAL = Path(__file__).resolve().parents[1] / "data" / "osv-local"

VULN_ID = "PYSEC-2099-1"
VULN_ALIAS = "GHSA-aaaa-bbbb-cccc"
LOW_SEVERITY_ID = "PYSEC-2099-2"
MALICIOUS_ID = "MAL-2099-7"
YANK_REASON = "broken build, use 1.1"
MALICIOUS_SDIST_ID = "MAL-2099-8"
MALICIOUS_BUILD_DEP_ID = "MAL-2099-9"
STEER_VULN_ID = "PYSEC-2099-4"


def publish_standard_packages(index: LocalIndex) -> None:
    index.add("cleanlib", "1.0")
    index.add("app", "1.0", requires=["vulnlib<1.1"])
    index.add("vulnlib", "1.0")
    index.add("vulnlib", "1.1")
    index.add("lowsev", "1.0")
    index.add("evilpkg", "0.1")
    index.add("oldpkg", "1.0", yanked=YANK_REASON)
    index.add("oldpkg", "1.1")


def publish_build_attacks(index: LocalIndex, marker: Path) -> None:
    """The sdist attacks: code that runs while pip prepares or builds, writing ``marker``."""
    index.add_file(
        "evilsdist",
        "1.0",
        sdist_filename("evilsdist", "1.0"),
        sdist_bytes("evilsdist", "1.0", marker=marker),
    )
    index.add("evilbuild", "1.0", files=marker_wheel_files("evilbuild", marker))
    index.add_file(
        "buildapp",
        "1.0",
        sdist_filename("buildapp", "1.0"),
        sdist_bytes("buildapp", "1.0", build_requires=["evilbuild"], backend_imports=["evilbuild"]),
    )


def publish_steering(index: LocalIndex) -> None:
    """steerpkg: 1.2 vulnerable between a clean 1.1 and a clean 2.0."""
    for version in ("1.1", "1.2", "2.0"):
        index.add("steerpkg", version)


def build_advisory_db(env: dict[str, str], source: Path = OSV_LOCAL) -> Path:
    """Build the advisory DB from ``source`` into the cache dir ``env`` points safe-pip at."""
    from safe_pip.advisories.update import update_database

    db_path = Path(env["SAFE_PIP_CACHE_DIR"]) / "advisories.sqlite"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    update_database(source=str(source), db_path=db_path)
    return db_path


def pinned_vulnerable_requirements(index: LocalIndex, directory: Path) -> Path:
    """``directory/requirements.txt`` pinning ``vulnlib==1.0`` with its real hash (on line 3):
    ``safe-pip check`` takes it as written, so no pip run is needed."""
    hosted = next(f for f in index.hosted_files("vulnlib") if "1.0" in f.filename)
    requirements = directory / "requirements.txt"
    requirements.write_text(
        f"--index-url {index.url}\n\nvulnlib==1.0 --hash=sha256:{hosted.sha256}\n"
    )
    return requirements
