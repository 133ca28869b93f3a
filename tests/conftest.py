"""Shared fixtures: a real app on a throw-away SQLite file (or TEST_DATABASE_URL), the real Redis
(database 15, flushed per test), a client that behaves like a browser (it fetches the CSRF token from
the form it submits), and factories that build the world of a test."""
from __future__ import annotations

import os
import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
import redis as redis_lib

from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db as _db
from webapp.models import Contest, Division, Participation, User, utcnow
from webapp.services.users import create_user, find_or_create_school

ROOT = Path(__file__).resolve().parent.parent
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def settings_for_tests(tmp_path) -> dict:
    """TestConfig plus a throw-away database and problem store under tmp_path."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.db'}"
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    settings.update(SQLALCHEMY_DATABASE_URI=url, PROBLEMS_DIR=str(tmp_path / "problems"), SECRET_KEY="test-secret",
                    CREATIVE_DIR=str(tmp_path / "creative"))
    return settings


@pytest.fixture
def app(tmp_path):
    app = create_app(settings_for_tests(tmp_path))
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.drop_all()


@pytest.fixture(scope="session")
def judge_image():
    """Start the Docker engine if needed and build the judge image if missing (no-op when present)."""
    for script in ("ensure_docker.sh", "build_image.sh"):
        proc = subprocess.run(["bash", str(ROOT / "scripts" / script)], capture_output=True, text=True)
        assert proc.returncode == 0, f"{script} failed:\n{proc.stdout}\n{proc.stderr}"
    return os.environ.get("JUDGE_IMAGE") or "tinhoctre-judge:latest"


@pytest.fixture
def redis_conn(app):
    conn = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    conn.flushdb()
    yield conn
    conn.flushdb()


class BrowserClient:
    """Wraps Flask's test client: post_form() first GETs the page and sends its CSRF token back."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def csrf_token(self, url: str) -> str:
        html = self.client.get(url).get_data(as_text=True)
        m = CSRF_RE.search(html)
        assert m, f"no CSRF token in {url}"
        return m.group(1) or m.group(2)

    def post_form(self, url: str, data: dict, **kw):
        data = {**data, "csrf_token": self.csrf_token(kw.pop("form_url", url))}
        return self.client.post(url, data=data, **kw)

    def login(self, username: str, password: str = "secret123"):
        return self.post_form("/auth/login", {"username": username, "password": password})


@pytest.fixture
def client(app):
    return BrowserClient(app.test_client())


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 10**6))

    def make(username: str | None = None, role: str = "student", password: str = "secret123", level: str | None = "lower_secondary", grade: int | None = 7, **fields) -> User:
        n = next(counter)
        username = username or f"user{n}"
        if role != "student":
            level, grade = None, None
        user = create_user(
            username, password, role,
            full_name=fields.pop("full_name", f"Học sinh {n}"),
            school_level=level, grade=grade,
            date_of_birth=fields.pop("date_of_birth", date(2012, 1, 1) if role == "student" else None),
            school=find_or_create_school("Trường THCS Test", "Quận 1") if role == "student" else None,
            **fields,
        )
        _db.session.commit()
        return user

    return make


@pytest.fixture
def make_contest(app):
    def make(name: str = "Hội thi thử", divisions=(("B", "lower_secondary", "programming"),), running: bool = True, **fields) -> Contest:
        now = utcnow()
        start = now - timedelta(hours=1) if running else now + timedelta(days=1)
        contest = Contest(name=name, year=now.year, start_at=fields.pop("start_at", start),
                          end_at=fields.pop("end_at", start + timedelta(hours=5)), **fields)
        for code, levels, content in divisions:
            contest.divisions.append(Division(code=code, name=f"Bảng {code}", levels=levels, content=content))
        _db.session.add(contest)
        _db.session.commit()
        return contest

    return make


@pytest.fixture
def admit(app):
    def admit(user: User, division: Division) -> Participation:
        p = Participation(contest_id=division.contest_id, division_id=division.id, user_id=user.id)
        _db.session.add(p)
        _db.session.commit()
        return p

    return admit
