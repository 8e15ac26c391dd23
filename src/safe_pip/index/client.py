"""Read project pages of simple-API package indexes: files, sha256, yanked status.

PEP 691 JSON is asked for first; PEP 503 HTML (with PEP 592 ``data-yanked`` and ``#sha256=``
fragments) is read when that is what the index answers. Every (index, project) page is
fetched concurrently. ``file://`` indexes are read from disk, as pip does (``index.html``).

A 404 means the index does not have the project: no files, not an error. Anything else
that prevents reading a page (connection error, timeout, 5xx, an unreadable answer) raises
``IndexUnreachableError``: a check that cannot see the index must not pass silently.

Network settings are pip's own (``pip_config.IndexSettings``): its CA bundle, client
certificate, proxy and trusted hosts, so an index pip can read is one safe-pip can read.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import inspect
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit

from packaging.utils import canonicalize_name

from safe_pip import limits
from safe_pip.artifacts import filename_from_url, without_fragment
from safe_pip.errors import IndexUnreachableError
from safe_pip.index.files import NO_PAGE, Marker, Page
from safe_pip.index.files import FileMatcher as FileMatcher  # re-exported
from safe_pip.index.files import IndexFile as IndexFile  # re-exported
from safe_pip.index.files import ProjectStatus as ProjectStatus  # re-exported
from safe_pip.index.files import match_file as match_file  # re-exported
from safe_pip.index.page_cache import Body, CachedPage, PageCache
from safe_pip.redaction import redact_url

if TYPE_CHECKING:
    import ssl

    import httpx

    from safe_pip.index.settings import IndexSettings

ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.1"
)
MAX_WORKERS = 16
_CA_BUNDLE_VARIABLES = ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
_REQUESTS_CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
_NOT_FOUND = (404, 410)
_PARSING_GC_THRESHOLD = 100_000  # allocations between young-generation collections


@functools.lru_cache(maxsize=1)
def _proxy_keyword() -> str:
    """httpx 0.26 renamed ``proxies=`` to ``proxy=`` (and 0.28 removed ``proxies=``)."""
    import httpx

    return "proxy" if "proxy" in inspect.signature(httpx.Client).parameters else "proxies"


def fetch_index_files(
    index_urls: Sequence[str],
    names: Iterable[str],
    *,
    timeout: float = limits.READ_TIMEOUT_SECONDS,
    settings: IndexSettings | None = None,
    request_deadline: float = limits.DEFAULT_REQUEST_DEADLINE_SECONDS,
    run_deadline: float = limits.DEFAULT_RUN_DEADLINE_SECONDS,
    cache: PageCache | None = None,
    statuses: list[ProjectStatus] | None = None,
) -> dict[str, list[IndexFile]]:
    """``{canonical name: files from every index, in index order}`` for these projects.

    ``settings``: pip's network settings (CA bundle, client certificate, proxy, trusted
    hosts); without them the CA bundle comes from ``PIP_CERT`` and similar variables.
    ``timeout`` bounds each read; ``request_deadline`` each page as a whole and
    ``run_deadline`` all of them together (policy ``request-deadline`` / ``run-deadline``):
    past either, ``IndexUnreachableError`` names the page. ``cache``: where parsed pages
    are kept between runs and revalidated with a conditional request (default:
    ``PageCache.default()``, see ``page_cache``). ``statuses``: when given, the PEP 792
    markers (other than ``active``) the pages carry are appended to it."""
    run = limits.Deadline.start("run-deadline", run_deadline)
    projects = list(dict.fromkeys(canonicalize_name(name) for name in names))
    pages = [(index_url, name) for name in projects for index_url in index_urls]
    found: dict[str, list[IndexFile]] = {name: [] for name in projects}
    if not pages:
        return found
    trusted = tuple(settings.trusted_hosts) if settings is not None else ()
    page_cache = PageCache.default() if cache is None else cache
    with ExitStack() as clients:
        client = clients.enter_context(_client(timeout, settings, verified=True))
        # Pages on pip's trusted hosts are read without certificate checks, as pip reads them.
        unverified = client
        if any(_is_trusted(url, trusted) for url in index_urls):
            unverified = clients.enter_context(_client(timeout, settings, verified=False))

        def fetch(page: tuple[str, str]) -> Page:
            chosen = unverified if _is_trusted(page[0], trusted) else client
            deadline = run.within("request-deadline", request_deadline)
            return _fetch_page(chosen, *page, deadline, page_cache)

        with few_collections(), ThreadPoolExecutor(min(MAX_WORKERS, len(pages))) as pool:
            for (index_url, name), (files, marker) in zip(pages, pool.map(fetch, pages)):
                found[name].extend(files)
                if marker is not None and statuses is not None:
                    statuses.append(ProjectStatus(name, marker[0], marker[1], index_url))
    page_cache.trim()
    return found


class _FewCollections:
    """Pages list up to thousands of files each, and every parsed file stays alive for the
    run: the garbage collector's passes over them found nothing to free and cost ~0.3 s of
    CPU for a 160-package lock. Collect less often while pages are read (fetched, parsed or
    taken from the page cache; memory stays bounded by the page size limit and the number of
    pages); the process's own threshold is back once the last of any concurrent readers is
    done."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readers = 0
        self._saved = gc.get_threshold()

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._readers == 0:
                self._saved = gc.get_threshold()
                first, *older = self._saved
                gc.set_threshold(max(first, _PARSING_GC_THRESHOLD), *older)
            self._readers += 1
        try:
            yield
        finally:
            with self._lock:
                self._readers -= 1
                if self._readers == 0:
                    gc.set_threshold(*self._saved)


few_collections = _FewCollections()


def fetch_small_files(
    urls: Sequence[str],
    *,
    settings: IndexSettings | None = None,
    max_bytes: int = 4 << 20,
    request_deadline: float = limits.DEFAULT_REQUEST_DEADLINE_SECONDS,
) -> dict[str, bytes | None]:
    """``{url: bytes}`` of small documents an index page links to (PEP 740 provenance), read
    the way pages are (pip's network settings); None for a 404/410. ``IndexUnreachableError``
    when one cannot be read."""
    import httpx

    found: dict[str, bytes | None] = {}
    if not urls:
        return found
    trusted = tuple(settings.trusted_hosts) if settings is not None else ()
    with ExitStack() as clients:
        client = clients.enter_context(
            _client(limits.READ_TIMEOUT_SECONDS, settings, verified=True)
        )
        for url in dict.fromkeys(urls):
            chosen = client
            if _is_trusted(url, trusted):
                chosen = clients.enter_context(
                    _client(limits.READ_TIMEOUT_SECONDS, settings, verified=False)
                )
            deadline = limits.Deadline.start("request-deadline", request_deadline)
            try:
                with chosen.stream("GET", url, headers={"Accept": "application/json"}) as response:
                    if response.status_code in _NOT_FOUND:
                        found[url] = None
                        continue
                    if response.status_code != 200:
                        raise IndexUnreachableError(
                            f"cannot read {redact_url(url)} (HTTP {response.status_code})"
                        )
                    found[url] = _read_body(response, deadline, max_bytes)
            except httpx.HTTPError as error:
                raise IndexUnreachableError(
                    f"cannot read {redact_url(url)} ({_describe(error)})"
                ) from None
            except (_TooSlow, limits.DocumentError) as error:
                raise IndexUnreachableError(f"cannot read {redact_url(url)} ({error})") from None
    return found


def download_files(
    downloads: Sequence[tuple[str, Path]], *, settings: IndexSettings | None = None
) -> dict[Path, str]:
    """Stream each ``(url, path)`` to ``path``, read the way pages are (pip's or uv's network
    settings); ``{path: sha256 of what was written}``. ``IndexUnreachableError`` when one
    cannot be downloaded."""
    import hashlib

    import httpx

    written: dict[Path, str] = {}
    trusted = tuple(settings.trusted_hosts) if settings is not None else ()
    with ExitStack() as clients:
        verified = clients.enter_context(
            _client(limits.READ_TIMEOUT_SECONDS, settings, verified=True)
        )
        unverified: httpx.Client | None = None
        for url, path in downloads:
            client = verified
            if _is_trusted(url, trusted):
                if unverified is None:
                    unverified = clients.enter_context(
                        _client(limits.READ_TIMEOUT_SECONDS, settings, verified=False)
                    )
                client = unverified
            digest = hashlib.sha256()
            try:
                with client.stream("GET", url) as response, path.open("wb") as out:
                    if response.status_code != 200:
                        raise IndexUnreachableError(
                            f"cannot download {redact_url(url)} (HTTP {response.status_code})"
                        )
                    for chunk in response.iter_bytes():
                        digest.update(chunk)
                        out.write(chunk)
            except httpx.HTTPError as error:
                raise IndexUnreachableError(
                    f"cannot download {redact_url(url)} ({_describe(error)})"
                ) from None
            except OSError as error:
                raise IndexUnreachableError(f"cannot write {path}: {error}") from None
            written[path] = digest.hexdigest()
    return written


def project_page_url(index_url: str, name: str) -> str:
    return f"{index_url.rstrip('/')}/{canonicalize_name(name)}/"


# ---------------------------------------------------------------- fetching


def _client(timeout: float, settings: IndexSettings | None, *, verified: bool) -> httpx.Client:
    import httpx  # only when a page is fetched: httpx is most of this module's import time

    options: dict[str, Any] = {}
    if settings is not None:
        options["trust_env"] = settings.trust_env
        if settings.proxy:
            options[_proxy_keyword()] = _proxy_url(settings.proxy)
    if settings is None or settings.trust_env:
        netrc_file = _netrc_file()
        if netrc_file is not None:
            options["auth"] = httpx.NetRCAuth(netrc_file)
    return httpx.Client(
        timeout=timeout,
        follow_redirects=True,
        headers={"Accept": ACCEPT, "User-Agent": "safe-pip"},
        verify=_tls_context(settings) if verified else _unverified_tls_context(settings),
        **options,
    )


def _netrc_file() -> str | None:
    """The netrc file pip's HTTP library reads credentials for an index from (``NETRC``,
    else ``~/.netrc``), when there is a readable one: a private index that pip can read
    with it, a check can read too. The credentials go only to the host they are for, and
    never into a URL, an output or the page cache's keys."""
    import netrc

    path = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    try:
        netrc.netrc(path)
    except (OSError, netrc.NetrcParseError):
        return None  # none, or unreadable: requests (pip) goes on without one as well
    return path


def _tls_context(settings: IndexSettings | None) -> ssl.SSLContext | bool:
    """Verify with the CA bundle pip's requests will use, else a CA bundle variable, else
    httpx's default; present pip's ``client_cert`` if set."""
    cert = _pip_ca_bundle(settings)
    client_cert = settings.client_cert if settings is not None else None
    if cert and not os.path.exists(cert):
        raise IndexUnreachableError(f"CA certificate bundle not found: {cert} (pip's cert)")
    context = _context_for_ca_bundle(cert) if cert else _ca_bundle_from_environment()
    if client_cert:
        import httpx

        context = context or httpx.create_ssl_context()
        _load_client_cert(context, client_cert)
    return True if context is None else context


def _pip_ca_bundle(settings: IndexSettings | None) -> str | None:
    """requests (pip's HTTP library) lets ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` override
    pip's ``cert`` whenever it reads the environment: so does safe-pip."""
    if settings is None:
        return None
    if settings.trust_env:
        for variable in _REQUESTS_CA_BUNDLE_VARIABLES:
            path = os.environ.get(variable)
            if path and os.path.exists(path):
                return path
    return settings.cert


def _unverified_tls_context(settings: IndexSettings | None) -> ssl.SSLContext:
    import ssl  # ssl and httpx are imported only when a page is fetched

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if settings is not None and settings.client_cert:
        _load_client_cert(context, settings.client_cert)
    return context


def _context_for_ca_bundle(path: str) -> ssl.SSLContext:
    import ssl

    try:
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        return ssl.create_default_context(cafile=path)
    except (ssl.SSLError, OSError) as error:
        raise IndexUnreachableError(
            f"cannot read the CA certificate bundle {path}: {_reason(error)}"
        ) from None


def _load_client_cert(context: ssl.SSLContext, path: str) -> None:
    import ssl

    try:
        context.load_cert_chain(path)
    except (ssl.SSLError, OSError) as error:
        raise IndexUnreachableError(
            f"cannot read the client certificate {path}: {_reason(error)}"
        ) from None


def _reason(error: OSError) -> str:
    return error.strerror or getattr(error, "reason", None) or str(error)


def _ca_bundle_from_environment() -> ssl.SSLContext | None:
    for variable in _CA_BUNDLE_VARIABLES:
        path = os.environ.get(variable)
        if path and os.path.exists(path):
            return _context_for_ca_bundle(path)
    return None


def _proxy_url(proxy: str) -> str:
    """pip (requests) takes ``host:port`` as an http proxy; httpx needs the scheme."""
    return proxy if "://" in proxy else f"http://{proxy}"


def _is_trusted(url: str, trusted_hosts: Sequence[str]) -> bool:
    """pip's rule: ``host`` trusts every port of that host, ``host:port`` only that port."""
    if not trusted_hosts:
        return False
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return False
    for entry in trusted_hosts:
        try:
            trusted = urlsplit(f"//{entry}")
            trusted_host, trusted_port = (trusted.hostname or "").lower(), trusted.port
        except ValueError:
            continue
        if trusted_host == host and (trusted_port is None or trusted_port == port):
            return True
    return False


def _fetch_page(
    client: httpx.Client,
    index_url: str,
    name: str,
    deadline: limits.Deadline,
    cache: PageCache,
) -> Page:
    import httpx

    url = project_page_url(index_url, name)
    if urlsplit(url).scheme.lower() == "file":
        return _read_local_page(url, index_url)
    cached = cache.load(url)
    headers = cached.conditional_headers() if cached is not None else None
    try:
        if deadline.expired:
            raise _TooSlow(deadline)
        # No single read may wait past the deadline either.
        read_timeout = min(client.timeout.read or deadline.seconds, deadline.remaining())
        with client.stream("GET", url, timeout=read_timeout, headers=headers) as response:
            if response.status_code == 304 and cached is not None:
                return cached.files, cached.status  # not modified since it was parsed
            if response.status_code in _NOT_FOUND:
                return NO_PAGE
            if response.status_code != 200:
                raise IndexUnreachableError(
                    f"package index unreachable: {redact_url(url)} (HTTP {response.status_code})"
                )
            content = _read_body(response, deadline)
            page_url = str(response.url)
            content_type = response.headers.get("content-type", "")
            response_headers = response.headers
    except httpx.HTTPError as error:
        raise IndexUnreachableError(
            f"package index unreachable: {redact_url(url)} ({_describe(error)})"
        ) from None
    except _TooSlow as slow:
        raise IndexUnreachableError(f"package index too slow: {redact_url(url)} ({slow})") from None
    except limits.DocumentError as error:
        raise IndexUnreachableError(
            f"package index sent an unreadable page: {redact_url(url)} ({error})"
        ) from None
    media_type = content_type.split(";")[0].strip().lower()
    body = Body.of(content, page_url, media_type)
    if cached is not None and cached.body == body:
        # The same bytes as last time (an index without validators sends them all): the
        # same files. The entry is written again only if what the index says about caching
        # changed.
        if _same_caching_headers(response_headers, cached):
            return cached.files, cached.status
        files, status = cached.files, cached.status
    else:
        files, status = _parse_page(content, media_type, page_url, index_url)
    cache.store(url, index_url, response_headers, files, status, body)
    return files, status


def _same_caching_headers(headers: Mapping[str, str], cached: CachedPage) -> bool:
    return (
        headers.get("etag") == cached.etag
        and headers.get("last-modified") == cached.last_modified
        and "no-store" not in headers.get("cache-control", "").lower()
    )


class _TooSlow(Exception):
    def __init__(self, deadline: limits.Deadline) -> None:
        super().__init__(deadline.describe())


def _read_body(
    response: httpx.Response,
    deadline: limits.Deadline,
    max_bytes: int = limits.INDEX_PAGE_MAX_BYTES,
) -> bytes:
    """The whole body, within the deadline and ``max_bytes`` (a page's limit by default)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        limits.check_size(size, max_bytes)
        chunks.append(chunk)
        if deadline.expired:
            raise _TooSlow(deadline)
    return b"".join(chunks)


def _read_local_page(url: str, index_url: str) -> Page:
    from urllib.request import url2pathname

    path = Path(url2pathname(unquote(urlsplit(url).path))) / "index.html"
    try:
        content = limits.read_bytes(path, limits.INDEX_PAGE_MAX_BYTES)
    except FileNotFoundError:
        return NO_PAGE
    except OSError as error:
        raise IndexUnreachableError(
            f"package index unreachable: {url} ({error.strerror})"
        ) from None
    except limits.DocumentError as error:
        raise IndexUnreachableError(
            f"package index sent an unreadable page: {url} ({error})"
        ) from None
    return _parse_page(content, "text/html", path.as_uri(), index_url)


def _describe(error: httpx.HTTPError) -> str:
    import httpx

    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    if isinstance(error, httpx.ConnectError):
        text = str(error)
        return "connection refused" if "refused" in text.lower() else text or "cannot connect"
    return str(error) or type(error).__name__


# What pip reads a project page as (anything else it skips, and so must a check).
_JSON_TYPES = ("application/vnd.pypi.simple.v1+json", "application/vnd.pypi.simple.latest+json")
_HTML_TYPES = (
    "text/html",
    "application/vnd.pypi.simple.v1+html",
    "application/vnd.pypi.simple.latest+html",
)


def parse_page(content: bytes, content_type: str, page_url: str, index_url: str) -> Page:
    """One project page (or a flat ``--find-links`` page) in safe-pip's own reading: its
    files and PEP 792 marker. ``content_type``: the answer's (parameters are ignored);
    ``IndexUnreachableError`` for a page that is no simple-API page or cannot be read."""
    media_type = content_type.split(";")[0].strip().lower()
    with few_collections():
        return _parse_page(content, media_type, page_url, index_url)


def _parse_page(content: bytes, content_type: str, page_url: str, index_url: str) -> Page:
    if content_type not in (*_JSON_TYPES, *_HTML_TYPES):
        raise IndexUnreachableError(
            f"package index sent an unreadable page: {redact_url(page_url)} "
            f"(Content-Type {content_type or 'missing'!r} is no simple-API page)"
        )
    try:
        if content_type in _JSON_TYPES:
            return _parse_json(content, page_url, index_url)
        return _parse_html(content, page_url, index_url)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise IndexUnreachableError(
            f"package index sent an unreadable page: {redact_url(page_url)} ({error})"
        ) from None


# ---------------------------------------------------------------- PEP 691 JSON


def _parse_json(content: bytes, page_url: str, index_url: str) -> Page:
    document = limits.load_json(content, max_bytes=limits.INDEX_PAGE_MAX_BYTES)
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, list):
        raise ValueError("'files' is not a list")
    marker = document.get("project-status")
    status = marker.get("status") if isinstance(marker, dict) else None
    reason = marker.get("reason") if isinstance(marker, dict) else None
    return (
        [_json_file(entry, page_url, index_url) for entry in files],
        _marker(status, reason),
    )


def _marker(status: object, reason: object) -> Marker | None:
    """A PEP 792 marker worth reporting: any status but ``active`` (the default)."""
    if not isinstance(status, str) or status.strip().lower() in ("", "active"):
        return None
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    return status.strip().lower(), text or None


def _json_file(entry: object, page_url: str, index_url: str) -> IndexFile:
    if not isinstance(entry, dict):
        raise ValueError("a file entry is not an object")
    filename, url = entry.get("filename"), entry.get("url")
    if not isinstance(filename, str) or not isinstance(url, str):
        raise ValueError("a file entry has no filename/url")
    hashes = entry.get("hashes", {})
    sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
    yanked = entry.get("yanked", False)
    upload_time = entry.get("upload-time")
    if not isinstance(hashes, dict) or not (sha256 is None or isinstance(sha256, str)):
        raise ValueError(f"{filename}: 'hashes' must map hash names to strings")
    if not isinstance(yanked, (bool, str)):
        raise ValueError(f"{filename}: 'yanked' must be true, false or a reason")
    provenance = entry.get("provenance")
    return IndexFile(
        filename=filename,
        url=_absolute_url(page_url, url),
        sha256=sha256.lower() if isinstance(sha256, str) else None,
        yanked=bool(yanked),
        yanked_reason=yanked if isinstance(yanked, str) and yanked else None,
        upload_time=upload_time if isinstance(upload_time, str) else None,
        index_url=index_url,
        provenance=_absolute_url(page_url, provenance) if isinstance(provenance, str) else None,
    )


def _absolute_url(page_url: str, url: str) -> str:
    """``url`` made absolute against the page, without its fragment. PEP 691 pages usually
    give plain absolute URLs (a page lists thousands): those are taken as they are, which is
    what ``urljoin`` and ``without_fragment`` would return for them."""
    if url.startswith(("https://", "http://")) and not any(c in url for c in "?#;"):
        return url
    return without_fragment(urljoin(page_url, url))


# ---------------------------------------------------------------- PEP 503 HTML


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.anchors: list[dict[str, str | None]] = []
        self.meta: dict[str, str] = {}  # first <meta name=... content=...> per name

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name, content = attributes.get("name"), attributes.get("content")
        if tag == "meta" and name and content is not None:
            self.meta.setdefault(name.lower(), content)
        elif tag == "base" and self.base is None and attributes.get("href"):
            self.base = attributes["href"]
        elif tag == "a" and attributes.get("href"):
            self.anchors.append(attributes)


def _parse_html(content: bytes, page_url: str, index_url: str) -> Page:
    parser = _AnchorParser()
    parser.feed(content.decode("utf-8", errors="replace"))
    parser.close()
    base = urljoin(page_url, parser.base) if parser.base else page_url
    files: list[IndexFile] = []
    for anchor in parser.anchors:
        href = anchor["href"] or ""
        absolute = urljoin(base, href)
        filename = filename_from_url(absolute)
        if not filename:
            continue
        yanked = "data-yanked" in anchor
        reason = anchor.get("data-yanked") if yanked else None
        files.append(
            IndexFile(
                filename=filename,
                url=without_fragment(absolute),
                sha256=_fragment_sha256(absolute),
                yanked=yanked,
                yanked_reason=reason or None,
                upload_time=None,
                index_url=index_url,
                provenance=urljoin(base, anchor["data-provenance"] or "")
                if anchor.get("data-provenance")
                else None,
            )
        )
    meta = parser.meta
    return files, _marker(meta.get("pypi:project-status"), meta.get("pypi:project-status-reason"))


def _fragment_sha256(url: str) -> str | None:
    for part in urlsplit(url).fragment.split("&"):
        algorithm, _, digest = part.partition("=")
        if algorithm == "sha256" and digest:
            return digest.lower()
    return None
