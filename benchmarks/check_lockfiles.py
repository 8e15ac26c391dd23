"""How long does ``safe-pip check`` take on ~150-package lock files, cold and warm?

Serves a local index on 127.0.0.1 (the test suite's ``LocalIndex``, sending ETags and answering
``If-None-Match`` with 304 as real indexes do) with 150 projects of 121 files each (one real
wheel plus 40 older versions x 3 files, ~18,000 files in all, like the pages of popular
projects), locks all 150 with uv (``requirements.txt`` with hashes, ``uv.lock``, and
``pylock.toml`` exported by uv), builds the advisory database from the real PyPA snapshot, then
checks each file, interleaved:

* ``before``: safe-pip as of ``--before REV`` (default: the commit before the page cache;
  with ``--pinned``, the commit before pinned files were checked as written), run
  from an exported copy of that revision's ``src/``;
* ``cold``: this safe-pip with an empty index page cache;
* ``warm``: this safe-pip with the pages cached by the previous run (every page revalidated).

With ``--pinned``, only a file of 40 exact pins without hashes (the shape ``pip freeze``
writes; real project names at old versions, each wheel served with its PEP 658 metadata on
the local index): ``before`` and ``warm`` as above, next to ``pip-audit --disable-pip
--no-deps -r FILE`` on the same file, installed into a venv of its own. pip-audit cannot
read advisories from a local index: it asks its vulnerability service (the public index's
JSON API, online) about each pin, so that column is what the same file costs pip-audit
online, and it is left out when pip-audit cannot be installed or reach its service.

With ``--real``, the same for lock files of ~160 real packages (``REAL_PACKAGES`` and their
dependencies) written by uv from the index uv is configured with, and checked with the
machine's own pip configuration: every index pip is configured with is read, as a user's
check reads them (an index that sends no ``ETag`` / ``Last-Modified`` is read in full on
every run). Page requests are counted on the local index only.

    python benchmarks/check_lockfiles.py [--rounds 5] [--before REV] [--real] [--pinned]
                                         [--snapshot ZIP]

Not a test: it prints a table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.index_server import LocalIndex  # noqa: E402
from support.isolation import isolated_env  # noqa: E402
from support.uv_helpers import UV, compile_requirements, lock_project  # noqa: E402

SNAPSHOT = REPO.parent / "shared" / "advisories" / "osv-pypi-pysec.zip"
PROJECTS = [f"benchpkg{number:03d}" for number in range(150)]
OLD_VERSIONS = 40
TAGS = ("py3-none-any", "cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-win_amd64")
DEFAULT_BEFORE = "58a4f26"  # main just before the index page cache landed
# main before pinned files were checked as written (issue 16); the revision above cannot
# check the pinned file offline: its pip dry run tries to build an sdist of the same name
PINNED_BEFORE = "302713d"
VARIANTS = ("before", "cold", "warm")
# Popular projects whose locks together hold ~160 packages (with their dependencies).
REAL_PACKAGES = [
    *("jupyterlab", "pandas", "matplotlib", "sphinx", "flask", "scikit-learn", "boto3"),
    *("httpx", "rich", "pytest", "sqlalchemy", "pydantic", "fastapi", "uvicorn", "black"),
    *("mypy", "nltk"),
]
Samples = dict[tuple[str, str], list[tuple[float, float]]]


def publish(index: LocalIndex) -> None:
    for name in PROJECTS:
        index.add(name, "9.0")
        for minor in range(OLD_VERSIONS):
            version = f"0.{minor}"
            for tag in TAGS:
                filename = f"{name}-{version}-{tag}.whl"
                metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                index.add_file(
                    name, version, filename, filename.encode(), metadata=metadata.encode()
                )


def export_revision(revision: str, destination: Path) -> Path:
    """``src/`` of ``revision`` in ``destination``; the directory to put on PYTHONPATH."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, "src"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination / "src"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, the command and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):
        raise SystemExit(f"benchmark command failed: {' '.join(command)}\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", default=None, help="default: see DEFAULT_BEFORE, PINNED_BEFORE")
    parser.add_argument("--real", action="store_true", help="also lock files of real packages")
    parser.add_argument("--pinned", action="store_true", help="only the file of 40 exact pins")
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT, help="OSV zip for the database")
    args = parser.parse_args()
    if args.pinned:
        work = Path(tempfile.mkdtemp(prefix="safe-pip-bench-pinned-"))
        try:
            measure_pinned(work, args.rounds, args.before or PINNED_BEFORE, args.snapshot)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    if not UV.exists():
        raise SystemExit(f"uv is needed to write the lock files (looked for {UV})")

    work = Path(tempfile.mkdtemp(prefix="safe-pip-bench-check-"))
    try:
        before_src = export_revision(args.before or DEFAULT_BEFORE, work / "before")
        # Byte-code for both, as an installed safe-pip has (PYTHONDONTWRITEBYTECODE may be set).
        for source in (before_src, REPO / "src"):
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(source)], check=True)
        measure(work, args.rounds, before_src)
        if args.real:
            measure_real(work, args.rounds, before_src)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # ~18,000 index files


def variant_envs(
    env: dict[str, str], before_src: Path, before_cache: Path
) -> dict[str, dict[str, str]]:
    """The environment of each variant, their advisory databases built. ``before`` has a
    cache dir of its own: the database format may differ between the two revisions."""
    before_env = dict(env, PYTHONPATH=str(before_src), SAFE_PIP_CACHE_DIR=str(before_cache))
    for database_env in (env, before_env):
        update = [sys.executable, "-m", "safe_pip", "db", "update", "--source", str(SNAPSHOT)]
        subprocess.run(update, env=database_env, check=True, capture_output=True)
    return {"before": before_env, "cold": env, "warm": env}


def measure(work: Path, rounds: int, before_src: Path) -> None:
    env = isolated_env(work / "env")
    envs = variant_envs(env, before_src, work / "before-cache")
    with LocalIndex(work / "index", validators=True) as index:
        publish(index)
        requirements = compile_requirements(work / "req", index, PROJECTS, env)
        project = work / "project"
        uv_lock = lock_project(project, index, PROJECTS, env)
        pylock = export_pylock(project, env)
        locks = {"requirements.txt": requirements, "uv.lock": uv_lock, "pylock.toml": pylock}
        requests: dict[tuple[str, str], int] = {}

        def run(lock: Path, variant: str) -> tuple[float, float]:
            index.clear_log()
            elapsed = timed(check_command(lock, "--index-url", index.url), envs[variant])
            requests[(lock.name, variant)] = len(index.request_log)
            return elapsed

        samples = interleaved(locks, rounds, Path(env["SAFE_PIP_CACHE_DIR"]), run)

    print(f"{len(PROJECTS)} projects, {len(PROJECTS) * (1 + OLD_VERSIONS * len(TAGS))} files")
    print(f"local index, medians of {rounds} interleaved runs: wall / CPU seconds, page requests\n")
    print_table(locks, samples, lambda label, variant: f", {requests[(label, variant)]}")


def measure_real(work: Path, rounds: int, before_src: Path) -> None:
    """Lock files of real packages, checked with the machine's own pip configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFE_PIP_")}
    env.update(
        SAFE_PIP_CACHE_DIR=str(work / "real-cache"),
        SAFE_PIP_CONFIG_FILE=str(work / "real-config.toml"),  # not created: defaults
        UV_CACHE_DIR=str(work / "real-uv-cache"),
    )
    envs = variant_envs(env, before_src, work / "real-before-cache")
    project = work / "real-project"
    project.mkdir()
    dependencies = ", ".join(f'"{name}"' for name in REAL_PACKAGES)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo-project"\nversion = "0.1.0"\n'
        f'requires-python = ">={sys.version_info[0]}.{sys.version_info[1]}"\n'
        f"dependencies = [{dependencies}]\n"
    )
    (project / "requirements.in").write_text("\n".join(REAL_PACKAGES) + "\n")
    requirements = project / "requirements.txt"
    compile_hashed = ["pip", "compile", "requirements.in", "--generate-hashes", "--quiet"]
    for command in (
        ["lock", "--quiet", "--python", sys.executable],
        [*compile_hashed, "--python", sys.executable, "-o", str(requirements)],
    ):
        subprocess.run([UV, *command], env=env, cwd=project, check=True)
    pylock = export_pylock(project, env)
    uv_lock = project / "uv.lock"
    locks = {"requirements.txt": requirements, "uv.lock": uv_lock, "pylock.toml": pylock}
    samples = interleaved(
        locks,
        rounds,
        work / "real-cache",
        lambda lock, variant: timed(check_command(lock), envs[variant]),
    )
    packages = len(requirements.read_text().split("==")) - 1
    print(f"\nreal packages ({packages} in requirements.txt), the machine's pip configuration")
    print(f"medians of {rounds} interleaved runs: wall / CPU seconds\n")
    print_table(locks, samples, lambda label, variant: "")


# A file pip freeze could have written: 40 packages, old versions, no hashes; each one's
# dependencies (in its wheel's metadata) are pinned in the file as well.
PINNED = {
    "requests": ("2.19.0", ["urllib3", "idna", "certifi", "chardet"]),
    "urllib3": ("1.23", []),
    "idna": ("2.7", []),
    "certifi": ("2018.8.24", []),
    "chardet": ("3.0.4", []),
    "flask": ("1.0", ["werkzeug", "jinja2", "itsdangerous", "click"]),
    "werkzeug": ("0.14.1", []),
    "jinja2": ("2.10", ["markupsafe"]),
    "markupsafe": ("1.0", []),
    "itsdangerous": ("0.24", []),
    "click": ("6.7", []),
    "django": ("2.2", ["pytz", "sqlparse"]),
    "pytz": ("2018.5", []),
    "sqlparse": ("0.2.4", []),
    "pyyaml": ("3.13", []),
    "six": ("1.11.0", []),
    "python-dateutil": ("2.7.3", ["six"]),
    "numpy": ("1.15.1", []),
    "pandas": ("0.23.4", ["numpy", "python-dateutil", "pytz"]),
    "attrs": ("18.2.0", []),
    "packaging": ("17.1", ["pyparsing", "six"]),
    "pyparsing": ("2.2.0", []),
    "cryptography": ("2.3", ["cffi", "six", "idna", "asn1crypto"]),
    "cffi": ("1.11.5", ["pycparser"]),
    "pycparser": ("2.18", []),
    "asn1crypto": ("0.24.0", []),
    "pillow": ("5.2.0", []),
    "lxml": ("4.2.4", []),
    "beautifulsoup4": ("4.6.3", []),
    "sqlalchemy": ("1.2.11", []),
    "pyjwt": ("1.6.4", []),
    "paramiko": ("2.4.1", ["cryptography", "pynacl", "bcrypt"]),
    "pynacl": ("1.2.1", ["cffi", "six"]),
    "bcrypt": ("3.1.4", ["cffi", "six"]),
    "psycopg2": ("2.7.5", []),
    "redis": ("2.10.6", []),
    "celery": ("4.2.1", ["kombu", "vine"]),
    "kombu": ("4.2.1", ["vine"]),
    "vine": ("1.1.4", []),
    "gunicorn": ("19.9.0", []),
}


def measure_pinned(work: Path, rounds: int, before: str, snapshot: Path) -> None:
    before_src = export_revision(before, work / "before")
    for source in (before_src, REPO / "src"):
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(source)], check=True)
    env = isolated_env(work / "env")
    before_env = dict(env, PYTHONPATH=str(before_src), SAFE_PIP_CACHE_DIR=str(work / "bc"))
    for database_env in (env, before_env):
        update = [sys.executable, "-m", "safe_pip", "db", "update", "--source", str(snapshot)]
        subprocess.run(update, env=database_env, check=True, capture_output=True)
    audit = _pip_audit(work)
    requirements = work / "requirements.txt"
    requirements.write_text("".join(f"{name}=={v}\n" for name, (v, _) in PINNED.items()))
    samples: dict[str, list[tuple[float, float]]] = {}
    with LocalIndex(work / "index", validators=True) as index:
        for name, (version, requires) in PINNED.items():
            index.add(name, version, requires=requires, metadata=True)
        ways: dict[str, tuple[list[str], dict[str, str]]] = {
            "before": (check_command(requirements, "--index-url", index.url), before_env),
            "warm": (check_command(requirements, "--index-url", index.url), env),
        }
        if audit is not None:
            audit_command = [str(audit), "--disable-pip", "--no-deps", "-r", str(requirements)]
            audit_command += ["--progress-spinner", "off"]
            audit_env = {k: v for k, v in os.environ.items() if not k.startswith("SAFE_PIP_")}
            probe = subprocess.run(audit_command, env=audit_env, capture_output=True, text=True)
            if probe.returncode in (0, 1):
                ways["pip-audit (online)"] = (audit_command, audit_env)
            else:
                print(f"pip-audit left out (exit {probe.returncode}): {probe.stderr[-300:]}")
        for round_number in range(rounds + 1):
            for way, (command, way_env) in ways.items():
                elapsed = timed(command, way_env)
                if round_number:
                    samples.setdefault(way, []).append(elapsed)
    print(f"{len(PINNED)} exact pins without hashes, medians of {rounds} runs: wall / CPU s\n")
    print("| file | " + " | ".join(samples) + " |")
    print("|---|" + "---|" * len(samples))
    cells = [
        f"{statistics.median(w for w, _ in runs):.2f} / {statistics.median(c for _, c in runs):.2f}"
        for runs in samples.values()
    ]
    print("| `requirements.txt`, 40 pins | " + " | ".join(cells) + " |")


def _pip_audit(work: Path) -> Path | None:
    """pip-audit in a venv of its own (installed from the configured index), or None."""
    venv = work / "pip-audit-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "pip-audit"], capture_output=True, text=True
    )
    if installed.returncode != 0:
        print(f"pip-audit could not be installed: {installed.stderr.strip()[-300:]}")
        return None
    return python.parent / "pip-audit"


def export_pylock(project: Path, env: dict[str, str]) -> Path:
    pylock = project / "pylock.toml"
    subprocess.run(
        [UV, "export", "--format", "pylock.toml", "--quiet", "-o", str(pylock)],
        env=env,
        cwd=project,
        check=True,
    )
    return pylock


def check_command(lock: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "safe_pip", "check", str(lock), *options]


def interleaved(
    locks: dict[str, Path],
    rounds: int,
    cache_dir: Path,
    run: Callable[[Path, str], tuple[float, float]],
) -> Samples:
    """Every lock file with every variant, round by round (round 0 warms the OS caches and
    is not counted); ``cold`` starts from an empty page cache."""
    samples: Samples = {}
    for round_number in range(rounds + 1):
        for label, lock in locks.items():
            for variant in VARIANTS:
                if variant == "cold":
                    shutil.rmtree(cache_dir / "index-pages", ignore_errors=True)
                elapsed = run(lock, variant)
                if round_number:
                    samples.setdefault((label, variant), []).append(elapsed)
    return samples


def print_table(locks: dict[str, Path], samples: Samples, extra: Callable[[str, str], str]) -> None:
    print("| lock file | before | cold cache | warm cache |")
    print("|---|---|---|---|")
    for label, lock in locks.items():
        cells = []
        for variant in VARIANTS:
            runs = samples[(label, variant)]
            wall = statistics.median(wall for wall, _ in runs)
            cpu = statistics.median(cpu for _, cpu in runs)
            cells.append(f"{wall:.2f} / {cpu:.2f} s{extra(lock.name, variant)}")
        print(f"| `{label}` | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
