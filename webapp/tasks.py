"""RQ entry points. A job carries only an id (a submission, an import) and runs in an app
context of its own, popped when it ends: its database session is removed then, so no session or
transaction outlives a job (SQLite allows one writer; a long-lived worker must hold nothing between
jobs). The worker's own app context (webapp.worker) and a test's are left untouched.

Queues: judge_job on JUDGE_QUEUE; import_students_job, package_upload_job and package_verify_job on
TASKS_QUEUE ("tasks").
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

from flask import current_app, has_app_context
from sqlalchemy import select, update
from redis.exceptions import RedisError
from rq import get_current_job

from .extensions import db
from .models import Submission, SubmissionStatus, SubmissionTest, utcnow

LEASE_SECONDS = 20
MAX_ATTEMPTS = 3  # judge faults tolerated before a submission ends as SE


_worker_app = None


@contextmanager
def _app_context():
    """A fresh app context (hence a fresh session) for one job; the session is removed at the end,
    whatever happens, which returns its connection to the pool with no transaction open."""
    global _worker_app
    if has_app_context():
        app = current_app._get_current_object()
    else:  # a worker without an app context: one app per process (one engine, one pool), not one per job
        if _worker_app is None:
            from . import create_app

            _worker_app = create_app()
        app = _worker_app
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()


class Lease:
    """`judging:<id>` in Redis while this attempt runs, refreshed by a heartbeat thread."""

    def __init__(self, conn, key: str, seconds: int):
        self.conn, self.key, self.seconds = conn, key, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self):
        while not self._stop.wait(self.seconds / 4):
            self.refresh()

    def refresh(self) -> None:
        """Best effort: while Redis is away the lease lapses, and the attempt number (in the database)
        still keeps a second attempt from writing over this one."""
        try:
            self.conn.set(self.key, "1", ex=self.seconds)
        except RedisError as exc:
            logging.getLogger(__name__).warning("lease %s not refreshed: %s", self.key, exc)

    def __enter__(self):
        self.refresh()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        try:
            self.conn.delete(self.key)
        except RedisError as exc:
            logging.getLogger(__name__).warning("lease %s not released: %s", self.key, exc)


def judge_job(submission_id: int) -> str:
    """Judge one submission; returns its final verdict (or a note when there was nothing to do)."""
    with _app_context():
        return _judge(submission_id)


def _judge(submission_id: int) -> str:
    from judge.judging import judge_submission

    from .services.problem_import import load_package
    from .services.submissions import lease_key, redis_conn

    sub = db.session.get(Submission, submission_id)
    if sub is None:
        return "missing"
    if sub.status == SubmissionStatus.DONE.value:
        return "already judged"
    conn = redis_conn()
    seconds = current_app.config.get("JUDGE_LEASE_SECONDS", LEASE_SECONDS)
    # Claim: bump the attempt number; only the holder of the current number may write results.
    # The increment is one UPDATE, so two workers claiming at once get different numbers.
    db.session.execute(
        update(Submission).where(Submission.id == submission_id)
        .values(attempts=Submission.attempts + 1, status=SubmissionStatus.JUDGING.value, started_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    attempt = db.session.execute(select(Submission.attempts).where(Submission.id == submission_id)).scalar_one()
    db.session.execute(SubmissionTest.__table__.delete().where(SubmissionTest.submission_id == submission_id))
    db.session.commit()
    db.session.expire_all()
    sub = db.session.get(Submission, submission_id)
    job = get_current_job()

    def still_mine() -> bool:
        """Lock the submission row for this transaction iff this attempt is still the current one.

        A conditional UPDATE (not a read) so that checking and the writes that follow are one
        transaction: a newer attempt's claim waits for it, or it sees the newer number and backs off.
        """
        db.session.rollback()
        row = db.session.execute(
            update(Submission).where(Submission.id == submission_id, Submission.attempts == attempt)
            .values(attempts=attempt).execution_options(synchronize_session=False)
        )
        if row.rowcount != 1:
            db.session.rollback()
            return False
        return True

    def on_progress(test, index: int, total: int) -> None:
        if not still_mine():
            return
        data = test.to_dict() if hasattr(test, "to_dict") else dict(test)
        db.session.add(SubmissionTest(
            submission_id=submission_id, index=index, name=data.get("name", str(index)), group=data.get("group") or "",
            verdict=data.get("verdict", "SE"), time=data.get("time"), wall_time=data.get("wall_time"),
            memory=data.get("memory"), score=data.get("score"),
        ))
        db.session.commit()
        # Live progress lives in Redis: losing it for a while must never turn into a judge fault
        # (the graders report an exception from this callback as SE).
        try:
            lease.refresh()
            if job is not None:
                job.meta["progress"] = {"done": index + 1, "total": total}
                job.save_meta()
        except RedisError as exc:
            current_app.logger.warning("progress of submission %s not published: %s", submission_id, exc)

    lease = Lease(conn, lease_key(submission_id), seconds)
    with lease:
        try:
            problem = load_package(sub.problem)
            result = judge_submission(problem, sub.source, sub.language, on_progress=on_progress)
        except Exception as exc:  # a judge fault: never the contestant's; retried, then SE
            db.session.rollback()
            current_app.logger.exception("judging submission %s failed", submission_id)
            if not still_mine():
                return "superseded"
            sub = db.session.get(Submission, submission_id)
            if attempt >= MAX_ATTEMPTS:
                sub.status, sub.verdict, sub.finished_at = SubmissionStatus.DONE.value, "SE", utcnow()
                sub.compile_output = f"judge error after {attempt} attempts: {exc}"[:65536]
                db.session.commit()
                return "SE"
            sub.status = SubmissionStatus.QUEUED.value  # the sweeper queues it again
            db.session.commit()
            raise
        data = result.to_dict()
        if not still_mine():
            return "superseded"
        sub = db.session.get(Submission, submission_id)
        sub.verdict = data["verdict"]
        sub.score = data.get("score")
        sub.max_score = data.get("max_score", sub.max_score)
        sub.time = data.get("time")
        sub.memory = data.get("memory")
        sub.compile_output = (data.get("compile_output") or "")[:65536]
        sub.result = data
        # per-test rows: the final list is authoritative (progress rows may be fewer when tests were skipped)
        db.session.execute(SubmissionTest.__table__.delete().where(SubmissionTest.submission_id == submission_id))
        for i, t in enumerate(data.get("tests", [])):
            db.session.add(SubmissionTest(
                submission_id=submission_id, index=i, name=t.get("name", str(i)), group=t.get("group") or "",
                verdict=t.get("verdict", "SE"), time=t.get("time"), wall_time=t.get("wall_time"),
                memory=t.get("memory"), score=t.get("score"),
            ))
        sub.status = SubmissionStatus.DONE.value
        sub.finished_at = utcnow()
        db.session.commit()
        return sub.verdict


def import_students_job(import_id: str) -> str:
    """Bulk import of students whose file was validated by the web (see services.student_import.run_import)."""
    with _app_context():
        from .services.student_import import run_import

        return run_import(import_id)


def package_upload_job(upload_id: str) -> str:
    """Compile the checker of an uploaded package, then add its problem or refuse it (services.package_jobs)."""
    with _app_context():
        from .services.package_jobs import run_upload_check

        return run_upload_check(upload_id)


def package_verify_job(problem_id: int, user_id: int | None) -> str:
    """Verify a stored problem (judges its example solutions) and store the report (services.package_jobs)."""
    with _app_context():
        from .services.package_jobs import run_verify_job

        return run_verify_job(problem_id, user_id)
