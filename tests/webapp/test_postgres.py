"""The same app on a real PostgreSQL (Debian's server, started by scripts/ensure_postgres.sh) even in a
SQLite run: migrations apply from scratch, registration works, and a refused import leaves nothing
behind. `pytest --db=postgres` runs every web test there (tests/conftest.py)."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select, text

from tests.conftest import BrowserClient, fresh_database, postgres_url, settings_for_tests
from webapp import create_app
from webapp.extensions import db
from webapp.models import User


@pytest.fixture
def pg_app(tmp_path, request):
    """The app on this run's PostgreSQL database (schema by the migrations, emptied), whatever --db says;
    DB_LOCK_TIMEOUT from the test's parameter (indirect), else 15 s."""
    app = create_app({**settings_for_tests(tmp_path), "SQLALCHEMY_DATABASE_URI": postgres_url(),
                      "DB_LOCK_TIMEOUT": getattr(request, "param", 15)})
    with fresh_database(app):
        yield app


def test_postgres_register_and_import(pg_app):
    client = BrowserClient(pg_app.test_client())
    resp = client.post_form("/auth/register", {
        "full_name": "Hồ Ngọc Trâm", "date_of_birth": "2010-02-02", "school_level": "upper_secondary", "grade": "10",
        "new_school": "THPT Gia Định", "unit": "Bình Thạnh", "username": "tramhn", "password": "abc12345", "confirm": "abc12345",
    })
    assert resp.status_code == 302
    assert db.session.scalar(select(User.full_name).where(User.username == "tramhn")) == "Hồ Ngọc Trâm"
    client.post_form("/auth/logout", {}, form_url="/")

    from webapp.services.users import create_user

    create_user("btc", "btc12345", "organiser")
    db.session.commit()
    client.login("btc", "btc12345")
    csv_text = "Họ và tên,Ngày sinh,Cấp học,Lớp,Trường\nA Một,01/01/2013,THCS,7,X\nB Hai,01/01/2013,THCS,12,X\n"
    resp = client.post_form("/auth/import", {"file": (io.BytesIO(csv_text.encode()), "ds.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "<td>3</td><td>Lớp</td>" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 2


@pytest.mark.parametrize("pg_app", [1], indirect=True)  # lock_timeout 1 s
def test_postgres_lock_timeout_answers_503_and_the_import_job_runs(pg_app):
    """A table locked by another connection longer than lock_timeout: 503 (page and API), nothing
    written, and the next request works; then a bulk import through its background job."""
    import uuid

    from rq import Queue, SimpleWorker
    from sqlalchemy import create_engine

    from webapp.services.student_import import tasks_queue
    from webapp.services.users import create_user

    assert db.session.execute(text("SHOW lock_timeout")).scalar() == "1s"
    create_user("hs1", "secret123", "student")
    create_user("btc", "btc12345", "organiser")
    db.session.commit()
    client = BrowserClient(pg_app.test_client())

    def wrong_login():
        return client.post_form("/auth/login", {"username": "hs1", "password": "nope-nope"}, form_url="/auth/login")

    other = create_engine(pg_app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with other.connect() as holder:
            holder.execute(text('LOCK TABLE "user" IN EXCLUSIVE MODE'))  # readers pass, writers wait
            resp = wrong_login()
            assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
            assert "Hệ thống đang bận" in resp.get_data(as_text=True)
            api = client.post("/api/v1/token", json={"username": "hs1", "password": "nope-nope"})
            assert api.status_code == 503 and api.get_json()["retry_after"] == 5
            holder.rollback()
    finally:
        other.dispose()
    db.session.expire_all()
    assert db.session.scalar(select(User.failed_logins).where(User.username == "hs1")) == 0
    assert wrong_login().status_code == 401

    pg_app.config["TASKS_QUEUE"] = f"tasks-test-{uuid.uuid4().hex[:8]}"
    client.login("btc", "btc12345")
    csv_text = "Họ và tên,Ngày sinh,Cấp học,Lớp,Trường\nA Một,01/01/2013,THCS,7,X\nB Hai,01/01/2013,THCS,8,X\n"
    resp = client.post_form("/auth/import", {"file": (io.BytesIO(csv_text.encode()), "ds.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 303
    conn = tasks_queue().connection
    SimpleWorker([Queue(pg_app.config["TASKS_QUEUE"], connection=conn)], connection=conn).work(burst=True, with_scheduler=False)
    assert client.get(resp.headers["Location"] + "/status").get_json()["state"] == "done"
    db.session.expire_all()
    assert sorted(db.session.scalars(select(User.username).where(User.role == "student"))) == ["hai.b", "hs1", "mot.a"]
