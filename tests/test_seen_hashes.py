"""seen_hashes.SeenHashes: trust-on-first-use record on disk."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from safe_pip.errors import DatabaseError
from safe_pip.models import ArtifactSource, PlanItem
from safe_pip.pipeline.seen_hashes import SeenHash, SeenHashes

SHA_A = "a" * 64
SHA_B = "b" * 64


def wheel(name: str, sha256: str | None = SHA_A, **changes: object) -> PlanItem:
    fields: dict[str, object] = {
        "filename": f"{name}-1.0-py3-none-any.whl",
        "sha256": sha256,
        "url": f"https://files.example/{name}-1.0-py3-none-any.whl",
    }
    fields.update(changes)
    return PlanItem(name=name, version="1.0", **fields)  # type: ignore[arg-type]


def test_record_then_lookup(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "seen.sqlite"
    when = datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    with SeenHashes.open(path) as seen:
        assert seen.record([wheel("demo", SHA_A.upper())], now=when) == 1
    with SeenHashes.open(path) as seen:
        assert seen.lookup("demo-1.0-py3-none-any.whl") == SeenHash(
            filename="demo-1.0-py3-none-any.whl",
            sha256=SHA_A,
            first_seen="2024-05-01T12:00:00+00:00",
            url="https://files.example/demo-1.0-py3-none-any.whl",
        )
        assert seen.lookup("other-1.0-py3-none-any.whl") is None


def test_first_seen_defaults_to_now_in_utc(tmp_path: Path) -> None:
    with SeenHashes.open(tmp_path / "seen.sqlite") as seen:
        seen.record([wheel("demo")])
        found = seen.lookup("demo-1.0-py3-none-any.whl")
    assert found is not None
    stamp = datetime.fromisoformat(found.first_seen)
    assert stamp.utcoffset() == timedelta(0)
    assert abs(datetime.now(timezone.utc) - stamp) < timedelta(minutes=5)


def test_first_hash_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite"
    with SeenHashes.open(path) as seen:
        assert seen.record([wheel("demo", SHA_A)]) == 1
        assert seen.record([wheel("demo", SHA_B), wheel("new", SHA_B)]) == 1
        first = seen.lookup("demo-1.0-py3-none-any.whl")
        assert first is not None and first.sha256 == SHA_A
        added = seen.lookup("new-1.0-py3-none-any.whl")
        assert added is not None and added.sha256 == SHA_B


def test_only_downloaded_artifacts_with_name_and_hash_are_recorded(tmp_path: Path) -> None:
    items = [
        wheel("nohash", sha256=None),
        wheel("noname", filename=None),
        wheel("local", source=ArtifactSource.LOCAL_PATH),
        wheel("vcs", source=ArtifactSource.VCS),
        wheel("editable", source=ArtifactSource.EDITABLE),
        wheel("direct", source=ArtifactSource.DIRECT_URL),
        wheel("indexed"),
    ]
    with SeenHashes.open(tmp_path / "seen.sqlite") as seen:
        assert seen.record(items) == 2
        assert seen.lookup("direct-1.0-py3-none-any.whl") is not None
        assert seen.lookup("indexed-1.0-py3-none-any.whl") is not None
        assert seen.lookup("local-1.0-py3-none-any.whl") is None


def test_missing_file_is_empty_and_not_created_by_reads(tmp_path: Path) -> None:
    path = tmp_path / "never" / "seen.sqlite"
    with SeenHashes.open(path) as seen:
        assert seen.lookup("demo-1.0-py3-none-any.whl") is None
        assert seen.record([]) == 0
    assert not path.exists()


def test_default_location_is_in_the_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path))
    with SeenHashes.open() as seen:
        seen.record([wheel("demo")])
    assert (tmp_path / "seen-hashes.sqlite").is_file()


@pytest.mark.parametrize(
    "content",
    [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 200],
)
def test_corrupt_file_is_one_line_database_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "seen.sqlite"
    path.write_bytes(content)
    with pytest.raises(DatabaseError) as caught:
        SeenHashes.open(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert "delete it" in message


def test_foreign_sqlite_file_is_database_error(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE seen_hashes (something TEXT)")
    connection.close()
    with pytest.raises(DatabaseError, match="delete it"):
        SeenHashes.open(path)


@pytest.mark.integration
def test_concurrent_processes_keep_exactly_one_first_hash(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite"
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from safe_pip.models import PlanItem
        from safe_pip.pipeline.seen_hashes import SeenHashes

        worker = sys.argv[2]
        sha = worker * 64
        items = [PlanItem(name="shared", version="1.0", filename="shared.whl", sha256=sha)]
        items += [
            PlanItem(name=f"p{worker}{i}", version="1.0", filename=f"p{worker}{i}.whl", sha256=sha)
            for i in range(40)
        ]
        with SeenHashes.open(Path(sys.argv[1])) as seen:
            for chunk in range(0, len(items), 5):
                seen.record(items[chunk : chunk + 5])
        """
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", script, str(path), digit]) for digit in "1234"
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0, 0]

    with SeenHashes.open(path) as seen:
        shared = seen.lookup("shared.whl")
        assert shared is not None and shared.sha256 in {d * 64 for d in "1234"}
        for digit in "1234":
            for i in range(40):
                found = seen.lookup(f"p{digit}{i}.whl")
                assert found is not None and found.sha256 == digit * 64
    with sqlite3.connect(path) as connection:
        (count,) = connection.execute("SELECT COUNT(*) FROM seen_hashes").fetchone()
    connection.close()
    assert count == 1 + 4 * 40
