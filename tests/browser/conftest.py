"""Browser tests: a real server (werkzeug in a thread, on a free 127.0.0.1 port) over a temp SQLite
file, a real judge worker process (`python -m webapp.worker`) on Redis db 15, and Debian's Chromium
driven by Playwright (never a downloaded browser)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis as redis_lib
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.conftest import fresh_database, settings_for_tests
from tests.helpers import stop_process
from webapp import create_app


ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@dataclass
class LiveServer:
    url: str
    app: object
    tmp_path: Path

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(tmp_path):
    """The app served over HTTP; the test itself runs inside an app context of the same app."""
    settings = settings_for_tests(tmp_path)
    # a queue of its own: other test runs may share Redis db 15, and their workers must not take our jobs
    settings["JUDGE_QUEUE"] = f"judge-test-{uuid.uuid4().hex[:8]}"
    settings["TASKS_QUEUE"] = f"tasks-test-{uuid.uuid4().hex[:8]}"
    app = create_app(settings)
    conn = redis_lib.Redis.from_url(settings["REDIS_URL"])
    conn.flushdb()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    with fresh_database(app):
        thread.start()
        try:
            yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, tmp_path=tmp_path)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            conn.flushdb()
            conn.close()


@pytest.fixture
def judge_worker(live_server):
    """A real worker process judging the live server's queue in Docker, and the sweeper beside it
    (as in production: it re-queues work that Redis lost)."""
    app = live_server.app
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "JUDGE_QUEUE": app.config["JUDGE_QUEUE"],
        "TASKS_QUEUE": app.config["TASKS_QUEUE"],
        "SECRET_KEY": "test-secret",
        "PROBLEMS_DIR": app.config["PROBLEMS_DIR"],
        "PACKAGE_CACHE_DIR": str(live_server.tmp_path / "worker-cache"),  # its own: packages come from the database
        "SWEEP_QUEUED_SECONDS": "3",
    }
    commands = {
        "worker": [sys.executable, "-m", "webapp.worker"],
        "sweeper": [sys.executable, "-m", "flask", "--app", "webapp", "sweeper", "--interval", "1"],
    }
    procs = []
    try:
        for name, argv in commands.items():
            with open(live_server.tmp_path / f"{name}.log", "wb") as log:
                procs.append(subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        yield procs[0]
    finally:
        for proc in procs:
            stop_process(proc)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="vi-VN")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture
def new_page(browser, live_server):
    """Extra browser contexts (another person on another computer)."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server.url, locale="vi-VN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for c in contexts:
        c.close()
