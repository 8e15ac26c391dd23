"""What the pip hook costs every Python process that is not ``pip install``.

Builds two identical fresh venvs, installs the hook into one, then starts each interpreter
many times, interleaved, and compares median wall-clock start times for two workloads:
``-c pass`` (bare start) and ``-c "import asyncio, ..."`` (a start that imports ~100 modules,
each of which passes the hook's finder). Also prints the hook's own ``-X importtime`` line.

    python benchmarks/hook_startup.py [--runs 40] [--python PATH] [--max-added-ms 2]

Exit status 1 when ``--max-added-ms`` is given and the bare start got slower than that.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from safe_pip.hook.site_files import hook_target, install_hook, interpreter_info

WORKLOADS = {
    "bare start (-c pass)": "pass",
    "start + ~100 imports": "import asyncio, json, email.message, http.client, decimal, csv",
}
WARMUP_RUNS = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="starts per venv and workload")
    parser.add_argument("--python", default=sys.executable, help="base interpreter")
    parser.add_argument("--max-added-ms", type=float, help="fail above this added start time")
    args = parser.parse_args(argv)

    env = _clean_env()
    with tempfile.TemporaryDirectory(prefix="hook-startup-") as tmp:
        plain = _make_venv(args.python, Path(tmp) / "plain", env)
        hooked = _make_venv(args.python, Path(tmp) / "hooked", env)
        install_hook(hook_target(interpreter_info(str(hooked)), user=False))

        print(f"python: {args.python}; {args.runs} interleaved starts per venv and workload")
        added_bare = 0.0
        for label, code in WORKLOADS.items():
            plain_ms, hooked_ms = _interleaved_medians(plain, hooked, code, args.runs, env)
            added = hooked_ms - plain_ms
            added_bare = added if code == "pass" else added_bare
            print(
                f"{label:24} without hook {plain_ms:7.2f} ms   with hook {hooked_ms:7.2f} ms   "
                f"added {added:+.2f} ms   ratio {hooked_ms / plain_ms:.3f}"
            )
        print(f"-X importtime, hook module: {_hook_import_time(hooked, env)}")

    if args.max_added_ms is not None and added_bare > args.max_added_ms:
        print(f"FAIL: the hook adds {added_bare:.2f} ms (limit {args.max_added_ms} ms)")
        return 1
    return 0


def _clean_env() -> dict[str, str]:
    dropped = ("PYTHON", "SAFE_PIP_", "PIP_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    env.pop("VIRTUAL_ENV", None)
    return env


def _make_venv(base_python: str, path: Path, env: dict[str, str]) -> Path:
    subprocess.run([base_python, "-m", "venv", "--without-pip", str(path)], env=env, check=True)
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _start_ms(python: Path, code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(python), "-c", code], env=env, check=True)
    return (time.perf_counter() - started) * 1000


def _interleaved_medians(
    plain: Path, hooked: Path, code: str, runs: int, env: dict[str, str]
) -> tuple[float, float]:
    for _ in range(WARMUP_RUNS):
        _start_ms(plain, code, env)
        _start_ms(hooked, code, env)
    plain_times: list[float] = []
    hooked_times: list[float] = []
    for _ in range(runs):
        plain_times.append(_start_ms(plain, code, env))
        hooked_times.append(_start_ms(hooked, code, env))
    return statistics.median(plain_times), statistics.median(hooked_times)


def _hook_import_time(hooked: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(hooked), "-X", "importtime", "-c", "pass"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in result.stderr.splitlines() if "_safe_pip_hook" in line]
    if not lines:
        return "(not imported?)"
    # "import time:  <self us> | <cumulative us> | <module>"
    self_us, cumulative_us, _ = (part.strip() for part in lines[-1].split(":", 1)[1].split("|"))
    return f"self {self_us} us, cumulative {cumulative_us} us"


if __name__ == "__main__":
    raise SystemExit(main())
