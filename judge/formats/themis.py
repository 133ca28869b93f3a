"""Themis tasks: one folder per test, ``TASK/Test01/TASK.INP`` and ``TASK/Test01/TASK.OUT``.

The task name is the folder name; file names may be upper- or lower-case (``sum.inp``).  Programs
read ``TASK.INP`` and write ``TASK.OUT`` (the judge also feeds the input on stdin and reads stdout
when no file was written).

Optional files of ours, next to the test folders:

``limits.yaml``::

    name: {vi: "Tính tổng", en: "Sum"}   # or a plain string
    time_limit: 1          # seconds (default 1)
    memory_limit: 256      # MiB
    output_limit: 64       # MiB
    max_score: 100         # total points; each test is worth max_score / number of tests ...
    scores: {Test01: 10}   # ... unless given here (per test points)
    checker:               # default: token comparison ("default"); or "exact"
      kind: themis         # themis | testlib | default | exact
      source: checker.cpp  # for themis / testlib; testlib needs the package's own testlib.h
      flags: "float_tolerance 1e-6"   # default-checker flags (Kattis names)
    subtasks:              # optional: IOI-style groups, all tests of a subtask must pass
      - {name: sub1, score: 40, tests: [Test01, Test02]}
      - {name: sub2, score: 60, tests: "Test03-Test05"}

Statements: ``statement/problem.<lang>.md`` (or ``.tex``, ``.pdf``); example programs under
``submissions/<expected>/`` as in Kattis packages.
"""
from __future__ import annotations

import re
from pathlib import Path

from judge.formats.common import (
    as_number,
    check_keys,
    load_statements,
    natural_key,
    read_yaml,
    rel,
    title_from_statement,
)
from judge.problem import Checker, Grading, Problem, ProblemError, TestCase, TestGroup
from judge.validators import parse_flags

LIMITS_FILE = "limits.yaml"
_LIMIT_KEYS = {"name", "time_limit", "memory_limit", "output_limit", "max_score", "scores", "checker", "subtasks"}
_SKIP_DIRS = {"statement", "submissions", "checker", "solutions", "attachments", "generators", "__pycache__"}


def _find_io(d: Path, stem: str | None) -> tuple[Path | None, Path | None]:
    inp = out = None
    for f in d.iterdir():
        if not f.is_file():
            continue
        low = f.name.lower()
        if stem is not None and not low.startswith(stem.lower() + "."):
            continue
        if low.endswith(".inp"):
            inp = f
        elif low.endswith(".out"):
            out = f
    return inp, out


def detect(path: Path) -> bool:
    if not path.is_dir() or (path / "problem.yaml").exists():
        return False
    for d in path.iterdir():
        if d.is_dir() and d.name not in _SKIP_DIRS:
            inp, _ = _find_io(d, None)
            if inp is not None:
                return True
    return False


def _test_dirs(path: Path) -> list[Path]:
    return sorted(
        (d for d in path.iterdir() if d.is_dir() and d.name not in _SKIP_DIRS and not d.name.startswith(".")),
        key=lambda d: natural_key(d.name),
    )


def _expand(spec, names: list[str], where: str) -> list[str]:
    """Subtask test list: a list of names, or "A-B" (a range in test order), or a mix."""
    items = spec if isinstance(spec, list) else [spec]
    out: list[str] = []
    for item in items:
        item = str(item)
        m = re.fullmatch(r"\s*(\S+)\s*-\s*(\S+)\s*", item)
        if item in names:
            out.append(item)
        elif m and m.group(1) in names and m.group(2) in names:
            a, b = names.index(m.group(1)), names.index(m.group(2))
            out.extend(names[a : b + 1])
        else:
            raise ProblemError(f"{where}: unknown test {item!r} in subtasks")
    return out


def load(path: Path) -> Problem:
    path = Path(path)
    code = path.name
    limits_path = path / LIMITS_FILE
    limits = read_yaml(limits_path, path) if limits_path.exists() else {}
    check_keys(limits, _LIMIT_KEYS, limits_path, path)

    problem = Problem(code=code, path=path, format="themis", scoring=True, version="themis")
    problem.root.grading = Grading(on_reject="continue")

    tests: list[TestCase] = []
    stem: str | None = None
    for d in _test_dirs(path):
        inp, out = _find_io(d, code)
        if inp is None:
            any_inp, _ = _find_io(d, None)
            if any_inp is None:
                continue
            if stem is None and not tests:  # the task folder was renamed: trust the file names
                stem = any_inp.name.rsplit(".", 1)[0]
            inp, out = _find_io(d, stem) if stem else (any_inp, None)
            if inp is None:
                raise ProblemError(f"{rel(d, path)}: expected {code}.INP in this test folder")
        if out is None:
            raise ProblemError(
                f"{rel(inp, path)}: the answer file is missing (expected {inp.name.rsplit('.', 1)[0]}.OUT next to it)"
            )
        tests.append(TestCase(name=d.name, input_path=inp, answer_path=out, dir=d))
    if not tests:
        raise ProblemError(f"{path.name}: no tests found (expected folders like Test01/{code}.INP and {code}.OUT)")

    problem.input_file = tests[0].input_path.name  # the names as the package spells them
    problem.output_file = tests[0].answer_path.name
    if stem:
        problem.code = stem

    # Limits.
    if "time_limit" in limits:
        problem.time_limit = as_number(limits["time_limit"], "time_limit", limits_path, path)
    if "memory_limit" in limits:
        problem.memory_limit = int(as_number(limits["memory_limit"], "memory_limit", limits_path, path))
    if "output_limit" in limits:
        problem.output_limit = int(as_number(limits["output_limit"], "output_limit", limits_path, path))
    if "max_score" in limits:
        problem.max_score = as_number(limits["max_score"], "max_score", limits_path, path)

    # Per-test weights.
    names = [t.name for t in tests]
    scores = limits.get("scores") or {}
    if not isinstance(scores, dict):
        raise ProblemError(f"{LIMITS_FILE}: scores must map test folder names to points")
    for k in scores:
        if k not in names:
            raise ProblemError(f"{LIMITS_FILE}: scores names unknown test {k!r}")
    rest = [t for t in tests if t.name not in scores]
    given = sum(as_number(v, f"scores.{k}", limits_path, path, positive=False) for k, v in scores.items())
    each = (problem.max_score - given) / len(rest) if rest else 0.0
    for t in tests:
        t.score = float(scores[t.name]) if t.name in scores else max(each, 0.0)

    subtasks = limits.get("subtasks")
    if subtasks:
        if not isinstance(subtasks, list):
            raise ProblemError(f"{LIMITS_FILE}: subtasks must be a list")
        used: set[str] = set()
        total = 0.0
        for i, st in enumerate(subtasks, 1):
            if not isinstance(st, dict):
                raise ProblemError(f"{LIMITS_FILE}: subtask {i} must be a mapping")
            check_keys(st, {"name", "score", "tests"}, limits_path, path, f"subtask {i}")
            gname = str(st.get("name") or f"subtask{i}")
            members = _expand(st.get("tests", []), names, LIMITS_FILE)
            if not members:
                raise ProblemError(f"{LIMITS_FILE}: subtask {gname!r} has no tests")
            dup = used.intersection(members)
            if dup:
                raise ProblemError(f"{LIMITS_FILE}: test {sorted(dup)[0]!r} is in two subtasks")
            used.update(members)
            pts = as_number(st.get("score", 0), f"subtask {gname} score", limits_path, path, positive=False)
            total += pts
            g = TestGroup(name=gname, grading=Grading(on_reject="break", score_mode="min"), score=pts)
            for t in tests:
                if t.name in members:
                    t.group = gname
                    t.score = None  # inside a subtask a test is all-or-nothing
                    g.tests.append(t)
            problem.root.groups.append(g)
        missing = [n for n in names if n not in used]
        if missing:
            raise ProblemError(f"{LIMITS_FILE}: test {missing[0]!r} is in no subtask")
        problem.max_score = total
    else:
        problem.root.tests = tests

    # Checker.
    chk = limits.get("checker")
    if chk is not None:
        if isinstance(chk, str):
            chk = {"kind": chk}
        if not isinstance(chk, dict):
            raise ProblemError(f"{LIMITS_FILE}: checker must be a kind name or a mapping")
        check_keys(chk, {"kind", "source", "flags"}, limits_path, path, "checker")
        kind = str(chk.get("kind", "default"))
        if kind not in ("default", "exact", "themis", "testlib"):
            raise ProblemError(f"{LIMITS_FILE}: unknown checker kind {kind!r} (default, exact, themis, testlib)")
        checker = Checker(kind=kind)
        if kind in ("default", "exact") and chk.get("flags"):
            checker.flags = parse_flags(str(chk["flags"]), f"{LIMITS_FILE}: checker.flags")
        if kind in ("themis", "testlib"):
            if not chk.get("source"):
                raise ProblemError(f"{LIMITS_FILE}: checker kind {kind!r} needs a source file")
            src = (path / str(chk["source"])).resolve()
            if path.resolve() not in src.parents or not src.is_file():
                raise ProblemError(f"{LIMITS_FILE}: checker source {chk['source']!r} not found in the package")
            checker.source = src
            checker.include_dir = src.parent
            if kind == "testlib" and not (src.parent / "testlib.h").is_file():
                raise ProblemError(
                    f"{rel(src, path)}: a testlib checker needs the package's own testlib.h next to it"
                )
        problem.checker = checker

    # Names and statements.
    problem.statements = load_statements(path / "statement", path) or load_statements(path, path)
    name = limits.get("name")
    if isinstance(name, dict):
        problem.names = {str(k): str(v) for k, v in name.items()}
    elif name:
        problem.names = {lang: str(name) for lang in (problem.statements or {"vi": None})}
    for lang, st in problem.statements.items():
        if lang not in problem.names:
            t = title_from_statement(st)
            if t:
                problem.names[lang] = t
    if (path / "submissions").is_dir():
        problem.submissions_dir = path / "submissions"
    return problem
