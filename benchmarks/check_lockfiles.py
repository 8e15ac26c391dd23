"""How long does ``safe-pip check`` take on ~150-package lock files, cold and warm?

Serves a local index on 127.0.0.1 (the test suite's ``LocalIndex``, sending ETags and answering
``If-None-Match`` with 304 as real indexes do) with 150 projects of 121 files each (one real
wheel plus 40 older versions x 3 files, ~18,000 files in all, like the pages of popular
projects), locks all 150 with uv (``requirements.txt`` with hashes, ``uv.lock``, and
``pylock.toml`` exported by uv), builds the advisory database from the real PyPA snapshot, then
checks each file, interleaved:

* ``before``: safe-pip as of ``--before REV`` (default: the commit before the page cache), run
  from an exported copy of that revision's ``src/``;
* ``cold``: this safe-pip with an empty index page cache;
* ``warm``: this safe-pip with the pages cached by the previous run (every page revalidated).

    python benchmarks/check_lockfiles.py [--rounds 5] [--before REV]

Not a test: it prints a table for the README.
"""

from __future__ import annotations

import argparse
import io
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.index_server import LocalIndex  # noqa: E402
from support.isolation import isolated_env  # noqa: E402
from support.uv_helpers import UV, compile_requirements, lock_project  # noqa: E402

SNAPSHOT = REPO.parent / "shared" / "advisories" / "osv-pypi-pysec.zip"
PROJECTS = [f"benchpkg{number:03d}" for number in range(150)]
OLD_VERSIONS = 40
TAGS = ("py3-none-any", "cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-win_amd64")
DEFAULT_BEFORE = "58a4f26"  # main just before the index page cache landed


def publish(index: LocalIndex) -> None:
    for name in PROJECTS:
        index.add(name, "9.0")
        for minor in range(OLD_VERSIONS):
            version = f"0.{minor}"
            for tag in TAGS:
                filename = f"{name}-{version}-{tag}.whl"
                metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                index.add_file(
                    name, version, filename, filename.encode(), metadata=metadata.encode()
                )


def export_revision(revision: str, destination: Path) -> Path:
    """``src/`` of ``revision`` in ``destination``; the directory to put on PYTHONPATH."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, "src"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination / "src"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, the command and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):
        raise SystemExit(f"benchmark command failed: {' '.join(command)}\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", default=DEFAULT_BEFORE)
    args = parser.parse_args()
    if not UV.exists():
        raise SystemExit(f"uv is needed to write the lock files (looked for {UV})")

    work = Path(tempfile.mkdtemp(prefix="safe-pip-bench-check-"))
    try:
        measure(work, args.rounds, args.before)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # ~18,000 index files


def measure(work: Path, rounds: int, before: str) -> None:
    env = isolated_env(work / "env")
    safe_pip = [sys.executable, "-m", "safe_pip"]
    before_src = export_revision(before, work / "before")
    # Its own cache dir: the database format may differ between the two revisions.
    before_cache = str(work / "before-cache")
    before_env = dict(env, PYTHONPATH=str(before_src), SAFE_PIP_CACHE_DIR=before_cache)
    # Byte-code for both, as an installed safe-pip has (PYTHONDONTWRITEBYTECODE may be set).
    for source in (before_src, REPO / "src"):
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(source)], check=True)
    page_cache = Path(env["SAFE_PIP_CACHE_DIR"]) / "index-pages"
    for database_env in (env, before_env):
        update = [*safe_pip, "db", "update", "--source", str(SNAPSHOT)]
        subprocess.run(update, env=database_env, check=True)

    with LocalIndex(work / "index", validators=True) as index:
        publish(index)
        requirements = compile_requirements(work / "req", index, PROJECTS, env)
        project = work / "project"
        uv_lock = lock_project(project, index, PROJECTS, env)
        pylock = project / "pylock.toml"
        subprocess.run(
            [UV, "export", "--format", "pylock.toml", "--quiet", "-o", str(pylock)],
            env=env,
            cwd=project,
            check=True,
        )
        locks = {"requirements.txt": requirements, "uv.lock": uv_lock, "pylock.toml": pylock}
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
        requests: dict[tuple[str, str], int] = {}
        for round_number in range(rounds + 1):  # round 0 warms the OS and pip caches
            for label, lock in locks.items():
                for variant in ("before", "cold", "warm"):
                    if variant == "cold":
                        shutil.rmtree(page_cache, ignore_errors=True)
                    run_env = before_env if variant == "before" else env
                    command = [*safe_pip, "check", str(lock), "--index-url", index.url]
                    index.clear_log()
                    elapsed = timed(command, run_env)
                    if round_number:
                        samples.setdefault((label, variant), []).append(elapsed)
                        requests[(label, variant)] = len(index.request_log)

    print(f"{len(PROJECTS)} projects, {len(PROJECTS) * (1 + OLD_VERSIONS * len(TAGS))} files")
    print(f"medians of {rounds} interleaved runs: wall / CPU seconds, page requests\n")
    print("| lock file | before | cold cache | warm cache |")
    print("|---|---|---|---|")
    for label in locks:
        cells = []
        for variant in ("before", "cold", "warm"):
            runs = samples[(label, variant)]
            wall = statistics.median(wall for wall, _ in runs)
            cpu = statistics.median(cpu for _, cpu in runs)
            cells.append(f"{wall:.2f} / {cpu:.2f} s, {requests[(label, variant)]}")
        print(f"| `{label}` | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
