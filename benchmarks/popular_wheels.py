"""False positives of the package-contents checks on real wheels of popular projects.

Two steps, so the (slow, bandwidth-bound) download runs once, in the background:

    python benchmarks/popular_wheels.py fetch --top 300 --dir ~/.cache/safe-pip-popular-wheels
    python benchmarks/popular_wheels.py measure --dir ~/.cache/safe-pip-popular-wheels

``fetch`` asks the configured index (pip's own configuration) for one wheel per project for this
platform (``pip download --only-binary :all: --no-deps``); a project with no wheel for this
platform, or whose wheel is larger than ``--max-mb``, is skipped and listed. ``measure`` opens
every wheel with the same code the install guard uses, prints each finding that fires, the
default decision, and the per-wheel cost (median and 95th percentile). Exit status 1 when the
default policy blocks any of them. The wheels never go into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

POPULAR_TSV = (
    Path(__file__).resolve().parents[1] / "src/safe_pip/pipeline/data/popular-projects.tsv"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    fetch = sub.add_parser("fetch", help="download one wheel per popular project")
    fetch.add_argument("--top", type=int, default=300)
    fetch.add_argument("--dir", type=Path, required=True)
    fetch.add_argument("--tsv", type=Path, default=POPULAR_TSV)
    fetch.add_argument("--max-mb", type=float, default=50.0)
    fetch.add_argument("--jobs", type=int, default=3)
    fetch.add_argument("--timeout", type=float, default=180.0, help="seconds per project")
    measure = sub.add_parser("measure", help="inspect the downloaded wheels")
    measure.add_argument("--dir", type=Path, required=True)
    measure.add_argument("--repeat", type=int, default=20, help="timed inspections per wheel")
    measure.add_argument(
        "--together",
        action="store_true",
        help="also inspect each wheel against an environment holding all the others (clashes "
        "of files and commands between popular projects)",
    )
    args = parser.parse_args(argv)
    if args.step == "fetch":
        return _fetch(args.tsv, args.top, args.dir, args.max_mb, args.jobs, args.timeout)
    return _measure(args.dir, args.repeat, together=args.together)


def popular_names(tsv: Path, top: int) -> list[str]:
    names: list[str] = []
    for line in tsv.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        names.append(line.split("\t")[1].strip())
        if len(names) >= top:
            break
    return names


def _fetch(tsv: Path, top: int, out: Path, max_mb: float, jobs: int, timeout: float) -> int:
    out.mkdir(parents=True, exist_ok=True)
    names = popular_names(tsv, top)
    status_file = out / "fetch-status.json"
    status: dict[str, str] = json.loads(status_file.read_text()) if status_file.exists() else {}
    todo = [name for name in names if name not in status]

    def one(name: str) -> tuple[str, str]:
        return name, _fetch_one(name, out, max_mb, timeout)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for name, outcome in pool.map(one, todo):
            status[name] = outcome
            status_file.write_text(json.dumps(status, indent=1, sort_keys=True))
            print(f"{name}: {outcome}", flush=True)
    counts = Counter(outcome.split(":")[0] for outcome in status.values())
    print(f"done: {dict(counts)}")
    return 0


def _fetch_one(name: str, out: Path, max_mb: float, timeout: float) -> str:
    """``ok: FILE``, ``skipped: too large (N MB)``, ``skipped: no wheel`` or ``error: ...``."""
    with tempfile.TemporaryDirectory(prefix="popular-wheel-") as tmp:
        report = Path(tmp) / "report.json"
        planned = _pip(
            [
                "install",
                "--dry-run",
                "--ignore-installed",
                "--no-deps",
                "--only-binary",
                ":all:",
                "--quiet",
                "--report",
                str(report),
                name,
            ],
            timeout,
        )
        if planned.returncode != 0 or not report.exists():
            return "skipped: no wheel for this platform"
        items = json.loads(report.read_text())["install"]
        if not items:
            return "skipped: nothing planned"
        url = items[0]["download_info"]["url"]
        size = _remote_size(url)
        if size is not None and size > max_mb * 1e6:
            return f"skipped: too large ({size / 1e6:.0f} MB)"
        before = set(out.glob("*.whl"))
        got = _pip(
            ["download", "--only-binary", ":all:", "--no-deps", "--quiet", "-d", str(out), name],
            timeout,
        )
        new = sorted(set(out.glob("*.whl")) - before)
        if got.returncode != 0:
            return "error: " + (got.stderr.strip().splitlines() or ["pip failed"])[-1][:200]
        return "ok: " + (new[0].name if new else "already there")


def _pip(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [sys.executable, "-m", "pip", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 124, "", "timed out")


def _together(wheels: list[Path], fired: Counter[str]) -> list[str]:
    """Each wheel against an environment of all the others, as if installed together."""
    from packaging.utils import canonicalize_name

    from safe_pip.models import Action
    from safe_pip.pipeline.contents.environment import InstalledDistribution, TargetEnvironment
    from safe_pip.pipeline.contents.findings import Previous, contents_findings
    from safe_pip.pipeline.contents.wheel import read_wheel
    from safe_pip.pipeline.policy import Policy, decide

    contents = {path: read_wheel(path) for path in wheels}
    distributions: dict[str, InstalledDistribution] = {}
    for path, wheel in contents.items():
        name = str(canonicalize_name(path.name.split("-")[0]))
        record = wheel.record or {}
        lib_files = {
            installed: record.get(member, ("", ""))[0]
            for (where, installed), member in wheel.installed.items()
            if where == "lib"
        }
        distributions[name] = InstalledDistribution(
            name, "0", lib_files, frozenset(wheel.script_names), ()
        )
    environment = TargetEnvironment(distributions=distributions)
    blocked = []
    for path, wheel in contents.items():
        project, version = path.name.split("-")[:2]
        findings = contents_findings(project, version, wheel, environment, Previous())
        for decision in decide(findings, Policy(), date.today()):
            fired[decision.finding.id + " (together)"] += 1
            print(
                f"together: {path.name}: {decision.finding.id} -> {decision.action.value}: "
                f"{decision.finding.summary}"
            )
            if decision.action is Action.BLOCK:
                blocked.append(path.name)
    return blocked


def _remote_size(url: str) -> int | None:
    if not url.startswith(("https://", "http://")):
        return Path(url.removeprefix("file://")).stat().st_size if url.startswith("file:") else None
    try:
        request = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(request, timeout=30) as response:
            length = response.headers.get("Content-Length")
            return int(length) if length else None
    except (OSError, ValueError):
        return None


def _measure(directory: Path, repeat: int, *, together: bool = False) -> int:
    from safe_pip.pipeline.contents.inspect import InstallTarget, WheelToInspect, check_wheels
    from safe_pip.pipeline.contents.wheel import read_wheel
    from safe_pip.pipeline.policy import Policy

    wheels = sorted(directory.glob("*.whl"))
    if not wheels:
        print(f"no wheels in {directory}; run the fetch step first")
        return 2
    timings: list[float] = []
    fired: Counter[str] = Counter()
    blocked: list[str] = []
    with tempfile.TemporaryDirectory(prefix="contents-measure-") as tmp:
        history = Path(tmp) / "history.sqlite"
        for path in wheels:
            name, version = path.name.split("-")[:2]
            for _ in range(repeat):
                start = time.perf_counter()
                read_wheel(path)
                timings.append(time.perf_counter() - start)
            result = check_wheels(
                [WheelToInspect(name, version, path)],
                InstallTarget(),
                Policy(),
                record=False,
                history_path=history,
            )
            for decision in result.verdict.decisions:
                finding = decision.finding
                fired[finding.id] += 1
                print(f"{path.name}: {finding.id} -> {decision.action.value}: {finding.summary}")
                if decision.action.value == "block":
                    blocked.append(path.name)
    if together:
        blocked.extend(_together(wheels, fired))
    timings.sort()
    median = statistics.median(timings) * 1000
    p95 = timings[int(len(timings) * 0.95)] * 1000
    sizes = sorted(path.stat().st_size for path in wheels)
    print(
        f"{len(wheels)} wheels (median size {statistics.median(sizes) / 1e3:.0f} kB, largest "
        f"{sizes[-1] / 1e6:.1f} MB); findings by id: {dict(fired) or 'none'}; blocked by the "
        f"default policy: {len(blocked)}"
    )
    print(
        f"read_wheel per wheel: median {median:.2f} ms, 95th percentile {p95:.2f} ms, "
        f"max {timings[-1] * 1000:.2f} ms ({repeat} runs each)"
    )
    return 1 if blocked else 0


if __name__ == "__main__":
    sys.exit(main())
