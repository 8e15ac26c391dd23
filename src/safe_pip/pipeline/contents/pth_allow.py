"""Executable ``.pth`` lines that are long-standing and known: they pass without a finding.

A line passes when it is made only of the statements a known pattern allows (split at ``;``,
with quoted names limited to ``[\\w.]`` so no statement can hide a ``;``). The shipped list
covers setuptools' ``distutils-precedence.pth``, the ``*-nspkg.pth`` namespace-package lines
setuptools writes, and the project-bound lines of coverage, pywin32 and pytest-cov. Policy adds more
with ``pth-allow`` entries (``{package = ..., file = ..., reason = ...}``): every executable
line of that file of that package then passes.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.utils import canonicalize_name

_NAME = r"'[\w.]+'"
_NAMES = rf"\((?:{_NAME}, ?)*{_NAME},?\)"
_SITEDIR = r"sys\._getframe\(1\)\.f_locals\['sitedir'\]"

# setuptools' namespace-package template (setuptools/namespaces.py), old and new forms.
_NSPKG_STATEMENTS = (
    r"import sys, types, os",
    r"has_mfs = sys\.version_info > \(3, 5\)",
    rf"p = os\.path\.join\({_SITEDIR}, \*{_NAMES}\)",
    r"(?:importlib = )?(?:has_mfs and )?__import__\('importlib\.(?:util|machinery)'\)",
    rf"m = (?:has_mfs and )?sys\.modules\.setdefault\({_NAME}, importlib\.util\.module_from_spec"
    rf"\(importlib\.machinery\.PathFinder\.find_spec\({_NAME}, \[os\.path\.dirname\(p\)\]\)\)\)",
    rf"m = m or sys\.modules\.setdefault\({_NAME}, types\.ModuleType\({_NAME}\)\)",
    r"mp = \(m or \[\]\) and m\.__dict__\.setdefault\('__path__', ?\[\]\)",
    r"\(p not in mp\) and mp\.append\(p\)",
    rf"m and setattr\(sys\.modules\[{_NAME}\], {_NAME}, m\)",
)
_DISTUTILS_PRECEDENCE_STATEMENTS = (
    r"import os",
    r"var = 'SETUPTOOLS_USE_DISTUTILS'",
    r"enabled = os\.environ\.get\(var, '(?:local|stdlib)'\) == 'local'",
    r"enabled and __import__\('_distutils_hack'\)\.add_shim\(\)",
)

# coverage's a1_coverage.pth, byte for byte.
_COVERAGE_LINE = (
    'import sys; exec(\'import os\\n\\nif os.getenv("COVERAGE_PROCESS_START") or '
    'os.getenv("COVERAGE_PROCESS_CONFIG"):\\n try:\\n  import coverage\\n except:\\n  '
    'pass\\n else:\\n  coverage.process_startup(slug="pth")\')'
)


@dataclass(frozen=True)
class PthAllowance:
    """Executable lines of ``file`` (a glob) that pass: those made of ``statements`` (regexes,
    whole statements), or every line when ``statements`` is empty. ``packages`` empty: any."""

    file: str
    reason: str
    packages: frozenset[str] = frozenset()
    statements: tuple[str, ...] = ()
    whole_line: str | None = None  # a regex the whole line must match instead

    def allows(self, package: str, file: str, line: str) -> bool:
        if self.packages and canonicalize_name(package) not in self.packages:
            return False
        if not fnmatch.fnmatchcase(file.lower(), self.file.lower()):
            return False
        if self.whole_line is not None:
            return re.fullmatch(self.whole_line, line.strip()) is not None
        if not self.statements:
            return True
        patterns = [re.compile(statement) for statement in self.statements]
        parts = [part.strip() for part in line.split(";")]
        return all(not part or any(p.fullmatch(part) for p in patterns) for part in parts)


SHIPPED_ALLOWANCES: tuple[PthAllowance, ...] = (
    PthAllowance(
        file="distutils-precedence.pth",
        reason="setuptools' distutils shim (since setuptools 49.1)",
        packages=frozenset({"setuptools"}),
        statements=_DISTUTILS_PRECEDENCE_STATEMENTS,
    ),
    PthAllowance(
        file="*-nspkg.pth",
        reason="setuptools namespace-package line (pkg_resources-style namespaces)",
        statements=_NSPKG_STATEMENTS,
    ),
    PthAllowance(
        file="pywin32.pth",
        reason="pywin32's DLL bootstrap",
        packages=frozenset({"pywin32"}),
        whole_line=r"import pywin32_bootstrap",
    ),
    PthAllowance(
        file="a1_coverage.pth",
        reason="coverage's subprocess measurement (coverage >= 7.10)",
        packages=frozenset({"coverage"}),
        whole_line=re.escape(_COVERAGE_LINE),
    ),
    PthAllowance(
        file="pytest-cov.pth",
        reason="pytest-cov's subprocess coverage (pytest-cov < 7)",
        packages=frozenset({"pytest-cov"}),
        whole_line=(
            r"import os, sys;exec\('if \\'COV_CORE_SOURCE\\' in os\.environ:\\n try:\\n  "
            r"from pytest_cov\.embed import init\\n  init\(\)\\n except Exception as exc:\\n  "
            r"sys\.stderr\.write\([^;]*\)\\n'\)"
        ),
    ),
)


def allowed_line(
    package: str, file: str, line: str, extra: Sequence[PthAllowance] = ()
) -> PthAllowance | None:
    """The allowance that lets ``line`` of ``file`` (of ``package``) pass, if any."""
    for allowance in (*SHIPPED_ALLOWANCES, *extra):
        if allowance.allows(package, file, line):
            return allowance
    return None
