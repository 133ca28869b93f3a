"""The built-in checkers (no sandbox needed)."""
from __future__ import annotations

import pytest

from judge.checkers import CHECKERS, CheckContext, CheckerError, get_checker


@pytest.fixture
def answer(tmp_path):
    def make(text: bytes):
        p = tmp_path / "ans"
        p.write_bytes(text)
        return p

    return make


@pytest.mark.parametrize("output, ok", [
    (b"1 2\n3\n", True),
    (b"  1\t2\r\n3", True),
    (b"1\n2\n3\n\n\n", True),
    (b"1 2 3 4", False),
    (b"1 2", False),
    (b"1 2 03", False),
    (b"", False),
])
def test_default_is_token_based(answer, output, ok):
    res = CHECKERS["default"](None, answer(b"1 2\n3\n"), output, {}, CheckContext())
    assert res.accepted is ok
    assert res.score == (1.0 if ok else 0.0)
    assert isinstance(res, tuple) and len(res) == 3


def test_default_explains_the_difference(answer):
    res = CHECKERS["default"](None, answer(b"1 2 3"), b"1 5 3", {}, CheckContext())
    assert "token 2" in res.message and "'2'" in res.message and "'5'" in res.message


@pytest.mark.parametrize("output, ok", [
    (b"a b\nc\n", True),
    (b"a b\r\nc", True),
    (b"a  b\nc\n", False),
    (b"a b\n\nc\n", False),
    (b"a b\nc \n", False),
])
def test_exact(answer, output, ok):
    assert CHECKERS["exact"](None, answer(b"a b\nc\n"), output, {}, CheckContext()).accepted is ok


def test_unknown_checker_and_missing_answer_are_judge_faults(tmp_path):
    with pytest.raises(CheckerError):
        get_checker("no-such-checker")
    with pytest.raises(CheckerError):
        CHECKERS["default"](None, tmp_path / "missing", b"", {}, CheckContext())
