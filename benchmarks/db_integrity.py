"""What the advisory database's integrity check costs (issue 16, item 5).

Builds a database of ``--records`` synthetic OSV records (shaped like the real export, see
``advisory_scale.synthesize``) with ``update_database`` and measures, in this process:

* ``db update``: the ``PRAGMA integrity_check`` of the new file before the swap;
* every guarded run: ``integrity.check_on_open`` of a sealed, unchanged file (a ``stat`` and
  the read of the seal), and ``AdvisoryDatabase.open`` with it, median of many rounds;
* once after the file changed (or has no seal): ``PRAGMA quick_check``.

    python benchmarks/db_integrity.py [--records 100000]

Not a test: it prints numbers for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from advisory_scale import synthesize

from safe_pip.advisories import integrity
from safe_pip.advisories.database import AdvisoryDatabase
from safe_pip.advisories.update import update_database


def median_ms(action: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def open_and_close(path: Path) -> None:
    AdvisoryDatabase.open(path).close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="safe-pip-integrity-") as work:
        archive = Path(work) / "osv.zip"
        synthesize(archive, args.records)
        path = Path(work) / "advisories.sqlite"
        update_database(str(archive), db_path=path)
        size_mb = path.stat().st_size / 1e6
        assert integrity.check_on_open(path) is None
        sealed = median_ms(lambda: integrity.check_on_open(path), args.rounds)
        opened = median_ms(lambda: open_and_close(path), args.rounds)
        full = median_ms(lambda: integrity.verify_new_file(path), 3)
        quick = median_ms(lambda: integrity.quick_check(path), 3)
    print(
        "| records | database | per run: sealed check | per run: open incl. check |"
        " after a change: quick_check | db update: integrity_check |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| {args.records:,} | {size_mb:.0f} MB | {sealed:.3f} ms | {opened:.2f} ms"
        f" | {quick:.0f} ms | {full:.0f} ms |"
    )


if __name__ == "__main__":
    main()
