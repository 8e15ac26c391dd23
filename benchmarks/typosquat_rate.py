"""Both sides of the typosquat check, measured on the shipped list of popular projects.

False positives: every popular name, typed alone, is checked against the names ranked above
it (as if it were not on the list, and less popular than all of them -- what a legitimate
but less popular project looks like to the check). At most ``--max-rate`` percent may fire.
True positives: real typosquats from MAL records of the OpenSSF malicious-packages database
(2023-2026) must all fire. Also prints the cost of the first check in a process (building
the lookups) and of a check after that.

    python benchmarks/typosquat_rate.py [--max-rate 0.5] [--show 25]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from safe_pip.pipeline import typosquat

# name typed -> the project it imitates, each from a MAL record (id in the comment).
REAL_TYPOSQUATS = {
    "termncolor": "termcolor",  # MAL-2025-47454
    "0requests": "requests",  # MAL-2026-15859
    "beautiulsoup4": "beautifulsoup4",  # MAL-2023-1638
    "aiohttpp": "aiohttp",  # MAL-2023-1579
    "matplotlb": "matplotlib",  # MAL-2023-1902
    "fastapii": "fastapi",  # MAL-2026-13486
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-rate", type=float, default=0.5, help="percent of popular names")
    parser.add_argument("--show", type=int, default=25, help="fired pairs to list")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    popular = typosquat.load_popular()
    typosquat.closest_popular("x-not-a-popular-name", popular)
    first_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    typosquat.closest_popular("y-not-a-popular-name", popular)
    next_ms = (time.perf_counter() - start) * 1000

    fired: list[tuple[int, str, int, str, str]] = []
    for rank, name in enumerate(popular.names):
        close = typosquat.closest_popular(name, popular, more_popular_than=rank)
        if close is not None:
            target, how = close
            fired.append((rank + 1, name, popular.rank[target] + 1, target, how))
    total = len(popular.names)
    rate = 100 * len(fired) / total
    print(f"popular names: {total}; fire against a more popular name: {len(fired)} ({rate:.2f}%)")
    print("by rule:", dict(Counter(how.split(" ")[0] for *_, how in fired)))
    worst = sorted(fired, key=lambda f: f[0])[: args.show]
    print(f"most popular names that fire (rank name -> rank target: rule), first {len(worst)}:")
    for rank, name, target_rank, target, how in worst:
        print(f"  {rank:>5} {name} -> {target_rank} {target}: {how}")

    missed = []
    for typed, meant in REAL_TYPOSQUATS.items():
        close = typosquat.closest_popular(typed, popular)
        print(f"real typosquat {typed} -> {close[0] if close else 'NOT FIRED'} (meant {meant})")
        if close is None or close[0] != meant:
            missed.append(typed)
    print(f"first check in a process {first_ms:.1f} ms (loading the list), then {next_ms:.2f} ms")
    if rate > args.max_rate or missed:
        print(f"FAIL: rate {rate:.2f}% (limit {args.max_rate}%), missed {missed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
