"""Turn pip's resolved ``RequirementSet`` into safe-pip's plan JSON (``models.plan_to_json``).

Reads only attributes that pip's resolver has filled in by the time ``resolve()`` returns.
A missing attribute raises ``AttributeError``; the caller treats that as "pip not supported".
"""

from __future__ import annotations

import hashlib
import os
import re
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_HASH_CHUNK = 1 << 20
# PEP 700 upload times read off JSON index pages, by file URL, for pips whose ``Link`` does
# not keep them (filled in by ``pip_patch``).
UPLOAD_TIMES: dict[str, str] = {}
# PEP 740 provenance URLs (JSON ``provenance``, HTML ``data-provenance``), by file URL.
PROVENANCE_URLS: dict[str, str] = {}


def note_provenance(link: Any, provenance: object, args: Any, kwargs: Any) -> None:
    """Remember ``link``'s provenance URL, made absolute against the page it was on."""
    if link is None or not isinstance(provenance, str) or not provenance:
        return
    from urllib.parse import urljoin

    page = args[0] if args else kwargs.get("page_url") or kwargs.get("base_url") or link.url
    PROVENANCE_URLS[link.url] = urljoin(str(page), provenance)


class PlanError(Exception):
    """The plan cannot be built for a reason other than pip's internals (one line, without
    the "safe-pip hook:" prefix, which the caller adds)."""


def plan_json(
    requirement_set: Any, options: Any, index_urls: list[str] | None = None
) -> dict[str, Any]:
    """The plan for ``requirement_set.requirements_to_install`` and the index URLs in use
    (``index_urls``: pip's finder's; else its options')."""
    if index_urls is None:
        index_urls = index_urls_from_options(options)
    items = [plan_item(req, index_urls) for req in requirement_set.requirements_to_install]
    return {
        "items": items,
        "index_urls": index_urls,
        "network": network_from_options(options),
        "origin": origin(),
        "marker_environment": marker_environment(),
    }


def marker_environment() -> dict[str, str] | None:
    """The environment pip evaluates ``Requires-Dist`` markers in (for dependency paths)."""
    try:
        from pip._vendor.packaging.markers import default_environment
    except ImportError:
        return None
    return {key: str(value) for key, value in default_environment().items()}


def origin() -> dict[str, Any]:
    """For the decision log: which environment, and the pip command the user ran."""
    return {"python": sys.executable, "command": ["pip", *sys.argv[1:]]}


def candidate_facts(candidate: Any) -> tuple[str, bool, str | None, str | None]:
    """What decides whether pip may choose one file (an ``InstallationCandidate``): its
    version, whether it is yanked and why, and its PEP 700 upload time."""
    link = candidate.link
    return (
        str(candidate.version),
        bool(link.is_yanked),
        link.yanked_reason or None,
        _upload_time(link),
    )


def _named_roots(root_requirements: Any) -> list[Any]:
    """The named root requirements of a resolution (the user's and constraints) whose
    markers hold here, as pip's ``packaging`` requirements."""
    named = []
    for req in root_requirements or ():
        requirement = getattr(req, "req", None)
        match_markers = getattr(req, "match_markers", None)
        if requirement is not None and (match_markers is None or match_markers()):
            named.append(requirement)
    return named


def requirement_texts(root_requirements: Any) -> list[str]:
    """The named root requirements in effect, as ``name<specifier>`` text."""
    return [f"{r.name}{r.specifier}" for r in _named_roots(root_requirements)]


def exact_pins(root_requirements: Any) -> dict[str, str]:
    """``{normalized name: version}`` of the root requirements in effect (the user's,
    constraints included) that allow exactly one version (``==V`` without a wildcard,
    ``===V``)."""
    pins: dict[str, str] = {}
    for requirement in _named_roots(root_requirements):
        specifiers = list(requirement.specifier)
        if len(specifiers) != 1:
            continue
        operator, version = specifiers[0].operator, specifiers[0].version
        if operator == "===" or (operator == "==" and not version.endswith(".*")):
            pins[normalize_name(str(requirement.name))] = str(version)
    return pins


def requirement_facts(req: Any, version: str | None, index_urls: list[str]) -> dict[str, Any]:
    """What is known about a requirement before pip downloads or prepares it."""
    link = req.link
    source = _source(req, link)
    from_index = source == "index"
    name = req.name or name_from_filename(link.filename)
    return {
        # unnamed (``pip install ./dir``, an archive URL): what its file name tells, else
        # the last part of its path, to name it in a report; the full check reads its metadata
        "name": normalize_name(name or _last_part(link)),
        "name_known": bool(name),
        "version": version or (version_from_filename(name, link.filename) if name else None),
        "source": source,
        "url": link.url_without_fragment,
        "filename": _filename(link, source),
        "sha256": _link_sha256(link),
        "index_url": _index_url(link, index_urls) if from_index else None,
        "yanked": bool(link.is_yanked) if from_index else None,
        "yanked_reason": (link.yanked_reason or None) if from_index else None,
        "pinned_hashes": [h.lower() for h in req.hash_options.get("sha256", [])],
        "page": page_facts(link, index_urls) if from_index else None,
        "requested": bool(getattr(req, "user_supplied", False)),  # typed: typosquat check
        "required_by": _required_by(req),
    }


def _required_by(req: Any) -> list[str]:
    """The distribution that asked for ``req`` (``app==1.0``), for "via" in a gate's report;
    none for what the user asked for, or when pip does not say."""
    parent: Any = getattr(req, "comes_from", None)
    name = getattr(parent, "name", None)
    if not isinstance(name, str) or not name or getattr(req, "user_supplied", False):
        return []
    try:
        version = parent.metadata["Version"]
    except Exception:
        version = None
    return [f"{normalize_name(name)}=={version}" if version else normalize_name(name)]


def page_facts(link: Any, index_urls: list[str]) -> dict[str, Any] | None:
    """The index page's entry for ``link`` (None when it was not found on an index page)."""
    index_url = _index_url(link, index_urls)
    if index_url is None:
        return None
    return {
        "sha256": _link_sha256(link),
        "yanked": bool(link.is_yanked),
        "yanked_reason": link.yanked_reason or None,
        "upload_time": _upload_time(link),
        "index_url": index_url,
        "provenance": PROVENANCE_URLS.get(link.url),
    }


def _upload_time(link: Any) -> str | None:
    upload_time = getattr(link, "upload_time", None)  # newer pips keep PEP 700's upload-time
    return upload_time.isoformat() if upload_time is not None else UPLOAD_TIMES.get(link.url)


def name_from_filename(filename: str) -> str | None:
    """The project name a wheel or sdist file name carries (``pkg-1.0.tar.gz`` -> ``pkg``),
    None when it does not look like one (``v1.0.tar.gz``, a directory)."""
    if filename.endswith(".whl"):
        parts = filename.split("-")
        return parts[0] if len(parts) >= 5 else None
    lowered = filename.lower()
    stem = next((filename[: -len(s)] for s in _ARCHIVE_SUFFIXES if lowered.endswith(s)), None)
    if stem is None:
        return None
    name, _, version = stem.rpartition("-")
    return name if name and re.match(r"v?[0-9][^-]*$", version) else None


def _last_part(link: Any) -> str:
    path = str(link.url_without_fragment).rstrip("/")
    return path.rsplit("/", 1)[-1] or "unnamed"


_ARCHIVE_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".tbz", ".txz")


def version_from_filename(name: str, filename: str) -> str | None:
    """The version a wheel or sdist file name carries (None if it cannot be read off)."""
    if filename.endswith(".whl"):
        parts = filename[: -len(".whl")].split("-")
        return parts[1] if len(parts) >= 5 else None
    lowered = filename.lower()
    stem = next((filename[: -len(s)] for s in _ARCHIVE_SUFFIXES if lowered.endswith(s)), None)
    if stem is None:
        return None
    wanted = normalize_name(name)
    for cut in range(len(stem)):
        if stem[cut] == "-" and normalize_name(stem[:cut]) == wanted:
            version = stem[cut + 1 :]
            return version if re.match(r"v?[0-9][^-]*$", version) else None
    return None


def network_from_options(options: Any) -> dict[str, Any]:
    """How this pip reaches its indexes, so the checker reads them the same way
    (the same fields as ``safe_pip.index.settings.IndexSettings``)."""
    proxy = getattr(options, "proxy", None) or None
    no_proxy_env = bool(getattr(options, "no_proxy_env", False))
    return {
        "cert": getattr(options, "cert", None) or None,
        "client_cert": getattr(options, "client_cert", None) or None,
        "proxy": proxy,
        "trusted_hosts": list(getattr(options, "trusted_hosts", None) or []),
        # pips that have --no-proxy-env ignore environment proxies once --proxy is set
        "trust_env": not (no_proxy_env or (hasattr(options, "no_proxy_env") and proxy)),
    }


def finder_of(resolver: Any) -> Any:
    """The ``PackageFinder`` a resolver searches with (resolvelib: its factory's; legacy: its
    own), or None."""
    finder = getattr(resolver, "finder", None)
    if finder is None:
        finder = getattr(getattr(resolver, "factory", None), "_finder", None)
    return finder if hasattr(finder, "search_scope") else None


def index_urls_from_finder(finder: Any) -> list[str]:
    """The index URLs pip searches: its finder's, after requirements and constraints files
    (nested too) added theirs."""
    return list(dict.fromkeys(str(url) for url in finder.search_scope.index_urls if url))


def find_links_from_finder(finder: Any) -> list[str]:
    """The ``--find-links`` locations pip searches (command line, config, environment and
    requirements files): pages, directories and files; a path as its absolute ``file://``
    URL (as pip reads it, from pip's working directory)."""
    return list(dict.fromkeys(location_url(str(link)) for link in finder.find_links if link))


def location_url(location: str) -> str:
    """A find-links location as a URL (a path: its absolute ``file://`` URL)."""
    if "://" in location:
        return location
    import pathlib

    return pathlib.Path(os.path.abspath(os.path.expanduser(location))).as_uri()


def unsent_pages(read: dict[str, Any], absent: set[str], sent: set[str]) -> list[dict[str, Any]]:
    """The pages pip read (``read``: URL -> its ``IndexContent``) or found absent (404/410)
    that the checker has not been sent yet (``sent`` is updated): their bytes, for the
    checker's own reading (``channel`` frames them after the question)."""
    pages: list[dict[str, Any]] = []
    for url, content in list(read.items()):
        if url in sent:
            continue
        sent.add(url)
        pages.append(
            {
                "url": url,
                "page_url": str(content.url),
                "content_type": str(content.content_type),
                "body": bytes(content.content),
            }
        )
    for url in list(absent):
        key = url.split("#", 1)[0]
        if key not in sent:
            sent.add(key)
            pages.append({"url": key, "absent": True})
    return pages


def index_urls_from_options(options: Any) -> list[str]:
    """``--index-url`` and ``--extra-index-url`` as pip resolved them (config included)."""
    if getattr(options, "no_index", False):
        return []
    urls = [options.index_url, *(options.extra_index_urls or [])]
    return list(dict.fromkeys(url for url in urls if url))


def plan_item(req: Any, index_urls: list[str]) -> dict[str, Any]:
    """One plan item from one ``InstallRequirement`` that pip is about to install."""
    # A wheel pip built earlier from an sdist replaces ``req.link``; the sdist link is the
    # artifact that was resolved from the index.
    link = getattr(req, "cached_wheel_source_link", None) or req.link
    source = _source(req, link)
    from_index = source == "index"
    return {
        "name": normalize_name(req.name),
        "version": _version(req),
        "source": source,
        "url": link.url_without_fragment,
        "filename": _filename(link, source),
        "sha256": _sha256(req, link),
        "requested": bool(req.user_supplied),
        "index_url": _index_url(link, index_urls) if from_index else None,
        "yanked": bool(link.is_yanked) if from_index else None,
        "yanked_reason": (link.yanked_reason or None) if from_index else None,
        "pinned_hashes": [h.lower() for h in req.hash_options.get("sha256", [])],
        "page": page_facts(link, index_urls) if from_index else None,
        # the dependency edges, for "via app==1.0" in reports
        "requires_dist": [str(r) for r in req.metadata.get_all("Requires-Dist") or []],
        "extras": sorted(str(extra) for extra in getattr(req, "extras", None) or ()),
    }


def wheels_to_install(requirements: list[Any]) -> list[dict[str, str]]:
    """The wheel file of each requirement pip is about to install (an editable install, built
    from the user's own tree, has none)."""
    wheels = []
    for req in requirements:
        path = getattr(req, "local_file_path", None)
        if getattr(req, "editable", False) or not path or not str(path).endswith(".whl"):
            continue
        if os.path.isfile(path):
            name = normalize_name(req.name)
            wheels.append({"name": name, "version": _version(req), "path": os.path.abspath(path)})
    return wheels


def install_target(options: Any) -> dict[str, Any]:
    """Where pip installs: its site-packages directories and scripts directory."""
    target = getattr(options, "target_dir", None)
    if target:
        return {"lib_dirs": [target], "scripts_dir": os.path.join(target, "bin")}
    try:
        from pip._internal.locations import get_scheme

        scheme = get_scheme(
            "",
            user=bool(getattr(options, "use_user_site", False)),
            root=getattr(options, "root_path", None),
            prefix=getattr(options, "prefix_path", None),
            isolated=bool(getattr(options, "isolated_mode", False)),
        )
        lib_dirs, scripts = [scheme.purelib, scheme.platlib], scheme.scripts
    except Exception:  # an older pip: the running interpreter's own scheme
        import sysconfig

        paths = sysconfig.get_paths()
        lib_dirs, scripts = [paths["purelib"], paths["platlib"]], paths["scripts"]
    return {"lib_dirs": list(dict.fromkeys(lib_dirs)), "scripts_dir": scripts}


def normalize_name(name: str) -> str:
    """PEP 503 normalization (the same as ``packaging.utils.canonicalize_name``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _version(req: Any) -> str:
    version = req.metadata["Version"]
    if not version:
        raise PlanError(f"{req.name} has no version in its metadata")
    return str(version)


def _source(req: Any, link: Any) -> str:
    if req.editable:
        return "editable"
    if link.is_vcs:
        return "vcs"
    if req.original_link is not None:  # named by URL or path on the command line
        return "path" if link.is_file else "url"
    return "index"


def _filename(link: Any, source: str) -> str | None:
    if source in ("editable", "vcs") or (link.is_file and link.is_existing_dir()):
        return None
    return str(link.filename)


def _link_sha256(link: Any) -> str | None:
    if link.hash_name == "sha256" and link.hash:
        return str(link.hash).lower()
    return None


def _sha256(req: Any, link: Any) -> str | None:
    """The sha256 pip will verify: the link's hash, pip's download info, or the local file."""
    if _link_sha256(link):
        return _link_sha256(link)
    download_info = getattr(req, "download_info", None)
    hashes = getattr(getattr(download_info, "info", None), "hashes", None)
    if isinstance(hashes, dict) and hashes.get("sha256"):
        return str(hashes["sha256"]).lower()
    local_file = req.local_file_path
    if link is req.link and local_file and os.path.isfile(local_file):
        return file_sha256(local_file)
    return None


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as file:
            for chunk in iter(lambda: file.read(_HASH_CHUNK), b""):
                digest.update(chunk)
    except OSError as exc:
        raise PlanError(f"cannot read {path}: {exc.strerror or exc}") from None
    return digest.hexdigest()


def _index_url(link: Any, index_urls: list[str]) -> str | None:
    """The ``index_urls`` entry whose project page the link was found on, if any."""
    page = link.comes_from
    page_url = page if isinstance(page, str) else getattr(page, "url", None)
    if not isinstance(page_url, str):
        return None
    page = page_url.split("#", 1)[0]
    if page.startswith("file:") and page.endswith("/index.html"):
        page = page[: -len("index.html")]  # pip reads a file:// index's project directory so
    base = _without_userinfo(page.rstrip("/").rsplit("/", 1)[0])
    for index_url in index_urls:
        # pip takes credentials out of the URLs it requests: compare without them
        if _without_userinfo(index_url.rstrip("/")) == base:
            return index_url
    return None


def _without_userinfo(url: str) -> str:
    """``http://user:secret@host/simple`` -> ``http://host/simple``."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
