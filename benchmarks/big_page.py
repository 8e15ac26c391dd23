"""One project page of 20,000 files and a project with ~240 advisories (issue 16, item 6).

A generated project on the test suite's ``LocalIndex``: ``--versions`` versions (default
10,000, a few pre-releases among them), each published as a ``py3-none-any`` wheel and an
sdist, 20,000 files on one page; only the newest is a real wheel (pip downloads nothing
else). ``--advisories`` OSV records (default 240) name the project: ``introduced``/``fixed``
ranges, ``last_affected`` ends, ``limit`` caps, explicit ``versions`` lists and a few
unreadable events, spread over the versions, none affecting the newest.

Then, interleaved round by round into fresh venvs (round 0 warms the caches and is not
counted): plain ``pip install --dry-run bigproj`` and ``safe-pip install --dry-run``, and
the median of each with its ratio.

    python benchmarks/big_page.py [--rounds 3] [--versions 10000] [--advisories 240]

Not a test: it prints numbers for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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
from support.venvs import BUNDLED, VenvTemplates, venv_python  # noqa: E402

PROJECT = "bigproj"


def version_list(count: int) -> list[str]:
    versions = []
    for number in range(count - 1):
        major, rest = divmod(number, 1000)
        minor, patch = divmod(rest, 100)
        versions.append(f"{major}.{minor}.{patch}")
        if patch == 50:
            versions.append(f"{major}.{minor}.{patch + 1}rc1")
    versions = versions[: count - 1]
    versions.append(f"{count}.0.0")  # the newest: clean, a real wheel
    return versions


def advisory_records(versions: list[str], count: int, seed: int = 16) -> list[dict[str, object]]:
    rng = random.Random(seed)
    older = versions[:-1]
    records: list[dict[str, object]] = []
    for number in range(count):
        start = rng.randrange(len(older) - 1)
        end = min(len(older) - 1, start + rng.randrange(1, len(older) // 10))
        events: list[dict[str, str]] = [{"introduced": "0" if number % 17 == 0 else older[start]}]
        shape = number % 6
        if shape == 0:
            events.append({"last_affected": older[end]})
        else:
            events.append({"fixed": older[end]})
        if shape == 1:  # a second range in the same events list
            later = min(len(older) - 1, end + rng.randrange(1, 50))
            events += [{"introduced": older[later]}, {"fixed": older[-1]}]
        if shape == 2:
            events.append({"limit": older[end]})
        if shape == 3:
            events.append({"fixed": "2024-01-01"})  # an unreadable event, skipped
        affected: dict[str, object] = {
            "package": {"ecosystem": "PyPI", "name": PROJECT},
            "ranges": [{"type": "ECOSYSTEM", "events": events}],
        }
        if shape == 4:
            affected["versions"] = rng.sample(older, 40)
        records.append(
            {
                "id": f"PYSEC-2099-{number}",
                "modified": "2025-01-01T00:00:00Z",
                "summary": f"advisory {number} of {PROJECT}",
                "aliases": [f"CVE-2099-{number}"],
                "affected": [affected],
            }
        )
    return records


def publish(index: LocalIndex, versions: list[str]) -> None:
    for version in versions[:-1]:
        for filename in (f"{PROJECT}-{version}-py3-none-any.whl", f"{PROJECT}-{version}.tar.gz"):
            index.add_file(PROJECT, version, filename, f"not used: {filename}".encode())
    index.add(PROJECT, versions[-1])


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--advisories", type=int, default=240)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="safe-pip-big-page-"))
    env = isolated_env(work / "env")
    versions = version_list(args.versions)
    records = work / "osv"
    records.mkdir()
    for record in advisory_records(versions, args.advisories):
        (records / f"{record['id']}.json").write_text(json.dumps(record))
    safe_pip = [sys.executable, "-m", "safe_pip"]
    timed([*safe_pip, "db", "update", "--source", str(records)], env)
    templates = VenvTemplates(work / "templates", sys.executable)
    samples: dict[str, list[float]] = {"pip": [], "safe-pip": []}
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with LocalIndex(work / "index") as index:
        publish(index, versions)
        files = len(index.hosted_files(PROJECT))
        for round_number in range(args.rounds + 1):
            for way in samples:
                python = venv_python(templates.copy(BUNDLED, work / f"venv-{way}-{round_number}"))
                if way == "pip":
                    command = [str(python), "-m", "pip", "install"]
                else:
                    command = [*safe_pip, "install", "--python", str(python)]
                command += ["--dry-run", "--index-url", index.url, PROJECT]
                elapsed = timed(command, env)
                if round_number:
                    samples[way].append(elapsed)
    plain = statistics.median(samples["pip"])
    guarded = statistics.median(samples["safe-pip"])
    print("| page | advisories | pip install --dry-run | safe-pip install --dry-run |")
    print("|---|---|---|---|")
    print(
        f"| {files:,} files, {len(versions):,} versions | {args.advisories}"
        f" | {plain:.1f} s | {guarded:.1f} s (x{guarded / plain:.2f}) |"
    )


if __name__ == "__main__":
    main()
