"""The JSON API (/api/v1): tokens, contests, submissions, scoreboards, errors, the OpenAPI document.

No judging here (no worker runs): submissions stay `queued`, and judged ones are written to the
database as a worker would. The pipeline through RQ and Docker is tested in test_pipeline.py."""
from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from openapi_spec_validator import validate as validate_spec
from rq import Queue

from webapp.extensions import db
from webapp.models import ApiToken, Problem, Submission, SubmissionTest, utcnow

CPP = "#include <cstdio>\nint main(){long long a,b;scanf(\"%lld %lld\",&a,&b);printf(\"%lld\\n\",a+b);}\n"


@pytest.fixture
def world(app, make_user, make_contest, admit, redis_conn):
    """A running contest with divisions B and C, a published and a hidden problem in B, a student
    admitted to B, another admitted to C, an organiser and a judge; plus a contest nobody entered."""
    app.config["JUDGE_QUEUE"] = f"judge-test-{uuid.uuid4().hex[:8]}"  # other test runs may share Redis db 15
    contest = make_contest(divisions=(("B", "lower_secondary", "programming"), ("C", "upper_secondary", "programming")))
    b, c = contest.divisions
    pub = Problem(division=b, code="TONG", title_vi="Tổng", title_en="Sum", package_path="/nonexistent",
                  format="themis", published=True, max_score=100)
    hidden = Problem(division=b, code="AN", title_vi="Bài ẩn", package_path="/nonexistent", format="themis",
                     published=False, ordinal=1)
    other = Problem(division=c, code="KHAC", title_vi="Bài khác", package_path="/nonexistent", format="themis",
                    published=True)
    db.session.add_all([pub, hidden, other])
    db.session.commit()
    student = make_user("hs1", full_name="Nguyễn Văn An")
    rival = make_user("hs2", full_name="Trần Thị Bình")
    outsider = make_user("hs3", level="upper_secondary", grade=10)
    admit(student, b)
    admit(rival, b)
    admit(outsider, c)
    organiser = make_user("btc", role="organiser")
    judge = make_user("gk", role="judge")
    elsewhere = make_contest(name="Vòng khác")
    return {"contest": contest, "b": b, "c": c, "pub": pub, "hidden": hidden, "other": other, "student": student,
            "rival": rival, "outsider": outsider, "organiser": organiser, "judge": judge, "elsewhere": elsewhere,
            "redis": redis_conn}


def get_token(client, username: str, password: str = "secret123") -> str:
    r = client.post("/api/v1/token", json={"username": username, "password": password})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["token"]


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def api(client, username: str):
    """(method, path, **kw) -> response, authenticated as username."""
    headers = auth(get_token(client, username))

    def call(method: str, path: str, **kw):
        return client.open(path, method=method, headers={**headers, **kw.pop("headers", {})}, **kw)

    return call


# -- tokens ------------------------------------------------------------------------------------------
def test_token_is_stored_only_as_its_sha256(client, world):
    token = get_token(client, "hs1")
    rows = db.session.scalars(db.select(ApiToken)).all()
    assert len(rows) == 1
    assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in rows[0].token_hash
    me = client.get("/api/v1/me", headers=auth(token))
    assert me.status_code == 200 and me.get_json()["username"] == "hs1"


def test_wrong_password_is_401_and_unknown_user_too(client, world):
    for body in ({"username": "hs1", "password": "nope-nope"}, {"username": "ghost", "password": "secret123"}):
        r = client.post("/api/v1/token", json=body)
        assert r.status_code == 401
        assert r.get_json() == {"error": "Wrong username or password."}
    db.session.refresh(world["student"])
    assert world["student"].failed_logins == 1


def test_token_honours_the_login_lock_shared_with_the_site(app, client, world):
    app.config["LOGIN_MAX_FAILS"] = 3
    for _ in range(3):
        assert client.post("/api/v1/token", json={"username": "hs1", "password": "bad-pass"}).status_code == 401
    locked = client.post("/api/v1/token", json={"username": "hs1", "password": "secret123"})
    assert locked.status_code == 429
    assert "locked" in locked.get_json()["error"] and int(locked.headers["Retry-After"]) > 0
    # the web login sees the same lock
    assert client.login("hs1").status_code == 429
    # once the lock has passed, the right password works and resets the counter
    student = world["student"]
    student.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.post("/api/v1/token", json={"username": "hs1", "password": "secret123"}).status_code == 201
    db.session.refresh(student)
    assert student.failed_logins == 0 and student.locked_until is None


def test_disabled_account_gets_no_token_and_its_tokens_stop_working(client, world):
    token = get_token(client, "hs1")
    world["student"].is_active_account = False
    db.session.commit()
    assert client.post("/api/v1/token", json={"username": "hs1", "password": "secret123"}).status_code == 401
    assert client.get("/api/v1/contests", headers=auth(token)).status_code == 401


def test_revoked_token_is_refused(client, world):
    token = get_token(client, "hs1")
    assert client.delete("/api/v1/token", headers=auth(token)).status_code == 204
    r = client.get("/api/v1/contests", headers=auth(token))
    assert r.status_code == 401 and "revoked" in r.get_json()["error"]


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic aHMxOnNlY3JldDEyMw==", "Token abc"])
def test_missing_or_bad_token_is_401_with_a_challenge(client, world, header):
    headers = {"Authorization": header} if header else {}
    r = client.get("/api/v1/contests", headers=headers)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert "token" in r.get_json()["error"]


def test_session_cookie_does_not_authenticate_the_api(client, world):
    client.login("hs1")
    assert client.get("/api/v1/contests").status_code == 401


# -- malformed requests ------------------------------------------------------------------------------
def test_malformed_json_is_400(client, world):
    r = client.post("/api/v1/token", data="{not json", content_type="application/json")
    assert r.status_code == 400 and "not valid JSON" in r.get_json()["error"]
    r = client.post("/api/v1/token", json=["hs1", "secret123"])
    assert r.status_code == 400 and "JSON object" in r.get_json()["error"]
    call = api(client, "hs1")
    r = call("POST", "/api/v1/submissions", data="problem_id=1", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400


def test_missing_fields_are_422_and_named(client, world):
    r = client.post("/api/v1/token", json={"username": "hs1"})
    assert r.status_code == 422 and r.get_json()["error"] == "Missing field(s): password."
    call = api(client, "hs1")
    r = call("POST", "/api/v1/submissions", json={"language": "cpp"})
    assert r.status_code == 422
    assert r.get_json()["error"] == "Missing field(s): problem_id, source."
    r = call("POST", "/api/v1/submissions", json={"problem_id": "1", "language": "cpp", "source": 5})
    assert r.status_code == 422
    assert "problem_id must be an integer" in r.get_json()["error"] and "source must be a string" in r.get_json()["error"]


def test_unknown_paths_and_methods_are_json(client, world):
    call = api(client, "hs1")
    r = call("GET", "/api/v1/nothing/here")
    assert r.status_code == 404 and "/api/v1/nothing/here" in r.get_json()["error"]
    r = call("PUT", "/api/v1/contests")
    assert r.status_code == 405 and r.headers["Allow"] == "GET" and "GET" in r.get_json()["error"]
    # the site's own pages keep their HTML error pages
    assert client.get("/no-such-page").mimetype == "text/html"


# -- contests ----------------------------------------------------------------------------------------
def titles(contests: list[dict]) -> dict:
    return {c["id"]: {d["code"]: [p["code"] for p in d["problems"]] for d in c["divisions"]} for c in contests}


def test_student_sees_own_contest_division_and_published_problems_only(client, world):
    r = api(client, "hs1")("GET", "/api/v1/contests")
    assert r.status_code == 200
    contests = r.get_json()["contests"]
    assert titles(contests) == {world["contest"].id: {"B": ["TONG"]}}
    problem = contests[0]["divisions"][0]["problems"][0]
    assert problem == {"id": world["pub"].id, "code": "TONG", "title": "Tổng", "title_en": "Sum", "time_limit": 1.0,
                       "memory_limit": 256, "max_score": 100.0, "published": True}
    assert contests[0]["title"] == "Hội thi thử" and contests[0]["running"] is True
    assert contests[0]["start_at"].endswith("Z")


def test_division_shows_its_scratch_project_limit(app, client, world):
    world["b"].scratch_max_mib = 2
    db.session.commit()
    division = api(client, "hs1")("GET", f"/api/v1/contests/{world['contest'].id}").get_json()["divisions"][0]
    assert (division["code"], division["scratch_max_mib"]) == ("B", 2)
    seen = api(client, "btc")("GET", f"/api/v1/contests/{world['contest'].id}").get_json()["divisions"]
    assert {d["code"]: d["scratch_max_mib"] for d in seen} == {"B": 2, "C": None}  # None: the site setting
    prop = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Division"]["properties"]["scratch_max_mib"]
    assert prop["type"] == ["integer", "null"]


def test_student_of_another_division_and_a_stranger(client, world, make_user):
    assert titles(api(client, "hs3")("GET", "/api/v1/contests").get_json()["contests"]) == {world["contest"].id: {"C": ["KHAC"]}}
    make_user("newbie")
    assert api(client, "newbie")("GET", "/api/v1/contests").get_json() == {"contests": []}


def test_problems_hidden_before_the_start(client, world, make_contest, admit):
    future = make_contest(name="Sắp thi", running=False)
    db.session.add(Problem(division=future.divisions[0], code="SAU", title_vi="Sau", package_path="/x", format="themis", published=True))
    db.session.commit()
    admit(world["student"], future.divisions[0])
    seen = titles(api(client, "hs1")("GET", "/api/v1/contests").get_json()["contests"])
    assert seen[future.id] == {"B": []}


@pytest.mark.parametrize("username", ["btc", "gk"])
def test_staff_see_every_contest_division_and_problem(client, world, username):
    seen = titles(api(client, username)("GET", "/api/v1/contests").get_json()["contests"])
    assert seen == {world["contest"].id: {"B": ["TONG", "AN"], "C": ["KHAC"]}, world["elsewhere"].id: {"B": []}}


def test_one_contest_403_and_404(client, world):
    call = api(client, "hs1")
    assert call("GET", f"/api/v1/contests/{world['contest'].id}").get_json()["id"] == world["contest"].id
    r = call("GET", f"/api/v1/contests/{world['elsewhere'].id}")
    assert r.status_code == 403 and r.get_json()["error"]
    r = call("GET", "/api/v1/contests/99999")
    assert r.status_code == 404 and "99999" in r.get_json()["error"]


# -- submissions -------------------------------------------------------------------------------------
def test_submit_201_is_stored_queued_and_fetchable(app, client, world):
    call = api(client, "hs1")
    r = call("POST", "/api/v1/submissions", json={"problem_id": world["pub"].id, "language": "cpp", "source": CPP})
    assert r.status_code == 201, r.get_json()
    sid = r.get_json()["id"]
    assert r.headers["Location"].endswith(f"/api/v1/submissions/{sid}")
    sub = db.session.get(Submission, sid)
    assert (sub.user_id, sub.problem_id, sub.language, sub.source) == (world["student"].id, world["pub"].id, "cpp", CPP)
    queue = Queue(app.config["JUDGE_QUEUE"], connection=world["redis"])
    assert queue.job_ids == [f"judge-{sid}"]
    got = call("GET", f"/api/v1/submissions/{sid}").get_json()
    assert got["id"] == sid and got["status"] == "queued" and got["verdict"] is None and got["tests"] == []


def test_fetch_a_judged_submission_with_its_tests(client, world):
    sub = Submission(user_id=world["student"].id, problem_id=world["pub"].id, language="python3", source="print(1)",
                     status="done", verdict="WA", score=50.0, max_score=100.0, time=0.02, memory=9000,
                     compile_output="", created_at=utcnow() - timedelta(seconds=5), started_at=utcnow() - timedelta(seconds=3),
                     finished_at=utcnow(), attempts=1)
    sub.tests = [SubmissionTest(index=0, name="Test01", group="", verdict="AC", time=0.01, wall_time=0.02, memory=9000, score=1.0),
                 SubmissionTest(index=1, name="Test02", group="", verdict="WA", time=0.02, wall_time=0.03, memory=8000, score=0.0)]
    db.session.add(sub)
    db.session.commit()
    got = api(client, "hs1")("GET", f"/api/v1/submissions/{sub.id}").get_json()
    assert {k: got[k] for k in ("status", "verdict", "score", "max_score", "time", "memory", "compile_output")} == {
        "status": "done", "verdict": "WA", "score": 50.0, "max_score": 100.0, "time": 0.02, "memory": 9000, "compile_output": ""}
    assert got["tests"] == [
        {"index": 0, "name": "Test01", "group": "", "verdict": "AC", "time": 0.01, "wall_time": 0.02, "memory": 9000, "score": 1.0},
        {"index": 1, "name": "Test02", "group": "", "verdict": "WA", "time": 0.02, "wall_time": 0.03, "memory": 8000, "score": 0.0},
    ]
    assert 1.9 < got["queue_wait"] < 2.1


def test_only_owner_and_staff_see_a_submission(client, world):
    sid = api(client, "hs1")("POST", "/api/v1/submissions", json={"problem_id": world["pub"].id, "language": "cpp", "source": CPP}).get_json()["id"]
    r = api(client, "hs2")("GET", f"/api/v1/submissions/{sid}")
    assert r.status_code == 403 and "not yours" in r.get_json()["error"]
    for staff in ("btc", "gk"):
        assert api(client, staff)("GET", f"/api/v1/submissions/{sid}").status_code == 200
    assert api(client, "hs1")("GET", "/api/v1/submissions/424242").status_code == 404


def test_list_submissions_own_or_all_for_staff(client, world):
    body = {"problem_id": world["pub"].id, "language": "cpp", "source": CPP}
    mine = [api(client, "hs1")("POST", "/api/v1/submissions", json=body).get_json()["id"] for _ in range(2)]
    theirs = api(client, "hs2")("POST", "/api/v1/submissions", json=body).get_json()["id"]
    call = api(client, "hs1")
    listed = call("GET", "/api/v1/submissions").get_json()["submissions"]
    assert [s["id"] for s in listed] == mine[::-1]
    assert "tests" not in listed[0] and listed[0]["status"] == "queued"
    assert [s["id"] for s in call("GET", "/api/v1/submissions?limit=1").get_json()["submissions"]] == [mine[1]]
    assert call("GET", f"/api/v1/submissions?problem_id={world['other'].id}").get_json()["submissions"] == []
    r = call("GET", f"/api/v1/submissions?user_id={world['rival'].id}")
    assert r.status_code == 403
    r = call("GET", "/api/v1/submissions?limit=many")
    assert r.status_code == 422 and "limit" in r.get_json()["error"]
    staff = api(client, "gk")
    assert [s["id"] for s in staff("GET", "/api/v1/submissions").get_json()["submissions"]] == [theirs, *mine[::-1]]
    by_user = staff("GET", f"/api/v1/submissions?user_id={world['rival'].id}&contest_id={world['contest'].id}")
    assert [s["id"] for s in by_user.get_json()["submissions"]] == [theirs]
    assert staff("GET", f"/api/v1/submissions?contest_id={world['elsewhere'].id}").get_json()["submissions"] == []


def test_submission_refusals(client, world):
    call = api(client, "hs1")

    def post(**body):
        return call("POST", "/api/v1/submissions", json={"problem_id": world["pub"].id, "language": "cpp", "source": CPP, **body})

    r = post(problem_id=987654)
    assert r.status_code == 404 and "987654" in r.get_json()["error"]
    assert post(problem_id=world["other"].id).status_code == 403  # division C: not admitted
    assert post(problem_id=world["hidden"].id).status_code == 403  # not published
    r = post(language="brainfuck")
    assert r.status_code == 422 and "brainfuck" in r.get_json()["error"]
    assert post(source="   \n").status_code == 422
    assert post(source="x" * (64 * 1024 + 1)).status_code == 422
    assert db.session.scalar(db.select(db.func.count(Submission.id))) == 0


def test_contest_over_is_403(client, world):
    contest = world["contest"]
    contest.end_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    r = api(client, "hs1")("POST", "/api/v1/submissions", json={"problem_id": world["pub"].id, "language": "cpp", "source": CPP})
    assert r.status_code == 403 and r.get_json()["error"]


def test_rate_limit_is_429(app, client, world):
    app.config.update(SUBMIT_RATE_COUNT=2, SUBMIT_RATE_SECONDS=60)
    call = api(client, "hs1")
    body = {"problem_id": world["pub"].id, "language": "cpp", "source": CPP}
    assert [call("POST", "/api/v1/submissions", json=body).status_code for _ in range(3)] == [201, 201, 429]
    r = call("POST", "/api/v1/submissions", json=body)
    assert r.status_code == 429 and r.headers["Retry-After"] == "60" and r.get_json()["error"]


def test_organiser_may_test_an_unpublished_problem(client, world):
    r = api(client, "btc")("POST", "/api/v1/submissions", json={"problem_id": world["hidden"].id, "language": "python3", "source": "print(1)"})
    assert r.status_code == 201


# -- scoreboard --------------------------------------------------------------------------------------
def judged(user, problem, score: float, minutes_before_end: int, contest):
    sub = Submission(user_id=user.id, problem_id=problem.id, language="cpp", source="x", status="done",
                     verdict="AC" if score == problem.max_score else "WA", score=score, max_score=problem.max_score,
                     created_at=contest.end_at - timedelta(minutes=minutes_before_end))
    db.session.add(sub)
    db.session.commit()
    return sub


def test_scoreboard_ranks_and_freezes_for_students(client, world):
    contest, pub = world["contest"], world["pub"]
    contest.freeze_minutes = 60
    contest.end_at = utcnow() + timedelta(minutes=30)  # inside the freeze
    db.session.commit()
    judged(world["student"], pub, 40.0, 80, contest)
    judged(world["rival"], pub, 70.0, 70, contest)
    judged(world["student"], pub, 100.0, 10, contest)  # in the frozen hour
    url = f"/api/v1/contests/{contest.id}/scoreboard?division=B"

    board = api(client, "hs1")("GET", url).get_json()
    assert board["frozen"] is True and board["division"] == "B" and board["scoring"] == "ioi"
    assert [p["code"] for p in board["problems"]] == ["TONG"]
    assert [(r["rank"], r["name"], r["total"]) for r in board["rows"]] == [(1, "Trần Thị Bình", 70.0), (2, "Nguyễn Văn An", 40.0)]
    assert board["rows"][1]["cells"] == [{"problem_id": pub.id, "score": 40.0, "solved": False, "attempts": 1,
                                          "minutes": None, "pending": 1}]

    assert api(client, "gk")("GET", url).get_json()["frozen"] is True  # as on the web page: organisers only
    live = api(client, "btc")("GET", url).get_json()
    assert live["frozen"] is False
    assert [(r["rank"], r["name"], r["total"]) for r in live["rows"]] == [(1, "Nguyễn Văn An", 100.0), (2, "Trần Thị Bình", 70.0)]
    assert live["rows"][0]["cells"][0]["solved"] is True

    # publishing the division's results lifts the freeze for everyone, as on the web page
    from webapp.services import results as results_svc
    division = next(d for d in contest.divisions if d.code == "B")
    results_svc.lock(division, None)
    results_svc.publish(division, None)
    after = api(client, "hs1")("GET", url).get_json()
    assert after["frozen"] is False
    assert [(r["rank"], r["name"], r["total"]) for r in after["rows"]] == [(1, "Nguyễn Văn An", 100.0), (2, "Trần Thị Bình", 70.0)]


def test_scoreboard_errors(client, world, make_contest):
    call = api(client, "hs1")
    cid = world["contest"].id
    r = call("GET", f"/api/v1/contests/{cid}/scoreboard")
    assert r.status_code == 422 and "division" in r.get_json()["error"] and "B, C" in r.get_json()["error"]
    assert call("GET", f"/api/v1/contests/{cid}/scoreboard?division=Z").status_code == 404
    # public, as the web page: any account may read any contest's board
    assert call("GET", f"/api/v1/contests/{world['elsewhere'].id}/scoreboard?division=B").status_code == 200
    assert call("GET", "/api/v1/contests/999/scoreboard?division=B").status_code == 404
    # a contest with one programming division needs no ?division
    assert api(client, "btc")("GET", f"/api/v1/contests/{world['elsewhere'].id}/scoreboard").get_json()["division"] == "B"
    assert api(client, "hs1")("GET", f"/api/v1/contests/{cid}/scoreboard?division=b").status_code == 200


# -- the OpenAPI document ----------------------------------------------------------------------------
def test_openapi_document_is_valid_and_describes_every_route(app, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    validate_spec(doc)
    assert doc["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.unknown_path":
            path = rule.rule.removeprefix("/api/v1")
            for conv in ("int:", "path:"):
                path = path.replace("<" + conv, "{")
            path = path.replace(">", "}")
            routes |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented
    for required in ["/token", "/contests", "/submissions", "/submissions/{submission_id}",
                     "/contests/{contest_id}/scoreboard", "/openapi.json"]:
        assert required in doc["paths"]
    schemas = doc["components"]["schemas"]
    assert set(schemas["Submission"]["properties"]) >= {"id", "status", "verdict", "score", "max_score", "time", "memory",
                                                        "compile_output", "tests"}
    assert set(schemas["TestResult"]["properties"]) == {"index", "name", "group", "verdict", "time", "wall_time", "memory", "score"}
    assert schemas["Submission"]["properties"]["status"]["enum"] == ["queued", "judging", "done"]
