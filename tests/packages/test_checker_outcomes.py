"""How the program checkers' raw results (exit code, output, feedback files) become verdicts."""
import pytest

from judge.checkers import CHECKERS, CheckContext, CheckerError
from judge.formats import load_problem
from judge.program_checkers import kattis_outcome, themis_outcome
from judge.program_checkers import testlib_outcome as parse_testlib

from .conftest import KATTIS_GROUPS


def test_registry_has_every_kind():
    assert {"default", "exact", "kattis", "themis", "testlib"} <= set(CHECKERS)


def test_kattis_exit_codes_and_feedback(tmp_path):
    (tmp_path / "judgemessage.txt").write_text("token 3 differs\n")
    res, score = kattis_outcome(43, 0, "", tmp_path)
    assert not res.accepted and res.message == "token 3 differs" and score is None
    (tmp_path / "score.txt").write_text("7.5\n")
    res, score = kattis_outcome(42, 0, "", tmp_path)
    assert res.accepted and score == 7.5
    with pytest.raises(CheckerError, match="exit code 0"):
        kattis_outcome(0, 0, "", tmp_path)
    (tmp_path / "score.txt").write_text("lots\n")
    with pytest.raises(CheckerError, match="score.txt"):
        kattis_outcome(42, 0, "", tmp_path)


def test_themis_last_line_is_the_ratio():
    assert themis_outcome(0, 0, "Correct!\n1\n") == (True, 1.0, "Correct!")
    res = themis_outcome(0, 0, "half right\n0.5\n\n")
    assert (res.accepted, res.score) == (False, 0.5)
    assert themis_outcome(0, 0, "1.7\n").score == 1.0  # clamped
    with pytest.raises(CheckerError, match="no score"):
        themis_outcome(0, 0, "looks fine to me\n")
    with pytest.raises(CheckerError, match="exit code 3"):
        themis_outcome(3, 0, "crash")


def test_testlib_exit_codes():
    assert parse_testlib(0, 0, "ok 3 numbers").accepted
    assert not parse_testlib(1, 0, "wrong answer 2nd differs").accepted
    assert not parse_testlib(2, 0, "presentation").accepted
    res = parse_testlib(7, 0, "points 0.25 partly")
    assert (res.accepted, res.score) == (False, 0.25)
    with pytest.raises(CheckerError):
        parse_testlib(3, 0, "FAIL bad answer file")


def test_default_checker_kattis_semantics(make_package, tmp_path):
    """A Kattis problem's default validator is case-insensitive; flags come from the package."""
    p = load_problem(make_package(KATTIS_GROUPS))
    ans = tmp_path / "a.ans"
    ans.write_text("Yes 1.5\n")
    ctx = CheckContext(problem=p, test=p.tests()[0])
    check = CHECKERS["default"]
    assert check(ans, ans, b"yes 1.5", {}, ctx).accepted
    assert not check(ans, ans, b"yes 1.5000001", {}, ctx).accepted
    assert check(ans, ans, b"yes 1.5000001", {"float_tolerance": 1e-6}, ctx).accepted
    # Not a Kattis problem and no flags: the original case-sensitive token comparison.
    ctx_plain = CheckContext(problem=None, test=None)
    assert not check(ans, ans, b"yes 1.5", {}, ctx_plain).accepted
