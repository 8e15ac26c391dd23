"""How much do ``safe-pip install`` and the pip hook add to ``pip install`` for the same plan?

Serves a local index on 127.0.0.1 (the test suite's ``LocalIndex``) holding a small
dependency tree, builds the advisory database from the real PyPA snapshot, then installs
the same plan into fresh venvs with plain pip, with ``safe-pip install`` and with plain pip in
a hooked venv (``safe-pip hook install``), interleaved, warm caches.
Also times ``safe-pip db update`` on the snapshot.

    python benchmarks/install_overhead.py [--rounds 7] [--pip bundled|newest]

Not a test: it prints numbers for the README.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.index_server import LocalIndex  # noqa: E402
from support.isolation import isolated_env  # noqa: E402
from support.venvs import BUNDLED, NEWEST, VenvTemplates, venv_python  # noqa: E402

SNAPSHOT = REPO.parent / "shared" / "advisories" / "osv-pypi-pysec.zip"
# A plan of 10 distributions: top -> a..i (names that also appear in the real advisory data
# would be matched against it; these are clean).
LEAVES = [f"benchleaf{i}" for i in range(9)]


def publish(index: LocalIndex) -> None:
    for leaf in LEAVES:
        index.add(leaf, "1.0")
    index.add("benchtop", "1.0", requires=LEAVES)


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pip", choices=[BUNDLED, NEWEST], default=BUNDLED)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="safe-pip-bench-"))
    env = isolated_env(work / "env")
    templates = VenvTemplates(work / "templates", sys.executable)
    safe_pip = [sys.executable, "-m", "safe_pip"]

    db_times = [
        timed([*safe_pip, "db", "update", "--source", str(SNAPSHOT)], env) for _ in range(3)
    ]
    with LocalIndex(work / "index") as index:
        publish(index)
        samples: dict[str, list[float]] = {"plain": [], "guarded": [], "hooked": []}
        for n in range(args.rounds + 1):  # round 0 warms pip's cache and safe-pip's records
            for label, times in samples.items():
                python = venv_python(templates.copy(args.pip, work / f"venv-{label}-{n}"))
                if label == "guarded":
                    command = [*safe_pip, "install", "--python", str(python)]
                else:
                    command = [str(python), "-m", "pip", "install"]
                if label == "hooked":
                    timed([*safe_pip, "hook", "install", "--python", str(python)], env)
                elapsed = timed([*command, "--index-url", index.url, "benchtop"], env)
                if n:
                    times.append(elapsed)

    plain = statistics.median(samples["plain"])
    print(f"pip: {args.pip}, plan: {len(LEAVES) + 1} packages, rounds: {args.rounds}")
    print(f"pip install                  median {plain * 1000:6.0f} ms")
    for label, title in (("guarded", "safe-pip install"), ("hooked", "pip install, hooked venv")):
        value = statistics.median(samples[label])
        print(
            f"{title:28s} median {value * 1000:6.0f} ms"
            f"  (+{(value - plain) * 1000:.0f} ms, x{value / plain:.2f})"
        )
    print(f"db update (shared PyPA zip, 2661 records) median {statistics.median(db_times):.2f} s")


if __name__ == "__main__":
    main()
