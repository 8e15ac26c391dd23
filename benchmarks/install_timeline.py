"""Where the time of a ``safe-pip install`` goes, next to a plain ``pip install`` of the same plan.

``install_overhead.py`` gives the ratios; this one takes one guarded run apart. safe-pip's CLI
runs in a driver process that records, without changing what safe-pip does: when pip was
started (interpreter start + imports before it), how long pip ran, how long pip waited for
safe-pip's answers (each question, the full check among them), and how long safe-pip took
after pip ended. Plain ``pip install`` runs interleaved, into fresh venvs, after a warm-up
round; medians over the rounds.

    python benchmarks/install_timeline.py [--rounds 7] [--pip bundled|newest]
                                          [--index local|real|both]

Not a test: it prints numbers for docs/performance.md and the closing notes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from install_overhead import Plan, compile_sources, each_plan, timed

from support.venvs import BUNDLED, NEWEST, VenvTemplates, venv_python

# Runs ``safe-pip ARGS`` in this process with a stopwatch on the points where safe-pip hands
# over to pip and back; prints one JSON line of milliseconds since the driver was started.
DRIVER = r"""
import json, os, subprocess, sys, time
t0 = float(os.environ.pop("BENCH_T0"))
marks = {"waited": 0.0, "check": 0.0, "questions": 0}
def ms():
    return (time.time() - t0) * 1000
popen_init, popen_wait = subprocess.Popen.__init__, subprocess.Popen.wait
def init(self, *args, **kwargs):
    marks.setdefault("pip started", ms())
    return popen_init(self, *args, **kwargs)
def wait(self, *args, **kwargs):
    code = popen_wait(self, *args, **kwargs)
    marks.setdefault("pip ended", ms())
    return code
subprocess.Popen.__init__, subprocess.Popen.wait = init, wait
from safe_pip.installers.pip import guard_server
attach = guard_server.GuardListener.attach
def attached(listener, service):
    handle = service.handle
    def timed_handle(request):
        start = time.time()
        try:
            return handle(request)
        finally:
            spent = (time.time() - start) * 1000
            marks["waited"] += spent
            marks["questions"] += 1
            if request.get("op") == "check":
                marks["check"] += spent
    service.handle = timed_handle
    return attach(listener, service)
guard_server.GuardListener.attach = attached
from safe_pip.cli import main
code = main(sys.argv[1:])
marks["main returned"] = ms()
sys.stderr.write("\nBENCH " + json.dumps(marks) + "\n")
from safe_pip.cli import exit_now
exit_now(code)
"""

COLUMNS = (
    ("plain pip", "plain"),
    ("safe-pip", "total"),
    ("until pip starts", "pip started"),
    ("pip (guarded)", "pip run"),
    ("pip waited on answers", "waited"),
    ("of which the full check", "check"),
    ("after pip ended", "tail"),
)


def guarded_marks(command: list[str], env: dict[str, str]) -> dict[str, float]:
    started = time.time()
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, *command],
        env={**env, "BENCH_T0": repr(started)},
        capture_output=True,
        text=True,
    )
    total = (time.time() - started) * 1000
    line = next((ln for ln in result.stderr.splitlines() if ln.startswith("BENCH ")), None)
    if result.returncode != 0 or line is None:
        raise SystemExit(f"guarded run failed: {' '.join(command)}\n{result.stderr[-2000:]}")
    marks: dict[str, float] = json.loads(line[len("BENCH ") :])
    marks["total"] = total
    marks["pip run"] = marks["pip ended"] - marks["pip started"]
    marks["tail"] = total - marks["pip ended"]
    return marks


def measure(plan: Plan, kind: str, rounds: int, work: Path, env: dict[str, str]) -> str:
    templates = VenvTemplates(work / f"templates-{plan.title}", sys.executable)
    index = ["--index-url", plan.index_url] if plan.index_url else []
    samples: dict[str, list[float]] = {key: [] for _, key in COLUMNS}
    for n in range(rounds + 1):  # round 0 warms the caches
        plain_python = venv_python(templates.copy(kind, work / f"plain-{plan.title}-{n}"))
        plain = timed([str(plain_python), "-m", "pip", "install", *index, *plan.requirements], env)
        python = venv_python(templates.copy(kind, work / f"guarded-{plan.title}-{n}"))
        marks = guarded_marks(["install", "--python", str(python), *index, *plan.requirements], env)
        if n:
            samples["plain"].append(plain * 1000)
            for _, key in COLUMNS[1:]:
                samples[key].append(marks[key])
    cells = [f"{statistics.median(samples[key]):.0f}" for _, key in COLUMNS]
    return f"| {plan.title} | " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pip", choices=[BUNDLED, NEWEST], default=NEWEST)
    parser.add_argument("--index", choices=["local", "real", "both"], default="local")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="safe-pip-timeline-"))
    compile_sources()
    print(f"pip: {args.pip}, rounds: {args.rounds}, medians in ms")
    print("| plan | " + " | ".join(title for title, _ in COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for plan, env in each_plan(args.index, work):
        print(measure(plan, args.pip, args.rounds, work, env), flush=True)


if __name__ == "__main__":
    main()
