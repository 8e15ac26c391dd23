"""The index pages pip read during one guarded run, in safe-pip's own reading.

The guard inside pip (``hook/runtime/pip_patch.py``) sends, with every question, the bytes of
the pages pip read since the last one (index project pages, ``--find-links`` pages) and the
pages an index did not have (404/410), plus where pip looks: its finder's index URLs and
find-links locations, after requirements and constraints files changed them. Here those bytes
are parsed by ``index.client.parse_page``: yanked status (a valueless ``data-yanked`` is
yanked), upload times and PEP 792 project status come from safe-pip's reading of the page
pip chose from, never from pip's (no page is fetched twice, and none can change in between).
``--find-links`` directories are listed and hashed here (``index.find_links``).

A project is *complete* when every index's page for it was read or found absent; else
(pip could not read one) the caller reads the pages itself and fails closed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name

from safe_pip.index import find_links
from safe_pip.index.files import NO_PAGE, IndexFile, Page, ProjectStatus
from safe_pip.redaction import index_identity

if TYPE_CHECKING:
    from safe_pip.index.page_cache import PageCache


@dataclass
class ProjectFacts:
    """What the pages pip read say about one project: its files on every index and
    find-links location (each with the one it came from) and the PEP 792 markers."""

    files: list[IndexFile] = field(default_factory=list)
    statuses: list[ProjectStatus] = field(default_factory=list)


class PipPages:
    """The pages of one pip run (and the pips it starts), kept until asked about."""

    def __init__(self) -> None:
        self.index_urls: list[str] = []
        self.find_links: list[str] = []
        self._raw: dict[str, tuple[bytes, str, str]] = {}  # key -> body, type, page URL
        self._parsed: dict[tuple[str, str], Page] = {}  # (key, source) -> its reading
        self._absent: set[str] = set()
        self._projects: dict[str, ProjectFacts | None] = {}
        self._cache: PageCache | None = None  # the page cache, once a page is read

    def take(self, request: Mapping[str, Any]) -> None:
        """Note where pip looks and the pages a question carries (``ValueError`` on a
        malformed one)."""
        sources = request.get("sources")
        if isinstance(sources, Mapping):
            index_urls = _strings(sources.get("index_urls"), "index_urls")
            links = _strings(sources.get("find_links"), "find_links")
            if (index_urls, links) != (self.index_urls, self.find_links):
                self.index_urls, self.find_links = index_urls, links
                self._projects.clear()
        pages = request.get("pages", [])
        if not isinstance(pages, list):
            raise ValueError("'pages' must be a list")
        for page in pages:
            if not isinstance(page, Mapping) or not isinstance(page.get("url"), str):
                raise ValueError("a page must be an object with a 'url'")
            key = _key(page["url"])
            if page.get("absent"):
                self._absent.add(key)
                continue
            content_type, page_url = page.get("content_type"), page.get("page_url")
            if not isinstance(content_type, str) or not isinstance(page_url, str):
                raise ValueError("a page needs 'content_type' and 'page_url' text")
            self._raw[key] = (_body(page), content_type, page_url)
        if pages:
            self._projects = {n: f for n, f in self._projects.items() if f is not None}

    def close(self) -> None:
        """Keep the page cache within its size (when this run wrote to it)."""
        if self._cache is not None:
            self._cache.trim()

    def project(self, name: str) -> ProjectFacts | None:
        """The project's files and markers as the pages say; None when a page pip was to
        read for it is missing (pip could not read it, or its reading was not watched)."""
        name = canonicalize_name(name)
        if name not in self._projects:
            self._projects[name] = self._read_project(name)
        return self._projects[name]

    def projects(
        self, names: Sequence[str]
    ) -> tuple[dict[str, list[IndexFile]], list[ProjectStatus]] | None:
        """``project`` for several names, as ``check_plan`` takes them; None when any is
        incomplete."""
        files: dict[str, list[IndexFile]] = {}
        statuses: list[ProjectStatus] = []
        for name in names:
            facts = self.project(name)
            if facts is None:
                return None
            files[canonicalize_name(name)] = facts.files
            statuses.extend(facts.statuses)
        return files, statuses

    def _read_project(self, name: str) -> ProjectFacts | None:
        from safe_pip.index.client import project_page_url

        facts = ProjectFacts()
        for index_url in self.index_urls:
            key = _key(project_page_url(index_url, name))
            if key in self._absent or find_links.missing_local_page(index_url, name):
                continue  # a 404/410, or a file:// index without the project's directory
            if key not in self._raw:
                return None
            files, marker = self._parse(key, index_url, project_page_url(index_url, name))
            facts.files.extend(files)
            if marker is not None:
                facts.statuses.append(ProjectStatus(name, marker[0], marker[1], index_url))
        for location in self.find_links:
            directory = find_links.local_directory(location)
            if directory is not None:
                facts.files.extend(find_links.directory_files(directory, location, name))
                continue
            key = _key(location)
            if key in self._raw:  # a page pip read (one it could not read offered nothing)
                files, _ = self._parse(key, location, location)
                facts.files.extend(find_links.of_project(files, name))
        return facts

    def _parse(self, key: str, source: str, url: str) -> Page:
        """The page pip read at ``url`` (``key``) as read for ``source``: parsed once per
        run, and not at all when the page cache has the reading of the very same bytes
        (a project page can list 20,000 files)."""
        if (key, source) not in self._parsed:
            raw = self._raw.get(key)
            if raw is None:
                return NO_PAGE
            if self._cache is None:
                from safe_pip.index.page_cache import PageCache

                self._cache = PageCache.default()
            self._parsed[(key, source)] = _read(url, source, *raw, self._cache)
        return self._parsed[(key, source)]


def _read(
    url: str, source: str, body: bytes, content_type: str, page_url: str, cache: PageCache
) -> Page:
    from safe_pip.index.client import few_collections, parse_page
    from safe_pip.index.page_cache import Body

    media_type = content_type.split(";")[0].strip().lower()
    digest = Body.of(body, page_url, media_type)
    with few_collections():  # a cached page too is thousands of files that stay alive
        cached = cache.load(url)
        if cached is not None and cached.body == digest and _same_source(cached.files, source):
            return cached.files, cached.status
        files, status = parse_page(body, content_type, page_url, source)
    cache.store(url, source, {}, files, status, digest)
    return files, status


def _same_source(files: Sequence[IndexFile], source: str) -> bool:
    return all(file.index_url == source for file in files)


def _body(page: Mapping[str, Any]) -> bytes:
    """A page's bytes: framed after the question (``content``), or latin-1 text in it
    (``body``: every byte one character, as a guard sends them to a checker that has not
    said it reads frames)."""
    content, body = page.get("content"), page.get("body")
    if isinstance(content, bytes):
        return content
    if isinstance(body, str):
        return body.encode("latin-1")
    raise ValueError("a page needs its bytes ('body' text or framed 'content')")


def _key(url: str) -> str:
    """A page URL as compared: without fragment, credentials and trailing slash."""
    return index_identity(url.split("#", 1)[0])


def _strings(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{what}' must be a list of strings")
    return [str(v) for v in value]
