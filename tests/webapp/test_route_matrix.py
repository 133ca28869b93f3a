"""Every GET route of the app, tried as anonymous, two students, a judge, an organiser and an admin:
no 500 anywhere, and a student never gets another student's submission (pages and API).

The world: a contest with a programming division (a real demo problem imported from problems/) and a
creative division, two students admitted, one submission each (rows written directly: judging is not
what this test is about). URL parameters are filled from the world by name; a parameter this test does
not know gets the value 1 (the route must then answer 404/403, not crash)."""
from __future__ import annotations

import pytest
from flask import url_for

from webapp.extensions import db
from webapp.models import Submission

from tests.conftest import ROOT

ROLES = ("anonymous", "student", "other_student", "judge", "organiser", "admin")
SKIP = {"static", "auth.logout", "main.set_language"}  # no page of data: a file server, a redirect


@pytest.fixture
def world(app, make_user, make_contest, admit):
    from webapp.services.problem_import import import_problem

    contest = make_contest(divisions=(("B", "lower_secondary", "programming"), ("D2", "lower_secondary", "creative")))
    division, creative = contest.divisions
    problem = import_problem(division, ROOT / "problems" / "daycon", publish=True)
    users = {
        "student": make_user("hs_mot"), "other_student": make_user("hs_hai"),
        "judge": make_user("gk_mot", role="judge"), "organiser": make_user("btc_mot", role="organiser"),
        "admin": make_user("qt_mot", role="admin"),
    }
    admit(users["student"], division)
    admit(users["other_student"], division)
    subs = {}
    for role in ("student", "other_student"):
        sub = Submission(user_id=users[role].id, problem_id=problem.id, language="python3", source="print(1)\n",
                         status="done", verdict="WA", score=0.0, max_score=100.0)
        db.session.add(sub)
        db.session.commit()
        subs[role] = sub
    ids = {"contest_id": contest.id, "division_id": division.id, "problem_id": problem.id,
           "submission_id": subs["student"].id, "user_id": users["student"].id}
    return {"ids": ids, "users": users, "subs": subs, "creative": creative}


def get_routes(app, ids):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP:
            continue
        values = {}
        for arg in rule.arguments:
            if arg in ids:
                values[arg] = ids[arg]
            elif rule._converters[arg].__class__.__name__ == "PathConverter":
                values[arg] = "statement.md"
            elif arg == "code":
                values[arg] = "vi"
            else:
                values[arg] = 1
        with app.test_request_context():
            yield rule.endpoint, url_for(rule.endpoint, **values)


def api_token(client, username):
    resp = client.post("/api/v1/token", json={"username": username, "password": "secret123"})
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)
    return resp.get_json()["token"]


@pytest.mark.parametrize("role", ROLES)
def test_every_get_route_answers_without_error(app, world, role):
    client = app.test_client()
    headers = {}
    if role != "anonymous":
        username = world["users"][role].username
        app.config["WTF_CSRF_ENABLED"] = False
        client.post("/auth/login", data={"username": username, "password": "secret123"})
        app.config["WTF_CSRF_ENABLED"] = True
        headers = {"Authorization": f"Bearer {api_token(client, username)}"}
    failures = []
    for endpoint, url in get_routes(app, world["ids"]):
        resp = client.get(url, headers=headers if url.startswith("/api/") else {})
        if resp.status_code >= 500:
            failures.append(f"{role} GET {url} ({endpoint}) -> {resp.status_code}")
    assert not failures, "\n".join(failures)


def test_a_student_never_sees_another_students_submission(app, world):
    client = app.test_client()
    other = world["subs"]["other_student"]
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/auth/login", data={"username": "hs_mot", "password": "secret123"})
    for url in (f"/contests/submissions/{other.id}", f"/contests/submissions/{other.id}.json"):
        assert client.get(url).status_code in (403, 404), url
    token = api_token(client, "hs_mot")
    resp = client.get(f"/api/v1/submissions/{other.id}", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code in (403, 404)
    listed = client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert {s["id"] for s in listed["submissions"]} == {world["subs"]["student"].id}
