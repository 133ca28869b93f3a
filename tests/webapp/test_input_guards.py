"""Input the database cannot take is refused before any view runs (webapp/input_guards.py). Both were
500s on PostgreSQL (run this file with --db=postgres): a NUL character in text ("PostgreSQL text
fields cannot contain NUL (0x00) bytes") and, on SQLite too, an id above 2**63 - 1 (OverflowError)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.input_guards import MAX_ID
from webapp.models import ApiToken, Submission, User


@pytest.fixture
def token(app, client, make_user):
    make_user("hs_mot")
    resp = client.post("/api/v1/token", json={"username": "hs_mot", "password": "secret123"})
    assert resp.status_code == 201
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def test_api_refuses_nul_in_a_json_string(app, client, token):
    resp = client.post("/api/v1/token", json={"username": "hs_mot\x00", "password": "secret123"})
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "The request contains a NUL character (\\u0000) in JSON body; remove it and send again."}
    resp = client.post("/api/v1/submissions", json={"problem_id": 1, "language": "python3", "source": "print(1)\x00"}, headers=token)
    assert resp.status_code == 400 and "NUL" in resp.get_json()["error"]
    assert db.session.scalar(select(func.count(Submission.id))) == 0
    assert db.session.scalar(select(func.count(ApiToken.id))) == 1  # only the fixture's


def test_api_refuses_nul_in_the_query(client, token):
    resp = client.get("/api/v1/contests/1/scoreboard?division=B%00", headers=token)
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "The request contains a NUL character (\\u0000) in query; remove it and send again."


def test_web_form_with_nul_names_the_field_and_changes_nothing(app, client, make_user):
    make_user("hs_mot")
    resp = client.post_form("/auth/login", {"username": "hs_mot\x00", "password": "wrong"})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "Dữ liệu gửi lên chứa ký tự NUL (\\0) ở username; hãy xoá ký tự đó rồi gửi lại." in page
    assert db.session.scalar(select(User.failed_logins).where(User.username == "hs_mot")) == 0
    resp = client.post_form("/auth/register", {
        "full_name": "Lê\x00 Văn", "date_of_birth": "2012-01-01", "school_level": "lower_secondary", "grade": "7",
        "new_school": "THCS A", "unit": "Q1", "username": "levan", "password": "abc12345", "confirm": "abc12345",
    })
    assert resp.status_code == 400 and "ở full_name;" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 1


@pytest.mark.parametrize("url", [f"/api/v1/contests/{MAX_ID + 1}", f"/api/v1/submissions/{2**63}",
                                 f"/api/v1/results/divisions/{10**30}/tally"])
def test_api_ids_beyond_the_database_are_404_in_json(client, token, url):
    resp = client.get(url, headers=token)
    assert resp.status_code == 404
    assert resp.get_json()["error"].endswith(f"is larger than any id ({MAX_ID}).")


def test_web_ids_beyond_the_database_are_404(client, make_user):
    make_user("btc_mot", role="organiser")
    client.login("btc_mot")
    assert client.get(f"/contests/{2**63}").status_code == 404
    assert client.get(f"/contests/{MAX_ID}").status_code == 404  # in range, no such row: the view's own 404


def test_api_body_and_query_ids_beyond_the_database(app, client, token):
    app.config["JUDGE_QUEUE"] = f"judge-test-{uuid.uuid4().hex[:8]}"
    resp = client.post("/api/v1/submissions", json={"problem_id": 2**64, "language": "python3", "source": "x"}, headers=token)
    assert resp.status_code == 404 and resp.get_json() == {"error": f"No problem with id {2**64}."}
    for raw in (str(2**63), "²"):  # "²".isdigit() is True, int("²") raises
        resp = client.get(f"/api/v1/submissions?problem_id={raw}", headers=token)
        assert resp.status_code == 422
        assert resp.get_json()["error"] == f"Invalid query parameter: problem_id must be a positive integer (at most {MAX_ID})."
