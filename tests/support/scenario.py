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
"""

from __future__ import annotations

from pathlib import Path

from support.index_server import LocalIndex

OSV_LOCAL = Path(__file__).resolve().parents[1] / "data" / "osv-local"

VULN_ID = "PYSEC-2099-1"
VULN_ALIAS = "GHSA-aaaa-bbbb-cccc"
LOW_SEVERITY_ID = "PYSEC-2099-2"
MALICIOUS_ID = "MAL-2099-7"
YANK_REASON = "broken build, use 1.1"


def publish_standard_packages(index: LocalIndex) -> None:
    index.add("cleanlib", "1.0")
    index.add("app", "1.0", requires=["vulnlib<1.1"])
    index.add("vulnlib", "1.0")
    index.add("vulnlib", "1.1")
    index.add("lowsev", "1.0")
    index.add("evilpkg", "0.1")
    index.add("oldpkg", "1.0", yanked=YANK_REASON)
    index.add("oldpkg", "1.1")


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
