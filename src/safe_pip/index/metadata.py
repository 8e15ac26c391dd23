"""Read a wheel's core metadata from its index without downloading the wheel (PEP 658).

An index that serves ``<file URL>.metadata`` gives a distribution's ``Requires-Dist`` for
the price of a small file. Anything else (no such file, an error, an answer too large or
not readable) is ``None``: the caller says what it could not read, never guesses.
"""

from __future__ import annotations

import email.parser
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from safe_pip import limits

if TYPE_CHECKING:
    import httpx

    from safe_pip.index.settings import IndexSettings

METADATA_MAX_BYTES = 1024 * 1024
_MAX_WORKERS = 16


def requires_dist(metadata: bytes) -> list[str]:
    """The ``Requires-Dist`` lines of a core metadata file (headers only)."""
    text = metadata.decode("utf-8", errors="replace")
    message = email.parser.HeaderParser().parsestr(text)
    return [str(value) for value in message.get_all("Requires-Dist") or []]


def fetch_core_metadata(
    file_urls: Sequence[str],
    settings: IndexSettings | None,
    *,
    timeout: float = limits.READ_TIMEOUT_SECONDS,
) -> dict[str, bytes | None]:
    """``{file URL: its .metadata, or None}``, read concurrently with pip's network
    settings (as the index pages are)."""
    from safe_pip.index.client import _client, _is_trusted

    wanted = list(dict.fromkeys(file_urls))
    if not wanted:
        return {}
    remote = [url for url in wanted if urlsplit(url).scheme.lower() != "file"]
    found: dict[str, bytes | None] = {
        url: _read_local(url) for url in wanted if urlsplit(url).scheme.lower() == "file"
    }
    if remote:
        # Files on pip's trusted hosts are read without certificate checks, as pip reads them
        # (a client, with its TLS context, is made only for the kind that is needed).
        trusted_hosts = tuple(settings.trusted_hosts) if settings is not None else ()
        trusted = {url for url in remote if _is_trusted(url, trusted_hosts)}
        with ExitStack() as clients:
            verified = unverified = None
            if len(trusted) < len(remote):
                verified = clients.enter_context(_client(timeout, settings, verified=True))
            if trusted:
                unverified = clients.enter_context(_client(timeout, settings, verified=False))

            def fetch(url: str) -> bytes | None:
                chosen = unverified if url in trusted else verified
                assert chosen is not None
                return _fetch(chosen, url)

            with ThreadPoolExecutor(min(_MAX_WORKERS, len(remote))) as pool:
                found.update(zip(remote, pool.map(fetch, remote)))
    return found


def _fetch(client: httpx.Client, url: str) -> bytes | None:
    import httpx

    try:
        with client.stream("GET", url + ".metadata") as response:
            if response.status_code != 200:
                return None
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > METADATA_MAX_BYTES:
                    return None
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError:
        return None


def _read_local(url: str) -> bytes | None:
    from urllib.request import url2pathname

    path = Path(url2pathname(unquote(urlsplit(url).path)) + ".metadata")
    try:
        return limits.read_bytes(path, METADATA_MAX_BYTES)
    except (OSError, limits.DocumentError):
        return None
