"""Rules moved out of the contests views into services/ (issue 13, item 5): the freeze instant, the
time-limit parsing, the division save rules, the guarded delete and the submissions-of-a-contest query."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditLog, Division, Problem, Submission
from webapp.services.contests import DivisionRefused, parse_scratch_max_mib, save_division
from webapp.services.deletion import delete_if_unused
from webapp.services.problem_import import parse_time_limit
from webapp.services.scoreboard import freeze_time
from webapp.services.submissions import contest_submissions


def test_freeze_time_is_the_end_minus_the_freeze_minutes_or_none():
    end = datetime(2026, 3, 1, 11, 0)
    assert freeze_time(end, 45) == datetime(2026, 3, 1, 10, 15)
    assert freeze_time(end, 0) is None
    assert freeze_time(end, None) is None


@pytest.mark.parametrize("text, seconds", [
    ("1", 1.0), ("1,5", 1.5), ("0.05", 0.05), ("60", 60.0), (" 2.5 ", 2.5),
    ("0.04", None), ("60.5", None), ("abc", None), ("", None), (None, None),
])
def test_parse_time_limit(text, seconds):
    assert parse_time_limit(text) == seconds


def _save(contest, division=None, **over):
    fields = dict(code=" c1 ", name=" Bảng C1 ", levels=["upper_secondary", "primary"], content="programming",
                  languages=["python3", "cpp"], allow_higher=False, self_register=True, by=None)
    fields.update(over)
    return save_division(contest, division, **fields)


def test_save_division_normalises_and_audits(app, make_contest):
    contest = make_contest()
    division = _save(contest)
    assert (division.code, division.name) == ("C1", "Bảng C1")
    assert division.levels == "primary,upper_secondary"  # LEVEL_ORDER, not the form's order
    assert division.languages.split(",").index("cpp") < division.languages.split(",").index("python3")
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "division.save"))
    assert log.target == f"division:{division.id}" and log.details == {"code": "C1"}
    creative = _save(contest, code="D9", content="creative", languages=[])
    assert creative.languages == ""


def test_save_division_refuses_a_code_clash_and_a_programming_division_without_language(app, make_contest):
    contest = make_contest()  # has division B
    with pytest.raises(DivisionRefused) as exc:
        _save(contest, code="b")
    assert exc.value.field == "code"
    with pytest.raises(DivisionRefused) as exc:
        _save(contest, languages=[])
    assert exc.value.field == "languages"
    assert db.session.scalar(select(Division).where(Division.code == "C1")) is None
    own = contest.divisions[0]
    assert _save(contest, own, code="B").id == own.id  # its own code is no clash


def _problem(division, code="A"):
    p = Problem(division_id=division.id, code=code, title_vi=code, package_path="/x", format="themis")
    db.session.add(p)
    db.session.commit()
    return p


def test_delete_if_unused_refuses_while_a_submission_refers_then_deletes_with_an_audit(app, make_user, make_contest):
    organiser = make_user("btc_xoa", role="organiser")
    student = make_user("hs_xoa")
    division = make_contest().divisions[0]
    used, unused = _problem(division, "A"), _problem(division, "B")
    db.session.add(Submission(user_id=student.id, problem_id=used.id, language="cpp", source=""))
    db.session.commit()
    assert delete_if_unused(used, organiser, "problem.delete", code="A") is False
    assert delete_if_unused(unused, organiser, "problem.delete", code="B") is True
    db.session.commit()
    assert [p.code for p in db.session.scalars(select(Problem))] == ["A"]
    logs = db.session.scalars(select(AuditLog).where(AuditLog.action == "problem.delete")).all()
    assert [(log.user_id, log.target, log.details) for log in logs] == [(organiser.id, f"problem:{unused.id}", {"code": "B"})]


def test_contest_submissions_keeps_only_that_contest(app, make_user, make_contest):
    student = make_user("hs_loc")
    mine, other = make_contest(name="Một").divisions[0], make_contest(name="Hai").divisions[0]
    a, b = _problem(mine), _problem(other)
    subs = [Submission(user_id=student.id, problem_id=pid, language="cpp", source="") for pid in (a.id, b.id, a.id)]
    db.session.add_all(subs)
    db.session.commit()
    got = db.session.scalars(contest_submissions(mine.contest_id).order_by(Submission.id)).all()
    assert [s.id for s in got] == [subs[0].id, subs[2].id]
    narrowed = contest_submissions(mine.contest_id, select(Submission).where(Submission.id == subs[2].id))
    assert [s.id for s in db.session.scalars(narrowed)] == [subs[2].id]


@pytest.mark.parametrize("raw, mib", [
    (None, None), ("", None), ("  ", None), ("1", 1), (" 7 ", 7), ("50", 50), (50, 50),
])
def test_parse_scratch_max_mib(raw, mib):
    assert parse_scratch_max_mib(raw) == mib


@pytest.mark.parametrize("raw", ["0", "51", "1.5", "1,5", "-1", "abc", 0, True])
def test_parse_scratch_max_mib_refuses_naming_the_field(app, raw):
    with pytest.raises(DivisionRefused) as exc:
        parse_scratch_max_mib(raw)
    assert exc.value.field == "scratch_max_mib"
    assert "Dung lượng tối đa của dự án Scratch (MiB)" in str(exc.value) and "từ 1 đến 50" in str(exc.value)


def test_save_division_scratch_limit_audited_and_kept_when_not_given(app, make_contest):
    contest = make_contest()
    division = _save(contest, scratch_max_mib="2")
    assert division.scratch_max_mib == 2
    division = _save(contest, division)  # not given (e.g. another caller): kept
    assert division.scratch_max_mib == 2
    division = _save(contest, division, scratch_max_mib="")  # blank: back to the site setting
    assert division.scratch_max_mib is None
    logs = db.session.scalars(select(AuditLog).where(AuditLog.action == "division.save").order_by(AuditLog.id)).all()
    assert [log.details.get("scratch_max_mib") for log in logs] == [
        {"before": None, "after": 2}, None, {"before": 2, "after": None}]
    with pytest.raises(DivisionRefused):
        _save(contest, division, name="Đổi tên", scratch_max_mib="60")
    assert division.name == "Bảng C1"  # refused before anything changed
