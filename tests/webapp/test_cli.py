"""CLI: create-user, demo (idempotent), migrations match the models."""
from __future__ import annotations

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Contest, Participation, User


def test_create_user_student(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "an01", "--password", "abc12345", "--role", "student",
                                 "--level", "primary", "--grade", "4", "--full-name", "Võ An", "--school", "TH Kim Đồng"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "an01"))
    assert user.school_level == "primary" and user.grade == 4 and user.school.name == "TH Kim Đồng"


def test_create_user_rejects_grade_outside_level(app):
    result = app.test_cli_runner().invoke(args=["create-user", "an01", "--password", "abc12345", "--level", "primary", "--grade", "8"])
    assert result.exit_code != 0
    assert "Lớp 8 không thuộc cấp" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_create_user_duplicate(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["create-user", "btc", "--password", "abc12345", "--role", "organiser"]).exit_code == 0
    result = runner.invoke(args=["create-user", "btc", "--password", "abc12345", "--role", "organiser"])
    assert result.exit_code != 0 and "already exists" in result.output


def test_demo_is_safe_to_run_twice(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "already present" in second.output
    assert db.session.scalar(select(func.count(Contest.id))) == 1
    contest = db.session.scalar(select(Contest))
    assert contest.is_running()
    assert (contest.end_at - contest.start_at).days == 7
    codes = {d.code: d for d in contest.divisions}
    assert {"A", "B", "C1"} <= set(codes)
    # every demo student is in the programming division of their level, once (and in the creative
    # division of their level when the demo gives them a team entry)
    for username, code, creative in (("hs_tieuhoc", "A", "D1"), ("hs_thcs", "B", "D2"), ("hs_thpt", "C1", "D3")):
        user = db.session.scalar(select(User).where(User.username == username))
        parts = db.session.scalars(select(Participation).where(Participation.user_id == user.id)).all()
        assert sorted(p.division.code for p in parts) == [code, creative]


def test_migrations_match_models(tmp_path):
    """`flask db upgrade` on an empty database builds exactly the tables of the models (on SQLite, and
    on PostgreSQL with --db=postgres, where the run's schema is the migrations' own)."""
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    from webapp import create_app
    from tests.conftest import fresh_database, settings_for_tests, uses_postgres

    settings = settings_for_tests(tmp_path / "mig")
    if not uses_postgres():
        settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'mig.db'}"
    app = create_app(settings)
    with fresh_database(app) if uses_postgres() else app.app_context():
        if not uses_postgres():
            upgrade()
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set(db.metadata.tables)
        for name, table in db.metadata.tables.items():
            cols = {c["name"] for c in inspect(db.engine).get_columns(name)}
            assert cols == {c.name for c in table.columns}, name
        if not uses_postgres():
            db.engine.dispose()


def test_demo_contest_admits_new_students_by_level(app, client):
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    resp = client.post_form("/auth/register", {
        "full_name": "Lý Gia Hân", "date_of_birth": "2010-05-05", "school_level": "upper_secondary", "grade": "10",
        "new_school": "THPT Lê Quý Đôn", "username": "hanlg", "password": "abc12345", "confirm": "abc12345",
    })
    assert resp.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "hanlg"))
    parts = db.session.scalars(select(Participation).where(Participation.user_id == user.id)).all()
    assert [p.division.code for p in parts] == ["C1"]
