"""Read and rewrite the project pages devpi renders (PEP 503 HTML and PEP 691 JSON).

A version policy blocks is either removed from the page (``remove``) or kept as a PEP 592
yanked file whose reason names the finding (``yank``, the default): installers skip yanked
files unless a requirement pins that exact version, so an unpinned requirement resolves to
the newest allowed version either way, while a pin (``vulnlib==1.0``, a lock file) picks
the yanked file, prints its reason -- the finding id and the fix -- and is refused the file
(HTTP 403). Removing it instead leaves a pin with pip's bare "no matching distribution".

devpi writes one link per line: ``user/index <a href="URL#sha256=..." ...>FILENAME</a><br>``
(for a browser, its refresh form and a note come before the first one on the same line).
The index holding a file is read from its URL (``/user/index/+f/...``) in both formats.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from safe_pip.devpi.guard import ServedFile

HIDE_MODES = ("yank", "remove")
_LINK_LINE = re.compile(
    # Anything may come first on a line: for a browser devpi puts its refresh form (and a
    # note on the mirror whitelist) on the first link's line.
    rb'^(?P<head>(?P<prefix>.*?)<a href="(?P<href>[^"]*)")(?P<rest>[^>]*)>(?P<key>[^<]*)</a>'
)
_YANKED_ATTR = re.compile(rb' data-yanked="[^"]*"')
_FILE_PATH = re.compile(r"^(?:.*/)?(?P<stage>[^/]+/[^/]+)/\+[fe]/")


@dataclass(frozen=True)
class PageFile:
    """One file link of a page, and where it sits in the page's data."""

    served: ServedFile
    url: str  # absolute, with fragment


def stage_from_url(url: str) -> str | None:
    """``user/index`` of a devpi file URL (``.../user/index/+f/ab/cdef/name.whl``)."""
    match = _FILE_PATH.match(unquote(urlsplit(url).path))
    return match.group("stage") if match else None


def _sha256(url: str) -> str | None:
    fragment = urlsplit(url).fragment
    return fragment[len("sha256=") :].lower() if fragment.startswith("sha256=") else None


def read_html(body: bytes, page_url: str) -> list[ServedFile]:
    files = []
    for line in body.splitlines():
        match = _LINK_LINE.match(line)
        if match is None:
            continue
        served = _html_file(match, page_url)
        if served is not None:
            files.append(served)
    return files


def _html_file(match: re.Match[bytes], page_url: str) -> ServedFile | None:
    url = urljoin(page_url, html.unescape(match.group("href").decode("utf-8", "replace")))
    stage = stage_from_url(url)
    if stage is None:
        return None
    rest = match.group("rest").decode("utf-8", "replace")
    yanked = re.search(r'data-yanked="([^"]*)"', rest)
    return ServedFile(
        filename=html.unescape(match.group("key").decode("utf-8", "replace")),
        stage=stage,
        sha256=_sha256(url),
        yanked=yanked is not None,
        yanked_reason=html.unescape(yanked.group(1)) or None if yanked else None,
    )


def read_json(document: Mapping[str, object], page_url: str) -> list[ServedFile]:
    files = []
    entries = document.get("files")
    for entry in entries if isinstance(entries, list) else []:
        served = _json_file(entry, page_url)
        if served is not None:
            files.append(served)
    return files


def _json_file(entry: object, page_url: str) -> ServedFile | None:
    if not isinstance(entry, dict):
        return None
    url = urljoin(page_url, str(entry.get("url", "")))
    stage = stage_from_url(url)
    if stage is None or not isinstance(entry.get("filename"), str):
        return None
    yanked = entry.get("yanked")
    hashes = entry.get("hashes")
    sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
    return ServedFile(
        filename=entry["filename"],
        stage=stage,
        sha256=str(sha256).lower() if sha256 else None,
        yanked=bool(yanked) or yanked == "",
        yanked_reason=yanked if isinstance(yanked, str) and yanked else None,
    )


@dataclass(frozen=True)
class Hide:
    """How to hide one file: the reason a yank shows, and whether it must go instead (a
    file another index holds, blocked only as served here: that index would serve it)."""

    reason: str
    remove: bool = False


# A file's fate: None keeps it as it is.
Fate = Callable[[ServedFile], "Hide | None"]


def rewrite_html(body: bytes, page_url: str, fate: Fate, mode: str) -> bytes:
    out = []
    for line in body.splitlines(keepends=True):
        match = _LINK_LINE.match(line)
        served = _html_file(match, page_url) if match is not None else None
        hide = fate(served) if served is not None else None
        if hide is None or match is None:
            out.append(line)
            continue
        if mode == "remove" or hide.remove:
            prefix = match.group("prefix")  # keep the form and note, not the index's name
            out.append(prefix[: prefix.rfind(b">") + 1])
            continue
        rest = _YANKED_ATTR.sub(b"", match.group("rest"))
        attribute = b' data-yanked="' + html.escape(hide.reason).encode("utf-8") + b'"'
        out.append(match.group("head") + attribute + rest + line[match.end("rest") :])
    return b"".join(out)


def rewrite_json(document: dict[str, object], page_url: str, fate: Fate, mode: str) -> bytes:
    entries = document.get("files")
    kept: list[object] = []
    for entry in entries if isinstance(entries, list) else []:
        served = _json_file(entry, page_url)
        hide = fate(served) if served is not None else None
        if hide is None:
            kept.append(entry)
        elif mode != "remove" and not hide.remove and isinstance(entry, dict):
            kept.append(dict(entry, yanked=hide.reason))
    document = dict(document, files=kept)
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def parse_json(body: bytes) -> dict[str, object] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None
