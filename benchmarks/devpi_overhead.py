"""What does safe-pip's devpi plugin cost an index's clients?

1. Installs, warm: two devpi-servers mirror the same local index (the test suite's
   ``LocalIndex`` on 127.0.0.1) -- one guarded by the plugin (the real PyPA advisory snapshot),
   one with the plugin switched off (``--safe-pip-off``). A 40-distribution plan is installed
   through each with plain ``pip install --target`` and ``uv pip install --target`` into fresh
   directories, guarded and plain interleaved, after a warm-up round (devpi's caches, pip's
   and uv's caches warm). Reported: median wall time and the guarded/plain ratio.
2. The page filter, per project page of 2,000 files (500 versions x 4 files), HTML and JSON:
   in process (read the page, decide every version with the real database, rewrite it;
   median of 20) and through devpi (GET of the page, guarded vs plain, warm, median of 20).

    python benchmarks/devpi_overhead.py [--rounds 5]

Not a test: it prints the numbers for docs/team.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from uv_overhead import UV, publish, timed  # noqa: E402

from safe_pip.advisories.update import update_database  # noqa: E402
from safe_pip.devpi import pages  # noqa: E402
from safe_pip.devpi.guard import ServerGuard  # noqa: E402
from safe_pip.devpi.tween import verdict_of  # noqa: E402
from safe_pip.pipeline.checks import GUARDED_INDEX_YANK_PREFIX  # noqa: E402
from support.devpi_server import DevpiServer, init_serverdir, mirror_config  # noqa: E402
from support.index_server import LocalIndex  # noqa: E402
from support.isolation import isolated_env  # noqa: E402
from support.scenario import OSV_LOCAL  # noqa: E402

SNAPSHOT = REPO.parent / "shared" / "advisories" / "osv-pypi-pysec.zip"
PLAN_SIZE = 40
BIG_PROJECT = "django"  # many advisories in the snapshot: the lookups are not trivial
BIG_VERSIONS = 500
FILES_PER_VERSION = 4
JSON_V1 = "application/vnd.pypi.simple.v1+json"


def _median_seconds(action: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _big_page_files(index: LocalIndex) -> None:
    for major in range(BIG_VERSIONS):
        version = f"{major // 100}.{major % 100}.0"
        for tag in ("py3-none-any", "cp311-cp311-manylinux_2_17_x86_64", "cp312-cp312-win_amd64"):
            name = f"{BIG_PROJECT}-{version}-{tag}.whl"
            index.add_file(BIG_PROJECT, version, name, name.encode())
        sdist = f"{BIG_PROJECT}-{version}.tar.gz"
        index.add_file(BIG_PROJECT, version, sdist, sdist.encode())


def filter_page(guard: ServerGuard, body: bytes, url: str, as_json: bool) -> None:
    """What the tween does with a page: read it, decide every version, rewrite it."""
    state = guard.state()
    document = pages.parse_json(body) if as_json else None
    files = pages.read_json(document, url) if document is not None else pages.read_html(body, url)
    verdicts = guard.page_verdicts(BIG_PROJECT, files, stages=["root/pypi"], state=state)
    hides = {
        f.filename: pages.Hide(GUARDED_INDEX_YANK_PREFIX + verdict.line())
        for f in files
        if (verdict := verdict_of(f.filename, BIG_PROJECT, verdicts)) is not None
    }
    if document is not None:
        pages.rewrite_json(document, hides, "yank")
    else:
        pages.rewrite_html(body, hides, "yank")


def page_filter_in_process(server: DevpiServer, database: Path, work: Path) -> dict[str, float]:
    """Median of 20 with the database's answers kept (as between two data updates), and
    the first page after a data update (nothing kept yet)."""
    results = {}
    for label, accept in (("html", "text/html"), ("json", JSON_V1)):
        url = f"{server.url}/root/pypi/+simple/{BIG_PROJECT}/"
        body = server.get(f"/root/pypi/+simple/{BIG_PROJECT}/", accept).content
        if label == "html":
            files = len(pages.read_html(body, url))
            assert files == BIG_VERSIONS * FILES_PER_VERSION, files
        cold = ServerGuard(database_path=database, start_dir=work)
        results[f"{label}, first after a data update"] = _median_seconds(
            functools.partial(filter_page, cold, body, url, label == "json"), 1
        )
        results[label] = _median_seconds(
            functools.partial(filter_page, cold, body, url, label == "json"), 20
        )
    return results


def page_through_devpi(guarded: DevpiServer, plain: DevpiServer) -> dict[str, tuple[float, float]]:
    results = {}
    for label, accept in (("html", "text/html"), ("json", JSON_V1)):
        path = f"/root/pypi/+simple/{BIG_PROJECT}/"
        for server in (guarded, plain):
            server.get(path, accept)  # warm
        results[label] = (
            _median_seconds(functools.partial(guarded.get, path, accept), 20),
            _median_seconds(functools.partial(plain.get, path, accept), 20),
        )
    return results


def installs(
    guarded: DevpiServer, plain: DevpiServer, top: str, env: dict[str, str], work: Path, rounds: int
) -> dict[str, tuple[float, float]]:
    results = {}
    for tool in ("pip", "uv"):
        times: dict[str, list[float]] = {"guarded": [], "plain": []}
        for n in range(rounds + 1):
            for kind, server in (("guarded", guarded), ("plain", plain)):
                target = work / f"{tool}-{kind}-{n}"
                url = server.index_url("root/pypi")
                if tool == "pip":
                    command = [sys.executable, "-m", "pip", "install", "-q", "--target"]
                else:
                    command = [str(UV), "pip", "install", "-q", "--target"]
                command += [str(target), "--index-url", url, top]
                elapsed, _ = timed(command, env)
                if n:
                    times[kind].append(elapsed)
        results[tool] = (statistics.median(times["guarded"]), statistics.median(times["plain"]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--advisories", type=Path, default=SNAPSHOT, help="an OSV zip")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="safe-pip-devpi-bench-"))
    env = isolated_env(work / "isolated")
    database = work / "advisories.sqlite"
    source = args.advisories if args.advisories.is_file() else OSV_LOCAL
    print(f"advisories: {source}")
    update_database(source=str(source), db_path=database)
    with LocalIndex(work / "upstream") as upstream:
        top = publish(upstream, "devpi", PLAN_SIZE)
        _big_page_files(upstream)
        servers = []
        for kind, extra in (
            ("guarded", ["--safe-pip-db", str(database)]),
            ("plain", ["--safe-pip-off"]),
        ):
            init_serverdir(work / kind, env)
            servers.append(DevpiServer(work / kind, env, extra).start())
        guarded, plain = servers
        try:
            for server in servers:
                server.put_index(
                    "root/pypi", dict(mirror_config(upstream.url), mirror_cache_expiry=3600)
                )
            install_times = installs(guarded, plain, top, env, work, args.rounds)
            in_process = page_filter_in_process(guarded, database, work)
            through = page_through_devpi(guarded, plain)
        finally:
            for server in servers:
                server.stop()
    print(f"installs of a {PLAN_SIZE}-distribution plan, warm, median of {args.rounds}:")
    for tool, (guarded_s, plain_s) in install_times.items():
        print(
            f"  {tool:4} guarded {guarded_s:.2f} s  plain {plain_s:.2f} s  "
            f"ratio {guarded_s / plain_s:.3f}"
        )
    files = BIG_VERSIONS * FILES_PER_VERSION
    print(
        f"page filter, one project page of {files} files ({BIG_VERSIONS} versions), median of 20:"
    )
    for label, seconds in in_process.items():
        print(f"  {label:4} in process {seconds * 1000:.1f} ms")
    for label, (guarded_s, plain_s) in through.items():
        print(
            f"  {label:4} GET through devpi: guarded {guarded_s * 1000:.1f} ms, "
            f"plain {plain_s * 1000:.1f} ms"
        )
    print(json.dumps({"installs": install_times, "in_process": in_process, "through": through}))


if __name__ == "__main__":
    main()
