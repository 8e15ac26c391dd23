"""How artifacts are named and hashed: sha256 digests and artifact URLs.

Every reader (pip's report, index pages, lock files, requirement files) uses these, so a
digest or a file name means the same thing wherever it was read.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


def is_sha256(digest: str) -> bool:
    """Whether ``digest`` is a whole sha256 hex digest (either case)."""
    return SHA256_HEX.fullmatch(digest) is not None


def filename_from_url(url: str) -> str | None:
    """The last path segment of an artifact URL or path, URL-decoded; None when empty."""
    try:
        path = urlsplit(url).path
    except ValueError:  # a host Python cannot split ("http://[x/f.whl"): the path still ends it
        path = url.split("#", 1)[0].split("?", 1)[0]
    last = unquote(path).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return last or None


def without_fragment(url: str) -> str:
    """``url`` without its ``#...`` part (where indexes put ``sha256=...``)."""
    try:
        return urlunsplit(urlsplit(url)._replace(fragment=""))
    except ValueError:  # a host Python cannot split: cut at the first '#', as urlsplit does
        return url.split("#", 1)[0]


def name_and_version(filename: str) -> tuple[str, str] | None:
    """(PEP 503-normalized name, version) a wheel or sdist file name tells; None for any
    other name (a legacy ``.egg``, ``.exe``) or one that does not parse."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return canonicalize_name(name), str(version)
