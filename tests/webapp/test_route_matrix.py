"""Every GET route of the app, tried as anonymous, two students, a judge, an organiser and an admin:
no 500 anywhere, and a student never gets another student's submission (pages and API). Every POST
route (form actions): anonymous writes nothing; junk in every field never gives a 5xx.

The world: a contest with a programming division (a real demo problem imported from problems/) and a
creative division, two students admitted, one submission each (rows written directly: judging is not
what this test is about). URL parameters are filled from the world by name; a parameter this test does
not know gets the value 1 (the route must then answer 404/403, not crash)."""
from __future__ import annotations

import re

import pytest
from flask import url_for
from sqlalchemy import func, select

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


FIELD_RE = re.compile(r'<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"')
SLOW_POSTS = ("/verify",)  # runs the package's checker in Docker: covered by tests/packages
JUNK = {"long text": "Ằ" * 600, "huge number": "9" * 25}


_FIELDS: set[str] = set()


def form_fields(app, world) -> set[str]:
    """Every form field name on every page the organiser and the judge can open (once per run)."""
    if _FIELDS:
        return _FIELDS
    names = _FIELDS
    for role in ("organiser", "judge"):
        client = logged_in(app, world["users"][role].username)
        for _endpoint, url in get_routes(app, world["ids"]):
            if not url.startswith("/api/"):
                names.update(FIELD_RE.findall(client.get(url).get_data(as_text=True)))
    names.discard("csrf_token")
    return names


def logged_in(app, username):
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/auth/login", data={"username": username, "password": "secret123"})
    return client


def post_routes(app, ids):
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint.startswith("api.") or rule.endpoint in SKIP:
            continue
        values = {arg: ids.get(arg, 1) for arg in rule.arguments}
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        if not url.endswith(SLOW_POSTS):
            yield rule.endpoint, url


def row_counts() -> dict:
    return {name: db.session.scalar(select(func.count()).select_from(table)) for name, table in db.metadata.tables.items()}


def test_anonymous_posts_change_nothing(app, world):
    """Every form action, posted by somebody not logged in: no 5xx and not one row written (login
    and registration answer with their form again, the rest send to the login page or refuse)."""
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    before = row_counts()
    failures = []
    for endpoint, url in post_routes(app, world["ids"]):
        resp = client.post(url, data={"reason": "x", "action": "submit"})
        if resp.status_code >= 500 or (resp.status_code == 200 and endpoint not in ("auth.login", "auth.register")):
            failures.append(f"anonymous POST {url} ({endpoint}) -> {resp.status_code}")
    assert not failures, "\n".join(failures)
    assert row_counts() == before


@pytest.mark.parametrize("role", ("student", "judge", "organiser"))
@pytest.mark.parametrize("junk", JUNK)
def test_every_post_route_survives_junk_in_every_field(app, world, role, junk):
    """Every form action, with every field name the site's forms use set to junk (600 characters, or
    a number beyond any integer column): refused or accepted, never a 5xx. On PostgreSQL this is what
    finds text longer than its column and ids beyond `integer`, which SQLite silently accepts."""
    from tests.webapp.creative_factories import make_entry

    entry = make_entry(world["creative"], [world["users"]["student"]])
    creative_ids = {**world["ids"], "division_id": world["creative"].id, "entry_id": entry.id, "round_": 1}
    fields = form_fields(app, world)
    client = logged_in(app, world["users"][role].username)
    failures = []
    for ids in (world["ids"], creative_ids):
        for endpoint, url in post_routes(app, ids):
            resp = client.post(url, data={name: JUNK[junk] for name in fields})
            if resp.status_code >= 500:
                failures.append(f"{role} POST {url} ({endpoint}) with {junk} -> {resp.status_code}")
    assert not failures, "\n".join(failures)
