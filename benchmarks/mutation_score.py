"""Mutation score of the modules that decide a verdict, against the fast unit tests for them.

A small ``ast`` mutator, no dependency: for each module in ``TARGETS`` every mutant below is
written into a private copy of the source tree, one at a time, and the fast tests mapped to
that module run against it (``pytest -x -m "not integration"``, with a timeout). A mutant
is *killed* when a test fails (or the run times out), *survives* when they all pass. The
score is killed / all. Mutants (one change each):

* comparisons: ``<`` -> ``<=`` / ``>=``, ``==`` -> ``!=``, ``is`` -> ``is not``, ``in`` ->
  ``not in`` (and back);
* conditions: ``if``/``while``/``x if c else y`` conditions negated, ``not x`` -> ``x``,
  ``and`` <-> ``or``;
* statements: ``return``/``raise`` -> ``pass``, ``continue`` <-> ``break``, ``+=`` -> ``=``;
* values: a number n -> n + 1, ``True`` <-> ``False``, a string that is compared, a table
  entry or a module constant -> ``"XX...XX"``; a table (dict display) entry deleted, or its
  value swapped for another of the table's values; ``+`` <-> ``-``;
* calls: ``max`` <-> ``min``, ``any`` <-> ``all``, ``split`` <-> ``rsplit``,
  ``partition`` <-> ``rpartition``, ``startswith`` <-> ``endswith``.

Docstrings, annotations, decorators and ``assert`` statements are left alone.

    python benchmarks/mutation_score.py                   # every module, the working tree
    python benchmarks/mutation_score.py --module redaction.py --survivors
    python benchmarks/mutation_score.py --rev main        # the tree and tests of a commit

Not a test and not in CI's critical path (minutes): docs/testing.md has the last scores and
why each surviving mutant is harmless.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = Path("src/safe_pip")

# module (under src/safe_pip) -> the fast test files that cover it
TARGETS: dict[str, tuple[str, ...]] = {
    "pipeline/tightening.py": ("test_tightening.py", "test_policy_trust.py"),
    "pipeline/policy.py": (
        "test_policy_actions.py",
        "test_policy.py",
        "test_policy_trust.py",
        "test_tightening.py",
        "test_release_age.py",
    ),
    "advisories/version_match.py": (
        "test_version_match.py",
        "test_properties_version_match.py",
        "test_osv.py",
    ),
    "pipeline/release_age.py": ("test_release_age.py",),
    "pipeline/candidates.py": ("test_candidate_judge.py", "test_release_age.py"),
    "redaction.py": ("test_redaction.py", "test_properties_redaction.py"),
    "pipeline/gate.py": ("test_one_pass_unit.py",),
}

_COMPARE_SWAPS: dict[type[ast.cmpop], tuple[type[ast.cmpop], ...]] = {
    ast.Lt: (ast.LtE, ast.GtE),
    ast.LtE: (ast.Lt, ast.Gt),
    ast.Gt: (ast.GtE, ast.LtE),
    ast.GtE: (ast.Gt, ast.Lt),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
    ast.Is: (ast.IsNot,),
    ast.IsNot: (ast.Is,),
    ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
}
_NAME_SWAPS = {"max": "min", "min": "max", "any": "all", "all": "any"}
_METHOD_SWAPS = {
    "split": "rsplit",
    "rsplit": "split",
    "partition": "rpartition",
    "rpartition": "partition",
    "startswith": "endswith",
    "endswith": "startswith",
}


class Mutator(ast.NodeTransformer):
    """Counts the mutation sites of a module in a fixed order; applies the ``target``-th."""

    def __init__(self, target: int = -1) -> None:
        self.target = target
        self.sites: list[tuple[int, str]] = []  # (line, what changes)
        self._mutable_strings: set[int] = set()

    def _offer(self, node: ast.AST, what: str, build: Callable[[], ast.AST]) -> ast.AST | None:
        index = len(self.sites)
        self.sites.append((getattr(node, "lineno", 0), what))
        return build() if index == self.target else None

    # ---- what is never mutated

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.args.defaults = [self.visit(d) for d in node.args.defaults]
        node.body = self._statements(node.body)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.body = self._statements(node.body)
        return node

    def visit_Module(self, node: ast.Module) -> ast.AST:
        for statement in node.body:  # module constants: NAME = "text"
            if isinstance(statement, (ast.Assign, ast.AnnAssign)) and _is_str(statement.value):
                self._mutable_strings.add(id(statement.value))
        node.body = self._statements(node.body)
        return node

    def _statements(self, body: list[ast.stmt]) -> list[ast.stmt]:
        kept: list[ast.stmt] = []
        for position, statement in enumerate(body):
            if position == 0 and isinstance(statement, ast.Expr) and _is_str(statement.value):
                kept.append(statement)  # docstring
                continue
            result = self.visit(statement)
            kept.extend(result if isinstance(result, list) else [result])
        return kept

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        return node  # message text

    # ---- comparisons and conditions

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        for operand in (node.left, *node.comparators):
            self._mark_strings(operand)
        self.generic_visit(node)
        for position, op in enumerate(node.ops):
            for replacement in _COMPARE_SWAPS.get(type(op), ()):
                name = f"{type(op).__name__} -> {replacement.__name__}"

                def build(p: int = position, r: type[ast.cmpop] = replacement) -> ast.AST:
                    ops = list(node.ops)
                    ops[p] = r()
                    return ast.Compare(node.left, ops, node.comparators)

                mutated = self._offer(node, name, build)
                if mutated is not None:
                    return mutated
        return node

    def _negated_test(self, node: ast.If | ast.While | ast.IfExp) -> ast.AST:
        self.generic_visit(node)
        kind = type(node).__name__.lower()

        def build() -> ast.AST:
            node.test = ast.UnaryOp(ast.Not(), node.test)
            return node

        return self._offer(node, f"{kind} condition negated", build) or node

    def visit_If(self, node: ast.If) -> ast.AST:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return node
        return self._negated_test(node)

    visit_While = _negated_test
    visit_IfExp = _negated_test

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        other: ast.boolop = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        what = f"{type(node.op).__name__.lower()} -> {type(other).__name__.lower()}"
        return self._offer(node, what, lambda: ast.BoolOp(other, node.values)) or node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return self._offer(node, "not removed", lambda: node.operand) or node
        return node

    # ---- statements

    def visit_Return(self, node: ast.Return) -> ast.AST:
        self.generic_visit(node)
        return self._offer(node, "return -> pass", lambda: ast.Pass()) or node

    def visit_Raise(self, node: ast.Raise) -> ast.AST:
        return self._offer(node, "raise -> pass", lambda: ast.Pass()) or node

    def visit_Continue(self, node: ast.Continue) -> ast.AST:
        return self._offer(node, "continue -> break", lambda: ast.Break()) or node

    def visit_Break(self, node: ast.Break) -> ast.AST:
        return self._offer(node, "break -> continue", lambda: ast.Continue()) or node

    def visit_Try(self, node: ast.Try) -> ast.AST | list[ast.stmt]:
        self.generic_visit(node)
        if not node.handlers:
            return node
        self.sites.append((node.lineno, "try/except removed (the error propagates)"))
        if len(self.sites) - 1 == self.target:
            return [*node.body, *node.orelse, *node.finalbody]
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        what = f"{type(node.op).__name__.lower()}= -> ="
        return self._offer(node, what, lambda: ast.Assign([node.target], node.value)) or node

    # ---- values

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, (ast.Add, ast.Sub)) and not _is_str(node.left):
            other: ast.operator = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
            what = f"{type(node.op).__name__} -> {type(other).__name__}"
            return self._offer(node, what, lambda: ast.BinOp(node.left, other, node.right)) or node
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if isinstance(value, bool):
            return (
                self._offer(node, f"{value} -> {not value}", lambda: ast.Constant(not value))
                or node
            )
        if isinstance(value, (int, float)):
            return (
                self._offer(node, f"{value!r} -> {value + 1!r}", lambda: ast.Constant(value + 1))
                or node
            )
        if isinstance(value, str) and id(node) in self._mutable_strings:
            return (
                self._offer(node, f"{value!r} -> 'XX..XX'", lambda: ast.Constant(f"XX{value}XX"))
                or node
            )
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        for part in (*node.keys, *node.values):
            if part is not None:
                self._mark_strings(part)
        self.generic_visit(node)
        names = [value.id for value in node.values if isinstance(value, ast.Name)]
        for position, key in enumerate(node.keys):
            label = ast.unparse(key) if key is not None else "**"
            if len(node.keys) > 1:

                def drop(p: int = position) -> ast.AST:
                    return ast.Dict(
                        node.keys[:p] + node.keys[p + 1 :], node.values[:p] + node.values[p + 1 :]
                    )

                mutated = self._offer(node, f"table entry {label} deleted", drop)
                if mutated is not None:
                    return mutated
            value = node.values[position]
            others = [
                name
                for name in dict.fromkeys(names)
                if isinstance(value, ast.Name) and name != value.id
            ]
            if others:

                def swap(p: int = position, name: str = others[0]) -> ast.AST:
                    values = list(node.values)
                    values[p] = ast.Name(name, ast.Load())
                    return ast.Dict(node.keys, values)

                mutated = self._offer(node, f"table entry {label} -> {others[0]}", swap)
                if mutated is not None:
                    return mutated
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id in _NAME_SWAPS:
            other = _NAME_SWAPS[func.id]

            def by_name() -> ast.AST:
                return ast.Call(ast.Name(other, ast.Load()), node.args, node.keywords)

            return self._offer(node, f"{func.id}() -> {other}()", by_name) or node
        if isinstance(func, ast.Attribute) and func.attr in _METHOD_SWAPS:
            method = _METHOD_SWAPS[func.attr]

            def by_method() -> ast.AST:
                return ast.Call(
                    ast.Attribute(func.value, method, ast.Load()), node.args, node.keywords
                )

            return self._offer(node, f".{func.attr}() -> .{method}()", by_method) or node
        return node

    def _mark_strings(self, node: ast.AST) -> None:
        if _is_str(node):
            self._mutable_strings.add(id(node))
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            for element in node.elts:
                self._mark_strings(element)


def _is_str(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def mutants(source: str) -> Iterator[tuple[int, str, str]]:
    """(line, what changed, mutated source) for every mutant of ``source``."""
    counter = Mutator()
    counter.visit(ast.parse(source))
    for index, (line, what) in enumerate(counter.sites):
        tree = Mutator(index).visit(ast.parse(source))
        yield line, what, ast.unparse(ast.fix_missing_locations(tree))


# ------------------------------------------------------------------ running the tests


@dataclass(frozen=True)
class Outcome:
    module: str
    line: int
    what: str
    killed: bool
    timed_out: bool
    source_line: str


# What the fast tests read besides src/ and tests/ (config examples, docs, README).
_SANDBOX_DIRS = ("src", "tests", "config-examples", "docs")
_SANDBOX_FILES = ("pyproject.toml", "README.md", "ARCHITECTURE.md")


def _sandbox(rev: str | None, into: Path) -> Path:
    """A copy of the tree the tests need (of ``rev``, or of the working tree)."""
    into.mkdir(parents=True)
    if rev is None:
        ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", "*.pyc")
        for part in _SANDBOX_DIRS:
            if (REPO / part).is_dir():
                shutil.copytree(REPO / part, into / part, ignore=ignore)
        for name in _SANDBOX_FILES:
            if (REPO / name).is_file():
                shutil.copy2(REPO / name, into / name)
    else:
        listed = subprocess.run(
            ["git", "-C", str(REPO), "ls-tree", "--name-only", rev],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        parts = [part for part in (*_SANDBOX_DIRS, *_SANDBOX_FILES) if part in listed]
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", rev, *parts], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


# Runs in the sandbox: imports the heavy third-party modules once, then for each request
# forks a child that forgets every module of the sandbox (safe_pip, tests, support) and
# runs pytest, so each mutant is imported fresh from disk without paying for pytest's start.
_RUNNER = r"""
import os, sys, time
sys.dont_write_bytecode = True
import pytest, hypothesis, httpx, packaging.version, sqlite3, filelock, platformdirs  # warm
ARGS = sys.argv[1:]
for request in sys.stdin:
    timeout = float(request)
    child = os.fork()
    if child == 0:
        for name in list(sys.modules):
            top = name.split(".")[0]
            if top in ("safe_pip", "support", "conftest") or top.startswith("test_"):
                del sys.modules[name]
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os._exit(int(pytest.main(ARGS)))
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            answer = "pass" if os.waitstatus_to_exitcode(status) == 0 else "fail"
            break
        if time.monotonic() > deadline:
            os.kill(child, 9)
            os.waitpid(child, 0)
            answer = "timeout"
            break
        time.sleep(0.02)
    print(answer, flush=True)
"""


class TestRunner:
    """One warm runner process per sandbox and test selection."""

    def __init__(self, sandbox: Path, tests: Sequence[str]) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(sandbox / "src"),
            "PYTHONDONTWRITEBYTECODE": "1",
            "SAFE_PIP_PROPERTY_DERANDOMIZE": "1",
        }
        arguments = ["-x", "-q", "-p", "no:cacheprovider", "-m", "not integration", *tests]
        self._process = subprocess.Popen(
            [sys.executable, "-c", _RUNNER, *arguments],
            cwd=sandbox,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, timeout: float) -> tuple[bool, bool]:
        """(passed, timed out)."""
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(f"{timeout}\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline().strip()
        return answer == "pass", answer == "timeout"

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait()


def score_module(
    module: str, tests: Sequence[str], sandboxes: Sequence[Path], timeout: float
) -> list[Outcome]:
    relative = PACKAGE / module
    original = (sandboxes[0] / relative).read_text(encoding="utf-8")
    lines = original.splitlines()
    present = [f"tests/{name}" for name in tests if (sandboxes[0] / "tests" / name).is_file()]
    runners = {sandbox: TestRunner(sandbox, present) for sandbox in sandboxes}
    try:
        passed, _ = runners[sandboxes[0]].run(timeout * 3)
        if not present or not passed:
            raise SystemExit(f"{module}: the unmutated tests {present} do not pass")
        free = list(sandboxes)

        def one(mutant: tuple[int, str, str]) -> Outcome:
            line, what, source = mutant
            sandbox = free.pop()
            try:
                (sandbox / relative).write_text(source, encoding="utf-8")
                survived, timed_out = runners[sandbox].run(timeout)
            finally:
                (sandbox / relative).write_text(original, encoding="utf-8")
                free.append(sandbox)
            text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
            return Outcome(module, line, what, not survived, timed_out, text)

        with ThreadPoolExecutor(len(sandboxes)) as pool:
            return list(pool.map(one, mutants(original)))
    finally:
        for runner in runners.values():
            runner.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", choices=sorted(TARGETS), help="repeatable")
    parser.add_argument("--rev", help="score this commit's src and tests (default: working tree)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant run")
    parser.add_argument("--survivors", action="store_true", help="list every surviving mutant")
    options = parser.parse_args(argv)
    modules = options.module or list(TARGETS)
    started = time.monotonic()
    rows: list[tuple[str, int, int, int]] = []
    survivors: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="safe-pip-mutants-") as work:
        sandboxes = [_sandbox(options.rev, Path(work) / f"s{n}") for n in range(options.jobs)]
        for module in modules:
            outcomes = score_module(module, TARGETS[module], sandboxes, options.timeout)
            killed = sum(outcome.killed for outcome in outcomes)
            timeouts = sum(outcome.timed_out for outcome in outcomes)
            rows.append((module, len(outcomes), killed, timeouts))
            survivors.extend(outcome for outcome in outcomes if not outcome.killed)
            print(f"{module}: {killed}/{len(outcomes)} killed", file=sys.stderr, flush=True)
    print("\n| module | mutants | killed | survived | score |\n|---|---:|---:|---:|---:|")
    for module, total, killed, _ in rows:
        print(f"| {module} | {total} | {killed} | {total - killed} | {100 * killed / total:.1f}% |")
    total = sum(row[1] for row in rows)
    killed = sum(row[2] for row in rows)
    print(f"| all | {total} | {killed} | {total - killed} | {100 * killed / max(total, 1):.1f}% |")
    print(f"\n{time.monotonic() - started:.0f} s, {options.jobs} jobs", file=sys.stderr)
    if options.survivors:
        print("\nsurvivors:")
        for outcome in survivors:
            print(f"  {outcome.module}:{outcome.line}: {outcome.what}  | {outcome.source_line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
