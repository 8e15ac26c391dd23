"""Does the advisory database scale to the OSV PyPI export and beyond?

Synthesizes OSV zips shaped like the real export (mostly ``MAL-`` records with explicit
``versions`` lists, vulnerability records with several ``ECOSYSTEM`` ranges, long version
lists, CVE/GHSA aliases, CVSS v3 and v4 vectors) at several sizes, then for each size:

* ``db update`` time: ``update_database`` run in a fresh child process (zip read as a stream);
* peak memory: the update process's own maximum resident set size (``getrusage``);
* database size on disk;
* lookup time for a 200-package plan: open the database and look up every package (100 with
  advisories, 100 without), best of several rounds, in a fresh child process.

    python benchmarks/advisory_scale.py [--sizes 25000 50000 100000]

Not a test: it prints numbers for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PLAN_SIZE = 200
POPULAR_PACKAGES = 3000  # names that vulnerability records are spread over
MALICIOUS_SHARE = 0.8


def synthesize(path: Path, count: int, seed: int = 9) -> None:
    rng = random.Random(seed)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(count):
            record = (
                _malicious(number, rng)
                if rng.random() < MALICIOUS_SHARE
                else _vulnerability(number, rng)
            )
            archive.writestr(f"{record['id']}.json", json.dumps(record))


def _modified(rng: random.Random) -> str:
    return f"202{rng.randint(0, 5)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T00:00:00Z"


def _malicious(number: int, rng: random.Random) -> dict[str, object]:
    name = f"mal-pkg-{number}"
    versions = [f"{rng.randint(0, 9)}.{minor}.{rng.randint(0, 20)}" for minor in range(3)]
    return {
        "id": f"MAL-2025-{number}",
        "modified": _modified(rng),
        "summary": f"Malicious code in {name} (PyPI)",
        "details": "This package contains malware that steals credentials. " * 3,
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}],
                "versions": versions[: rng.randint(1, 3)],
            }
        ],
        "database_specific": {"malicious-packages-origins": [{"source": "ossf"}]},
    }


def _vulnerability(number: int, rng: random.Random) -> dict[str, object]:
    name = f"popular-{rng.randrange(POPULAR_PACKAGES)}"
    majors = rng.randint(1, 4)
    events: list[dict[str, str]] = []
    for major in range(majors):
        events.append({"introduced": f"{major}.0"})
        events.append({"fixed": f"{major}.{rng.randint(1, 30)}.{rng.randint(0, 9)}"})
    versions = [
        f"{m}.{minor}.{patch}"
        for m in range(majors)
        for minor in range(12)
        for patch in range(rng.randint(1, 8))
    ]
    severity = (
        [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]
        if number % 3
        else [
            {
                "type": "CVSS_V4",
                "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            }
        ]
    )
    return {
        "id": f"PYSEC-2025-{number}",
        "modified": _modified(rng),
        "aliases": [f"CVE-2025-{number}", f"GHSA-{number:04x}-aaaa-bbbb"],
        "summary": f"Input handling flaw in {name}",
        "details": "A crafted request lets an attacker read files. " * 5,
        "severity": severity,
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                "versions": versions,
            }
        ],
    }


_UPDATE = """
import resource, sys, time
from pathlib import Path
from safe_pip.advisories.update import update_database
started, cpu = time.perf_counter(), time.process_time()
status = update_database(sys.argv[1], db_path=Path(sys.argv[2]))
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(time.perf_counter() - started, time.process_time() - cpu, status.record_count, peak_mb)
"""

_LOOKUP = """
import sys, time
from pathlib import Path
names = sys.argv[2].split(",")
best = best_cpu = None
for _ in range(7):
    started, cpu = time.perf_counter(), time.process_time()
    from safe_pip.advisories.database import AdvisoryDatabase
    with AdvisoryDatabase.open(Path(sys.argv[1])) as database:
        found = sum(len(database.matches(name, "1.5.0")) for name in names)
    elapsed, used = time.perf_counter() - started, time.process_time() - cpu
    best = elapsed if best is None else min(best, elapsed)
    best_cpu = used if best_cpu is None else min(best_cpu, used)
print(best, best_cpu, found)
"""


def run_child(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", type=int, default=[25_000, 50_000, 100_000])
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| records | zip | db update (CPU) | peak RSS | database | 200-package lookup (CPU) |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="safe-pip-scale-") as work:
        for size in sorted(args.sizes):
            archive = Path(work) / f"osv-{size}.zip"
            synthesize(archive, size)
            db_path = Path(work) / f"db-{size}.sqlite"
            output = run_child(_UPDATE, str(archive), str(db_path))
            seconds, cpu_seconds, records, peak_mb = output.split()
            assert int(records) == size, (records, size)
            rng = random.Random(size)
            names = [f"popular-{rng.randrange(POPULAR_PACKAGES)}" for _ in range(PLAN_SIZE // 2)]
            names += [f"clean-pkg-{i}" for i in range(PLAN_SIZE // 2)]
            lookup_output = run_child(_LOOKUP, str(db_path), ",".join(names))
            lookup_seconds, lookup_cpu, matches = lookup_output.split()
            print(
                f"| {size:,} | {archive.stat().st_size / 1e6:.1f} MB"
                f" | {float(seconds):.1f} s ({float(cpu_seconds):.1f} s)"
                f" | {float(peak_mb):.0f} MB | {db_path.stat().st_size / 1e6:.0f} MB"
                f" | {float(lookup_seconds) * 1000:.1f} ms ({float(lookup_cpu) * 1000:.1f} ms),"
                f" {matches} matches |",
                flush=True,
            )


if __name__ == "__main__":
    main()
