"""PEP 740 provenance links on index pages (issue 18, item 2): read from JSON (``provenance``)
and HTML (``data-provenance``), kept by the page cache; older cache rows without them are read
again rather than taken as "no provenance"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safe_pip.index.client import _parse_page
from safe_pip.index.files import IndexFile
from safe_pip.index.page_cache import PageCache

PAGE = "https://index.example/simple/demo/"
INDEX = "https://index.example/simple/"


def test_json_and_html_pages_give_the_provenance_url() -> None:
    document = {
        "meta": {"api-version": "1.1"},
        "name": "demo",
        "files": [
            {
                "filename": "demo-1.0-py3-none-any.whl",
                "url": "../../files/demo-1.0-py3-none-any.whl",
                "hashes": {"sha256": "a" * 64},
                "provenance": "../../files/demo-1.0-py3-none-any.whl.provenance",
            },
            {"filename": "demo-0.9.tar.gz", "url": "/f/demo-0.9.tar.gz", "hashes": {}},
        ],
    }
    files, _ = _parse_page(
        json.dumps(document).encode(), "application/vnd.pypi.simple.v1+json", PAGE, INDEX
    )
    assert files[0].provenance == "https://index.example/files/demo-1.0-py3-none-any.whl.provenance"
    assert files[1].provenance is None

    html = (
        '<a href="../../files/demo-1.0-py3-none-any.whl#sha256=' + "a" * 64 + '" '
        'data-provenance="../../files/demo-1.0-py3-none-any.whl.provenance">x</a>'
        '<a href="../../files/demo-0.9.tar.gz">y</a>'
    )
    files, _ = _parse_page(html.encode(), "text/html", PAGE, INDEX)
    assert files[0].provenance == "https://index.example/files/demo-1.0-py3-none-any.whl.provenance"
    assert files[1].provenance is None


def test_the_page_cache_keeps_provenance_and_rereads_older_rows(tmp_path: Path) -> None:
    cache = PageCache(tmp_path / "cache")
    url = "https://index.example/simple/demo/"
    attested = IndexFile(
        "demo-1.0-py3-none-any.whl",
        url + "f.whl",
        "a" * 64,
        False,
        None,
        None,
        INDEX,
        provenance=url + "f.whl.provenance",
    )
    cache.store(url, INDEX, {"etag": '"1"'}, [attested])
    cached = cache.load(url)
    assert cached is not None and cached.files == [attested]

    (entry,) = (tmp_path / "cache").glob("*.json")
    document = json.loads(entry.read_text())
    document["files"] = [row[:6] for row in document["files"]]  # as an older safe-pip wrote
    entry.write_text(json.dumps(document))
    assert cache.load(url) is None


def test_knowing_the_extra_is_there_does_not_import_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """pypi-attestations and sigstore take ~0.5 s to import; every guarded install asks
    whether the extra is there, and only a file with provenance may pay for the import."""
    import sys

    from safe_pip.pipeline.provenance.verify import available

    for name in [m for m in sys.modules if m.split(".")[0] in ("pypi_attestations", "sigstore")]:
        monkeypatch.delitem(sys.modules, name)
    assert available()
    assert "pypi_attestations" not in sys.modules
    monkeypatch.setitem(sys.modules, "pypi_attestations", None)  # as if it were missing
    assert not available()
