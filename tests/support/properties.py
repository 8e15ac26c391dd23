"""Hypothesis settings for the property tests in the fast suite.

Each property runs a bounded number of examples so the fast suite stays fast (a few seconds
for all of them); ``SAFE_PIP_PROPERTY_EXAMPLES=N`` runs N examples each for a deeper search
(``docs/testing.md``). No deadline per example: the machine is shared and a slow example is
not a failure; size limits of the generated input keep each example small instead.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Sequence
from datetime import date
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

_EXAMPLES = int(os.environ.get("SAFE_PIP_PROPERTY_EXAMPLES", "0") or 0)


def examples(fast: int) -> settings:
    """Settings for a property that runs ``fast`` examples in the fast suite."""
    return settings(
        max_examples=_EXAMPLES or fast,
        deadline=None,
        # the same examples every run (benchmarks/mutation_score.py compares runs)
        derandomize=os.environ.get("SAFE_PIP_PROPERTY_DERANDOMIZE") == "1",
        # the suite's autouse fixtures (tmp dirs for caches and logs) are not per example
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


FAST = examples(100)


# ------------------------------------------------------------ documents to break parsers with

Path_ = tuple[object, ...]  # keys and list indexes from the root of a document


def leaves(*vocabulary: str, with_null: bool = True) -> st.SearchStrategy[Any]:
    """Scalars of a JSON document (TOML: no null, but dates), some from ``vocabulary``."""
    scalars: list[st.SearchStrategy[Any]] = [
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
    ]
    if vocabulary:
        scalars.append(st.sampled_from(vocabulary))
    scalars.append(st.none() if with_null else st.dates())
    return st.one_of(*scalars)


def documents(leaf: st.SearchStrategy[Any], keys: Sequence[str]) -> st.SearchStrategy[Any]:
    """Nested lists and objects of ``leaf`` values, with keys a parser looks for."""
    key = st.one_of(st.sampled_from(list(keys)), st.text(max_size=6)) if keys else st.text()
    return st.recursive(
        leaf,
        lambda children: st.one_of(
            st.lists(children, max_size=3), st.dictionaries(key, children, max_size=3)
        ),
        max_leaves=8,
    )


def _paths(document: Any, prefix: Path_ = ()) -> list[Path_]:
    found = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _replace(document: Any, path: Path_, value: Any, delete: bool) -> Any:
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


@st.composite
def mutated(draw: st.DrawFn, base: Any, values: st.SearchStrategy[Any], changes: int = 3) -> Any:
    """``base`` (a valid document) with one to ``changes`` parts replaced by ``values`` or
    deleted: a parser meets a plausible file broken in a few places, deep inside."""
    document = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=changes))):
        path = draw(st.sampled_from(_paths(document)))
        delete = bool(path) and draw(st.booleans())
        document = _replace(document, path, draw(values), delete)
    return document


def toml_text(table: dict[str, Any]) -> str:
    """``table`` as TOML (tables as inline tables), for documents ``mutated`` made."""
    return "".join(f"{_toml_key(key)} = {_toml_value(value)}\n" for key, value in table.items())


def _toml_key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    raise TypeError(f"no TOML for {value!r}")
