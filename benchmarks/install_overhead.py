"""How much do ``safe-pip install`` and the pip hook add to ``pip install`` for the same plan?

For each plan, the same install runs three ways into fresh venvs, interleaved round by round:
plain ``pip install``, ``safe-pip install`` (pip runs once, with the guard inside it) and
plain ``pip install`` in a venv hooked with ``safe-pip hook install``. Round 0 warms pip's
cache and safe-pip's records and is not counted; the table shows medians and their ratio to
plain pip. The advisory database is built from the real PyPA snapshot.

Indexes: ``local`` -- the test suite's ``LocalIndex`` on 127.0.0.1 with a 5-package and a
40-package plan of generated wheels; ``real`` -- the index pip is configured with on this
machine (its own config and ``PIP_*`` variables), with ``requests`` (5 packages) and a
~40-package plan; skipped when that index cannot be reached.

    python benchmarks/install_overhead.py [--rounds 5] [--pip bundled|newest]
                                          [--index local|real|both]

Not a test: it prints numbers for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.index_server import LocalIndex  # noqa: E402
from support.isolation import isolated_env  # noqa: E402
from support.venvs import BUNDLED, NEWEST, VenvTemplates, venv_python  # noqa: E402

SNAPSHOT = REPO.parent / "shared" / "advisories" / "osv-pypi-pysec.zip"
WAYS = ("plain", "safe-pip install", "hooked")
# Real-index plans: requests and its 4 dependencies; a documentation/web stack of ~40.
REAL_PLANS = {
    "requests (5)": ["requests"],
    "~40 packages": ["sphinx", "flask", "requests", "rich", "pytest"],
}


@dataclass
class Plan:
    title: str
    index_url: str
    requirements: list[str]


def local_plans(index: LocalIndex) -> list[Plan]:
    plans = []
    for size in (5, 40):
        leaves = [f"bench{size}leaf{i}" for i in range(size - 1)]
        for leaf in leaves:
            index.add(leaf, "1.0")
        index.add(f"bench{size}top", "1.0", requires=leaves)
        plans.append(Plan(f"{size} packages", index.url, [f"bench{size}top"]))
    return plans


def timed(cmd: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(list(cmd), env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{result.stderr[-2000:]}")
    return elapsed


def measure(
    plan: Plan, kind: str, rounds: int, work: Path, env: dict[str, str]
) -> dict[str, list[float]]:
    templates = VenvTemplates(work / f"templates-{plan.title}", sys.executable)
    safe_pip = [sys.executable, "-m", "safe_pip"]
    index = ["--index-url", plan.index_url] if plan.index_url else []
    samples: dict[str, list[float]] = {way: [] for way in WAYS}
    for n in range(rounds + 1):  # round 0 warms the caches
        for way in WAYS:
            python = venv_python(templates.copy(kind, work / f"venv-{plan.title}-{way}-{n}"))
            if way == "hooked":
                timed([*safe_pip, "hook", "install", "--python", str(python)], env)
            if way == "safe-pip install":
                command = [*safe_pip, "install", "--python", str(python)]
            else:
                command = [str(python), "-m", "pip", "install"]
            elapsed = timed([*command, *index, *plan.requirements], env)
            if n:
                samples[way].append(elapsed)
    return samples


def report(plan: Plan, samples: dict[str, list[float]]) -> str:
    """The medians, each way's ratio of medians to plain pip, and the median of the ratios
    round by round ("paired": each round runs the three ways back to back, so a slower
    spell of the shared machine or the network weighs on all three alike)."""
    plain = statistics.median(samples["plain"])
    cells = [f"{plain * 1000:.0f} ms"]
    for way in WAYS[1:]:
        value = statistics.median(samples[way])
        paired = statistics.median(w / p for w, p in zip(samples[way], samples["plain"]))
        cells.append(f"{value * 1000:.0f} ms (x{value / plain:.2f}; paired x{paired:.2f})")
    return f"| {plan.title} | " + " | ".join(cells) + " |"


def real_index_env(work: Path) -> dict[str, str]:
    """The machine's own pip configuration, with safe-pip's data in ``work``."""
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env["SAFE_PIP_CACHE_DIR"] = str(work / "safe-pip-cache")
    env["SAFE_PIP_CONFIG_FILE"] = str(work / "no-config.toml")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def real_index_reachable(env: dict[str, str]) -> bool:
    probe = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-d", tempfile.mkdtemp(), "idna"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    return probe.returncode == 0


def compile_sources() -> None:
    """As installed for real: byte-code compiled once, not compiled again on every start."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src")], check=True)


def each_plan(which: str, work: Path) -> Iterator[tuple[Plan, dict[str, str]]]:
    """The plans of ``which`` index ("local", "real" or "both"), each with the environment to
    run it in (safe-pip's records in ``work``, its database built from the PyPA snapshot)."""
    safe_pip = [sys.executable, "-m", "safe_pip"]
    if which in ("local", "both"):
        env = isolated_env(work / "env")
        timed([*safe_pip, "db", "update", "--source", str(SNAPSHOT)], env)
        with LocalIndex(work / "index") as index:
            for plan in local_plans(index):
                plan.title = f"local, {plan.title}"
                yield plan, env
    if which in ("real", "both"):
        env = real_index_env(work)
        if not real_index_reachable(env):
            print("| real index | not reachable: skipped |")
            return
        timed([*safe_pip, "db", "update", "--source", str(SNAPSHOT)], env)
        for title, requirements in REAL_PLANS.items():
            yield Plan(f"real index, {title}", "", requirements), env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pip", choices=[BUNDLED, NEWEST], default=BUNDLED)
    parser.add_argument("--index", choices=["local", "real", "both"], default="both")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="safe-pip-bench-"))
    compile_sources()
    print(f"pip: {args.pip}, rounds: {args.rounds}, medians (ratios to plain pip: see report())")
    print("| plan | pip install | safe-pip install | pip install, hooked venv |")
    print("|---|---|---|---|")
    for plan, env in each_plan(args.index, work):
        print(report(plan, measure(plan, args.pip, args.rounds, work, env)), flush=True)


if __name__ == "__main__":
    main()
