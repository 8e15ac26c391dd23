"""The index page cache: a warm read is one conditional request answered ``304`` and no
parsing; anything new on the page, a damaged entry or a foreign one means a full read;
credentials never reach the disk; the directory stays bounded."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from safe_pip.index.client import IndexFile, fetch_index_files
from safe_pip.index.page_cache import SCHEMA, PageCache
from support.index_server import LocalIndex


@pytest.fixture
def revalidating_index(tmp_path: Path) -> Iterator[LocalIndex]:
    """A local index that sends ETags and answers If-None-Match with 304, as real ones do."""
    with LocalIndex(tmp_path / "index", validators=True) as index:
        yield index


def page_statuses(index: LocalIndex) -> list[int]:
    return [entry.status for entry in index.request_log if entry.path.startswith("/simple/")]


def entries(cache: PageCache) -> list[Path]:
    return sorted(cache.directory.glob("*.json")) if cache.directory.exists() else []


@pytest.mark.integration
def test_a_warm_read_is_a_304_with_the_same_files(
    revalidating_index: LocalIndex, tmp_path: Path
) -> None:
    revalidating_index.add("demo", "1.0")
    revalidating_index.add("other", "2.0", yanked="broken")
    cache = PageCache(tmp_path / "cache")

    cold = fetch_index_files([revalidating_index.url], ["demo", "other"], cache=cache)
    revalidating_index.clear_log()
    warm = fetch_index_files([revalidating_index.url], ["demo", "other"], cache=cache)

    assert warm == cold
    assert warm["other"][0].yanked_reason == "broken"
    assert page_statuses(revalidating_index) == [304, 304]
    assert len(entries(cache)) == 2


@pytest.mark.integration
def test_a_changed_page_is_read_in_full(revalidating_index: LocalIndex, tmp_path: Path) -> None:
    """A new upload and a yank since the last run are seen at once: the index is always asked."""
    first = revalidating_index.add("demo", "1.0")
    cache = PageCache(tmp_path / "cache")
    fetch_index_files([revalidating_index.url], ["demo"], cache=cache)

    revalidating_index.add("demo", "1.1")
    revalidating_index.set_yanked(first.filename, "withdrawn")
    revalidating_index.clear_log()
    files = fetch_index_files([revalidating_index.url], ["demo"], cache=cache)["demo"]

    assert page_statuses(revalidating_index) == [200]
    assert [(f.filename, f.yanked_reason) for f in files] == [
        ("demo-1.0-py3-none-any.whl", "withdrawn"),
        ("demo-1.1-py3-none-any.whl", None),
    ]


@pytest.mark.integration
@pytest.mark.parametrize(
    "damage",
    [
        b"{not json",
        b"",
        b'{"schema": 1, "url": "x", "files": []}',
        b'{"schema": 99}',
    ],
)
def test_a_damaged_entry_means_a_full_read(
    damage: bytes, revalidating_index: LocalIndex, tmp_path: Path
) -> None:
    hosted = revalidating_index.add("demo", "1.0")
    cache = PageCache(tmp_path / "cache")
    fetch_index_files([revalidating_index.url], ["demo"], cache=cache)
    [entry] = entries(cache)
    entry.write_bytes(damage)
    revalidating_index.clear_log()

    files = fetch_index_files([revalidating_index.url], ["demo"], cache=cache)["demo"]

    assert page_statuses(revalidating_index) == [200]
    assert [f.sha256 for f in files] == [hosted.sha256]
    assert json.loads(entry.read_bytes())["schema"] == SCHEMA  # rewritten


@pytest.mark.integration
def test_a_tampered_row_is_not_used(revalidating_index: LocalIndex, tmp_path: Path) -> None:
    """A row of the wrong shape makes the whole entry absent, not half-read."""
    revalidating_index.add("demo", "1.0")
    cache = PageCache(tmp_path / "cache")
    fetch_index_files([revalidating_index.url], ["demo"], cache=cache)
    [entry] = entries(cache)
    document = json.loads(entry.read_bytes())
    document["files"][0][3] = "yes"  # yanked must be a bool
    entry.write_text(json.dumps(document))

    assert cache.load(revalidating_index.project_url("demo")) is None


@pytest.mark.integration
def test_each_index_has_its_own_entry(tmp_path: Path) -> None:
    with (
        LocalIndex(tmp_path / "a", validators=True) as first,
        LocalIndex(tmp_path / "b", validators=True) as second,
    ):
        one = first.add("demo", "1.0")
        two = second.add("demo", "1.0", publish_wrong_hash=True)
        cache = PageCache(tmp_path / "cache")
        for _ in range(2):
            found = fetch_index_files([first.url, second.url], ["demo"], cache=cache)["demo"]
            assert [(f.index_url, f.sha256) for f in found] == [
                (first.url, one.sha256),
                (second.url, two.published_sha256),
            ]
        assert len(entries(cache)) == 2
        # An entry moved to another page's name is not that page's: both are now absent.
        entries(cache)[0].replace(entries(cache)[1])
        assert [cache.load(i.project_url("demo")) for i in (first, second)] == [None, None]


@pytest.mark.integration
def test_credentials_are_never_written(revalidating_index: LocalIndex, tmp_path: Path) -> None:
    revalidating_index.add("demo", "1.0")
    cache = PageCache(tmp_path / "cache")
    url = revalidating_index.url.replace("http://", "http://alice:s3cret-token@")

    files = fetch_index_files([url], ["demo"], cache=cache)["demo"]

    assert [f.filename for f in files] == ["demo-1.0-py3-none-any.whl"]
    assert entries(cache) == []
    assert not any(b"s3cret" in path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())


@pytest.mark.integration
def test_an_index_that_says_no_store_is_not_cached(local_index: LocalIndex, tmp_path: Path) -> None:
    local_index.add("demo", "1.0")
    cache = PageCache(tmp_path / "cache")

    fetch_index_files([local_index.url], ["demo"], cache=cache)

    assert entries(cache) == []


def test_the_directory_stays_under_its_bound(tmp_path: Path) -> None:
    cache = PageCache(tmp_path / "cache", max_bytes=4000)
    files = [
        IndexFile(
            f"demo-{n}.tar.gz",
            f"https://h/f/demo-{n}.tar.gz",
            "a" * 64,
            False,
            None,
            None,
            "https://h/",
        )
        for n in range(10)
    ]
    for number in range(20):
        cache.store(f"https://h/simple/p{number}/", "https://h/simple/", {"etag": '"x"'}, files)
        os.utime(cache._path(f"https://h/simple/p{number}/"), (number, number))
    cache.trim()

    kept = entries(cache)
    assert 0 < len(kept) < 20
    assert sum(path.stat().st_size for path in kept) <= 4000
    assert cache.load("https://h/simple/p19/") is not None  # the most recently used stays
    assert cache.load("https://h/simple/p0/") is None


@pytest.mark.integration
def test_an_unchanged_page_from_an_index_without_validators_is_not_parsed_again(
    tmp_path: Path,
) -> None:
    """An index (or a proxy) that sends neither ETag nor Last-Modified sends the whole page on
    every run; when its bytes are the ones already parsed, the parsed files are reused (the
    entry's own upload time comes back, so the page was not parsed again) -- and a yank
    changes the bytes, so it is seen on the next read."""
    with LocalIndex(tmp_path / "index", no_store=False) as index:
        hosted = index.add("demo", "1.0")
        cache = PageCache(tmp_path / "cache")
        fetch_index_files([index.url], ["demo"], cache=cache)
        [entry] = entries(cache)
        document = json.loads(entry.read_bytes())
        document["files"][0][5] = "2001-02-03T04:05:06Z"  # the upload time, as cached
        entry.write_text(json.dumps(document))
        index.clear_log()

        [again] = fetch_index_files([index.url], ["demo"], cache=cache)["demo"]
        index.set_yanked(hosted.filename, "withdrawn")
        [yanked] = fetch_index_files([index.url], ["demo"], cache=cache)["demo"]

    assert page_statuses(index) == [200, 200]  # no validators: always read in full
    assert (again.upload_time, again.yanked) == ("2001-02-03T04:05:06Z", False)
    assert yanked.yanked_reason == "withdrawn"
    assert yanked.upload_time is not None and yanked.upload_time.startswith("2024-01-02")


def test_a_file_read_back_from_the_cache_is_the_file_stored(tmp_path: Path) -> None:
    """Cached files are built without ``IndexFile.__init__`` (speed): every field, equality,
    hashing and immutability are those of the stored file (a field added to ``IndexFile``
    and not to the cache's reading fails here)."""
    import dataclasses

    url = "https://index.invalid/simple/demo/"
    stored = [
        IndexFile(
            "demo-1.0-py3-none-any.whl",
            "https://files.invalid/demo-1.0-py3-none-any.whl",
            "ab" * 32,
            True,
            "broken",
            "2024-05-06T07:08:09Z",
            "https://index.invalid/simple",
            "https://files.invalid/demo-1.0-py3-none-any.whl.provenance",
        ),
        IndexFile(
            "demo-1.0.tar.gz",
            "https://files.invalid/demo-1.0.tar.gz",
            None,
            False,
            None,
            None,
            "https://index.invalid/simple",
        ),
    ]
    cache = PageCache(tmp_path / "cache")
    cache.store(url, "https://index.invalid/simple", {"etag": '"1"'}, stored)
    page = cache.load(url)
    assert page is not None
    assert page.files == stored
    assert [vars(f) for f in page.files] == [vars(f) for f in stored]
    assert [hash(f) for f in page.files] == [hash(f) for f in stored]
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.files[0].yanked = False  # type: ignore[misc]
