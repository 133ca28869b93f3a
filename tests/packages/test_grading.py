from dataclasses import dataclass

import pytest

from judge.formats import load_problem
from judge.grading import grade, normalize_verdict, run_tree
from judge.problem import Grading, Problem, TestCase

from .conftest import KATTIS_GROUPS, PROBLEMS


@dataclass
class R:
    verdict: str
    score: float | None = None  # checker ratio 0..1 (Themis)
    validator_score: float | None = None  # Kattis score.txt


def _flat(n: int, grading: Grading | None = None, weights=None, scoring=False) -> Problem:
    p = Problem(code="x", path=PROBLEMS, format="test", scoring=scoring)
    p.root.grading = grading or Grading()
    for i in range(n):
        p.root.tests.append(TestCase(f"t{i}", PROBLEMS, PROBLEMS, score=weights[i] if weights else None))
    return p


def test_pass_fail_break_stops_at_first_rejection():
    p = _flat(4)
    ran = []

    def run(t):
        ran.append(t.name)
        return R("WA" if t.name == "t1" else "AC")

    res = run_tree(p, run)
    assert ran == ["t0", "t1"]
    assert res.verdict == "WA" and res.score == 0 and res.root.skipped == ["t2", "t3"]


def test_grade_ignores_results_the_break_policy_skips():
    p = _flat(3)
    res = grade(p, {"t0": R("TLE"), "t1": R("WA"), "t2": R("AC")})
    assert res.verdict == "TLE"
    assert [t.name for t in res.root.tests()] == ["t0"]


def test_worst_and_first_error_with_continue():
    results = {"t0": R("WA"), "t1": R("RTE"), "t2": R("TLE"), "t3": R("AC")}
    assert grade(_flat(4, Grading(on_reject="continue")), results).verdict == "RTE"
    assert grade(_flat(4, Grading(on_reject="continue", verdict_mode="first_error")), results).verdict == "WA"
    assert grade(_flat(4, Grading(on_reject="continue", accept_if_any_accepted=True)), results).verdict == "AC"
    assert grade(_flat(4, Grading(on_reject="continue", verdict_mode="always_accept")), results).verdict == "AC"


@pytest.mark.parametrize("mode, expected", [("sum", 25.0), ("avg", 25 / 3), ("min", 5.0), ("max", 10.0)])
def test_score_modes(mode, expected):
    p = _flat(3, Grading(on_reject="continue", score_mode=mode), scoring=True)
    res = grade(p, {"t0": R("AC", validator_score=10), "t1": R("AC", validator_score=10), "t2": R("AC", validator_score=5)})
    assert res.root.score == pytest.approx(expected)


def test_accept_reject_score_and_range():
    g = Grading(on_reject="continue", accept_score=7, reject_score=-1, range=(0, 10))
    p = _flat(3, g, scoring=True)
    res = grade(p, {"t0": R("AC"), "t1": R("WA"), "t2": R("AC")})
    assert res.score == 10  # 7 - 1 + 7 = 13 clamped to 10
    assert res.max_score == 10


def test_themis_weights_times_ratio():
    p = _flat(3, Grading(on_reject="continue"), weights=[20, 30, 50], scoring=True)
    res = grade(p, {"t0": R("AC"), "t1": R("WA", 0.5), "t2": R("TLE")})
    assert res.score == pytest.approx(35) and res.max_score == 100 and res.verdict == "TLE"
    assert res.points == pytest.approx(35)


def test_kattis_subtask_groups(make_package):
    p = load_problem(make_package(KATTIS_GROUPS))
    assert p.scoring and p.time_multiplier == 3 and not p.time_limit_from_package
    ok = {t.name: R("AC") for t in p.tests()}
    full = grade(p, ok)
    assert (full.verdict, full.score, full.max_score) == ("AC", 100, 100)
    # Group 2 fails: accepted with 40 points (accept_if_any_accepted), group 1 keeps its points.
    part = grade(p, {**ok, "secret/g2/01": R("WA")})
    assert (part.verdict, part.score) == ("AC", 40)
    # One test of group 1 fails: the group's min is 0, the second test is not run.
    half = {**ok, "secret/g1/01": R("WA")}
    res = grade(p, half)
    assert (res.verdict, res.score) == ("AC", 60)
    assert "secret/g1/02" in res.root.skipped
    # The sample does not count (ignore_sample), not even for the verdict, nor stops judging.
    assert grade(p, {**ok, "sample/1": R("WA")}).verdict == "AC"
    p.root.grading.on_reject = "break"
    res = grade(p, {**ok, "sample/1": R("WA")})
    assert (res.verdict, res.score, res.root.skipped) == ("AC", 100, [])
    # All rejected: the worst error wins.
    bad = grade(p, {t.name: R("TLE" if "g2" in t.name else "WA") for t in p.tests()})
    assert (bad.verdict, bad.score) == ("TLE", 0)


def test_themis_subtasks_in_limits(make_package):
    files = {f"Test0{i}/T.INP": f"{i}\n" for i in range(1, 5)}
    files.update({f"Test0{i}/T.OUT": f"{i}\n" for i in range(1, 5)})
    files["limits.yaml"] = "subtasks:\n  - {score: 30, tests: [Test01]}\n  - {name: big, score: 70, tests: Test02-Test04}\n"
    p = load_problem(make_package(files, name="T"))
    res = grade(p, {"Test01": R("AC"), "Test02": R("AC"), "Test03": R("WA"), "Test04": R("AC")})
    assert (res.score, res.max_score, res.verdict) == (30, 100, "WA")
    assert res.root.skipped == ["Test04"]


def test_normalize_verdict_accepts_names_and_enums():
    import enum

    class V(enum.Enum):
        ACCEPTED = "AC"
        TIME = "time_limit_exceeded"

    assert normalize_verdict(V.ACCEPTED) == "AC"
    assert normalize_verdict(V.TIME) == "TLE"
    assert normalize_verdict("Wrong Answer") == "WA"
    assert normalize_verdict("memory_limit_exceeded") == "MLE"
    with pytest.raises(ValueError):
        normalize_verdict("banana")
