"""Every route of the app, tried as anonymous, two students, a judge, an organiser and an admin.

GET: each (endpoint, role) answers the status written by hand in ACCESS/EXPECT below (not read from the
app's decorators): anonymous → 302 to the login page (API → 401), a role without access → 403, an allowed
role → 200, with the exceptions listed by name (OUTCOME: what the world makes the allowed roles get).
A new endpoint fails `test_access_table_classifies_every_endpoint` until it is classified here.
No data of others: markers planted in the other student's submission, creative entry, entry file and
appeal never appear in any answer to the student, the judge or anonymous; another team's entry and file,
and an unassigned judge on an entry's file, are refused (pages and API).
POST: anonymous writes nothing; junk in every field never gives a 5xx (student, judge, organiser, admin).

The world: a contest with a programming division (a real demo problem imported from problems/) and a
creative division, two students admitted, one submission each (rows written directly: judging is not
what this test is about), one creative entry each with a PDF, the judge assigned to the student's entry
(round 1), an appeal by the other student. URL parameters are filled from the world by name (creative
endpoints get the creative division); a parameter this test does not know gets the value 1."""
from __future__ import annotations

import io
import re

import pytest
from flask import url_for
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Appeal, JudgeAssignment, Submission

from tests.conftest import ROOT

ROLES = ("anonymous", "student", "other_student", "judge", "organiser", "admin")
SKIP = {"static", "auth.logout", "main.set_language"}  # no page of data: a file server, a redirect
LOGIN = "login"  # a 302 to /auth/login?next=…
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Expected GET status per access class, in ROLES order. The student owns submission_id, is a member of
# entry_id (the judge is assigned to it); other_student owns the other submission and the other entry.
EXPECT = {
    "public":         (200, 200, 200, 200, 200, 200),
    "user":           (LOGIN, 200, 200, 200, 200, 200),   # any logged-in user
    "organiser":      (LOGIN, 403, 403, 403, 200, 200),   # organisers (admins pass every role check)
    "judge":          (LOGIN, 403, 403, 200, 403, 200),   # creative judges
    "staff":          (LOGIN, 403, 403, 200, 200, 200),   # judges and organisers
    "entrant":        (LOGIN, 200, 200, 403, 200, 200),   # creative hub: students and organisers
    "new_entry":      (LOGIN, 302, 302, 403, 403, 200),   # students (both have an entry: sent to it)
    "own_submission": (LOGIN, 200, 403, 200, 200, 200),   # its author and the staff
    "own_entry":      (LOGIN, 200, 403, 403, 200, 200),   # its team and organisers (judges score blind)
    "entry_file":     (LOGIN, 200, 403, 200, 200, 200),   # + judges assigned to the entry
    "assigned_sheet": (LOGIN, 403, 403, 200, 403, 403),   # the judge assigned to the entry in this round
    "api_public":     (200, 200, 200, 200, 200, 200),
    "api_user":       (401, 200, 200, 200, 200, 200),     # any valid token
    "api_not_judge":  (401, 200, 200, 403, 200, 200),     # entries list: judges use /creative/assigned
    "api_judge":      (401, 403, 403, 200, 403, 200),
    "api_organiser":  (401, 403, 403, 403, 200, 200),
    "api_own":        (401, 200, 403, 200, 200, 200),     # submission: author and staff
    "api_own_entry":  (401, 200, 403, 403, 200, 200),
    "api_entry_file": (401, 200, 403, 200, 200, 200),
    "none":           (404, 404, 404, 404, 404, 404),     # the API's catch-all for unknown paths
}

# Every endpoint of the app (GET or not) and its class, by URL prefix: /auth, /contests, /creative,
# /results, /api/v1. POST-only endpoints are classified too (the POST tests use it).
ACCESS = {
    # public pages
    "main.index": "public", "main.healthz": "public", "auth.login": "public", "auth.register": "public",
    "contests.scoreboard": "public", "results.contest_results": "public",
    # /auth: staff tools
    "auth.import_students": "organiser", "auth.import_progress": "organiser", "auth.import_result": "organiser",
    "auth.import_status_json": "organiser", "auth.logout": "user",
    # /contests: what every logged-in user sees (visibility inside each page)
    "contests.contest_list": "user", "contests.contest_home": "user", "contests.clarifications": "user",
    "contests.problems": "user", "contests.problem": "user", "contests.problem_file": "user",
    "contests.submissions": "user", "contests.join": "user",
    "contests.submission": "own_submission", "contests.submission_json": "own_submission",
    # /contests: organiser setup
    "contests.contest_new": "organiser", "contests.contest_edit": "organiser", "contests.contest_manage": "organiser",
    "contests.division_new": "organiser", "contests.division_edit": "organiser", "contests.division_delete": "organiser",
    "contests.participants": "organiser", "contests.participant_remove": "organiser",
    "contests.problem_upload": "organiser", "contests.problem_upload_progress": "organiser",
    "contests.problem_upload_status": "organiser", "contests.problem_preview": "organiser",
    "contests.problem_verify": "organiser", "contests.problem_verify_status": "organiser",
    "contests.problem_delete": "organiser", "contests.problem_limits": "organiser",
    "contests.problem_publish": "organiser", "contests.queue": "organiser", "contests.rejudge_contest": "organiser",
    "contests.rejudge_problem": "organiser", "contests.rejudge_submission": "organiser",
    "contests.announcement_new": "organiser", "contests.announcement_delete": "organiser",
    "contests.clarification_answer": "staff",  # judges answer questions too
    # /creative
    "creative.index": "entrant", "creative.entry_new": "new_entry",
    "creative.entry_view": "own_entry", "creative.entry_edit": "own_entry", "creative.file_upload": "own_entry",
    "creative.file_delete": "own_entry", "creative.file_download": "entry_file",
    "creative.settings": "organiser", "creative.entry_list": "organiser", "creative.org_home": "organiser",
    "creative.org_division": "organiser", "creative.org_rubric": "organiser", "creative.org_panel": "organiser",
    "creative.org_ranking": "organiser", "creative.org_sheets": "organiser", "creative.org_judging": "organiser",
    "creative.org_unlock": "organiser",
    "creative.judge_home": "judge", "creative.judge_conflicts": "judge",
    "creative.judge_sheet": "assigned_sheet", "creative.judge_print": "assigned_sheet",
    # /results: organiser, except filing an appeal (a student, checked in the service)
    "results.appeal_new": "user", "results.manage": "organiser", "results.rule_edit": "organiser",
    "results.preview": "organiser", "results.adjust": "organiser", "results.lock": "organiser",
    "results.publish": "organiser", "results.unlock": "organiser", "results.appeals": "organiser",
    "results.appeal": "organiser", "results.import_scores": "organiser", "results.exports": "organiser",
    "results.prizes_file": "organiser", "results.qualifiers_file": "organiser",
    "results.certificates_pdf": "organiser", "results.certificate_pdf": "organiser",
    # /api/v1: token rules
    "api.openapi_document": "api_public", "api.create_token": "api_public", "api.revoke_token": "api_user",
    "api.me": "api_user", "api.list_contests": "api_user", "api.get_contest": "api_user",
    "api.scoreboard": "api_user", "api.list_submissions": "api_user", "api.create_submission": "api_user",
    "api.get_submission": "api_own", "api.creative_entries": "api_not_judge", "api.creative_entry_create": "api_user",
    "api.creative_entry_get": "api_own_entry", "api.creative_entry_update": "api_own_entry",
    "api.creative_entry_files": "api_own_entry", "api.creative_entry_file": "api_entry_file",
    "api.creative_assigned": "api_judge", "api.creative_score": "api_judge",
    "api.results_tally": "api_organiser", "api.results_qualifiers": "api_organiser",
    "api.results_import_scores": "api_organiser", "api.creative_entry_file_delete": "api_own_entry",
    "api.unknown_path": "none",
    "static": "public", "main.set_language": "public",
}

# What the allowed roles get instead of 200 on a page the world cannot fill (the access check comes first,
# so the other roles still get their 302/401/403).
OUTCOME = {
    "auth.import_progress": 404, "auth.import_result": 404, "auth.import_status_json": 404,  # no import job
    "contests.problem_upload_progress": 404, "contests.problem_upload_status": 404,  # no upload job
    "contests.problem_file": 404,  # the demo problem has no statement image
    "results.prizes_file": 409, "results.qualifiers_file": 409,  # results not locked yet
    "results.certificates_pdf": 409, "results.certificate_pdf": 409,
    "api.results_qualifiers": 422,  # the contest has no qualifier rule
}

# Markers planted in the other student's data (and in the other team's creative entry): none of them may
# reach the student; the entry's markers may not reach the judge (not assigned to it); nothing reaches
# anonymous. ASCII, so JSON answers carry them verbatim.
SECRET_SOURCE = "print('bi-mat-nop-bai-7f3a')"
SECRET_APPEAL = "phuc-kham-bi-mat-19c2"
SECRET_PHONE = "0909-bi-mat-55e1"
SECRET_FILE = "thuyet-minh-bi-mat-a4d0.pdf"
HIDDEN_FROM = {
    "anonymous": (SECRET_SOURCE, SECRET_APPEAL, SECRET_PHONE, SECRET_FILE),
    "student": (SECRET_SOURCE, SECRET_APPEAL, SECRET_PHONE, SECRET_FILE),
    "judge": (SECRET_APPEAL, SECRET_PHONE, SECRET_FILE),
}


@pytest.fixture
def world(app, make_user, make_contest, admit):
    from webapp.services import creative_entries as entries_svc
    from webapp.services.problem_import import import_problem

    from tests.webapp.creative_factories import make_entry

    contest = make_contest(divisions=(("B", "lower_secondary", "programming"), ("D2", "lower_secondary", "creative")))
    division, creative = contest.divisions
    problem = import_problem(division, ROOT / "problems" / "daycon", publish=True)
    users = {
        "student": make_user("hs_mot"), "other_student": make_user("hs_hai"),
        "judge": make_user("gk_mot", role="judge"), "organiser": make_user("btc_mot", role="organiser"),
        "admin": make_user("qt_mot", role="admin"), "other_judge": make_user("gk_hai", role="judge"),
    }
    admit(users["student"], division)
    admit(users["other_student"], division)
    subs, entries, files = {}, {}, {}
    for role, source in (("student", "print(1)\n"), ("other_student", SECRET_SOURCE + "\n")):
        sub = Submission(user_id=users[role].id, problem_id=problem.id, language="python3", source=source,
                         status="done", verdict="WA", score=0.0, max_score=100.0)
        db.session.add(sub)
        db.session.commit()
        subs[role] = sub
    for role, name, phone in (("student", "thuyet-minh.pdf", "0903 123 456"),
                              ("other_student", SECRET_FILE, SECRET_PHONE)):
        entries[role] = make_entry(creative, [users[role]], mentor_phone=phone)
        staged = entries_svc.stage_file(creative, "description", io.BytesIO(PDF), name)
        files[role] = entries_svc.add_files(users["organiser"], entries[role], [staged])[0]
    db.session.add(JudgeAssignment(entry_id=entries["student"].id, judge_id=users["judge"].id, round=1, manual=True))
    appeal = Appeal(contest_id=contest.id, division_id=division.id, user_id=users["other_student"].id,
                    problem_id=problem.id, reason=SECRET_APPEAL)
    db.session.add(appeal)
    db.session.commit()
    ids = {"contest_id": contest.id, "division_id": division.id, "problem_id": problem.id,
           "submission_id": subs["student"].id, "user_id": users["student"].id, "entry_id": entries["student"].id,
           "file_id": files["student"].id, "round_": 1, "appeal_id": appeal.id, "fmt": "csv",
           "username": users["student"].username}
    creative_ids = {**ids, "division_id": creative.id}
    return {"ids": ids, "creative_ids": creative_ids, "users": users, "subs": subs, "creative": creative,
            "entries": entries, "files": files}


def ids_for(world, endpoint: str) -> dict:
    """The world's ids for the parameters of `endpoint` (creative endpoints: the creative division)."""
    creative = endpoint.startswith(("creative.", "api.creative_"))
    return world["creative_ids"] if creative else world["ids"]


def get_routes(app, world):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP:
            continue
        ids = ids_for(world, rule.endpoint)
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


def expected_status(endpoint: str, role: str):
    expected = EXPECT[ACCESS[endpoint]][ROLES.index(role)]
    return OUTCOME.get(endpoint, 200) if expected == 200 and endpoint in OUTCOME else expected


def test_access_table_classifies_every_endpoint(app):
    """A new endpoint must be added to ACCESS (and its class must exist); a removed one leaves it."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(endpoints - set(ACCESS)) == [], "endpoints not classified in ACCESS"
    assert sorted(set(ACCESS) - endpoints) == [], "ACCESS names endpoints the app no longer has"
    assert set(ACCESS.values()) <= set(EXPECT)
    assert set(OUTCOME) <= endpoints


@pytest.mark.parametrize("role", ROLES)
def test_every_get_route_answers_the_expected_status(app, world, role):
    client = app.test_client()
    headers = {}
    if role != "anonymous":
        username = world["users"][role].username
        app.config["WTF_CSRF_ENABLED"] = False
        client.post("/auth/login", data={"username": username, "password": "secret123"})
        app.config["WTF_CSRF_ENABLED"] = True
        headers = {"Authorization": f"Bearer {api_token(client, username)}"}
    failures = []
    for endpoint, url in get_routes(app, world):
        resp = client.get(url, headers=headers if url.startswith("/api/") else {})
        expected = expected_status(endpoint, role)
        got = resp.status_code
        if expected == LOGIN:
            location = resp.headers.get("Location", "")
            got = LOGIN if got == 302 and location.startswith("/auth/login?next=") else f"{got} {location}"
        if got != expected:
            failures.append(f"{role} GET {url} ({endpoint}): expected {expected}, got {got}")
        body = resp.get_data(as_text=True) if resp.mimetype != "application/octet-stream" else ""
        resp.close()  # a file download holds its file open until closed
        for secret in HIDDEN_FROM.get(role, ()):
            if secret in body:
                failures.append(f"{role} GET {url} ({endpoint}) shows another's data: {secret}")
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


def test_a_student_never_sees_another_teams_creative_entry(app, world):
    """The other team's entry, its edit page, its file: refused on the site and the API; the API's list
    of entries holds the student's own only."""
    entry, entry_file = world["entries"]["other_student"], world["files"]["other_student"]
    client = logged_in(app, "hs_mot")
    for url in (f"/creative/entries/{entry.id}", f"/creative/entries/{entry.id}/edit",
                f"/creative/entries/{entry.id}/files/{entry_file.id}"):
        assert client.get(url).status_code == 403, url
    headers = {"Authorization": f"Bearer {api_token(client, 'hs_mot')}"}
    for url in (f"/api/v1/creative/entries/{entry.id}", f"/api/v1/creative/entries/{entry.id}/files/{entry_file.id}"):
        resp = client.get(url, headers=headers)
        assert resp.status_code == 403, url
        assert SECRET_PHONE not in resp.get_data(as_text=True)
    listed = client.get("/api/v1/creative/entries", headers=headers).get_json()
    assert [e["id"] for e in listed["entries"]] == [world["entries"]["student"].id]
    # the student's own file through another entry's URL is not served either
    own = world["files"]["student"]
    assert client.get(f"/creative/entries/{entry.id}/files/{own.id}").status_code == 403
    assert client.get(f"/api/v1/creative/entries/{entry.id}/files/{own.id}", headers=headers).status_code == 403


def test_an_unassigned_judge_gets_no_entry_file_and_no_sheet(app, world):
    """gk_hai is a judge but not assigned to the student's entry: its file, its entry page and its
    score sheet are refused (site and API); gk_mot, assigned, downloads the file."""
    entry, entry_file = world["entries"]["student"], world["files"]["student"]
    file_url = f"/creative/entries/{entry.id}/files/{entry_file.id}"
    client = logged_in(app, "gk_hai")
    for url in (file_url, f"/creative/entries/{entry.id}", f"/creative/judge/entries/{entry.id}/1",
                f"/creative/judge/entries/{entry.id}/1/print"):
        assert client.get(url).status_code == 403, url
    headers = {"Authorization": f"Bearer {api_token(client, 'gk_hai')}"}
    assert client.get(f"/api/v1{file_url}", headers=headers).status_code == 403
    assigned = client.get("/api/v1/creative/assigned", headers=headers)
    assert assigned.status_code == 200 and assigned.get_json() == {"entries": []}
    judge = logged_in(app, "gk_mot")
    resp = judge.get(file_url)
    assert resp.status_code == 200 and resp.data == PDF
    resp.close()


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
        for _endpoint, url in get_routes(app, world):
            if not url.startswith("/api/"):
                resp = client.get(url)
                names.update(FIELD_RE.findall(resp.get_data(as_text=True)))
                resp.close()
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
    """Every form action, posted by somebody not logged in: no 5xx and not one row written; login and
    registration answer with their form again, every other action sends to the login page."""
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    before = row_counts()
    failures = []
    for ids in (world["ids"], world["creative_ids"]):
        for endpoint, url in post_routes(app, ids):
            resp = client.post(url, data={"reason": "x", "action": "submit"})
            expected = (200, 422) if EXPECT[ACCESS[endpoint]][0] == 200 else (LOGIN,)  # public: the form again
            got = resp.status_code
            if got == 302 and resp.headers["Location"].startswith("/auth/login?next="):
                got = LOGIN
            if got not in expected:
                failures.append(f"anonymous POST {url} ({endpoint}): expected {expected}, got {got}")
    assert not failures, "\n".join(failures)
    assert row_counts() == before


@pytest.mark.parametrize("role", ("student", "other_student", "judge", "organiser"))
def test_posts_are_refused_to_roles_without_access(app, world, role):
    """Every form action the access table closes to `role` answers 403 and writes nothing."""
    client = logged_in(app, world["users"][role].username)
    before = row_counts()
    failures = []
    checked = 0
    for ids in (world["ids"], world["creative_ids"]):
        for endpoint, url in post_routes(app, ids):
            if EXPECT[ACCESS[endpoint]][ROLES.index(role)] != 403:
                continue
            checked += 1
            resp = client.post(url, data={"reason": "x", "action": "submit", "title": "x", "comment": "x"})
            if resp.status_code != 403:
                failures.append(f"{role} POST {url} ({endpoint}): expected 403, got {resp.status_code}")
    assert not failures, "\n".join(failures)
    assert checked >= {"organiser": 6}.get(role, 20)  # the organiser: the judge's own pages
    assert row_counts() == before


@pytest.mark.parametrize("role", ("student", "judge", "organiser", "admin"))
@pytest.mark.parametrize("junk", JUNK)
def test_every_post_route_survives_junk_in_every_field(app, world, role, junk):
    """Every form action, with every field name the site's forms use set to junk (600 characters, or
    a number beyond any integer column): refused or accepted, never a 5xx. On PostgreSQL this is what
    finds text longer than its column and ids beyond `integer`, which SQLite silently accepts."""
    fields = form_fields(app, world)
    client = logged_in(app, world["users"][role].username)
    failures = []
    for ids in (world["ids"], world["creative_ids"]):
        for endpoint, url in post_routes(app, ids):
            resp = client.post(url, data={name: JUNK[junk] for name in fields})
            if resp.status_code >= 500:
                failures.append(f"{role} POST {url} ({endpoint}) with {junk} -> {resp.status_code}")
    assert not failures, "\n".join(failures)
