import pytest

from judge.problem import ProblemError
from judge.validators import compare, parse_flags


@pytest.mark.parametrize(
    "out, ans, flags, ok",
    [
        (b"1 2\n", b"1   2", "", True),
        (b"  1\n\n2  ", b"1 2\n", "", True),
        (b"1 2\n", b"1  2", "space_change_sensitive", False),
        (b"1 2\n", b"1 2\n", "space_change_sensitive", True),
        (b"1 2 \n", b"1 2\n", "space_change_sensitive", False),
        (b"YES", b"yes", "", True),
        (b"YES", b"yes", "case_sensitive", False),
        (b"1 2 3", b"1 2", "", False),
        (b"1", b"1 2", "", False),
        (b"", b"", "", True),
        (b"1.0", b"1", "", False),  # without a tolerance numbers are plain tokens
        (b"3.14000000e-2", b"0.0314", "float_tolerance 1e-6", True),
        (b"0.0315", b"0.0314", "float_absolute_tolerance 1e-6", False),
        (b"0.0315", b"0.0314", "float_absolute_tolerance 1e-3", True),
        (b"100.5", b"100", "float_relative_tolerance 0.01", True),
        (b"102", b"100", "float_relative_tolerance 0.01", False),
        (b"102", b"100", "float_relative_tolerance 0.01 float_absolute_tolerance 3", True),
        (b"abc", b"1.5", "float_tolerance 1e-6", False),
        (b"nan", b"1.5", "float_tolerance 1e-6", False),
        (b"HELLO 1.0000001", b"hello 1", "float_tolerance 1e-6", True),
    ],
)
def test_default_validator(out, ans, flags, ok):
    assert compare(out, ans, parse_flags(flags))[0] is ok


def test_message_names_the_token():
    ok, msg = compare(b"1 5 3", b"1 2 3")
    assert not ok and "token 2" in msg and "'2'" in msg and "'5'" in msg


@pytest.mark.parametrize(
    "flags, words",
    [
        ("float_tolerance", "needs a number"),
        ("float_tolerance abc", "needs a number"),
        ("float_tolerance -1", "non-negative"),
        ("ignore_case", "unknown flag 'ignore_case'"),
        ("case_sensitive case_sensitive", "twice"),
        ("float_tolerance 1 float_relative_tolerance 1", "conflicting"),
    ],
)
def test_bad_flags(flags, words):
    with pytest.raises(ProblemError, match=words):
        parse_flags(flags, "problem.yaml: validator_flags")
