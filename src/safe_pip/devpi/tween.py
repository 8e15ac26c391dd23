"""The Pyramid tween that guards every devpi index: pages, files and the reasons page.

It sits under devpi's transaction tween, so it sees each request to the index that serves
it, after devpi has merged that index's bases: a private index inheriting the mirror is
filtered where it is served (devpi's stage-customizer filters are not applied through
inheritance; this is).

``GET /USER/INDEX/+simple/PROJECT/``  the page devpi renders, with blocked versions yanked
                                      (reason: the finding) or removed (``pages``); header
                                      ``X-Safe-Pip-Hidden`` counts them and names the page below
``GET /USER/INDEX/+f/.../FILE``       HTTP 403 with the finding id and fix when FILE's version
                                      is blocked, whether devpi has it cached or not
``GET /USER/INDEX/+safe-pip/PROJECT`` plain text: each hidden version and why

Every refusal (403, and 503 when the guard cannot check) is one decision-log line with the
client's address and the index.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from packaging.utils import canonicalize_name

from safe_pip.artifacts import name_and_version
from safe_pip.devpi import pages
from safe_pip.devpi.guard import (
    ServedFile,
    ServerGuard,
    State,
    Upstream,
    VersionVerdict,
)
from safe_pip.errors import SafePipError
from safe_pip.pipeline.checks import GUARDED_INDEX_YANK_PREFIX

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HIDDEN_HEADER = "X-Safe-Pip-Hidden"
REFUSED_HEADER = "X-Safe-Pip-Refused"
REGISTRY_KEY = "safe_pip_guard"
REPLICA_UUID_HEADER = "X-DEVPI-REPLICA-UUID"  # devpi_server.replica.H_REPLICA_UUID
VERDICT_TTL_SECONDS = 30.0  # a file request reuses its page's verdicts this long
UPSTREAM_TTL_SECONDS = 300.0  # upload times and project status read from a mirror's upstream
UPSTREAM_TIMEOUT_SECONDS = 5.0
MAX_HEADER_VERSIONS = 5
MAX_CACHED_PROJECTS = 20_000  # past this the caches start again (memory stays bounded)

_STAGE = r"/(?P<user>[^/+][^/]*)/(?P<index>[^/+][^/]*)"
_SIMPLE_PAGE = re.compile(_STAGE + r"/\+simple/(?P<project>[^/]+)/?$")
_FILE = re.compile(_STAGE + r"/\+[fe]/(?:.*/)?(?P<filename>[^/]+)$")
_REASONS = re.compile(_STAGE + r"/\+safe-pip/(?P<project>[^/]+)/?$")


@dataclass
class Settings:
    """The plugin's options (``plugin.devpiserver_add_parser_options``)."""

    guard: ServerGuard
    hide: str = "yank"  # pages.HIDE_MODES
    log_path: Path | None = None  # None: the server account's decision log


@dataclass(frozen=True)
class _Verdicts:
    by_version: dict[str, VersionVerdict]
    filenames: frozenset[str]
    generation: int
    made_at: float


@dataclass(frozen=True)
class _PageVerdicts:
    verdicts: dict[str, VersionVerdict]
    hides: dict[str, pages.Hide]
    filenames: frozenset[str]
    generation: int
    made_at: float


class GuardTween:
    def __init__(self, handler: Callable[[Any], Any], registry: Any) -> None:
        self.handler = handler
        self.registry = registry
        self.settings: Settings = registry[REGISTRY_KEY]
        self._verdicts: dict[tuple[str, str], _Verdicts] = {}
        self._upstream: dict[tuple[str, str], tuple[float, Upstream]] = {}
        self._pages: dict[tuple[str, str, bytes], _PageVerdicts] = {}
        self._lock = threading.Lock()

    def __call__(self, request: Any) -> Any:
        if request.method not in ("GET", "HEAD") or _from_a_replica(request):
            return self.handler(request)
        path = request.path_info
        if "/+simple/" in path:
            match = _SIMPLE_PAGE.match(path)
            if match:
                return self._guarded(request, match, self._page)
        elif "/+f/" in path or "/+e/" in path:
            match = _FILE.match(path)
            if match and not match.group("filename").endswith(".metadata"):
                return self._guarded(request, match, self._file)
        elif "/+safe-pip/" in path:
            match = _REASONS.match(path)
            if match:
                return self._guarded(request, match, self._reasons)
        return self.handler(request)

    def _guarded(
        self, request: Any, match: re.Match[str], serve: Callable[[Any, re.Match[str], State], Any]
    ) -> Any:
        try:
            state = self.settings.guard.state()
        except SafePipError as exc:
            self._log(request, _stage(match), "not checked", [], error=str(exc))
            return _text_response(
                503,
                f"safe-pip: this index cannot check packages: {exc}\n",
                REFUSED_HEADER,
                "503",
                reason="safe-pip cannot check packages",
            )
        if state.database is None:  # fail-mode "open": serve what devpi serves
            response = self.handler(request)
            response.headers["X-Safe-Pip-Unchecked"] = "; ".join(state.notes)[:500]
            return response
        return serve(request, match, state)

    # ------------------------------------------------------------ pages

    def _page(self, request: Any, match: re.Match[str], state: State) -> Any:
        response = self.handler(request)
        if response.status_code != 200 or not state.policy.steers:
            return response
        stage, project = _stage(match), canonicalize_name(unquote(match.group("project")))
        is_json = (response.content_type or "") == JSON_V1
        body = response.body
        page_url = request.url
        document = None
        # A page devpi renders again unchanged (a warm mirror) is decided once per data
        # generation and VERDICT_TTL_SECONDS (release age moves on with the clock).
        key = (stage, project, hashlib.sha256(body).digest())
        with self._lock:
            cached = self._pages.get(key)
        if cached is not None and _fresh(cached, state):
            verdicts, hides = cached.verdicts, cached.hides
            with self._lock:  # the page's files are served by the same decisions
                self._verdicts[(stage, project)] = _Verdicts(
                    verdicts, cached.filenames, state.generation, time.monotonic()
                )
        else:
            document = pages.parse_json(body) if is_json else None
            if is_json and document is None:
                return response
            files = (
                pages.read_json(document, page_url)
                if document is not None
                else pages.read_html(body, page_url)
            )
            verdicts = self._verdicts_for(stage, project, files, state)
            hides = _hides(files, verdicts, stage, project)
            with self._lock:
                if len(self._pages) >= MAX_CACHED_PROJECTS:
                    self._pages.clear()
                self._pages[key] = _PageVerdicts(
                    verdicts,
                    hides,
                    frozenset(f.filename for f in files),
                    state.generation,
                    time.monotonic(),
                )
        if not hides:
            return response

        mode = self.settings.hide
        if is_json and document is None:
            document = pages.parse_json(body)
        if document is not None:
            response.body = pages.rewrite_json(document, hides, mode)
        else:
            response.body = pages.rewrite_html(body, hides, mode)
        shown = sorted(verdicts)[:MAX_HEADER_VERSIONS]
        response.headers[HIDDEN_HEADER] = (
            f"{len(verdicts)} version(s) ({', '.join(shown)}); reasons: "
            f"{request.application_url}/{stage}/+safe-pip/{project}"
        )
        return response

    # ------------------------------------------------------------ files

    def _file(self, request: Any, match: re.Match[str], state: State) -> Any:
        filename = unquote(match.group("filename"))
        parsed = name_and_version(filename)
        stage = _stage(match)
        # A legacy name (``.egg``, ``.exe``) tells no version: judged by the records that
        # affect every version of the project its name starts with.
        project = parsed[0] if parsed is not None else _legacy_project(filename)
        verdicts = self._project_verdicts(request, stage, project, state)
        verdict = verdict_of(filename, project, verdicts)
        if verdict is None and not self._listed(stage, project, filename):
            # Not on the page (devpi could not render it, or no longer lists the file):
            # the file is judged on its own, so a malicious release is never served.
            alone = [ServedFile(filename=filename, stage=stage)]
            alone_verdicts = self._verdicts_for(stage, project, alone, state, remember=False)
            verdict = verdict_of(filename, project, alone_verdicts)
        if verdict is None:
            return self.handler(request)
        self._log(request, stage, "blocked", [verdict], filename=filename)
        body = (
            f"safe-pip: {filename} refused by this index's policy: {verdict.line()}\n"
            f"why: {request.application_url}/{stage}/+safe-pip/{project}\n"
        )
        ids = ",".join(d.finding.id for d in verdict.blockers)
        return _text_response(403, body, REFUSED_HEADER, ids, reason=f"Forbidden by safe-pip {ids}")

    def _project_verdicts(
        self, request: Any, stage: str, project: str, state: State
    ) -> dict[str, VersionVerdict]:
        with self._lock:
            cached = self._verdicts.get((stage, project))
        if (
            cached is not None
            and cached.generation == state.generation
            and time.monotonic() - cached.made_at < VERDICT_TTL_SECONDS
        ):
            return cached.by_version
        from pyramid.request import Request, apply_request_extensions

        page_path = f"/{stage}/+simple/{project}/"
        sub = Request.blank(page_path, base_url=request.application_url)
        sub.headers["Accept"] = JSON_V1
        sub.registry = request.registry
        apply_request_extensions(sub)
        sub.log = getattr(request, "log", None)  # devpi's logging tween sets it on requests
        response = request.invoke_subrequest(sub, use_tweens=False)
        document = pages.parse_json(response.body) if response.status_code == 200 else None
        files = pages.read_json(document, sub.url) if document is not None else []
        return self._verdicts_for(stage, project, files, state)

    def _listed(self, stage: str, project: str, filename: str) -> bool:
        with self._lock:
            cached = self._verdicts.get((stage, project))
        return cached is not None and filename in cached.filenames

    # ------------------------------------------------------------ reasons page

    def _reasons(self, request: Any, match: re.Match[str], state: State) -> Any:
        stage, project = _stage(match), canonicalize_name(unquote(match.group("project")))
        verdicts = self._project_verdicts(request, stage, project, state)
        lines = [f"safe-pip on {stage}: {project}", f"policy: {', '.join(state.policy.sources)}"]
        status = state.database.status() if state.database is not None else None
        if status is not None:
            lines.append(f"advisory data: {status.updated_at.isoformat(timespec='seconds')}")
        if not verdicts:
            lines.append("no version of this project is hidden")
        for version in sorted(verdicts):
            verdict = verdicts[version]
            lines.append(verdict.line())
            lines += [f"  {d.finding.id}: {d.finding.summary}" for d in verdict.blockers]
        return _text_response(200, "\n".join(lines) + "\n")

    # ------------------------------------------------------------ shared

    def _verdicts_for(
        self,
        stage: str,
        project: str,
        files: Sequence[ServedFile],
        state: State,
        *,
        remember: bool = True,
    ) -> dict[str, VersionVerdict]:
        stages, mirrors = self._sro(stage)
        upstream = self._upstream_of(project, mirrors, files)
        verdicts = self.settings.guard.page_verdicts(
            project, files, stages=stages, upstream=upstream, state=state
        )
        if not remember:
            return verdicts
        with self._lock:
            if len(self._verdicts) >= MAX_CACHED_PROJECTS:
                self._verdicts.clear()
            self._verdicts[(stage, project)] = _Verdicts(
                verdicts, frozenset(f.filename for f in files), state.generation, time.monotonic()
            )
        return verdicts

    def _sro(self, stage_name: str) -> tuple[list[str], dict[str, str]]:
        """The stages a page merges (the serving index first) and the mirrors' upstream URLs."""
        xom = self.registry.get("xom")
        user, _, index = stage_name.partition("/")
        stage = xom.model.getstage(user, index) if xom is not None else None
        if stage is None:
            return [stage_name], {}
        stages, mirrors = [], {}
        for base in stage.sro():
            stages.append(base.name)
            if base.ixconfig.get("type") == "mirror" and base.ixconfig.get("mirror_url"):
                mirrors[base.name] = str(base.ixconfig["mirror_url"])
        return stages, mirrors

    def _upstream_of(
        self, project: str, mirrors: dict[str, str], files: Sequence[ServedFile]
    ) -> Upstream:
        """Upload times and project status from the upstream index of each mirror that
        serves files on the page (devpi keeps neither); empty when it cannot be read."""
        serving = {f.stage for f in files}
        upload_times: dict[str, str] = {}
        status = None
        for stage, url in mirrors.items():
            if stage not in serving:
                continue
            upstream = self._read_upstream(url, project)
            upload_times.update(upstream.upload_times)
            status = status or upstream.status
        return Upstream(upload_times, status)

    def _read_upstream(self, url: str, project: str) -> Upstream:
        key = (url, project)
        with self._lock:
            cached = self._upstream.get(key)
        if cached is not None and time.monotonic() - cached[0] < UPSTREAM_TTL_SECONDS:
            return cached[1]
        from safe_pip.index.client import ProjectStatus, fetch_index_files

        statuses: list[ProjectStatus] = []
        try:
            found = fetch_index_files(
                [url], [project], timeout=UPSTREAM_TIMEOUT_SECONDS, statuses=statuses
            )
        except SafePipError:
            return Upstream()  # not cached: the next request asks again
        upload_times = {
            f.filename: f.upload_time for f in found.get(project, []) if f.upload_time is not None
        }
        status = (statuses[0].status, statuses[0].reason) if statuses else None
        upstream = Upstream(upload_times, status)
        with self._lock:
            if len(self._upstream) >= MAX_CACHED_PROJECTS:
                self._upstream.clear()
            self._upstream[key] = (time.monotonic(), upstream)
        return upstream

    def _log(
        self,
        request: Any,
        stage: str,
        verdict: str,
        verdicts: Sequence[VersionVerdict],
        *,
        filename: str | None = None,
        error: str | None = None,
    ) -> None:
        from safe_pip.devpi.refusal_log import log_refusal

        client = request.headers.get("X-Real-IP") or request.client_addr
        log_refusal(
            self.settings.log_path,
            method=request.method,
            path=request.path_info,
            client=client,
            index=stage,
            verdict=verdict,
            verdicts=verdicts,
            filename=filename,
            error=error,
            when=datetime.now(timezone.utc),
        )


def _hides(
    files: Sequence[ServedFile], verdicts: dict[str, VersionVerdict], stage: str, project: str
) -> dict[str, pages.Hide]:
    """What the page hides, by file name."""
    hides = {}
    for served in files:
        verdict = verdict_of(served.filename, project, verdicts)
        if verdict is None:
            continue
        # Another index serves the file itself (devpi links to it there), and judges it as
        # its own page shows it: a verdict only this page's view makes is kept by leaving
        # the file out, not by a yank a pin could still follow.
        elsewhere = served.stage != stage and verdict.depends_on_view
        hides[served.filename] = pages.Hide(
            GUARDED_INDEX_YANK_PREFIX + verdict.line(), remove=elsewhere
        )
    return hides


def _from_a_replica(request: Any) -> bool:
    """A replica of this server fetching what it replicates (devpi's own replica token, not
    just its header): it is not a client; each replica guards its own clients."""
    if REPLICA_UUID_HEADER not in request.headers:
        return False
    from devpi_server.replica import ReplicaIdentity

    try:
        return isinstance(request.identity, ReplicaIdentity)
    except Exception:  # a bad or expired token: devpi refuses it; here it is a client
        return False


def _legacy_project(filename: str) -> str:
    return canonicalize_name(filename.split("-", 1)[0].split(".", 1)[0])


def _fresh(cached: _PageVerdicts, state: State) -> bool:
    return (
        cached.generation == state.generation
        and time.monotonic() - cached.made_at < VERDICT_TTL_SECONDS
    )


def _stage(match: re.Match[str]) -> str:
    return f"{unquote(match.group('user'))}/{unquote(match.group('index'))}"


def verdict_of(
    filename: str, project: str, verdicts: dict[str, VersionVerdict]
) -> VersionVerdict | None:
    from safe_pip.devpi.guard import UNKNOWN_VERSION

    parsed = name_and_version(filename)
    version = parsed[1] if parsed is not None and parsed[0] == project else UNKNOWN_VERSION
    return verdicts.get(version)


def _text_response(
    status: int, body: str, header: str | None = None, value: str = "", reason: str | None = None
) -> Any:
    from pyramid.response import Response

    response = Response(body=body.encode("utf-8"), content_type="text/plain", charset="utf-8")
    response.status = f"{status} {reason}" if reason else status
    response.headers["Cache-Control"] = "no-store"
    if header is not None:
        response.headers[header] = value
    return response


def guard_tween_factory(handler: Callable[[Any], Any], registry: Any) -> GuardTween:
    """What ``pyramid_config.add_tween`` names (``plugin.devpiserver_pyramid_configure``)."""
    return GuardTween(handler, registry)
