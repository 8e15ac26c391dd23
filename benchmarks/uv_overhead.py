"""How much does ``safe-uv pip install`` add to ``uv pip install`` for the same plan?

Small / medium / large plans (5, 40 and 150 distributions) served by the test suite's
``LocalIndex`` on 127.0.0.1; with ``--real``, also three requirement sets from the index uv
is configured with (its default when nothing is configured). Every run installs into a fresh
venv, plain and guarded interleaved, after a warm-up round (warm uv cache, warm safe-pip
records); the advisory database is the real PyPA snapshot. safe-pip's byte-code is compiled
first, as an install of it has it (``install_overhead.compile_sources``).

    python benchmarks/uv_overhead.py [--rounds 5] [--real]

Not a test: it prints the table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from install_overhead import compile_sources  # noqa: E402

from support.index_server import LocalIndex  # noqa: E402
from support.isolation import isolated_env  # noqa: E402

SNAPSHOT = REPO.parent / "shared" / "advisories" / "osv-pypi-pysec.zip"
UV = Path(sys.executable).parent / "uv"
SAFE_UV = Path(sys.executable).parent / "safe-uv"  # the entry point users run
LOCAL_PLANS = {"small": 5, "medium": 40, "large": 150}
# Requirement sets for the real index (names only; uv's configured index serves them).
REAL_PLANS = {
    "small": ["requests"],
    "medium": ["flask", "sphinx", "httpx"],
    "large": ["jupyterlab", "pandas", "matplotlib"],
}


def publish(index: LocalIndex, label: str, size: int) -> str:
    """``size`` distributions: a top package and a two-level tree below it; returns the top."""
    leaves = [f"bench-{label}-leaf{i}" for i in range(size - 1 - (size - 1) // 5)]
    mids = [f"bench-{label}-mid{i}" for i in range((size - 1) // 5)]
    for leaf in leaves:
        index.add(leaf, "1.0")
    for number, mid in enumerate(mids):
        index.add(mid, "1.0", requires=leaves[number * 4 : number * 4 + 4])
    top = f"bench-{label}-top"
    index.add(top, "1.0", requires=mids + leaves[len(mids) * 4 :])
    return top


def timed(cmd: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(list(cmd), env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def fresh_venv(path: Path, env: dict[str, str]) -> Path:
    subprocess.run(
        [str(UV), "venv", "-q", "--python", sys.executable, str(path)], env=env, check=True
    )
    return path / "bin" / "python"


def measure(
    work: Path,
    env: dict[str, str],
    label: str,
    requirements: list[str],
    extra: list[str],
    rounds: int,
) -> tuple[tuple[float, float], tuple[float, float], int]:
    """(median plain (wall, CPU) seconds, the same guarded, planned distributions)."""
    plain: list[tuple[float, float]] = []
    guarded: list[tuple[float, float]] = []
    for n in range(rounds + 1):  # round 0 warms uv's cache and safe-pip's records
        for kind, times in (("plain", plain), ("guarded", guarded)):
            python = fresh_venv(work / f"venv-{label}-{kind}-{n}", env)
            base = [str(UV)] if kind == "plain" else [str(SAFE_UV)]
            command = [*base, "pip", "install", "--python", str(python), *extra, *requirements]
            elapsed = timed(command, env)
            if n:
                times.append(elapsed)
    listing = subprocess.run(
        [str(UV), "pip", "list", "--python", str(python), "--format", "freeze"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return _medians(plain), _medians(guarded), len(listing.stdout.split())


def _medians(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--real", action="store_true", help="also use uv's configured index")
    args = parser.parse_args()

    compile_sources()
    work = Path(tempfile.mkdtemp(prefix="safe-pip-uv-bench-"))
    env = isolated_env(work / "env")
    timed([sys.executable, "-m", "safe_pip", "db", "update", "--source", str(SNAPSHOT)], env)
    rows: list[tuple[str, tuple[float, float], tuple[float, float], int]] = []
    with LocalIndex(work / "index") as index:
        tops = {label: publish(index, label, size) for label, size in LOCAL_PLANS.items()}
        for label, top in tops.items():
            extra = ["--index-url", index.url]
            plain, guarded, count = measure(work, env, label, [top], extra, args.rounds)
            rows.append((f"local {label}", plain, guarded, count))
    if args.real:
        for label, requirements in REAL_PLANS.items():
            plain, guarded, count = measure(
                work, env, f"real-{label}", requirements, [], args.rounds
            )
            rows.append((f"real {label}", plain, guarded, count))

    print("| plan | packages | `uv pip install` | `safe-uv pip install` | ratio | CPU ratio |")
    print("|---|---|---|---|---|---|")
    for name, plain, guarded, count in rows:
        wall = (
            f"{plain[0] * 1000:.0f} ms | {guarded[0] * 1000:.0f} ms | x{guarded[0] / plain[0]:.2f}"
        )
        print(f"| {name} | {count} | {wall} | x{guarded[1] / plain[1]:.2f} |")


if __name__ == "__main__":
    main()
