"""Aggregation of per-test results into group and problem results (Kattis default grader).

The tree of :class:`~judge.problem.TestGroup` is walked in order (a group's own tests first, then
its sub-groups, each in package order).  For every group:

* **on_reject** ``break``: after the first child that is not accepted, the remaining children of
  that group are *not run*; ``continue``: all children are run.
* **verdict** (``verdict_mode``): ``worst_error`` — the worst error among the children in the order
  JE, RTE, MLE, TLE, OLE, WA (CE counts as the worst of all); ``first_error`` — the verdict of the
  first rejected child; ``always_accept``; and ``accept_if_any_accepted`` makes the group accepted as
  soon as one child is.
* **score** (``score_mode``): ``sum`` (default), ``avg``, ``min`` or ``max`` of the children's scores.
  A test's score is the validator's score (``score.txt``, read from the result's
  ``validator_score`` attribute) when it gives one and the test is accepted, otherwise ``accept_score`` / ``reject_score`` of the enclosing group.  Themis-style
  tests carry a weight (:attr:`TestCase.score`): their score is ``weight × ratio`` where ratio is
  the checker's 0..1 result.
* ``group.score`` (subtask points, 2023-07 ``scoring.score``) rescales the aggregated score so that
  a perfect group earns exactly that many points.
* ``range`` clamps the group's score.  ``ignore_sample`` (root only): the sample group neither
  changes the verdict nor the score.

The maximum score is the upper end of the root's (or a group's) ``range`` when given, else computed
by grading a hypothetical perfect run with the same rules; for a pass-fail problem the score is ``problem.max_score`` when accepted and 0 otherwise.

Two entry points:

* :func:`grade` aggregates results already computed (a mapping ``test name -> result`` where a
  result has ``.verdict`` and optionally ``.score``); tests absent from the mapping count as not
  run, and results the ``break`` policy would have skipped are ignored, so the outcome is the same
  as with lazy running.
* :func:`run_tree` runs the tests lazily through a callback and never runs a test the ``break``
  policy skips — the judge uses it to save time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from judge.problem import Grading, Problem, TestCase, TestGroup

# Worst first.  CE/JE can only appear when something outside the contestant's run broke.
_SEVERITY = ["CE", "JE", "RTE", "MLE", "TLE", "OLE", "WA"]
_ALIASES = {
    "accepted": "AC", "ok": "AC", "ac": "AC",
    "wrong_answer": "WA", "wa": "WA", "pe": "WA", "presentation_error": "WA",
    "time_limit_exceeded": "TLE", "tle": "TLE", "tl": "TLE", "idleness_limit_exceeded": "TLE",
    "memory_limit_exceeded": "MLE", "mle": "MLE", "ml": "MLE",
    "run_time_error": "RTE", "runtime_error": "RTE", "rte": "RTE", "re": "RTE", "ir": "RTE",
    "output_limit_exceeded": "OLE", "ole": "OLE", "ol": "OLE",
    "compile_error": "CE", "compilation_error": "CE", "ce": "CE",
    "judge_error": "JE", "je": "JE", "se": "JE", "ie": "JE", "internal_error": "JE", "system_error": "JE",
    "skipped": "SK", "sk": "SK",
}


def normalize_verdict(v: Any) -> str:
    """Map a verdict given as a string or an Enum (value or name) to AC/WA/TLE/MLE/RTE/OLE/CE/JE/SK."""
    if v is None:
        return "SK"
    for cand in (getattr(v, "value", None), getattr(v, "name", None), v):
        if isinstance(cand, str):
            key = cand.strip().lower().replace(" ", "_").replace("-", "_")
            if key in _ALIASES:
                return _ALIASES[key]
            if cand.upper() in _SEVERITY or cand.upper() in ("AC", "SK"):
                return cand.upper()
    raise ValueError(f"unknown verdict {v!r}")


@dataclass
class TestOutcome:
    name: str
    verdict: str
    score: float
    max_score: float
    result: Any = None  # the judge's own per-test result object


@dataclass
class GroupOutcome:
    name: str
    verdict: str  # AC / WA / ... ; "SK" when nothing in the group was run
    score: float
    max_score: float
    children: list["TestOutcome | GroupOutcome"] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # tests not run because of on_reject: break

    def tests(self) -> list[TestOutcome]:
        out: list[TestOutcome] = []
        for c in self.children:
            out.extend([c] if isinstance(c, TestOutcome) else c.tests())
        return out


@dataclass
class GradeResult:
    verdict: str
    score: float  # raw score in the package's own units
    max_score: float
    points: float  # score scaled to problem.max_score (what a scoreboard shows)
    root: GroupOutcome

    @property
    def accepted(self) -> bool:
        return self.verdict == "AC"


def _children(group: TestGroup) -> list[TestCase | TestGroup]:
    return [*group.tests, *group.groups]


def _aggregate(mode: str, values: list[float]) -> float:
    if not values:
        return 0.0
    if mode == "sum":
        return math.fsum(values)
    if mode == "avg":
        return math.fsum(values) / len(values)
    if mode == "min":
        return min(values)
    if mode == "max":
        return max(values)
    raise ValueError(f"unknown score mode {mode!r}")


def _clamp(g: Grading, x: float) -> float:
    if g.range is not None:
        lo, hi = g.range
        x = min(max(x, lo), hi)
    return x


def _test_max(t: TestCase, g: Grading) -> float:
    return t.score if getattr(t, "score", None) is not None else g.accept_score


def group_max(group: TestGroup, is_root: bool = False) -> float:
    """Score of a perfect run of ``group``: the upper end of its ``range`` when it declares one
    (validators that write ``score.txt`` can give more than ``accept_score``), else the aggregate
    of its children's maxima (``group.score`` when set)."""
    g = group.grading
    if g.range is not None and math.isfinite(g.range[1]):
        return g.range[1]
    kids = _children(group)
    if is_root and g.ignore_sample:
        kids = [k for k in kids if not (isinstance(k, TestGroup) and k.name.split("/")[-1] == "sample")]
    vals = [_test_max(k, g) if isinstance(k, TestCase) else group_max(k) for k in kids]
    raw = _aggregate(g.score_mode, vals)
    if group.score is not None:
        return _clamp(g, float(group.score))
    return _clamp(g, raw)


def _test_outcome(t: TestCase, g: Grading, result: Any) -> TestOutcome:
    verdict = normalize_verdict(getattr(result, "verdict", result))
    weight = getattr(t, "score", None)
    if weight is not None:  # Themis style: weight × checker ratio (result.score is the 0..1 ratio)
        given = getattr(result, "score", None)
        if verdict == "AC":
            ratio = 1.0 if given is None else float(given)
        elif verdict == "WA" and given is not None:
            ratio = float(given)
        else:
            ratio = 0.0
        ratio = min(max(ratio, 0.0), 1.0)
        return TestOutcome(t.name, verdict, weight * ratio, weight, result)
    given = getattr(result, "validator_score", None)  # Kattis score.txt, when the validator wrote one
    if verdict == "AC":
        score = float(given) if given is not None else g.accept_score
    else:
        score = g.reject_score
    return TestOutcome(t.name, verdict, score, g.accept_score, result)


def _combine_verdict(g: Grading, verdicts: list[str]) -> str:
    if not verdicts:
        return "SK"
    if g.accept_if_any_accepted and "AC" in verdicts:
        return "AC"
    if g.verdict_mode == "always_accept":
        return "AC"
    bad = [v for v in verdicts if v != "AC"]
    if not bad:
        return "AC"
    if g.verdict_mode == "first_error":
        return bad[0]
    return min(bad, key=lambda v: _SEVERITY.index(v) if v in _SEVERITY else len(_SEVERITY))


def _walk(group: TestGroup, run: Callable[[TestCase], Any], is_root: bool) -> GroupOutcome:
    g = group.grading
    out = GroupOutcome(group.name, "SK", 0.0, 0.0)
    stopped = False
    counted: list[TestOutcome | GroupOutcome] = []
    for kid in _children(group):
        if stopped:
            out.skipped.extend(t.name for t in ([kid] if isinstance(kid, TestCase) else kid.all_tests()))
            continue
        if isinstance(kid, TestCase):
            res = run(kid)
            if res is None:  # not run (absent from the results)
                out.skipped.append(kid.name)
                continue
            child: TestOutcome | GroupOutcome = _test_outcome(kid, g, res)
        else:
            child = _walk(kid, run, False)
            out.skipped.extend(child.skipped)
            if child.verdict == "SK":
                out.children.append(child)
                continue
        out.children.append(child)
        is_sample = isinstance(kid, TestGroup) and kid.name.split("/")[-1] == "sample"
        if is_root and g.ignore_sample and is_sample:
            continue  # ignored: neither counted nor a reason to stop
        counted.append(child)
        if child.verdict != "AC" and g.on_reject == "break":
            stopped = True
    out.verdict = _combine_verdict(g, [c.verdict for c in counted])
    raw = _aggregate(g.score_mode, [c.score for c in counted])
    if group.score is not None:
        perfect = _aggregate(
            g.score_mode,
            [_test_max(k, g) if isinstance(k, TestCase) else group_max(k) for k in _children(group)
             if not (is_root and g.ignore_sample and isinstance(k, TestGroup) and k.name.split("/")[-1] == "sample")],
        )
        raw = float(group.score) * (raw / perfect) if perfect > 0 else 0.0
    out.score = _clamp(g, raw)
    out.max_score = group_max(group, is_root)
    return out


def _finish(problem: Problem, root: GroupOutcome) -> GradeResult:
    verdict = root.verdict if root.verdict != "SK" else "JE"
    if problem.scoring:
        mx = root.max_score
        score = root.score
        points = problem.max_score * score / mx if mx > 0 else 0.0
    else:
        mx = problem.max_score
        score = mx if verdict == "AC" else 0.0
        points = score
    return GradeResult(verdict, score, mx, points, root)


def grade(problem: Problem, test_results: Mapping[str, Any] | Iterable[Any]) -> GradeResult:
    """Aggregate already computed per-test results (by test name) into the problem's result."""
    if not isinstance(test_results, Mapping):
        test_results = {getattr(r, "name", None) or getattr(r, "test", None): r for r in test_results}
    return _finish(problem, _walk(problem.root, lambda t: test_results.get(t.name), True))


def run_tree(problem: Problem, run_test: Callable[[TestCase], Any]) -> GradeResult:
    """Run tests through ``run_test`` in order, honouring ``on_reject: break``; return the grade.

    ``run_test`` may return ``None`` to say "not run" (e.g. the judge gave up early).
    """
    return _finish(problem, _walk(problem.root, run_test, True))


def planned_tests(problem: Problem) -> list[TestCase]:
    """All tests in the order they would be run."""
    return problem.tests()


def subtask_points(problem: Problem, result: GradeResult) -> list[dict]:
    """The subtasks of a scoring problem with the points reached in each, scaled to problem.max_score.

    Subtasks are the groups directly under the root, or under `secret` when the root holds the
    sample/secret pair. Listed only when the subtask scores add up to the submission's score (sum
    aggregation), since only then may a scoreboard add each subtask's best over several
    submissions ("subtask-wise best"). [{name, verdict, score, max_score}].
    """
    root = result.root
    if not problem.scoring or root.max_score <= 0:
        return []
    nodes = [c for c in root.children if isinstance(c, GroupOutcome)]
    secret = next((c for c in nodes if c.name.rstrip("/").endswith("secret")), None)
    if secret is not None:
        nodes = [c for c in secret.children if isinstance(c, GroupOutcome)]
    if len(nodes) < 2 or abs(sum(n.score for n in nodes) - root.score) > 1e-9:
        return []
    scale = problem.max_score / root.max_score
    return [{"name": n.name, "verdict": n.verdict, "score": round(n.score * scale, 6),
             "max_score": round(n.max_score * scale, 6)} for n in nodes]
