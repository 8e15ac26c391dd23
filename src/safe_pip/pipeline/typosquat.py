"""Typosquats: a name the user typed that is not a popular project's but is close to one.

Only names the user typed are checked (a root requirement or a line of their requirements
file: ``PlanItem.requested``), never a dependency. The popular projects ship with safe-pip
(``data/popular-projects.tsv``, ~15,000 names with their source and date in a header);
``safe-pip db update --source FILE.tsv`` installs a newer list in the cache directory, which
then takes precedence.

A typed name ``T`` fires against a popular name ``P`` when, after PEP 503 normalization:

* they are the same once separators (``-``, ``_``, ``.``) are dropped and confusable
  characters folded (``0``/``o``, ``1``/``l``/``i``, ``rn``/``m``, ``vv``/``w``);
  ``P`` among the 1,000 most popular;
* ``T`` is ``P`` with digits in front (``0requests``);
* ``T`` is ``P`` with a prefix or suffix (``python-``, ``py-``, ``py``, ``-python``, ``-py``),
  ``P`` among the 300 most popular and at least 4 characters long;
* ``T`` is one typo from ``P`` -- a letter doubled, added, dropped or two swapped (``P``
  among the 1,000 most popular), or one letter changed (among the 200 most popular) -- both
  at least 5 characters long; not at the first letter, not a digit, a separator or a
  trailing ``s`` (edits legitimate names make: ``cattrs``, ``psycopg2``, ``aiofiles``).

``benchmarks/typosquat_rate.py`` measures how often each popular name would fire against the
more popular ones (the false-positive side) and that real typosquats fire.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from packaging.utils import canonicalize_name

from safe_pip import paths
from safe_pip.errors import UsageError
from safe_pip.models import Category, Finding, PlanItem
from safe_pip.pipeline.policy import TYPOSQUAT_ID

POPULAR_FILE_NAME = "popular-projects.tsv"
# How popular a project must be (its rank) to be a target of each rule: typosquats imitate
# the most downloaded names, and the wider a rule casts, the more legitimate names it hits
# (``benchmarks/typosquat_rate.py`` measured these limits).
SKELETON_TARGETS = 1000
AFFIX_TARGETS = 300
EDIT_TARGETS = 1000
CHANGED_LETTER_TARGETS = 200
MIN_EDIT_LENGTH = 5
MIN_AFFIX_TARGET_LENGTH = 4
_PREFIXES = ("python-", "py-", "py")
_SUFFIXES = ("-python", "-py", "py")


@dataclass(frozen=True)
class PopularProjects:
    """The popular names in rank order, with lookups built once."""

    names: tuple[str, ...]  # PEP 503-normalized, most popular first
    source: str  # the header lines of the file

    @property
    def rank(self) -> dict[str, int]:
        return _ranks(self.names)

    def by_skeleton(self) -> dict[str, str]:
        """Skeleton -> the most popular name with it, among the rule's targets."""
        return _skeletons(self.names[:SKELETON_TARGETS])


@lru_cache(maxsize=4)
def _ranks(names: tuple[str, ...]) -> dict[str, int]:
    return {name: position for position, name in enumerate(names)}


@lru_cache(maxsize=4)
def _skeletons(names: tuple[str, ...]) -> dict[str, str]:
    result: dict[str, str] = {}
    for name in names:
        result.setdefault(skeleton(name), name)
    return result


@lru_cache(maxsize=4)
def _edit_index(names: tuple[str, ...]) -> dict[str, list[str]]:
    """Each name and each of its one-letter deletions -> the names: two names one edit
    apart share a key (the symmetric-deletion index), so only those are compared."""
    index: dict[str, list[str]] = {}
    for name in names:
        if len(name) >= MIN_EDIT_LENGTH:
            for key in {name, *_deletions(name)}:
                index.setdefault(key, []).append(name)
    return index


def _deletions(name: str) -> list[str]:
    return [name[:i] + name[i + 1 :] for i in range(len(name))]


def parse_popular(text: str) -> PopularProjects:
    """``rank<TAB>name`` lines after ``#`` header lines; ``ValueError`` on anything else."""
    header: list[str] = []
    names: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            header.append(line[1:].strip())
            continue
        rank, _, name = line.partition("\t")
        name = name.strip()
        if not rank.strip().isdigit() or not name:
            raise ValueError(f"line {number} is not 'rank<TAB>name': {line[:60]!r}")
        plain = name.islower() and "_" not in name and "." not in name and "--" not in name
        names.append(name if plain else canonicalize_name(name))
    if not names:
        raise ValueError("no project names in the file")
    return PopularProjects(tuple(dict.fromkeys(names)), " ".join(header))


def installed_list_path() -> Path:
    """Where ``db update --source FILE.tsv`` puts a newer list."""
    return paths.cache_dir() / POPULAR_FILE_NAME


def install_popular_list(source: Path) -> PopularProjects:
    """``db update --source FILE.tsv``: check ``source`` and make it the list in use (written
    atomically into the cache directory); ``UsageError`` when it is no such list."""
    try:
        text = source.read_text(encoding="utf-8")
        popular = parse_popular(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read popular-projects list {source}: {exc}") from None
    except ValueError as exc:
        raise UsageError(f"not a popular-projects list ({source}): {exc}") from None
    if not popular.source:
        raise UsageError(
            f"popular-projects list {source} needs a '#' header line naming its source and date"
        )
    target = installed_list_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(target)
    return popular


def load_popular() -> PopularProjects:
    """The refreshed list in the cache directory if there is one, else the shipped list
    (each parsed once per process, and again only when the file changes)."""
    refreshed = installed_list_path()
    try:
        stat = refreshed.stat()
        return _load_file(str(refreshed), stat.st_mtime_ns, stat.st_size)
    except (OSError, ValueError):
        return _load_shipped()  # none, or a damaged refresh: the shipped list still works


@lru_cache(maxsize=4)
def _load_file(path: str, mtime_ns: int, size: int) -> PopularProjects:
    return parse_popular(Path(path).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _load_shipped() -> PopularProjects:
    shipped = resources.files("safe_pip.pipeline") / "data" / POPULAR_FILE_NAME
    return parse_popular(shipped.read_text(encoding="utf-8"))


_FOLD = str.maketrans({"-": None, "_": None, ".": None, "0": "o", "1": "l", "i": "l"})


def skeleton(name: str) -> str:
    """The name without separators, with confusable characters folded."""
    folded = name.lower().translate(_FOLD)
    if "rn" in folded or "vv" in folded:
        folded = folded.replace("rn", "m").replace("vv", "w")
    return folded


def closest_popular(
    typed: str, popular: PopularProjects, *, more_popular_than: int | None = None
) -> tuple[str, str] | None:
    """(the popular name ``typed`` is close to, how), or None. ``more_popular_than``: only
    names ranked above this position count (measurement: a popular name against those above
    it)."""
    name = canonicalize_name(typed)
    ranks = popular.rank
    limit = len(popular.names) if more_popular_than is None else more_popular_than
    if more_popular_than is None and name in ranks:
        return None

    def within(target: str | None, top: int) -> bool:
        return target is not None and target != name and ranks.get(target, top) < min(limit, top)

    same = popular.by_skeleton().get(skeleton(name))
    if within(same, SKELETON_TARGETS):
        assert same is not None
        return same, "the same name but for separators or look-alike characters"
    leading = re.fullmatch(r"(\d+)[-_.]?(.+)", name)
    if leading and within(leading.group(2), len(popular.names)):
        return leading.group(2), f"digits {leading.group(1)!r} put in front"
    for target, how in _affix_targets(name):
        if len(target) >= MIN_AFFIX_TARGET_LENGTH and within(target, AFFIX_TARGETS):
            return target, how
    if len(name) < MIN_EDIT_LENGTH:
        return None
    index = _edit_index(popular.names[:EDIT_TARGETS])
    best: tuple[str, str] | None = None
    for key in {name, *_deletions(name)}:
        for target in index.get(key, ()):
            if not within(target, EDIT_TARGETS) or (best and ranks[target] >= ranks[best[0]]):
                continue
            kind = typo_kind(name, target)
            if kind is not None and (kind != _CHANGED or ranks[target] < CHANGED_LETTER_TARGETS):
                best = (target, kind)
    return best


_CHANGED = "one letter changed"


def typo_kind(typed: str, target: str) -> str | None:
    """How ``typed`` is one typo away from ``target`` -- a letter doubled, added, dropped,
    changed, or two swapped -- or None when it is not, or is one of the edits legitimate
    names make: at the first letter (``cattrs``/``attrs``), a trailing ``s`` or separator
    (``aiofile``/``aiofiles``), a digit (``psycopg``/``psycopg2``)."""
    if not one_edit(typed, target):
        return None
    if len(typed) == len(target):
        diffs = [i for i in range(len(typed)) if typed[i] != target[i]]
        if diffs[0] == 0:
            return None
        return "two letters swapped" if len(diffs) == 2 else _CHANGED
    longer, shorter = (typed, target) if len(typed) > len(target) else (target, typed)
    at = 0
    while at < len(shorter) and shorter[at] == longer[at]:
        at += 1
    letter = longer[at]
    if at == 0 or letter.isdigit() or letter in "-_." or (letter == "s" and at >= len(shorter)):
        return None
    if len(typed) < len(target):
        return "one letter dropped"
    doubled = longer[at - 1] == letter or (at + 1 < len(longer) and longer[at + 1] == letter)
    return "one letter doubled" if doubled else "one letter added"


def _affix_targets(name: str) -> Iterable[tuple[str, str]]:
    for prefix in _PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            yield canonicalize_name(name[len(prefix) :]), f"prefix {prefix!r} added"
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            yield canonicalize_name(name[: -len(suffix)]), f"suffix {suffix!r} added"


def one_edit(a: str, b: str) -> bool:
    """Exactly one insertion, deletion, substitution or adjacent swap apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diffs) == 1 or (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


def prepare() -> None:
    """Parse the list and build the lookups a first question needs (~80 ms), so a guard can
    do it in the background before pip asks; any error is left to that question."""
    with contextlib.suppress(OSError, ValueError):
        closest_popular("safe-pip-prepare", load_popular())


def typosquat_findings(
    items: Sequence[PlanItem], popular: PopularProjects | None = None
) -> list[Finding]:
    """A ``TYPOSQUAT`` finding for each typed (requested) item close to a popular name."""
    typed = [item for item in items if item.requested]
    if not typed:
        return []
    popular = popular or load_popular()
    findings = []
    for item in typed:
        close = closest_popular(item.name, popular)
        if close is None:
            continue
        target, how = close
        summary = f"typed name is close to the popular project {target!r} ({how}); check the name"
        findings.append(Finding(item.name, item.version, Category.TYPOSQUAT, TYPOSQUAT_ID, summary))
    return findings
