"""A damaged advisory database never answers: ``db update`` verifies the file it swaps in,
and a file that changed since (a stray write, a bad sector, a copy) is checked again before
it is read. An unchanged file costs a ``stat`` and the read of its seal."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from safe_pip.advisories import integrity, update
from safe_pip.advisories.database import AdvisoryDatabase, DatabaseWriter, confirm_sources
from safe_pip.advisories.update import update_database
from safe_pip.errors import DatabaseError
from support.damage import empty_name_index_page, quick_check
from support.scenario import MALICIOUS_ID, OSV_LOCAL


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "advisories.sqlite"
    update_database(str(OSV_LOCAL), db_path=path)
    return path


@pytest.fixture
def quick_checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file ``quick_check`` was asked about."""
    checked: list[Path] = []
    original = integrity.quick_check

    def counting(path: Path) -> str:
        checked.append(path)
        return original(path)

    monkeypatch.setattr(integrity, "quick_check", counting)
    return checked


def _malicious_ids(path: Path) -> list[str]:
    with AdvisoryDatabase.open(path) as database:
        return [match.id for match in database.matches("evilpkg", "0.1")]


def test_a_damaged_name_index_never_answers_no_advisories(db: Path) -> None:
    assert _malicious_ids(db) == [MALICIOUS_ID]
    empty_name_index_page(db)
    assert quick_check(db) != "ok"  # the damage the test means: sqlite itself sees it
    with pytest.raises(DatabaseError) as info:
        AdvisoryDatabase.open(db)
    message = str(info.value)
    assert "\n" not in message
    assert f"advisory database at {db} is damaged" in message
    assert "run `safe-pip db update`" in message


def test_damage_is_found_when_the_file_times_were_put_back(db: Path) -> None:
    before = db.stat()
    empty_name_index_page(db)
    os.utime(db, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(DatabaseError, match="is damaged"):
        AdvisoryDatabase.open(db)


def test_an_unchanged_database_is_not_checked_again(db: Path, quick_checks: list[Path]) -> None:
    for _ in range(3):
        assert _malicious_ids(db) == [MALICIOUS_ID]
    assert quick_checks == []


def test_an_intact_database_changed_elsewhere_is_checked_once_and_then_trusted(
    db: Path, quick_checks: list[Path]
) -> None:
    connection = sqlite3.connect(db)
    with connection:
        connection.execute("UPDATE meta SET value = value WHERE key = 'record_count'")
    connection.close()
    os.utime(db)  # another program wrote to it
    assert _malicious_ids(db) == [MALICIOUS_ID]
    assert _malicious_ids(db) == [MALICIOUS_ID]
    assert quick_checks == [db]


def test_a_database_without_a_seal_is_checked_once(db: Path, quick_checks: list[Path]) -> None:
    integrity.seal_path(db).unlink()  # written by an older safe-pip
    assert _malicious_ids(db) == [MALICIOUS_ID]
    assert _malicious_ids(db) == [MALICIOUS_ID]
    assert quick_checks == [db]


def test_confirming_sources_in_place_keeps_the_seal(db: Path, quick_checks: list[Path]) -> None:
    confirm_sources(db, [(str(OSV_LOCAL.resolve()), datetime.now(timezone.utc))])
    assert _malicious_ids(db) == [MALICIOUS_ID]
    assert quick_checks == []


def test_an_unwritable_seal_does_not_stop_the_check(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    integrity.seal_path(db).unlink()

    def refuse(path: Path, identity: list[int]) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(integrity, "_write_seal", refuse)
    assert _malicious_ids(db) == [MALICIOUS_ID]


def test_update_refuses_to_swap_in_a_damaged_file(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = update.write_database_file

    def damaging(writer: DatabaseWriter) -> object:
        status = original(writer)
        empty_name_index_page(writer.path)
        return status

    monkeypatch.setattr(update, "write_database_file", damaging)
    with pytest.raises(DatabaseError, match="failed its integrity check"):
        update_database(str(OSV_LOCAL), db_path=db)
    assert _malicious_ids(db) == [MALICIOUS_ID]  # the old database is kept, intact
    assert sorted(p.name for p in db.parent.iterdir()) == sorted(
        [db.name, integrity.seal_path(db).name, db.name + ".lock"]
    )
