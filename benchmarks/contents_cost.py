"""What opening a wheel before install costs: ``read_wheel`` + the contents findings.

Builds a typical wheel (``--members`` modules of ~2 kB, entry points, a ``.pth``; the median
popular wheel has a few dozen members and ~120 kB) and an installed environment of
``--installed`` distributions to compare it with, then times the inspection many times.

    python benchmarks/contents_cost.py [--runs 200] [--members 60] [--max-ms 2]

Exit status 1 when the median is above ``--max-ms``. ``popular_wheels.py measure`` times the
same on real wheels of popular projects.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from safe_pip.pipeline.contents.environment import read_environment
from safe_pip.pipeline.contents.findings import Previous, contents_findings
from safe_pip.pipeline.contents.wheel import read_wheel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--members", type=int, default=60)
    parser.add_argument("--installed", type=int, default=50)
    parser.add_argument("--max-ms", type=float)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="contents-cost-") as tmp:
        wheel = _typical_wheel(Path(tmp), args.members)
        site = Path(tmp) / "site"
        for number in range(args.installed):
            _installed(site, f"dist{number}", 40)
        environment = read_environment([str(site)], str(Path(tmp) / "bin"))  # lazy: a fresh
        timings = []  # install into it reads no RECORD
        for _ in range(args.runs):
            start = time.perf_counter()
            contents = read_wheel(wheel)
            contents_findings("typical", "1.0", contents, environment, Previous())
            timings.append((time.perf_counter() - start) * 1000)
        # the worst case: a file the wheel installs exists already, so every RECORD is read
        (site / "dist0").mkdir(exist_ok=True)
        (site / "dist0" / "m0.py").write_text("")
        start = time.perf_counter()
        read_environment([str(site)], str(Path(tmp) / "bin")).owners_of_file("dist0/m0.py")
        env_ms = (time.perf_counter() - start) * 1000
    timings.sort()
    median = statistics.median(timings)
    print(
        f"typical wheel ({args.members} modules, {wheel_size / 1e3:.0f} kB): median "
        f"{median:.3f} ms, 95th percentile {timings[int(len(timings) * 0.95)]:.3f} ms "
        f"({args.runs} runs); when a file exists already, reading the RECORDs of an "
        f"environment of {args.installed} distributions once: {env_ms:.1f} ms"
    )
    if args.max_ms is not None and median > args.max_ms:
        print(f"FAIL: median {median:.3f} ms > {args.max_ms} ms")
        return 1
    return 0


wheel_size = 0


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _typical_wheel(directory: Path, members: int) -> Path:
    global wheel_size
    files = {
        f"typical/module_{i}.py": (f"# module {i}\n" + "x = 1\n" * 300).encode()
        for i in range(members)
    }
    dist_info = "typical-1.0.dist-info"
    files["typical-nspkg.pth"] = b"import sys, types, os;has_mfs = sys.version_info > (3, 5)\n"
    files[f"{dist_info}/METADATA"] = b"Metadata-Version: 2.1\nName: typical\nVersion: 1.0\n"
    files[f"{dist_info}/WHEEL"] = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{dist_info}/entry_points.txt"] = b"[console_scripts]\ntypical = typical:main\n"
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    path = directory / "typical-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    wheel_size = path.stat().st_size
    return path


def _installed(site: Path, name: str, files: int) -> None:
    dist_info = site / f"{name}-1.0.dist-info"
    dist_info.mkdir(parents=True)
    rows = [f"{name}/m{i}.py,sha256=abc,10" for i in range(files)]
    (dist_info / "RECORD").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    sys.exit(main())
