"""policy.finding_action: the action for every finding id under every policy setting.

One row per finding id policy decides by name (and one per category it decides by category),
with the ids spelled as users write them in ``ignore`` entries and read them in reports: they
are an interface. The rows are checked against the policy's own tables, so a new id constant
or a new category without a row fails here (``test_every_...``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from typing import Any

import pytest

from safe_pip.models import Action, Category, Finding
from safe_pip.pipeline import policy as policy_module
from safe_pip.pipeline.policy import ContentsMode, Policy

CONTENTS_KEY = "contents"


@dataclass(frozen=True)
class Row:
    category: Category
    id: str
    aliases: tuple[str, ...] = ()
    # What decides the action: a Policy key holding an Action, CONTENTS_KEY (with the action
    # under ``contents = "default"`` in ``by_default``), or a fixed Action no key changes.
    decided_by: str | Action = Action.BLOCK
    by_default: Action = Action.BLOCK

    def finding(self) -> Finding:
        return Finding("demo", "1.0", self.category, self.id, "summary", aliases=self.aliases)

    def expected(self, policy: Policy) -> Action:
        if self.decided_by == CONTENTS_KEY:
            return {
                ContentsMode.BLOCK: Action.BLOCK,
                ContentsMode.WARN: Action.WARN,
                ContentsMode.DEFAULT: self.by_default,
            }[policy.contents]
        if isinstance(self.decided_by, Action):
            return self.decided_by
        action = getattr(policy, self.decided_by)
        assert isinstance(action, Action)
        return action


def contents(finding_id: str, by_default: Action, *aliases: str) -> Row:
    return Row(Category.CONTENTS, finding_id, aliases, CONTENTS_KEY, by_default)


ROWS = (
    # advisories
    Row(Category.MALICIOUS, "MAL-2099-1", ("GHSA-xxxx-yyyy-zzzz",)),
    Row(Category.VULNERABILITY, "PYSEC-2099-1", ("CVE-2099-1",), "vulnerability"),
    # checks decided by their category's key
    Row(Category.YANKED, "YANKED", (), "yanked"),
    Row(Category.HASH_MISMATCH, "HASH-INDEX", (), "hash_mismatch"),
    Row(Category.UNVERIFIABLE, "UNVERIFIED-SOURCE", (), "unverifiable"),
    Row(Category.CONFUSION, "INDEX-CONFUSION", (), "confusion"),
    Row(Category.TYPOSQUAT, "TYPOSQUAT", (), "typosquat"),
    # release age: each id its own key
    Row(Category.RELEASE_AGE, "TOO-NEW", (), "too_new"),
    Row(Category.RELEASE_AGE, "NO-UPLOAD-TIME", (), "unknown_upload_time"),
    # project status (PEP 792): quarantine blocks whatever the keys say, the rest warn
    Row(Category.PROJECT_STATUS, "PROJECT-QUARANTINED"),
    Row(Category.PROJECT_STATUS, "PROJECT-ARCHIVED", (), Action.WARN),
    Row(Category.PROJECT_STATUS, "PROJECT-DEPRECATED", (), Action.WARN),
    # contents: the serious kind of each (an alias or the id itself) blocks by default
    contents("PTH-EXEC", Action.WARN),
    contents("PTH-EXEC", Action.BLOCK, "PTH-EXEC-NEW"),
    contents("STARTUP-HOOK", Action.BLOCK),
    contents("SCRIPT-SHADOW", Action.WARN),
    contents("SCRIPT-SHADOW", Action.BLOCK, "SCRIPT-SHADOW-RESERVED"),
    contents("FILE-CLASH", Action.WARN),
    contents("FILE-CLASH", Action.BLOCK, "FILE-CLASH-OUTSIDE"),
    contents("RECORD-MISMATCH", Action.BLOCK),
    # provenance: only a dropped attestation follows a key; the rest always block
    Row(Category.PROVENANCE, "PUBLISHER-CHANGED"),
    Row(Category.PROVENANCE, "ATTESTATION-DROPPED", (), "attestation_dropped"),
    Row(Category.PROVENANCE, "ATTESTATION-INVALID"),
    Row(Category.PROVENANCE, "PROVENANCE-MISSING"),
)

ACTION_KEYS = tuple(
    field.name for field in dataclasses.fields(Policy) if field.type in ("Action", Action)
)


def _with(key: str, value: Any) -> Policy:
    return replace(Policy(), **{key: value})


def _settings() -> list[Policy]:
    """The defaults, then every action key at every action, then every contents mode."""
    policies = [Policy()]
    policies += [_with(key, action) for key in ACTION_KEYS for action in Action]
    policies += [replace(Policy(), contents=mode) for mode in ContentsMode]
    return policies


SETTINGS = _settings()


def _label(row: Row) -> str:
    return "+".join((row.id, *row.aliases))


@pytest.mark.parametrize("row", ROWS, ids=_label)
def test_every_finding_id_gets_its_action_under_every_setting(row: Row) -> None:
    finding = row.finding()
    for policy in SETTINGS:
        assert policy.finding_action(finding) is row.expected(policy), (row, policy)


def test_every_finding_id_constant_has_a_row() -> None:
    """An id or alias constant of ``policy`` (what findings are built with) without a row here
    fails: its action would be untested. The rows spell the ids, so a renamed id fails too."""
    constants = {
        name: value
        for name, value in vars(policy_module).items()
        if name.endswith(("_ID", "_ALIAS")) and isinstance(value, str)
    }
    named = {kind for row in ROWS for kind in (row.id, *row.aliases)}
    assert len(constants) >= 15
    assert {name: value for name, value in constants.items() if value not in named} == {}


def test_every_category_has_a_row() -> None:
    assert {row.category for row in ROWS} == set(Category)


def test_every_action_key_decides_some_row() -> None:
    """A key of Policy holding an Action that no row names would be an untested setting."""
    assert "typosquat" in ACTION_KEYS and "attestation_dropped" in ACTION_KEYS
    keys = {row.decided_by for row in ROWS if row.decided_by != CONTENTS_KEY}
    assert set(ACTION_KEYS) == {key for key in keys if not isinstance(key, Action)}


def test_contents_blocking_by_default_is_the_serious_kinds() -> None:
    serious = {
        kind
        for row in ROWS
        if row.decided_by == CONTENTS_KEY and row.by_default is Action.BLOCK
        for kind in row.aliases or (row.id,)
    }
    assert serious == policy_module.CONTENTS_BLOCKING_BY_DEFAULT


@pytest.mark.parametrize("category", list(Category), ids=str)
def test_category_action_follows_the_one_key_of_a_category_else_blocks(category: Category) -> None:
    """``category_action`` (the category alone): a category whose findings all follow one key
    follows it; one decided id by id (release age, status, contents, provenance) blocks."""
    deciders = {row.decided_by for row in ROWS if row.category is category}
    (key,) = deciders if len(deciders) == 1 else (None,)
    for policy in SETTINGS:
        expected = getattr(policy, key) if key in ACTION_KEYS else Action.BLOCK
        assert policy.category_action(category) is expected, (category, policy)
