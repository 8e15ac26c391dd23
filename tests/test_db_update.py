from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import threading
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from safe_pip.advisories import update as db_update
from safe_pip.advisories.database import AdvisoryDatabase, DatabaseStatus, DatabaseWriter
from safe_pip.advisories.update import update_database
from safe_pip.commands import db as db_commands
from safe_pip.errors import DatabaseError, UsageError
from support.outcomes import assert_one_line_error

EDGE = Path(__file__).parent / "data" / "osv-edge"
EDGE_VALID_RECORDS = 12
EDGE_MALFORMED = 3
MAL_RECORD = json.loads((EDGE / "MAL-2099-1.json").read_text(encoding="utf-8"))


def zip_of_directory(directory: Path, target: Path, folder: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.glob("*.json")):
            archive.write(path, folder + path.name)
    return target


def record(advisory_id: str, name: str) -> dict[str, object]:
    return {
        "id": advisory_id,
        "details": f"{advisory_id} affects {name}.",
        "affected": [{"package": {"ecosystem": "PyPI", "name": name}, "versions": ["1.0"]}],
    }


def assert_old_database_intact(path: Path, before: DatabaseStatus) -> None:
    with AdvisoryDatabase.open(path) as database:
        assert database.status() == before
        assert [m.id for m in database.matches("evil-pkg", "1.0")] == ["MAL-2099-1"]


def leftovers(directory: Path) -> list[str]:
    """Files an update may legitimately leave: the database, its seal and the lock file."""
    return sorted(
        p.name for p in directory.iterdir() if not p.name.endswith((".sqlite", ".lock", ".seal"))
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "advisories.sqlite"


@pytest.fixture
def existing_db(db_path: Path) -> DatabaseStatus:
    """A database built from the edge records, the "old" one failed updates must keep."""
    return update_database(str(EDGE), db_path=db_path)


# --- local sources -----------------------------------------------------------------------


def test_directory_source(db_path: Path) -> None:
    status = update_database(str(EDGE), db_path=db_path)
    assert status.record_count == EDGE_VALID_RECORDS
    assert status.skipped_count == EDGE_MALFORMED
    assert status.path == db_path
    assert status.source == str(EDGE.resolve())
    with AdvisoryDatabase.open(db_path) as database:
        assert database.status() == status


def test_directory_source_is_recursive(tmp_path: Path, db_path: Path) -> None:
    nested = tmp_path / "src" / "a" / "b"
    nested.mkdir(parents=True)
    (nested / "x.json").write_text(json.dumps(record("PYSEC-1-1", "deep-pkg")))
    (tmp_path / "src" / "notes.txt").write_text("not a record")
    status = update_database(str(tmp_path / "src"), db_path=db_path)
    assert (status.record_count, status.skipped_count) == (1, 0)


def test_single_json_record(db_path: Path) -> None:
    status = update_database(str(EDGE / "MAL-2099-1.json"), db_path=db_path)
    assert (status.record_count, status.skipped_count) == (1, 0)
    with AdvisoryDatabase.open(db_path) as database:
        assert database.matches("evil-pkg", "3.0")[0].malicious


def test_single_json_list_skips_and_counts_malformed_entries(tmp_path: Path, db_path: Path) -> None:
    source = tmp_path / "records.json"
    source.write_text(
        json.dumps([record("PYSEC-1-1", "one"), {"no": "id"}, "junk", record("PYSEC-1-2", "two")])
    )
    status = update_database(str(source), db_path=db_path)
    assert (status.record_count, status.skipped_count) == (2, 2)


def test_zip_source_at_root_and_in_subfolders(tmp_path: Path, db_path: Path) -> None:
    flat = zip_of_directory(EDGE, tmp_path / "flat.zip")
    nested = zip_of_directory(EDGE, tmp_path / "nested.zip", folder="osv/PyPI/")
    for archive in (flat, nested):
        status = update_database(str(archive), db_path=db_path)
        assert (status.record_count, status.skipped_count) == (EDGE_VALID_RECORDS, EDGE_MALFORMED)
        assert status.source == str(archive.resolve())


def test_zip_detected_by_content_and_file_url(tmp_path: Path, db_path: Path) -> None:
    archive = zip_of_directory(EDGE, tmp_path / "advisories.bin")
    assert update_database(str(archive), db_path=db_path).record_count == EDGE_VALID_RECORDS
    url = archive.resolve().as_uri()
    assert update_database(url, db_path=db_path).record_count == EDGE_VALID_RECORDS


def test_duplicate_ids_are_stored_once(tmp_path: Path, db_path: Path) -> None:
    source = tmp_path / "dupes"
    source.mkdir()
    for n in range(3):
        (source / f"{n}.json").write_text(json.dumps(record("PYSEC-1-1", f"pkg{n}")))
    status = update_database(str(source), db_path=db_path)
    assert status.record_count == 1
    with AdvisoryDatabase.open(db_path) as database:
        assert database.matches("pkg2", "1.0")[0].id == "PYSEC-1-1"  # the last one wins
        assert database.matches("pkg0", "1.0") == []


def test_source_from_environment_and_default_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SAFE_PIP_DB_SOURCE", str(EDGE / "MAL-2099-1.json"))
    status = update_database()
    assert status.path == tmp_path / "cache" / "advisories.sqlite"
    assert status.record_count == 1
    assert (tmp_path / "cache" / "advisories.lock").exists()  # paths.advisory_db_lock_path()


# --- failures keep the old database --------------------------------------------------------


def test_missing_source(tmp_path: Path, db_path: Path, existing_db: DatabaseStatus) -> None:
    # A path that does not exist is the user's typo: a usage error (exit 2), not exit 3.
    with pytest.raises(UsageError, match="advisory source not found"):
        update_database(str(tmp_path / "nowhere.zip"), db_path=db_path)
    assert_old_database_intact(db_path, existing_db)


def test_unusable_cache_location(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    with pytest.raises(DatabaseError, match="cannot create"):
        update_database(str(EDGE), db_path=blocker / "advisories.sqlite")


def test_unsupported_source_file(
    tmp_path: Path, db_path: Path, existing_db: DatabaseStatus
) -> None:
    source = tmp_path / "advisories.txt"
    source.write_text("hello")
    with pytest.raises(DatabaseError, match="unsupported advisory source"):
        update_database(str(source), db_path=db_path)
    assert_old_database_intact(db_path, existing_db)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "bad-crc"])
def test_corrupt_zip(
    tmp_path: Path, db_path: Path, existing_db: DatabaseStatus, damage: str
) -> None:
    archive = tmp_path / "all.zip"
    if damage == "garbage":
        archive.write_bytes(b"definitely not a zip file" * 50)
    else:
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
            out.writestr("MAL-2099-1.json", json.dumps(MAL_RECORD))
        data = bytearray(archive.read_bytes())
        if damage == "truncated":
            data = data[: len(data) // 2]
        else:  # flip a byte inside the stored member: its CRC no longer matches
            offset = bytes(data).index(b"MAL-2099-1", 40)
            data[offset] ^= 0xFF
        archive.write_bytes(bytes(data))
    with pytest.raises(DatabaseError, match="corrupt or truncated"):
        update_database(str(archive), db_path=db_path)
    assert_old_database_intact(db_path, existing_db)
    assert leftovers(db_path.parent) == []


def test_invalid_json_file_keeps_old_database(
    tmp_path: Path, db_path: Path, existing_db: DatabaseStatus
) -> None:
    with pytest.raises(DatabaseError, match=r"no valid PyPI advisory records .*\(1 malformed\)"):
        update_database(str(EDGE / "malformed-truncated.json"), db_path=db_path)
    assert_old_database_intact(db_path, existing_db)


def test_source_without_valid_pypi_records(
    tmp_path: Path, db_path: Path, existing_db: DatabaseStatus
) -> None:
    source = tmp_path / "bad"
    source.mkdir()
    for name in ("malformed-no-id.json", "malformed-affected.json", "GHSA-npm0-0000-0000.json"):
        (source / name).write_bytes((EDGE / name).read_bytes())
    with pytest.raises(DatabaseError, match=r"no valid PyPI advisory records .*\(2 malformed\)"):
        update_database(str(source), db_path=db_path)
    assert_old_database_intact(db_path, existing_db)
    assert leftovers(db_path.parent) == []


def test_interrupted_before_the_swap(
    db_path: Path, existing_db: DatabaseStatus, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[Path] = []
    real_write = db_update.write_database_file

    def write_then_interrupt(writer: DatabaseWriter) -> DatabaseStatus:
        real_write(writer)
        written.append(writer.path)
        raise KeyboardInterrupt

    monkeypatch.setattr(db_update, "write_database_file", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        update_database(str(EDGE / "MAL-2099-1.json"), db_path=db_path)
    assert written and written[0].parent == db_path.parent  # a complete new DB existed...
    assert not written[0].exists()  # ...and was removed
    assert_old_database_intact(db_path, existing_db)
    assert leftovers(db_path.parent) == []


def test_stale_temporary_files_are_cleaned_up(db_path: Path, existing_db: DatabaseStatus) -> None:
    stale = db_path.parent / f".{db_path.name}-abc123.sqlite.tmp"
    stale.write_bytes(b"left by a killed update")
    update_database(str(EDGE), db_path=db_path)
    assert not stale.exists()


# --- downloads -----------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, bytes, int | None]]] = {}  # path -> status, body, length

    def do_GET(self) -> None:
        status, body, length = self.routes.get(self.path, (404, b"not found", None))
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True  # a short body then closes: a truncated download

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(variable, raising=False)
    archive = zip_of_directory(EDGE, tmp_path / "edge.zip").read_bytes()
    big = zip_of_directory(EDGE, tmp_path / "big.zip")
    with zipfile.ZipFile(big, "a") as out:  # a body large enough for several chunks
        out.writestr("padding.txt", os.urandom(300_000))
    _Handler.routes = {
        "/all.zip": (200, archive, None),
        "/big.zip": (200, big.read_bytes(), None),
        "/truncated.zip": (200, archive[: len(archive) // 2], len(archive)),
        "/record.json": (200, json.dumps(MAL_RECORD).encode(), None),
        "/error.zip": (500, b"oops", None),
    }
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.mark.integration
def test_http_zip_download_with_progress(server: str, db_path: Path) -> None:
    calls: list[tuple[int, int | None]] = []
    status = update_database(
        f"{server}/all.zip", db_path=db_path, progress=lambda d, t: calls.append((d, t))
    )
    assert (status.record_count, status.skipped_count) == (EDGE_VALID_RECORDS, EDGE_MALFORMED)
    assert status.source == f"{server}/all.zip"
    size = len(_Handler.routes["/all.zip"][1])
    assert calls[0] == (0, size) and calls[-1] == (size, size)
    assert leftovers(db_path.parent) == []


@pytest.mark.integration
def test_http_single_record(server: str, db_path: Path) -> None:
    assert update_database(f"{server}/record.json", db_path=db_path).record_count == 1


@pytest.mark.integration
@pytest.mark.parametrize(
    ("path", "reason"),
    [("/truncated.zip", ""), ("/error.zip", "HTTP 500"), ("/missing.zip", "HTTP 404")],
)
def test_http_failures_keep_old_database(
    server: str, db_path: Path, existing_db: DatabaseStatus, path: str, reason: str
) -> None:
    with pytest.raises(
        DatabaseError, match=f"could not download advisories from {server}{path}: {reason}"
    ):
        update_database(server + path, db_path=db_path)
    assert_old_database_intact(db_path, existing_db)
    assert leftovers(db_path.parent) == []


def test_unreachable_server(db_path: Path, existing_db: DatabaseStatus) -> None:
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DatabaseError, match="could not download advisories"):
        update_database(f"http://127.0.0.1:{port}/all.zip", db_path=db_path)
    assert_old_database_intact(db_path, existing_db)


@pytest.mark.integration
def test_interrupted_download(server: str, db_path: Path, existing_db: DatabaseStatus) -> None:
    seen: list[int] = []

    def interrupt_midway(done: int, total: int | None) -> None:
        seen.append(done)
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        update_database(f"{server}/big.zip", db_path=db_path, progress=interrupt_midway)
    assert 0 < seen[-1] < len(_Handler.routes["/big.zip"][1])
    assert_old_database_intact(db_path, existing_db)
    assert leftovers(db_path.parent) == []


# --- concurrency ---------------------------------------------------------------------------


def test_concurrent_updates_and_reads(
    tmp_path: Path, db_path: Path, existing_db: DatabaseStatus
) -> None:
    sources = [str(EDGE), str(zip_of_directory(EDGE, tmp_path / "edge.zip"))]
    errors: list[BaseException] = []
    done = threading.Event()

    def updater(source: str) -> None:
        try:
            for _ in range(4):
                update_database(source, db_path=db_path)
        except BaseException as exc:  # reported below
            errors.append(exc)

    def reader() -> None:
        try:
            while not done.is_set():
                with AdvisoryDatabase.open(db_path) as database:
                    assert database.matches("evil-pkg", "1.0")[0].id == "MAL-2099-1"
        except BaseException as exc:
            errors.append(exc)

    updaters = [threading.Thread(target=updater, args=(s,)) for s in sources]
    readers = [threading.Thread(target=reader)]
    for thread in updaters + readers:
        thread.start()
    for thread in updaters:
        thread.join()
    done.set()
    for thread in readers:
        thread.join()
    assert errors == []
    with AdvisoryDatabase.open(db_path) as database:
        status = database.status()
    assert status.source in {str(EDGE.resolve()), str((tmp_path / "edge.zip").resolve())}
    assert status.record_count == EDGE_VALID_RECORDS
    assert leftovers(db_path.parent) == []


# --- the db commands ------------------------------------------------------------------------


def run_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="safe-pip")
    db_commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def test_db_update_command_prints_one_summary_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path))
    assert run_command(["db", "update", "--source", str(EDGE)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(
        f"advisory database updated: {EDGE_VALID_RECORDS} records "
        f"({EDGE_MALFORMED} skipped as malformed) from {EDGE.resolve()} in "
    )
    assert out.endswith("s\n") and out.count("\n") == 1
    assert err == ""


def test_db_status_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path))
    update_database(str(EDGE))
    assert run_command(["db", "status"]) == 0
    text = capsys.readouterr().out
    assert f"advisory database: {tmp_path / 'advisories.sqlite'}" in text
    assert f"records:           {EDGE_VALID_RECORDS} (1 withdrawn, 3 skipped as malformed)" in text
    assert "ago)" in text
    assert run_command(["db", "status", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["record_count"] == EDGE_VALID_RECORDS
    assert data["skipped_count"] == EDGE_MALFORMED
    assert data["source"] == str(EDGE.resolve())
    assert 0 <= data["age_seconds"] < 600


def test_db_status_without_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path))
    with pytest.raises(
        DatabaseError, match=r"no advisory database at .*; run `safe-pip db update`"
    ) as info:
        run_command(["db", "status"])
    assert info.value.exit_code == 3


def test_download_progress_output() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    progress = db_commands.DownloadProgress(terminal)
    progress(2_000_000, 4_000_000)
    progress(4_000_000, 4_000_000)
    progress.finish()
    assert terminal.getvalue().startswith("\rdownloading advisories: ")
    assert "4.0 MB of 4.0 MB (100%)" in terminal.getvalue()
    assert terminal.getvalue().endswith("\n")
    log = io.StringIO()
    quiet = db_commands.DownloadProgress(log)
    quiet(1, 10)
    quiet.finish()
    assert log.getvalue() == ""  # not a terminal: nothing for short downloads


@pytest.mark.integration
def test_unreachable_feed_says_how_to_update_offline(
    safe_pip: Callable[..., subprocess.CompletedProcess[str]], isolated_env: dict[str, str]
) -> None:
    """Offline, the default feed fails: one line that names --source and SAFE_PIP_DB_SOURCE."""
    with socket.socket() as closed:  # a port nothing listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/PyPI/all.zip"
    env = dict(isolated_env, SAFE_PIP_DB_SOURCE=url)

    result = safe_pip("db", "update", env=env)

    line = assert_one_line_error(result, 3)
    assert f"could not download advisories from {url}: " in line
    assert "safe-pip db update --source PATH_OR_URL" in line and "SAFE_PIP_DB_SOURCE=" in line
    assert result.stderr.count("\n") == 1
    assert not (Path(env["SAFE_PIP_CACHE_DIR"]) / "advisories.sqlite").exists()
