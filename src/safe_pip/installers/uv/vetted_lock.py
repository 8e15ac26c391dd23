"""uv's own pylock.toml of the plan, cut down to exactly the checked files.

uv lists every wheel that fits the target (and the sdist) per package; it would install the
one it ranks best. The checked plan names one file per package, so every other file is
dropped: ``uv pip install -r pylock.toml`` then has exactly one candidate per package, with
its checked sha256, and installs it without resolving again (uv verifies the hash).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from safe_pip.models import ArtifactSource, PlanItem
from safe_pip.producers.lockfiles.toml_reading import load_toml

Value = Any


def write_vetted_lock(
    lock_file: Path,
    plan: Sequence[PlanItem],
    default_index: str | None = None,
    *,
    document: Mapping[str, Value] | None = None,
) -> None:
    """Rewrite ``lock_file`` (uv's pylock.toml of ``plan``) to list only ``plan``'s files.

    An index file's package gets an ``index`` (its own, else ``default_index``, uv's first):
    uv then takes the file as a registry distribution and finds it in its cache, instead of
    fetching every URL again. ``document``: the file as already read (it is not read again)."""
    if document is None:
        document = load_toml(lock_file, lock_file.read_text(encoding="utf-8"))
    document = dict(document)
    chosen = {item.name: item for item in plan}
    packages = []
    for package in document.get("packages", []):
        item = chosen.get(canonicalize_name(str(package.get("name", ""))))
        if item is None:
            continue
        kept = _only_the_checked_file(package, item)
        index = item.index_url or default_index
        if item.source is ArtifactSource.INDEX and "index" not in kept and index:
            kept = {"index": index, **kept}
        packages.append(kept)
    document["packages"] = packages
    lock_file.write_text(_dumps(document), encoding="utf-8")


def _only_the_checked_file(package: Mapping[str, Value], item: PlanItem) -> dict[str, Value]:
    if item.filename is None:
        return dict(package)  # a directory, VCS checkout or archive: nothing to choose
    kept = dict(package)
    wheels = package.get("wheels")
    matching = [w for w in wheels if _names(w, item)] if isinstance(wheels, list) else []
    sdist = package.get("sdist")
    kept.pop("wheels", None)
    kept.pop("sdist", None)
    if matching:
        kept["wheels"] = matching[:1]
    elif isinstance(sdist, Mapping) and _names(sdist, item):
        kept["sdist"] = sdist
    return kept


def _names(artifact: object, item: PlanItem) -> bool:
    if not isinstance(artifact, Mapping):
        return False
    location = str(artifact.get("url") or artifact.get("path") or "")
    return str(artifact.get("name") or location.rsplit("/", 1)[-1]) == item.filename


# ---------------------------------------------------------------- a TOML writer for pylock


def _dumps(document: Mapping[str, Value]) -> str:
    lines = [f"{key} = {_inline(value)}" for key, value in document.items() if key != "packages"]
    for package in document.get("packages", []) or []:
        lines += ["", "[[packages]]"]
        lines += [f"{_key(key)} = {_inline(value)}" for key, value in package.items()]
    return "\n".join(lines) + "\n"


def _inline(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} into a pylock.toml")


def _key(key: str) -> str:
    bare = key.replace("-", "").replace("_", "").isalnum()
    return key if bare else json.dumps(key)
