"""Pure parts of `judge verify`: how expectations match results, how submissions are found."""
import pytest

from judge.formats import load_problem
from judge.verify import EXPECTATIONS, SubmissionReport, VerifyReport, find_submissions, format_table

from .conftest import KATTIS_GROUPS


@pytest.mark.parametrize(
    "expected, verdict, score, ok",
    [
        ("accepted", "AC", 100, True),
        ("accepted", "AC", 99.5, False),  # accepted must reach the full score
        ("accepted", "WA", 100, False),
        ("partially_accepted", "AC", 30, True),
        ("partially_accepted", "WA", 30, True),
        ("partially_accepted", "AC", 100, False),
        ("partially_accepted", "WA", 0, False),
        ("wrong_answer", "WA", 40, True),
        ("wrong_answer", "TLE", 0, False),
        ("time_limit_exceeded", "TLE", 0, True),
        ("run_time_error", "RE", 0, True),
        ("run_time_error", "MLE", 0, True),  # MLE counts as a run-time error
        ("run_time_error", "OLE", 0, True),
        ("run_time_error", "WA", 0, False),
        ("rejected", "WA", 0, True),
        ("rejected", "AC", 100, False),
    ],
)
def test_expectations(expected, verdict, score, ok):
    assert EXPECTATIONS[expected](verdict, score, 100) is ok


def test_find_submissions_accepted_first(make_package):
    files = dict(KATTIS_GROUPS)
    files.update({
        "submissions/wrong_answer/b.py": "", "submissions/accepted/z.cpp": "",
        "submissions/accepted/a.py": "", "submissions/time_limit_exceeded/t.c": "",
    })
    p = load_problem(make_package(files))
    found = [(e, f.name) for e, f in find_submissions(p)]
    assert found == [("accepted", "a.py"), ("accepted", "z.cpp"), ("wrong_answer", "b.py"),
                     ("time_limit_exceeded", "t.c")]


def test_report_ok_and_table():
    r = VerifyReport("p", "kattis legacy", 2, "computed")
    r.submissions = [
        SubmissionReport("accepted/a.py", "accepted", "ok", "AC", 100, 100, "secret/1", 0.25),
        SubmissionReport("accepted/a.rb", "accepted", "skipped", note="no language for '.rb'"),
    ]
    assert r.ok
    table = format_table(r)
    assert "time limit 2 s (computed)" in table and "skipped" in table and table.endswith("OK")
    r.submissions.append(SubmissionReport("wrong_answer/w.c", "wrong_answer", "FAIL", "AC", 100, 100))
    assert not r.ok and "MISMATCH" in format_table(r) and r.to_dict()["ok"] is False
    assert not VerifyReport("p", submissions=[SubmissionReport("x", "wrong_answer", "ok", "WA")]).ok  # no accepted


@pytest.mark.parametrize("first_line, skipped", [
    ("#!/usr/bin/python2", True),
    ("#! /usr/bin/env python2.7", True),
    ("#!/usr/bin/env python3", False),
    ("# python2 is mentioned in a comment", False),
])
def test_python2_shebang_is_an_unsupported_language(tmp_path, first_line, skipped):
    from judge.languages import language_for_source

    source = f"{first_line}\nprint 3\n".encode()
    if skipped:
        with pytest.raises(KeyError, match="Python 2"):
            language_for_source(tmp_path / "a.py", source)
    else:
        assert language_for_source(tmp_path / "a.py", source).key == "python3"


def test_verify_skips_a_python2_submission(make_package):
    from judge.verify import verify_package

    files = dict(KATTIS_GROUPS)
    files["submissions/accepted/old.py"] = "#!/usr/bin/python2\nprint 3\n"
    report = verify_package(load_problem(make_package(files)), write=False)
    [row] = report.submissions
    assert (row.file, row.status) == ("accepted/old.py", "skipped") and "Python 2" in row.note
