"""The same app on a real PostgreSQL (Debian's server, started by scripts/ensure_postgres.sh) even in a
SQLite run: migrations apply from scratch, registration works, and a refused import leaves nothing
behind. `pytest --db=postgres` runs every web test there (tests/conftest.py)."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.conftest import BrowserClient, fresh_database, postgres_url, settings_for_tests
from webapp import create_app
from webapp.extensions import db
from webapp.models import User


@pytest.fixture
def pg_app(tmp_path):
    """The app on this run's PostgreSQL database (schema by the migrations, emptied), whatever --db says."""
    app = create_app({**settings_for_tests(tmp_path), "SQLALCHEMY_DATABASE_URI": postgres_url()})
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
