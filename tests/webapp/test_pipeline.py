"""Judging through the whole pipeline: Submission row → RQ job in the real Redis → worker →
judge.judging in a real Docker container → per-test rows and the verdict in the database.

In-process tests run rq's SimpleWorker(burst=True) inside the test's app context; the crash test
starts real `python -m webapp.worker` processes and SIGKILLs one in the middle of judging.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy import func, select

from judge import sandbox
from webapp.extensions import db
from webapp.models import Submission, SubmissionTest, utcnow
from webapp.services.problem_import import import_problem
from webapp.services.submissions import job_id, judge_queue, lease_key, rejudge, submit, sweep

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]

from tests.helpers import CPP_AC, PY_WA, stop_process, wait_for

# Correct but slow: ~0.3 s of CPU per test (CPU time, so the same on any machine).
PY_SLOW_AC = """import time
a, b = map(int, input().split())
t = time.process_time()
while time.process_time() - t < 0.3:
    pass
print(a + b)
"""


def write_problem(root: Path, tests: int, name: str = "TONG") -> Path:
    """A Themis task: read two numbers from NAME.INP (or stdin), write their sum to NAME.OUT (or stdout)."""
    task = root / name
    for i in range(1, tests + 1):
        d = task / f"Test{i:02d}"
        d.mkdir(parents=True)
        (d / f"{name}.INP").write_text(f"{i} {i * 10}\n")
        (d / f"{name}.OUT").write_text(f"{i * 11}\n")
    (task / "limits.yaml").write_text("name: {vi: Tính tổng, en: Sum}\ntime_limit: 2\nmemory_limit: 128\n")
    return task


@pytest.fixture
def world(app, tmp_path, make_user, make_contest, admit, redis_conn):
    contest = make_contest()
    division = contest.divisions[0]
    problem = import_problem(division, write_problem(tmp_path / "pkg", tests=3), publish=True)
    student = make_user("hs1")
    admit(student, division)
    # a queue of its own: other test runs may share Redis db 15, and their workers must not take our jobs
    app.config.update(SUBMIT_RATE_COUNT=100, JUDGE_QUEUE=f"judge-test-{uuid.uuid4().hex[:8]}")
    return {"problem": problem, "student": student, "redis": redis_conn, "division": division, "tmp": tmp_path}


def run_worker(app) -> SimpleWorker:
    """Run every queued job in this process (inside the test's app context), then return."""
    conn = judge_queue().connection
    worker = SimpleWorker([Queue(app.config["JUDGE_QUEUE"], connection=conn)], connection=conn)
    worker.work(burst=True, with_scheduler=False)
    db.session.expire_all()
    return worker


def stored_rows(sub: Submission) -> list[tuple]:
    return db.session.execute(
        select(SubmissionTest.index, SubmissionTest.name, SubmissionTest.verdict)
        .where(SubmissionTest.submission_id == sub.id).order_by(SubmissionTest.index)
    ).all()


def assert_done(sub: Submission, verdict: str, score: float, tests: list[str], attempts: int = 1) -> None:
    db.session.refresh(sub)
    assert (sub.status, sub.verdict, sub.score, sub.attempts) == ("done", verdict, score, attempts), sub.compile_output
    rows = stored_rows(sub)
    assert [(r.index, r.name, r.verdict) for r in rows] == [(i, f"Test{i + 1:02d}", v) for i, v in enumerate(tests)]
    assert sub.finished_at >= sub.started_at >= sub.created_at


def test_accepted_cpp_and_wrong_python(app, world):
    ac = submit(world["student"], world["problem"], "cpp", CPP_AC)
    wa = submit(world["student"], world["problem"], "python3", PY_WA)
    assert (ac.status, wa.status) == ("queued", "queued")
    assert ac.enqueued_at is not None
    run_worker(app)
    assert_done(ac, "AC", 100.0, ["AC"] * 3)
    assert_done(wa, "WA", 0.0, ["WA"] * 3)
    assert ac.time is not None and ac.memory > 0
    assert ac.result["verdict"] == "AC" and len(ac.result["tests"]) == 3
    # the queue wait is recorded: judging started after the submission, and the job is finished
    assert ac.queue_wait is not None and ac.queue_wait >= 0
    assert Job.fetch(job_id(ac.id), connection=world["redis"]).return_value() == "AC"
    assert not world["redis"].exists(lease_key(ac.id))  # the lease is released
    sandbox.wait_for_removal()  # containers go away by themselves, a moment after judging
    assert sandbox.leftover_containers() == []


def test_rejudge_submission_and_problem_gives_the_same_result_once(app, world):
    ac = submit(world["student"], world["problem"], "cpp", CPP_AC)
    wa = submit(world["student"], world["problem"], "python3", PY_WA)
    run_worker(app)
    rejudge([ac], None, reason="test")
    db.session.refresh(ac)
    assert (ac.status, ac.verdict, stored_rows(ac)) == ("queued", None, [])
    run_worker(app)
    assert_done(ac, "AC", 100.0, ["AC"] * 3, attempts=2)
    assert_done(wa, "WA", 0.0, ["WA"] * 3, attempts=1)

    subs = db.session.scalars(select(Submission).where(Submission.problem_id == world["problem"].id)).all()
    assert rejudge(subs, world["student"], reason="phúc khảo") == 2
    run_worker(app)
    assert_done(ac, "AC", 100.0, ["AC"] * 3, attempts=3)
    assert_done(wa, "WA", 0.0, ["WA"] * 3, attempts=2)
    assert db.session.scalar(select(func.count(SubmissionTest.id))) == 6


def test_judging_twice_yields_one_result(app, world):
    sub = submit(world["student"], world["problem"], "cpp", CPP_AC)
    duplicate = judge_queue().enqueue("webapp.tasks.judge_job", sub.id)  # e.g. a second sweeper
    run_worker(app)
    assert_done(sub, "AC", 100.0, ["AC"] * 3, attempts=1)
    assert duplicate.latest_result().return_value == "already judged"
    # and queueing a done submission again changes nothing either
    from webapp.tasks import judge_job

    assert judge_job(sub.id) == "already judged"
    assert_done(sub, "AC", 100.0, ["AC"] * 3, attempts=1)


def test_a_stale_attempt_still_running_writes_nothing(app, world, tmp_path):
    """Attempt 1 is presumed dead (its lease lapsed, the sweeper re-queued it) but is in fact still
    judging; attempt 2 judges the submission. Whichever ends last, the result is attempt 2's, with one
    set of test rows, and attempt 1 reports that it was superseded."""
    import threading

    from webapp.tasks import judge_job

    slow = import_problem(world["division"], write_problem(tmp_path / "slow", tests=4, name="CHAM"), publish=True)
    sub = submit(world["student"], slow, "python3", PY_SLOW_AC)
    sid = sub.id
    Job.fetch(job_id(sid), connection=world["redis"]).delete()  # attempt 1 runs here, not from the queue
    outcome = {}

    def stale_attempt():
        with app.app_context():
            outcome["first"] = judge_job(sid)
            db.session.remove()

    thread = threading.Thread(target=stale_attempt)
    thread.start()
    try:
        wait_for(lambda: row_count(sid) >= 1, 60, "attempt 1 to report progress", interval=0.02)
        app.config["SWEEP_QUEUED_SECONDS"] = 0

        def lapse_and_sweep():  # as if its heartbeat had stopped (it may renew the lease meanwhile: retry)
            world["redis"].delete(lease_key(sid))
            return sweep()

        assert wait_for(lapse_and_sweep, 30, "the sweeper to re-queue it") == [sid]
        run_worker(app)  # attempt 2, in parallel with attempt 1
    finally:
        thread.join(timeout=120)
    assert outcome["first"] == "superseded"
    db.session.expire_all()
    assert_done(db.session.get(Submission, sid), "AC", 100.0, ["AC"] * 4, attempts=2)


def test_sweeper_requeues_a_queued_submission_whose_job_vanished(app, world):
    sub = submit(world["student"], world["problem"], "cpp", CPP_AC)
    assert sweep() == []  # its job is alive
    world["redis"].flushdb()  # Redis restarted without persistence: the job is gone
    app.config["SWEEP_QUEUED_SECONDS"] = 0
    assert sweep(now=utcnow() + timedelta(seconds=1)) == [sub.id]
    assert sweep(now=utcnow() + timedelta(seconds=1)) == []  # queued once, not twice
    run_worker(app)
    assert_done(sub, "AC", 100.0, ["AC"] * 3)


def test_sweeper_requeues_a_judging_submission_whose_lease_expired(app, world):
    sub = submit(world["student"], world["problem"], "python3", PY_WA)
    # A worker claimed it (attempt 1), wrote a progress row and died: no lease left in Redis.
    job = Job.fetch(job_id(sub.id), connection=world["redis"])
    job.delete()
    sub.status, sub.attempts, sub.started_at = "judging", 1, utcnow()
    db.session.add(SubmissionTest(submission_id=sub.id, index=0, name="Test01", verdict="WA"))
    db.session.commit()
    assert not world["redis"].exists(lease_key(sub.id))
    assert sweep() == [sub.id]
    db.session.refresh(sub)
    assert sub.status == "queued"
    run_worker(app)
    assert_done(sub, "WA", 0.0, ["WA"] * 3, attempts=2)


# -- a real worker process killed in the middle of judging ------------------------------------------
def start_worker(app, tmp_path: Path, name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "JUDGE_QUEUE": app.config["JUDGE_QUEUE"],
        "JUDGE_LEASE_SECONDS": "2",
        "SECRET_KEY": "test-secret",
        "PROBLEMS_DIR": app.config["PROBLEMS_DIR"],
    }
    with open(tmp_path / f"{name}.log", "wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen([sys.executable, "-m", "webapp.worker"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)


def containers_of(proc: subprocess.Popen | None) -> list:
    """The judge containers created by one worker process (others may be judging concurrently)."""
    if proc is None:
        return []
    owner = f"{sandbox.OWNER_LABEL}={os.uname().nodename}:{proc.pid}"
    # sparse: no inspect per container, which would race with the engine removing it
    return sandbox.docker_client().containers.list(all=True, sparse=True, filters={"label": owner})


def row_count(sub_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(SubmissionTest.id)).where(SubmissionTest.submission_id == sub_id))


def test_worker_killed_mid_judging_is_recovered_by_the_sweeper(app, world, tmp_path):
    tests = 5
    division = world["division"]
    slow = import_problem(division, write_problem(tmp_path / "slow", tests=tests, name="CHAM"), publish=True)
    app.config["JUDGE_LEASE_SECONDS"] = 2
    first = start_worker(app, tmp_path, "worker1")
    second = None
    try:
        sub = submit(world["student"], slow, "python3", PY_SLOW_AC)
        sid = sub.id

        def judging_with_progress():
            db.session.expire_all()
            s = db.session.get(Submission, sid)
            return s.status == "judging" and 0 < row_count(sid) < tests

        wait_for(judging_with_progress, 60, "the first worker to be judging", interval=0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        db.session.expire_all()
        assert db.session.get(Submission, sid).status == "judging"  # stuck: nobody will finish it

        # The dead worker's container does not outlive it: its runner reads EOF on the request FIFO and
        # exits (the engine then removes the container; a new worker removes any that is left).
        wait_for(lambda: all(c.status in ("exited", "dead") for c in containers_of(first)), 30,
                 "the dead worker's container to stop", interval=0.1)

        # The sweeper re-queues it once the lease has expired (2 s), and only then.
        requeued = wait_for(lambda: sweep(), 15, "the sweeper to re-queue the submission", interval=0.2)
        assert requeued == [sid]
        db.session.expire_all()
        assert db.session.get(Submission, sid).status == "queued"

        second = start_worker(app, tmp_path, "worker2")
        wait_for(lambda: (db.session.expire_all(), db.session.get(Submission, sid).status == "done")[1], 90,
                 "the second worker to finish")
        sub = db.session.get(Submission, sid)
        assert (sub.verdict, sub.score, sub.attempts) == ("AC", 100.0, 2), (tmp_path / "worker2.log").read_text()
        rows = stored_rows(sub)
        assert [(r.index, r.name, r.verdict) for r in rows] == [(i, f"Test{i + 1:02d}", "AC") for i in range(tests)]
        assert sweep() == []
    finally:
        stop_process(first)
        if second is not None:
            stop_process(second)
    # Nothing is left behind by either worker (removal by the engine is asynchronous: poll).
    wait_for(lambda: containers_of(first) == [] and containers_of(second) == [], 30, "no judge container left",
             interval=0.1)


def test_a_new_worker_removes_the_containers_of_dead_workers_only(tmp_path):
    from webapp.worker import remove_orphans

    dead = subprocess.Popen(["true"])
    dead.wait()
    host = os.uname().nodename
    io_dir = tmp_path / "judge-io"
    io_dir.mkdir()
    client = sandbox.docker_client()
    made = {}
    for who, pid in (("dead", dead.pid), ("alive", os.getpid())):
        made[who] = client.containers.create(
            sandbox.image(), command=["/io"], network_mode="none",
            labels={sandbox.LABEL: "1", sandbox.OWNER_LABEL: f"{host}:{pid}"},
            volumes={str(io_dir): {"bind": "/io", "mode": "rw"}} if who == "dead" else {},
        )
    try:
        assert remove_orphans() >= 1
        ids = {c.id for c in client.containers.list(all=True, sparse=True, filters={"label": sandbox.LABEL})}
        assert made["dead"].id not in ids
        assert made["alive"].id in ids
        assert not io_dir.exists()  # its io dir went with it
    finally:
        for c in made.values():
            try:
                c.remove(force=True)
            except Exception:
                pass
