"""The guard inside one pip process: nothing unchecked is downloaded, built, run or installed.

Loaded by the ``.pth`` hook (plain ``pip install``) or by ``safe-pip install``'s bootstrap
(``bootstrap.py``), and patched into pip the moment pip loads its install command. During an
``InstallCommand.run``:

* ``PackageFinder.find_all_candidates`` -- every file pip may choose is shown to the checker
  first; with steering on (policy ``resolve = "avoid"``) the ones policy blocks are removed
  before pip chooses, so pip picks the newest allowed version within the user's constraints;
* ``RequirementPreparer.prepare_linked_requirement`` -- the gate: before pip downloads a
  distribution, reads its metadata or builds it, what is known (name, version, file, index
  page) is checked; a blocked candidate stops pip with the report;
* ``Resolver.resolve`` (resolvelib and legacy) -- the full check of the resolved set before
  anything is installed, for the install itself and for build dependencies pip resolves
  in-process (``--use-feature=inprocess-build-deps``);
* the build environment's ``call_subprocess`` -- a pip that pip starts to install build
  dependencies loads this guard too (``bootstrap.child_arguments``);
* ``install_given_reqs`` and ``InstallRequirement.install`` -- refuse anything that was not
  checked, and any file whose sha256 is not the one that was checked (the archive is hashed
  again right after download);
* the end of the run -- the backstop, independent of which pip function installed: the
  distributions that appeared or were rewritten where this run can install
  (``installed.py``) must be exactly ones the full check allowed, else exit 3;
* audits (``safe-pip check``) -- ``SourceDistribution.prepare_distribution_metadata`` never
  runs: an sdist that would have to be built is reported as ``NEEDS-BUILD``.

Anything about pip's internals the guard does not recognise stops pip with exit code 3 (or,
with ``SAFE_PIP_HOOK_FAIL_OPEN=1`` in the hook, a warning) -- never a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys

from . import bootstrap, channel, checker, installed, plan_from_pip
from .pip_versions import MIN_PIP_TEXT, is_supported

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import ModuleType
    from typing import Any

BLOCKED = 1
USAGE = 2
CANNOT_CHECK = 3

UNSUPPORTED_BY_GUARD = "safe-pip's guard does not recognise this pip's internals"
PIP_PYTHON_REFUSAL = (
    "pip's --python (or an abbreviation of it) would run another interpreter's pip without "
    "the guard; give safe-pip's own --python instead"
)

_PATCHED_MARKER = "_safe_pip_guard_patched"
_SOURCE_SHA256 = "_safe_pip_source_sha256"
_INSPECTED = "_safe_pip_inspected"  # the wheel's contents were shown to the checker


class HookStop(BaseException):
    """Ends the pip run with ``exit_code``; the reason has already been printed.

    A ``BaseException``: pip catches ``Exception`` around build-dependency installs and
    candidate preparation, and none of them may turn a stop into "try something else"."""

    def __init__(self, exit_code: int) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code


class UnsupportedPip(Exception):
    """pip's internals are not what the guard knows how to patch or read."""


class _RunState:
    """What one ``pip install`` run has checked so far."""

    def __init__(self, options: Any, *, unchecked_allowed: bool = False) -> None:
        self.options = options
        self.unchecked_allowed = unchecked_allowed  # SAFE_PIP_DISABLE or fail-open
        self.checked: dict[str, str | None] | None = None  # name -> checked sha256
        self.checked_versions: dict[str, set[str]] = {}  # name -> versions the check allowed
        self.install_dirs: list[str] = []  # where this run can install (the backstop)
        self.before: dict[str, int] | None = None  # their metadata directories at the start
        self.channel: channel.Channel | None = None
        self.versions_by_url: dict[str, str] = {}  # candidate file URL -> version
        self.pins: dict[str, str] = {}  # name -> the one version a root requirement allows
        self.resolving = 0
        self.main_checked = False
        self.untold_origin: dict[str, Any] | None = None  # the hook's, for the first question
        self.finder: Any = None  # pip's PackageFinder, once the resolver has it
        self.sent_pages: set[str] = set()  # page URLs whose bytes the checker has

    @property
    def index_urls(self) -> list[str]:
        """Where pip looks: its finder's search scope once known (requirements files change
        it: ``--index-url``, ``--extra-index-url``), else its options."""
        if self.finder is not None:
            return plan_from_pip.index_urls_from_finder(self.finder)
        return plan_from_pip.index_urls_from_options(self.options)

    @property
    def find_links(self) -> list[str]:
        if self.finder is not None:
            return plan_from_pip.find_links_from_finder(self.finder)
        links = getattr(self.options, "find_links", None) or []
        return [plan_from_pip.location_url(str(link)) for link in links if link]

    @property
    def report_on_stderr(self) -> bool:
        return getattr(self.options, "json_report_file", None) == "-"


_current_run: _RunState | None = None


# ---------------------------------------------------------------- patching


def patch_install_module(module: ModuleType) -> None:
    """Patch pip's install command module; fail closed (exit 3) if it is not recognised."""
    try:
        _patch(module)
    except UnsupportedPip as exc:
        refuse_unsupported(exc)


def refuse_unsupported(exc: UnsupportedPip) -> None:
    """pip's internals were not recognised while patching: exit 3 with one line, unless the
    hook was told to let pip run unchecked (a warning)."""
    if _flag("SAFE_PIP_DISABLE") and bootstrap.is_hook():
        _warn_disabled()  # the run wrapper that would warn is not there
        return
    if _fail_open():
        _say(_unsupported_message(str(exc), fail_open=True))
        # the user chose to install unchecked: at least nothing is built from source
        # (pip has not read its options yet; its command line can still override this)
        os.environ["PIP_ONLY_BINARY"] = ":all:"
        return
    if not bootstrap.is_hook() and _tell_checker_unsupported(str(exc)):
        raise SystemExit(CANNOT_CHECK) from None  # safe-pip says it, once
    _say(_unsupported_message(str(exc), fail_open=False))
    raise SystemExit(CANNOT_CHECK) from None


def _tell_checker_unsupported(detail: str) -> bool:
    """Tell ``safe-pip install`` this pip is not supported: it prints one line (the error, or
    with fail-mode open the warning of its fallback). False if it could not be told."""
    version = getattr(sys.modules.get("pip"), "__version__", "unknown version")
    try:
        link = bootstrap.open_channel()
    except checker.CheckerUnavailable:
        return False
    try:
        link.ask({"op": "unsupported", "message": f"{UNSUPPORTED_BY_GUARD} ({version}: {detail})"})
    except checker.CheckerError:
        return True  # it answered (with the stop): it knows
    except checker.CheckerUnavailable:
        return False
    finally:
        link.close()
    return True


def _patch(module: ModuleType) -> None:
    command_class = _required(module, "InstallCommand")
    if getattr(command_class, _PATCHED_MARKER, False):
        return
    targets = _patch_targets(module)  # everything is looked up before anything is changed
    original_run = targets["run"]

    def run(command: Any, options: Any, args: Any) -> int:
        return _guarded_run(original_run, command, options, args)

    command_class.run = run
    _wrap_install_given_reqs(module, targets["install_module_install"])
    _wrap_install_given_reqs(targets["req_module"], targets["req_install"])
    if targets["requirement_class"] is not None:
        _wrap_requirement_install(targets["requirement_class"])
    _wrap_finder(targets["finder_class"])
    _wrap_preparer(targets["preparer_class"])
    for resolver_class in targets["resolver_classes"]:
        _wrap_resolver(resolver_class)
    _wrap_build_subprocess(targets["build_env_module"])
    _wrap_sdist_metadata(targets["sdist_class"])
    _keep_upload_times(targets["link_class"])
    _watch_unread_pages(targets["collector_module"])
    setattr(command_class, _PATCHED_MARKER, True)


def _patch_targets(install_module: ModuleType) -> dict[str, Any]:
    command_class = _required(install_module, "InstallCommand")
    finder_module = _module("pip._internal.index.package_finder")
    prepare_module = _module("pip._internal.operations.prepare")
    req_module = _module("pip._internal.req")
    sdist_module = _module("pip._internal.distributions.sdist")
    resolver_classes = [
        _required(_module(name), "Resolver")
        for name in (
            "pip._internal.resolution.resolvelib.resolver",
            "pip._internal.resolution.legacy.resolver",
        )
        if _optional_module(name) is not None
    ]
    if not resolver_classes:
        raise UnsupportedPip("no resolver module found")
    for resolver_class in resolver_classes:
        _required(resolver_class, "resolve")
    finder_class = _required(finder_module, "PackageFinder")
    _required(finder_class, "find_all_candidates")
    preparer_class = _required(prepare_module, "RequirementPreparer")
    _required(preparer_class, "prepare_linked_requirement")
    _required(preparer_class, "prepare_linked_requirements_more")
    sdist_class = _required(sdist_module, "SourceDistribution")
    _required(sdist_class, "prepare_distribution_metadata")
    # newer pips keep the build-dependency installers in a package; older pips in a module
    build_env_module = _optional_module("pip._internal.build_env.installer") or _module(
        "pip._internal.build_env"
    )
    _required(build_env_module, "call_subprocess")
    _required(build_env_module, "get_runnable_pip")
    link_class = _required(_module("pip._internal.models.link"), "Link")
    # optional: a second, lower point that refuses unchecked installs (the backstop at the
    # end of the run does not depend on it)
    requirement_module = _optional_module("pip._internal.req.req_install")
    requirement_class = getattr(requirement_module, "InstallRequirement", None)
    if not callable(getattr(requirement_class, "install", None)):
        requirement_class = None
    # optional: without them pip's view of several indexes is not trusted to be complete
    collector_module = _optional_module("pip._internal.index.collector")
    if collector_module is not None and not all(
        callable(getattr(collector_module, name, None))
        for name in ("_get_index_content", "_handle_get_simple_fail")
    ):
        collector_module = None
    _required(link_class, "from_json")
    return {
        "link_class": link_class,
        "collector_module": collector_module,
        "run": _required(command_class, "run"),
        "install_module_install": _required(install_module, "install_given_reqs"),
        "req_module": req_module,
        "req_install": _required(req_module, "install_given_reqs"),
        "requirement_class": requirement_class,
        "finder_class": finder_class,
        "preparer_class": preparer_class,
        "resolver_classes": resolver_classes,
        "sdist_class": sdist_class,
        "build_env_module": build_env_module,
    }


def _module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise UnsupportedPip(f"{name} is missing") from None


def _optional_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _required(owner: object, name: str) -> Any:
    try:
        return getattr(owner, name)
    except AttributeError:
        owner_name = getattr(owner, "__name__", type(owner).__name__)
        raise UnsupportedPip(f"{owner_name}.{name} is missing") from None


def _active_run() -> _RunState | None:
    """The run being guarded, or None (outside ``InstallCommand.run``, or unchecked)."""
    state = _current_run
    if state is None or state.unchecked_allowed:
        return None
    return state


# ---------------------------------------------------------------- one pip install run


def _guarded_run(original_run: Callable[..., int], command: Any, options: Any, args: Any) -> int:
    global _current_run
    if _flag("SAFE_PIP_DISABLE") and bootstrap.is_hook():
        _warn_disabled()
        _current_run = _RunState(options, unchecked_allowed=True)
        return original_run(command, options, args)

    state = _RunState(options)
    _current_run = state
    try:
        _open_channel(state)  # the checker loads its database while pip resolves
        if bootstrap.is_hook():  # for the decision log: this interpreter, the user's command
            # told with the first question, not now: the hook's checker is still starting
            # (~130 ms), and pip need not wait for it before it has something to ask
            state.untold_origin = plan_from_pip.origin()
        if getattr(options, "python", None) and not bootstrap.is_hook():
            # ``bootstrap.run`` kept pip from re-running itself under that interpreter,
            # where no guard would be loaded; say so instead of installing elsewhere
            _ask(state, {"op": "refuse", "message": PIP_PYTHON_REFUSAL})
        _note_environment(state)
        exit_code = original_run(command, options, args)
        _backstop(state)
        return exit_code
    except HookStop as stop:
        return bootstrap.child_exit_code(stop.exit_code)
    finally:
        _current_run = None
        if state.channel is not None:
            state.channel.close()


def _open_channel(state: _RunState) -> None:
    try:
        state.channel = bootstrap.open_channel()
    except checker.CheckerUnavailable as exc:
        _checker_unavailable(state, exc)


def _ask(state: _RunState, request: dict[str, Any]) -> dict[str, Any] | None:
    """The checker's answer, its report printed; None when checking was given up
    (fail-open). A stop the checker asks for raises ``HookStop``."""
    if state.channel is None:
        return None
    if state.untold_origin is not None:
        origin, state.untold_origin = state.untold_origin, None
        _ask(state, {"op": "origin", "origin": origin})
    request["report_on_stderr"] = state.report_on_stderr
    # every question carries where pip looks and the pages pip read since the last one: the
    # checker decides on its own reading of them, never on pip's
    request["sources"] = {"index_urls": state.index_urls, "find_links": state.find_links}
    request["pages"] = plan_from_pip.unsent_pages(_read_pages, _absent_pages, state.sent_pages)
    try:
        answer = state.channel.ask(request)
    except checker.CheckerUnavailable as exc:
        _checker_unavailable(state, exc)
        return None
    _print_answer(answer, state)
    exit_code = int(answer.get("exit_code", 0))
    if exit_code == 0:
        return answer
    if not bootstrap.is_hook():  # safe-pip install reports the outcome itself
        raise HookStop(exit_code if exit_code in (BLOCKED, USAGE) else CANNOT_CHECK)
    if exit_code == BLOCKED:
        _say("blocked by policy; pip installed nothing.")
    elif exit_code == USAGE:
        _say("safe-pip reported a usage or configuration error; pip installed nothing.")
    else:
        exit_code = CANNOT_CHECK
        _say("safe-pip could not check this plan; pip installed nothing.")
    raise HookStop(exit_code)


def _print_answer(answer: dict[str, Any], state: _RunState) -> None:
    stdout = sys.stderr if state.report_on_stderr else sys.stdout
    for stream, key in ((sys.stderr, "stderr"), (stdout, "stdout")):
        text = answer.get(key)
        if text:
            sys.stdout.flush()
            stream.write(str(text))
            stream.flush()


def _checker_unavailable(state: _RunState, exc: Exception) -> None:
    if _fail_open():
        _say(f"warning: {exc}; SAFE_PIP_HOOK_FAIL_OPEN is set, installing unchecked.")
        state.unchecked_allowed = True
        return
    # only a checker that is gone is a reason to take the hook out; one that answered
    # with an error is safe-pip's to fix
    gone = not isinstance(exc, checker.CheckerError)
    advice = checker.how_to_get_pip_back() if bootstrap.is_hook() and gone else ""
    _say(f"{exc}; refusing to install. {advice}".rstrip())
    raise HookStop(CANNOT_CHECK)


# ---------------------------------------------------------------- steering and the gate


def _wrap_finder(finder_class: Any) -> None:
    original = finder_class.find_all_candidates

    def find_all_candidates(finder: Any, project_name: str) -> Any:
        candidates = original(finder, project_name)
        state = _active_run()
        if state is None or not candidates:
            return candidates
        return _allowed_candidates(finder, project_name, candidates, state)

    finder_class.find_all_candidates = find_all_candidates


def _allowed_candidates(finder: Any, project_name: str, candidates: Any, state: _RunState) -> Any:
    """The candidates policy allows (all of them when steering is off), asked once per
    project and finder."""
    memo: dict[str, Any] = finder.__dict__.setdefault("_safe_pip_allowed", {})
    if project_name in memo:
        return memo[project_name]
    candidates = list(candidates)
    # Only what decides goes to the checker, each distinct set once (a project page can list
    # thousands of files): version, yanked, the yank reason, the upload time.
    facts = [plan_from_pip.candidate_facts(c) for c in candidates]
    for candidate, fact in zip(candidates, facts):
        state.versions_by_url[candidate.link.url] = fact[0]
    distinct = list(dict.fromkeys(facts))
    name = plan_from_pip.normalize_name(project_name)
    question: dict[str, Any] = {"op": "candidates", "name": project_name, "candidates": distinct}
    pinned = state.pins.get(name)
    if pinned is not None:
        question["pinned"] = pinned  # steering leaves an exact pin to the checks (they report)
    answer = _ask(state, question)
    removed = {distinct[i] for i in answer.get("remove", [])} if answer else set()
    memo[project_name] = [c for c, fact in zip(candidates, facts) if fact not in removed]
    return memo[project_name]


def _wrap_preparer(preparer_class: Any) -> None:
    original_one = preparer_class.prepare_linked_requirement
    original_more = preparer_class.prepare_linked_requirements_more

    def prepare_linked_requirement(preparer: Any, req: Any, *args: Any, **kwargs: Any) -> Any:
        state = _active_run()
        if state is not None:
            _gate(req, state)
        dist = original_one(preparer, req, *args, **kwargs)
        _remember_source_hash(req)
        return dist

    def prepare_linked_requirements_more(preparer: Any, reqs: Any, *args: Any, **kw: Any) -> Any:
        reqs = list(reqs)
        result = original_more(preparer, reqs, *args, **kw)
        for req in reqs:
            _remember_source_hash(req)
        return result

    preparer_class.prepare_linked_requirement = prepare_linked_requirement
    preparer_class.prepare_linked_requirements_more = prepare_linked_requirements_more


def _facts(req: Any, state: _RunState) -> dict[str, Any] | None:
    try:
        version = state.versions_by_url.get(req.link.url)
        return plan_from_pip.requirement_facts(req, version, state.index_urls)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        _unsupported_during_run(state, f"reading a requirement before it is prepared failed: {exc}")
        return None


def _gate(req: Any, state: _RunState) -> None:
    """Check what is known before pip downloads, prepares or builds ``req``."""
    facts = _facts(req, state)
    if facts is None:
        return
    # the pages pip read travel with the question: the checker decides on its own reading
    # of them (dependency confusion, project status, yanked, upload time)
    _ask(state, {"op": "gate", "item": facts, "index_urls": state.index_urls})


def _remember_source_hash(req: Any) -> None:
    """The sha256 of the archive pip downloaded (before any build replaces ``req.link``)."""
    path = getattr(req, "local_file_path", None)
    link = getattr(req, "link", None)
    if getattr(req, _SOURCE_SHA256, None) or not path or link is None or not os.path.isfile(path):
        return  # hashed already (a later build replaces the file), or nothing downloaded
    if getattr(req, "cached_wheel_source_link", None) is not None:
        return  # a wheel from pip's cache, built from the checked sdist (see below)
    setattr(req, _SOURCE_SHA256, plan_from_pip.file_sha256(path))


def _wrap_sdist_metadata(sdist_class: Any) -> None:
    original = sdist_class.prepare_distribution_metadata

    def prepare_distribution_metadata(dist: Any, *args: Any, **kwargs: Any) -> Any:
        state = _active_run()
        if state is not None and bootstrap.setting("mode") == "audit":
            facts = _facts(dist.req, state)
            if facts is not None:
                _ask(state, {"op": "needs-build", "item": facts})
            raise HookStop(BLOCKED)  # an audit never builds, whatever the checker says
        return original(dist, *args, **kwargs)

    sdist_class.prepare_distribution_metadata = prepare_distribution_metadata


# The pages pip read, for the checker's own reading of them (``plan_from_pip.unsent_pages``);
# a page pip could not read is in neither, so the checker reads that project's pages itself.
_absent_pages: set[str] = set()  # URLs of pages an index answered 404/410 for
_read_pages: dict[str, Any] = {}  # page URL -> pip's IndexContent (the bytes it read)


def _watch_unread_pages(collector_module: Any) -> None:
    """Keep the bytes of every page pip reads (index project pages, ``--find-links`` pages)
    and note the pages an index does not have (404/410). pip skips a page it cannot read (a
    5xx, a timeout, a page of a type it does not understand) and goes on with the other
    indexes: such a page is in neither, and the checker reads that project's pages itself."""
    if collector_module is None:
        return
    original_get = collector_module._get_index_content
    original_fail = collector_module._handle_get_simple_fail

    def get_index_content(link: Any, *args: Any, **kwargs: Any) -> Any:
        content = original_get(link, *args, **kwargs)
        if content is not None:
            _read_pages[str(getattr(link, "url", "")).split("#", 1)[0]] = content
        return content

    def handle_get_simple_fail(link: Any, reason: Any, *args: Any, **kwargs: Any) -> Any:
        status = getattr(getattr(reason, "response", None), "status_code", None)
        if status in (404, 410):  # the index does not have the project: nothing was missed
            _absent_pages.add(str(getattr(link, "url", "")))
        return original_fail(link, reason, *args, **kwargs)

    collector_module._get_index_content = get_index_content
    collector_module._handle_get_simple_fail = handle_get_simple_fail


def _keep_upload_times(link_class: Any) -> None:
    """Older pips drop a JSON page's ``upload-time``, and every pip a file's PEP 740
    ``provenance`` link: note them by URL for the checker."""
    original = link_class.from_json

    def from_json(cls: Any, file_data: Any, *args: Any, **kwargs: Any) -> Any:
        link = original.__func__(cls, file_data, *args, **kwargs)
        facts = file_data if isinstance(file_data, dict) else {}
        upload_time = facts.get("upload-time")
        if link is not None and isinstance(upload_time, str):
            plan_from_pip.UPLOAD_TIMES[link.url] = upload_time
        plan_from_pip.note_provenance(link, facts.get("provenance"), args, kwargs)
        return link

    link_class.from_json = classmethod(from_json)
    original_element = getattr(link_class, "from_element", None)
    if original_element is None:
        return

    def from_element(cls: Any, attributes: Any, *args: Any, **kwargs: Any) -> Any:
        link = original_element.__func__(cls, attributes, *args, **kwargs)
        provenance = attributes.get("data-provenance") if isinstance(attributes, dict) else None
        plan_from_pip.note_provenance(link, provenance, args[1:], kwargs)  # base_url
        return link

    link_class.from_element = classmethod(from_element)


# ---------------------------------------------------------------- the full check


def _wrap_resolver(resolver_class: Any) -> None:
    original = resolver_class.resolve

    def resolve(resolver: Any, *args: Any, **kwargs: Any) -> Any:
        state = _active_run()
        if state is None:
            return original(resolver, *args, **kwargs)
        context = "build" if state.resolving or state.main_checked else "install"
        if state.finder is None:
            state.finder = plan_from_pip.finder_of(resolver)
        root_requirements = args[0] if args else kwargs.get("root_reqs")
        try:
            state.pins.update(plan_from_pip.exact_pins(root_requirements))
            roots = plan_from_pip.requirement_texts(root_requirements)
        except (AttributeError, TypeError, ValueError):
            roots = None  # not known: steering treats every requirement alike
        state.resolving += 1
        try:
            requirement_set = original(resolver, *args, **kwargs)
        except Exception as exc:
            failed = {
                "op": "failed",  # steering's doing: a block; else where pip looked
                "error": str(exc),
                "index_urls": state.index_urls,
                "network": plan_from_pip.network_from_options(state.options),
            }
            _ask(state, failed)
            raise
        finally:
            state.resolving -= 1
        _check(requirement_set, state, context, roots)
        return requirement_set

    resolver_class.resolve = resolve


def _check(
    requirement_set: Any, state: _RunState, context: str, roots: list[str] | None = None
) -> None:
    """Send the resolved plan (and the requirements it was resolved from, ``roots``) to the
    checker; raise ``HookStop`` unless it allows it."""
    try:
        plan = plan_from_pip.plan_json(requirement_set, state.options, state.index_urls)
        if roots is not None:
            plan["root_requirements"] = roots
    except plan_from_pip.PlanError as exc:
        _say(f"{exc}; refusing to install.")
        raise HookStop(CANNOT_CHECK) from None
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        _unsupported_during_run(state, f"reading the resolved plan failed: {exc}")
        return
    checked = {
        plan_from_pip.normalize_name(str(item["name"])): item.get("sha256")
        for item in plan["items"]
    }
    dry_run = bool(getattr(state.options, "dry_run", False))
    _ask(state, {"op": "check", "plan": plan, "context": context, "dry_run": dry_run})
    if context == "install":
        state.main_checked = True  # only once the check allowed it
    state.checked = {**(state.checked or {}), **checked}
    for item in plan["items"]:
        name = plan_from_pip.normalize_name(str(item["name"]))
        state.checked_versions.setdefault(name, set()).add(str(item["version"]))


def _note_environment(state: _RunState) -> None:
    """What is installed where this run can install, before pip starts (the backstop)."""
    if state.channel is None:
        return  # nothing is checked in this run (fail-open): there is nothing to compare
    state.install_dirs = installed.install_dirs(state.options)
    state.before = installed.snapshot(state.install_dirs)


def _backstop(state: _RunState) -> None:
    """After pip's run: whatever it installed, by whichever of its functions, must be what
    the full check allowed (name and version); else exit 3 with one line. Independent of the
    wrappers above, so a pip that installs through a path the guard does not know is caught."""
    if state.before is None or state.unchecked_allowed:
        return
    unchecked = [
        f"{name} {version or '?'}"
        for name, version in installed.installed_since(state.before, state.install_dirs)
        if not _was_checked(state, name, version)
    ]
    if not unchecked:
        return
    pip_version = getattr(sys.modules.get("pip"), "__version__", "unknown version")
    message = (
        f"pip {pip_version} installed {', '.join(unchecked)} without a completed check of "
        "exactly that (the guard does not know this pip's install path); check the "
        "environment with `safe-pip check --installed`"
    )
    if bootstrap.is_hook():
        _say(f"error: {message}")
        raise HookStop(CANNOT_CHECK)
    _ask(state, {"op": "unchecked", "message": message})
    raise HookStop(CANNOT_CHECK)  # in case the checker did not stop the run


def _was_checked(state: _RunState, name: str, version: str | None) -> bool:
    if not state.main_checked or state.checked is None or name not in state.checked:
        return False
    versions = state.checked_versions.get(name, set())
    return version is None or any(_same_version(version, v) for v in versions)


def _same_version(a: str, b: str) -> bool:
    try:
        from pip._vendor.packaging.version import InvalidVersion, Version
    except ImportError:
        return a == b
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _wrap_install_given_reqs(module: Any, original: Callable[..., Any]) -> None:
    if getattr(original, _PATCHED_MARKER, False):
        return

    def install_given_reqs(requirements: Any, *args: Any, **kwargs: Any) -> Any:
        requirements = list(requirements)
        _refuse_unchecked(requirements)
        _inspect_wheels(requirements)
        return original(requirements, *args, **kwargs)

    setattr(install_given_reqs, _PATCHED_MARKER, True)
    module.install_given_reqs = install_given_reqs


def _wrap_requirement_install(requirement_class: Any) -> None:
    """``InstallRequirement.install``: a method, so a pip that imports ``install_given_reqs``
    under another name still passes here for every distribution it installs."""
    original = requirement_class.install
    if getattr(original, _PATCHED_MARKER, False):
        return

    def install(req: Any, *args: Any, **kwargs: Any) -> Any:
        _refuse_unchecked([req])
        if not getattr(req, _INSPECTED, False):  # install_given_reqs was not the way in
            _inspect_wheels([req])
        return original(req, *args, **kwargs)

    setattr(install, _PATCHED_MARKER, True)
    requirement_class.install = install


def _refuse_unchecked(requirements: Iterable[Any]) -> None:
    """Just before pip installs: everything went through ``_check``, with the checked bytes."""
    state = _current_run
    if state is not None and state.unchecked_allowed:
        return
    detail = "pip reached its install step without the resolved plan being checked"
    if state is None:
        _outside_run_unsupported(detail)
        return
    if state.checked is None:
        _unsupported_during_run(state, detail)
        return
    requirements = list(requirements)
    names = [
        plan_from_pip.normalize_name(str(getattr(req, "name", None) or "?")) for req in requirements
    ]
    unchecked = sorted(name for name in names if name not in state.checked)
    if unchecked:
        _unsupported_during_run(
            state, f"pip is about to install {', '.join(unchecked)}, which was not checked"
        )
        return
    changed = [
        name
        for name, req in zip(names, requirements)
        if not _has_checked_bytes(req, state.checked[name])
    ]
    if changed:
        _say(
            f"blocked: the file pip is about to install for {', '.join(sorted(changed))} does "
            "not have the sha256 that was checked; pip installed nothing."
        )
        raise HookStop(BLOCKED)


def _inspect_wheels(requirements: list[Any]) -> None:
    """After the hash check, before pip writes anything: safe-pip opens every wheel pip is
    about to install (downloaded, from pip's cache, or built from an sdist) and looks at what
    it carries (``.pth`` code, startup hooks, shadowed commands, clashing files, RECORD)."""
    state = _active_run()
    if state is None:
        return
    try:
        wheels = plan_from_pip.wheels_to_install(requirements)
        target = plan_from_pip.install_target(state.options)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        _unsupported_during_run(state, f"finding the wheels pip is about to install failed: {exc}")
        return
    if wheels:
        _ask(state, {"op": "inspect", "wheels": wheels, "target": target})
    for req in requirements:
        setattr(req, _INSPECTED, True)


def _has_checked_bytes(req: Any, checked_sha256: str | None) -> bool:
    """Does the archive pip obtained for ``req`` have the sha256 that was checked?"""
    if checked_sha256 is None:
        return True  # nothing to compare: the check reported it (NO-HASH, unverifiable)
    source_sha256 = getattr(req, _SOURCE_SHA256, None)
    if source_sha256 is not None:
        return bool(source_sha256 == checked_sha256)
    # A wheel pip built earlier from the checked sdist: pip's wheel cache is keyed by the
    # sdist's URL and hash, so the checked hash must be that link's.
    cached_from = getattr(req, "cached_wheel_source_link", None)
    if cached_from is not None and cached_from.hash_name == "sha256":
        return bool(str(cached_from.hash).lower() == checked_sha256)
    return False


# ---------------------------------------------------------------- build-dependency pips


def _wrap_build_subprocess(module: Any) -> None:
    original = module.call_subprocess

    def call_subprocess(cmd: Any, *args: Any, **kwargs: Any) -> Any:
        state = _active_run()
        if state is None:
            return original(cmd, *args, **kwargs)
        command = list(cmd)
        runnable = module.get_runnable_pip()
        if runnable not in command:
            _unsupported_during_run(state, "cannot find pip in its build-dependency command")
            return original(cmd, *args, **kwargs)
        at = command.index(runnable)
        command[at:at] = bootstrap.child_arguments()
        try:
            return original(command, *args, **kwargs)
        except Exception as exc:
            stopped = bootstrap.stop_code_of_child(getattr(exc, "exit_code", None))
            if stopped is None:
                raise
            raise HookStop(stopped) from None

    module.call_subprocess = call_subprocess


# ---------------------------------------------------------------- messages and settings


def _outside_run_unsupported(detail: str) -> None:
    """pip installs from outside ``InstallCommand.run``: no exception would end it cleanly
    (pip prints a traceback for unknown ones), so exit at once unless fail-open."""
    if _fail_open():
        _say(_unsupported_message(detail, fail_open=True))
        return
    _say(_unsupported_message(detail, fail_open=False))
    os._exit(CANNOT_CHECK)


def _unsupported_during_run(state: _RunState, detail: str) -> None:
    """Inside a run: stop pip with exit 3, or warn and let the run go on unchecked."""
    if _fail_open():
        _say(_unsupported_message(detail, fail_open=True))
        state.unchecked_allowed = True
        return
    _say(_unsupported_message(detail, fail_open=False))
    raise HookStop(CANNOT_CHECK)


def _unsupported_message(detail: str, *, fail_open: bool) -> str:
    version = getattr(sys.modules.get("pip"), "__version__", "unknown version")
    if not bootstrap.is_hook():  # safe-pip install: its one error line
        too_old = (
            ""
            if is_supported(version)
            else f" (it needs pip >= {MIN_PIP_TEXT}, and this Python bundles none: see "
            "'Upgrading pip itself' in safe-pip's docs/pip-support.md)"
        )
        return (
            f"error: {UNSUPPORTED_BY_GUARD} ({version}: {detail}); nothing was installed" + too_old
        )
    if fail_open:
        return (
            f"warning: this pip ({version}) is not supported by the hook ({detail}); "
            "SAFE_PIP_HOOK_FAIL_OPEN is set, so pip installs UNCHECKED (wheels only: "
            "nothing is built from source unless pip's command line says so)."
        )
    return (
        f"this pip ({version}) is not supported by the hook ({detail}); refusing to install. "
        f"{_what_to_do(version)}"
    )


def _what_to_do(version: str) -> str:
    """The way out of an unsupported pip: for a too-old one, upgrading it guarded (``safe-pip
    install`` then runs a supported pip bundled with this Python). Nothing is imported here:
    pip >= 26 refuses imports once it has started installing."""
    if not is_supported(version):
        return (
            f"It needs pip >= {MIN_PIP_TEXT}: upgrade pip, guarded, with `safe-pip install "
            f"--python {sys.executable} -U pip` (or set SAFE_PIP_HOOK_FAIL_OPEN=1)"
        )
    return "Use `safe-pip install` or set SAFE_PIP_HOOK_FAIL_OPEN=1"


def _warn_disabled() -> None:
    _say("warning: SAFE_PIP_DISABLE is set; this pip install is NOT checked by safe-pip.")


def _say(message: str) -> None:
    sys.stdout.flush()
    prefix = "safe-pip hook" if bootstrap.is_hook() else "safe-pip"
    sys.stderr.write(f"{prefix}: {message}\n")
    sys.stderr.flush()


def _fail_open() -> bool:
    """Only the hook may be told to fail open; ``safe-pip install`` has its own fail-mode."""
    return bootstrap.is_hook() and _flag("SAFE_PIP_HOOK_FAIL_OPEN")


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


# ---------------------------------------------------------------- for pip_commands.py

PATCHED_MARKER = _PATCHED_MARKER
required = _required
guarded_run = _guarded_run
outside_run_unsupported = _outside_run_unsupported
unsupported_during_run = _unsupported_during_run
has_checked_bytes = _has_checked_bytes
say = _say
flag = _flag


def current_run() -> _RunState | None:
    return _current_run
