"""Faults on contest day, against the real parts: real `python -m webapp.worker` and sweeper processes,
real Docker judging, the real database, a real Redis (a private redis-server where it is restarted),
real gunicorn. Each test queues a short list of real submissions, injects one fault in the middle of
judging and checks that every submission ends judged with the right verdict, once: one final result per
submission and one per-test row per test. The recovery time is printed (pytest -s) and recorded in
docs/benchmarks.md ("Faults").
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from tests.helpers import PY_WA, stop_process, wait_for
from tests.webapp.test_pipeline import PY_SLOW_AC, write_problem
from webapp.extensions import db
from webapp.models import Submission, SubmissionTest
from webapp.services.problem_import import import_problem
from webapp.services.submissions import submit

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
PY_AC = "a, b = map(int, input().split())\nprint(a + b)\n"
# (source, problem key, expected verdict)
QUEUE = [(PY_SLOW_AC, "slow", "AC"), (PY_WA, "fast", "WA"), (PY_SLOW_AC, "slow", "AC"), (PY_AC, "fast", "AC"),
         (PY_WA, "slow", "WA"), (PY_SLOW_AC, "slow", "AC")]
TESTS = {"fast": 3, "slow": 4}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def contest(app, tmp_path, make_user, make_contest, admit, redis_conn, judge_image):
    c = make_contest()
    division = c.divisions[0]
    problems = {
        "fast": import_problem(division, write_problem(tmp_path / "fast", tests=TESTS["fast"]), publish=True),
        "slow": import_problem(division, write_problem(tmp_path / "slow", tests=TESTS["slow"], name="CHAM"), publish=True),
    }
    student = make_user("hs1", password="dung12345")
    admit(student, division)
    app.config.update(SUBMIT_RATE_COUNT=1000, JUDGE_QUEUE=f"judge-test-{uuid.uuid4().hex[:8]}",
                      TASKS_QUEUE=f"tasks-test-{uuid.uuid4().hex[:8]}")
    procs: list[subprocess.Popen] = []
    world = {"problems": problems, "student": student, "tmp": tmp_path, "procs": procs, "expected": {}}
    yield world
    for p in procs:
        stop_process(p)


def spawn(app, world, name: str, argv: list[str], **env) -> subprocess.Popen:
    """Start a real process of the system with the test's settings; its output goes to <tmp>/<name>.log."""
    full_env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "JUDGE_QUEUE": app.config["JUDGE_QUEUE"],
        "TASKS_QUEUE": app.config["TASKS_QUEUE"],
        "JUDGE_LEASE_SECONDS": "2",
        "SWEEP_QUEUED_SECONDS": "1",
        "SECRET_KEY": "test-secret",
        "PROBLEMS_DIR": app.config["PROBLEMS_DIR"],
        **env,
    }
    with open(world["tmp"] / f"{name}.log", "ab") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    world["procs"].append(proc)
    return proc


def start_worker(app, world, name: str) -> subprocess.Popen:
    return spawn(app, world, name, [sys.executable, "-m", "webapp.worker"])


def start_sweeper(app, world) -> subprocess.Popen:
    return spawn(app, world, "sweeper", [sys.executable, "-m", "flask", "--app", "webapp", "sweeper", "--interval", "0.5"])


def log_of(world, name: str) -> str:
    path = world["tmp"] / f"{name}.log"
    return path.read_text(errors="replace") if path.exists() else ""


def submit_queue(world, items=QUEUE) -> list[int]:
    ids = []
    for source, key, verdict in items:
        sub = submit(world["student"], world["problems"][key], "python3", source)
        world["expected"][sub.id] = (verdict, TESTS[key])
        ids.append(sub.id)
    return ids


def statuses() -> dict[int, str]:
    db.session.expire_all()
    return dict(db.session.execute(select(Submission.id, Submission.status)).all())


def rows_of(sid: int) -> int:
    return db.session.scalar(select(func.count(SubmissionTest.id)).where(SubmissionTest.submission_id == sid))


def wait_all_done(world, timeout: float = 240) -> float:
    """Wait until every submission is done; returns the monotonic time when that was seen."""
    wait_for(lambda: statuses() and all(s == "done" for s in statuses().values()), timeout,
             "every submission to be judged", interval=0.1)
    return time.monotonic()


def done_ids() -> set[int]:
    return {i for i, s in statuses().items() if s == "done"}


def next_done_after(done_before: set[int], timeout: float = 120) -> float:
    """Wait until a submission not in done_before is done (judging has resumed); returns that time."""
    wait_for(lambda: done_ids() - done_before, timeout, "judging to resume", interval=0.05)
    return time.monotonic()


def assert_judged_once(world) -> None:
    """Every submission: done, the right verdict, its tests 0..n-1 each stored exactly once; and no row
    of any other submission (nothing judged twice into the results)."""
    db.session.expire_all()
    subs = db.session.scalars(select(Submission).order_by(Submission.id)).all()
    assert sorted(s.id for s in subs) == sorted(world["expected"])  # none lost, none invented
    for s in subs:
        verdict, n = world["expected"][s.id]
        assert (s.status, s.verdict) == ("done", verdict), (s.id, s.compile_output)
        indexes = db.session.scalars(select(SubmissionTest.index).where(SubmissionTest.submission_id == s.id)
                                     .order_by(SubmissionTest.index)).all()
        assert indexes == list(range(n)), (s.id, indexes)
    assert db.session.scalar(select(func.count(SubmissionTest.id))) == sum(n for _, n in world["expected"].values())


def judging_with_progress() -> int | None:
    """The id of a submission being judged that has reported at least one test and not all of them."""
    db.session.expire_all()
    for sid, status in statuses().items():
        if status == "judging" and 0 < rows_of(sid) < 3:
            return sid
    return None


# -- 1. the worker SIGKILLed in the middle of judging ---------------------------------------------------
def test_worker_killed_mid_judging(app, contest):
    start_sweeper(app, contest)
    first = start_worker(app, contest, "worker1")
    ids = submit_queue(contest)
    victim = wait_for(judging_with_progress, 120, "a submission in the middle of judging", interval=0.02)
    first.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    first.wait(timeout=10)
    start_worker(app, contest, "worker2")  # what the supervisor does a second later
    wait_for(lambda: statuses()[victim] == "done", 120, "the interrupted submission to be judged again")
    victim_done = time.monotonic()
    all_done = wait_all_done(contest)
    assert_judged_once(contest)
    assert db.session.get(Submission, victim).attempts == 2
    print(f"\n[fault] worker SIGKILL: interrupted submission judged {victim_done - killed_at:.1f} s after the kill; "
          f"queue of {len(ids)} empty {all_done - killed_at:.1f} s after the kill")


# -- 2. Redis restarted, its queue lost, in the middle of the contest ------------------------------------
def start_redis(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis as redis_lib

    def answers():
        try:
            return redis_lib.Redis(port=port, socket_connect_timeout=0.5).ping()
        except redis_lib.ConnectionError:
            return False

    wait_for(answers, 20, "the private redis-server to answer", interval=0.05)
    return proc


def test_redis_restarted_mid_contest(app, contest):
    port = free_port()  # a private redis-server: the shared one is never restarted
    server = start_redis(port)
    try:
        app.config["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        start_sweeper(app, contest)
        worker = start_worker(app, contest, "worker")
        ids = submit_queue(contest)
        wait_for(lambda: "done" in statuses().values() and judging_with_progress(), 120,
                 "one submission judged and another in the middle of judging", interval=0.02)
        server.terminate()  # Redis goes away with its queue (no persistence)
        server.wait(timeout=20)
        down_at = time.monotonic()
        more = submit_queue(contest, QUEUE[:2])  # submissions keep coming while Redis is down
        assert [statuses()[i] for i in more] == ["queued", "queued"]  # stored, waiting for the sweeper
        # the outage lasts until both have retried (the sweeper twice, with its backoff)
        wait_for(lambda: re.search(r"retry \d+ in|Retrying in", log_of(contest, "worker"))
                 and "retry 2 in" in log_of(contest, "sweeper"), 60, "the worker and the sweeper to retry")
        server = start_redis(port)
        up_at = time.monotonic()
        resumed = next_done_after(done_ids())
        all_done = wait_all_done(contest)
        assert worker.poll() is None  # the worker never quit
        assert_judged_once(contest)
        print(f"\n[fault] Redis restarted: down {up_at - down_at:.1f} s; next verdict {resumed - up_at:.1f} s and "
              f"queue of {len(ids) + len(more)} "
              f"empty {all_done - up_at:.1f} s after Redis came back; the worker process never quit")
    finally:
        stop_process(server)


# -- 3. the database locked by another process for a while ---------------------------------------------
LOCKER = r"""
import sys, time
url, seconds = sys.argv[1], float(sys.argv[2])
if url.startswith("sqlite"):
    import sqlite3
    conn = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
else:
    import psycopg
    conn = psycopg.connect("postgresql://" + url.split("://", 1)[1])
    conn.execute("SET lock_timeout = '60s'")  # a test that cannot take the lock fails, never hangs
    conn.execute("LOCK TABLE submission, submission_test IN ACCESS EXCLUSIVE MODE")
print("locked", flush=True)
time.sleep(seconds)  # the fault: hold every write (and, without WAL, every read) for this long
if url.startswith("sqlite"):
    conn.execute("ROLLBACK")
else:
    conn.rollback()
print("released", flush=True)
"""


def test_database_locked_for_a_while(app, contest):
    hold = 8.0
    start_sweeper(app, contest)
    start_worker(app, contest, "worker")
    ids = submit_queue(contest)
    wait_for(lambda: "done" in statuses().values() and judging_with_progress(), 120,
             "one submission judged and another in the middle of judging", interval=0.02)
    db.session.remove()  # this test's own read transaction would block the locker on PostgreSQL
    with subprocess.Popen([sys.executable, "-c", LOCKER, app.config["SQLALCHEMY_DATABASE_URI"], str(hold)],
                          stdout=subprocess.PIPE, text=True) as locker:
        assert locker.stdout.readline().strip() == "locked"
        locked_at = time.monotonic()
        assert locker.stdout.readline().strip() == "released"
        released_at = time.monotonic()
        done_at_release = done_ids()
    assert locker.returncode == 0
    resumed = next_done_after(done_at_release)
    all_done = wait_all_done(contest)
    assert_judged_once(contest)
    print(f"\n[fault] database locked {released_at - locked_at:.1f} s by another process: next verdict "
          f"{resumed - released_at:.1f} s and queue of {len(ids)} "
          f"empty {all_done - released_at:.1f} s after the lock was released")


# -- 4. the web restarted in the middle of the contest -------------------------------------------------
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf(session: requests.Session, url: str) -> str:
    m = CSRF.search(session.get(url, timeout=30).text)
    assert m, url
    return m.group(1) or m.group(2)


def test_web_restarted_mid_contest(app, contest):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}",
            "webapp:create_app()"]

    def answers():
        try:
            return requests.get(f"{base}/auth/login", timeout=30).status_code == 200
        except requests.ConnectionError:
            return False

    start_sweeper(app, contest)
    start_worker(app, contest, "worker")
    web = spawn(app, contest, "web1", argv)
    wait_for(answers, 60, "the site to answer")
    browser = requests.Session()
    resp = browser.post(f"{base}/auth/login", data={"username": "hs1", "password": "dung12345",
                                                  "csrf_token": csrf(browser, f"{base}/auth/login")}, timeout=30)
    assert resp.status_code == 200 and resp.url.rstrip("/") == base  # redirected home, logged in

    def submit_web(source: str, key: str, verdict: str) -> int:
        url = f"{base}/contests/problems/{contest['problems'][key].id}"
        resp = browser.post(url, data={"language": "python3", "source": source, "csrf_token": csrf(browser, url)},
                            allow_redirects=False, timeout=30)
        assert resp.status_code == 302, resp.text[:500]
        sid = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        contest["expected"][sid] = (verdict, TESTS[key])
        return sid

    for item in QUEUE[:4]:
        submit_web(*item)
    wait_for(judging_with_progress, 120, "a submission in the middle of judging", interval=0.02)
    stopped_at = time.monotonic()
    stop_process(web)  # graceful stop, as on a redeploy
    assert not answers()
    spawn(app, contest, "web2", argv)
    wait_for(answers, 60, "the site to answer again")
    back_at = time.monotonic()
    for item in QUEUE[4:]:  # the same browser session is still logged in after the restart
        submit_web(*item)
    all_done = wait_all_done(contest)
    assert_judged_once(contest)
    print(f"\n[fault] web restarted: site down {back_at - stopped_at:.1f} s; judging went on; "
          f"queue of {len(QUEUE)} empty {all_done - back_at:.1f} s after the site was back")
