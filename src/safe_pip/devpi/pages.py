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
from collections.abc import Mapping
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
_YANKED_VALUE = re.compile(rb'data-yanked="([^"]*)"')
_FILE_PATH = re.compile(r"^(?:.*/)?(?P<stage>[^/]+/[^/]+)/\+[fe]/")
_STAGE_PREFIX = re.compile(rb"(?:^|>)(?P<stage>[^\s/<>]+/[^\s/<>]+) $")


def stage_from_url(url: str) -> str | None:
    """``user/index`` of a devpi file URL (``.../user/index/+f/ab/cdef/name.whl``)."""
    match = _FILE_PATH.match(unquote(urlsplit(url).path))
    return match.group("stage") if match else None


class _Stages:
    """``stage_from_url`` of a page's links: the links of one index share the part before
    ``+f/`` (``../../``, ``../../../root/pypi/``), so each such part is resolved once."""

    def __init__(self, page_url: str) -> None:
        self.page_url = page_url
        self._by_base: dict[str, str | None] = {}

    def of(self, href: str) -> str | None:
        cut = max(href.find("+f/"), href.find("+e/"))
        if cut < 0:
            return None
        base = href[:cut]
        if base not in self._by_base:
            self._by_base[base] = stage_from_url(urljoin(self.page_url, base + "+f/x"))
        return self._by_base[base]


def _sha256(href: str) -> str | None:
    _, _, fragment = href.partition("#")
    return fragment[len("sha256=") :].lower() if fragment.startswith("sha256=") else None


def read_html(body: bytes, page_url: str) -> list[ServedFile]:
    stages = _Stages(page_url)
    files = []
    for line in body.splitlines():
        if b"<a " not in line:
            continue
        match = _LINK_LINE.match(line)
        served = _html_file(match, stages) if match is not None else None
        if served is not None:
            files.append(served)
    return files


def _html_file(match: re.Match[bytes], stages: _Stages) -> ServedFile | None:
    href = match.group("href").decode("utf-8", "replace")
    if "&" in href:
        href = html.unescape(href)
    # devpi names the index holding the file before the link; the URL tells it otherwise
    named = _STAGE_PREFIX.search(match.group("prefix"))
    stage = named.group("stage").decode("utf-8", "replace") if named else stages.of(href)
    if stage is None:
        return None
    rest = match.group("rest")
    yanked = _YANKED_VALUE.search(rest) if b"data-yanked" in rest else None
    key = match.group("key").decode("utf-8", "replace")
    return ServedFile(
        filename=html.unescape(key) if "&" in key else key,
        stage=stage,
        sha256=_sha256(href),
        yanked=yanked is not None,
        yanked_reason=html.unescape(yanked.group(1).decode("utf-8", "replace")) or None
        if yanked
        else None,
    )


def read_json(document: Mapping[str, object], page_url: str) -> list[ServedFile]:
    stages = _Stages(page_url)
    files = []
    entries = document.get("files")
    for entry in entries if isinstance(entries, list) else []:
        served = _json_file(entry, stages)
        if served is not None:
            files.append(served)
    return files


def _json_file(entry: object, stages: _Stages) -> ServedFile | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
        return None
    stage = stages.of(str(entry.get("url", "")))
    if stage is None:
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


# What to hide, by file name (a page lists a file name once).
Hides = Mapping[str, Hide]


def rewrite_html(body: bytes, hides: Hides, mode: str) -> bytes:
    out = []
    for line in body.splitlines(keepends=True):
        match = _LINK_LINE.match(line) if b"<a " in line else None
        hide = hides.get(_text(match.group("key"))) if match is not None else None
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


def _text(key: bytes) -> str:
    text = key.decode("utf-8", "replace")
    return html.unescape(text) if "&" in text else text


def rewrite_json(document: dict[str, object], hides: Hides, mode: str) -> bytes:
    entries = document.get("files")
    kept: list[object] = []
    for entry in entries if isinstance(entries, list) else []:
        filename = entry.get("filename") if isinstance(entry, dict) else None
        hide = hides.get(filename) if isinstance(filename, str) else None
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
