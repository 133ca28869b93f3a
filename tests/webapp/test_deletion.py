"""Deleting a division or a problem (webapp/services/deletion.py): refused while any data refers to
it, and done with its settings rows otherwise. Both were 500s on PostgreSQL (a foreign key refused the
DELETE) and orphaned rows on SQLite, which does not check foreign keys."""
from __future__ import annotations

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Clarification, CreativeSettings, Division, Problem, RubricCriterion

from tests.webapp.creative_factories import make_entry


def _world(make_user, make_contest, client):
    make_user("btc_mot", role="organiser")
    contest = make_contest(divisions=(("B", "lower_secondary", "programming"), ("D2", "lower_secondary", "creative")))
    client.login("btc_mot")
    return contest


def _delete_division(client, contest, division):
    return client.post_form(f"/contests/{contest.id}/divisions/{division.id}/delete", {},
                            form_url=f"/contests/{contest.id}/manage", follow_redirects=True)


def test_an_unused_creative_division_goes_with_its_settings(app, client, make_user, make_contest):
    contest = _world(make_user, make_contest, client)
    creative = contest.divisions[1]
    db.session.add_all([CreativeSettings(division_id=creative.id),
                        RubricCriterion(division_id=creative.id, name="Ý tưởng", max_points=40)])
    db.session.commit()
    resp = _delete_division(client, contest, creative)
    assert "Đã xoá bảng." in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Division.id))) == 1
    assert db.session.scalar(select(func.count(CreativeSettings.id))) == 0
    assert db.session.scalar(select(func.count(RubricCriterion.id))) == 0


def test_a_division_with_an_entry_stays(app, client, make_user, make_contest):
    contest = _world(make_user, make_contest, client)
    creative = contest.divisions[1]
    make_entry(creative, [make_user("hs_mot")])  # an entry, no participation row
    resp = _delete_division(client, contest, creative)
    assert "Bảng D2 đã có thí sinh hoặc đề bài nên không xoá được." in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Division.id))) == 2


def test_a_problem_asked_about_stays(app, client, make_user, make_contest):
    contest = _world(make_user, make_contest, client)
    problem = Problem(division=contest.divisions[0], code="TONG", title_vi="Tổng", package_path="/nonexistent", format="themis")
    db.session.add(problem)
    db.session.commit()
    db.session.add(Clarification(contest_id=contest.id, problem_id=problem.id, user_id=make_user("hs_mot").id,
                                 question="Giới hạn n?"))
    db.session.commit()
    resp = client.post_form(f"/contests/problems/{problem.id}/delete", {}, form_url=f"/contests/problems/{problem.id}/preview",
                            follow_redirects=True)
    assert "Bài TONG đã có bài nộp nên không xoá được; hãy ẩn bài." in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Problem.id))) == 1
