"""Package work that needs Docker, run by workers on TASKS_QUEUE: the web process never talks to Docker.

Two jobs, each followed by a polling page; their state lives in the RQ job's meta (kept STATE_TTL s):

* upload of a package whose checker is a program (`start_upload` → `run_upload_check`): the web stores
  and loads the package (pure Python: structure, tests, code free in the division) and queues the job.
  Meanwhile the package is a *pending upload*: stored, but with NO Problem row, so it can be neither
  seen nor published. The job compiles the checker in a sandbox; when it compiles, the job adds the
  Problem row (unpublished, as a synchronous upload does); when it does not, the stored package is
  removed and the upload ends "failed" with the compiler's message (the package is refused).
  States: queued → compiling → done (problem_id) | failed (error).
  A package without a program checker needs no compilation: the web adds its row at once.
* verify of a stored problem (`start_verify` → `run_verify_job`): services.verification.run_verify in
  the worker, with progress (example submissions judged / total). The report is stored on the problem
  as before. States: queued → running → done | failed. One verify per problem at a time.

A job that vanished or failed without reaching a final state (its worker was killed) is reported
failed with error "lost"; nothing half-written remains (the row is added in one transaction at the end).
"""
from __future__ import annotations

import secrets

from flask import current_app
from rq import Queue, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from ..extensions import db
from ..models import Division, Problem, User

STATE_TTL = 3600
FINAL_STATES = ("done", "failed")


def _redis():
    from .submissions import redis_conn

    return redis_conn()


def tasks_queue() -> Queue:
    return Queue(current_app.config["TASKS_QUEUE"], connection=_redis(), default_timeout=1800)


def upload_job_id(upload_id: str) -> str:
    return f"package-upload-{upload_id}"


def verify_job_id(problem_id: int) -> str:
    return f"package-verify-{problem_id}"


def _status(job_id: str) -> dict | None:
    """The meta of a package job with `state`; an unfinished job that is gone or failed is "lost"."""
    try:
        job = Job.fetch(job_id, connection=_redis())
    except NoSuchJobError:
        return None
    status = dict(job.meta)
    if status.get("state") not in FINAL_STATES and job.get_status() in (
            JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, None):
        status.update(state="failed", error="lost")
    return status


def _report(**changes) -> None:
    job = get_current_job()
    if job is not None:
        job.meta.update(changes)
        job.save_meta()


# -- upload of a package with a program checker -------------------------------------------------------
def start_upload(division: Division, digest: str, loaded, user: User, filename: str) -> str:
    """Queue the checker compilation of a stored package (see prepare_package); returns the upload id."""
    upload_id = secrets.token_hex(10)
    meta = {"kind": "upload", "owner": user.id, "division_id": division.id, "contest_id": division.contest_id,
            "filename": filename, "code": loaded.code.upper(), "hash": digest, "state": "queued",
            "error": None, "problem_id": None}
    tasks_queue().enqueue("webapp.tasks.package_upload_job", upload_id, job_id=upload_job_id(upload_id), meta=meta,
                          result_ttl=STATE_TTL, failure_ttl=STATE_TTL)
    return upload_id


def upload_status(upload_id: str) -> dict | None:
    """{kind, owner, division_id, contest_id, filename, code, hash, state, error, problem_id} or None."""
    return _status(upload_job_id(upload_id))


def run_upload_check(upload_id: str) -> str:
    """The job body (webapp.tasks.package_upload_job): compile the checker, then add the row or refuse."""
    from judge.formats import load_problem
    from judge.problem import ProblemError
    from judge.program_checkers import compile_checker

    from .packages import local_package
    from .problem_import import add_problem, discard_package

    job = get_current_job()
    meta = dict(job.meta) if job is not None else {}
    digest = meta["hash"]
    _report(state="compiling")
    try:
        root = local_package(digest)  # fetched from the database into this worker's cache, hash checked
        loaded = load_problem(root)
        compile_checker(loaded)
        division = db.session.get(Division, meta["division_id"])
        if division is None:
            raise ProblemError("the division was deleted during the upload")
        problem = add_problem(division, root, loaded, digest, user=db.session.get(User, meta["owner"]))
    except ProblemError as exc:
        db.session.rollback()
        discard_package(digest)
        _report(state="failed", error=str(exc))
        return "failed"
    except Exception as exc:  # e.g. no Docker engine on this worker: refused too, the organiser may retry
        db.session.rollback()
        discard_package(digest)
        _report(state="failed", error=f"{type(exc).__name__}: {exc}")
        raise
    _report(state="done", problem_id=problem.id)
    return "done"


# -- verify -------------------------------------------------------------------------------------------
def start_verify(problem: Problem, user: User | None) -> bool:
    """Queue a verify of `problem` unless one is already queued or running; True when one was queued."""
    current = verify_status(problem.id)
    if current is not None and current.get("state") not in FINAL_STATES:
        return False
    job_id = verify_job_id(problem.id)
    try:
        Job.fetch(job_id, connection=_redis()).delete()  # the finished previous one
    except NoSuchJobError:
        pass
    meta = {"kind": "verify", "problem_id": problem.id, "owner": user.id if user else None, "state": "queued",
            "done": 0, "total": 0, "error": None, "status": None}
    tasks_queue().enqueue("webapp.tasks.package_verify_job", problem.id, user.id if user else None, job_id=job_id,
                          meta=meta, result_ttl=STATE_TTL, failure_ttl=STATE_TTL)
    return True


def verify_status(problem_id: int) -> dict | None:
    """{kind, problem_id, owner, state, done, total, error, status (the report's, when done)} or None."""
    return _status(verify_job_id(problem_id))


def run_verify_job(problem_id: int, user_id: int | None) -> str:
    """The job body (webapp.tasks.package_verify_job): verify, store the report (audited), report progress."""
    from .verification import run_verify

    problem = db.session.get(Problem, problem_id)
    if problem is None:
        _report(state="failed", error="missing")
        return "missing"
    _report(state="running")
    user = db.session.get(User, user_id) if user_id else None
    try:
        report = run_verify(problem, user, on_progress=lambda done, total: _report(done=done, total=total))
    except Exception as exc:
        db.session.rollback()
        _report(state="failed", error=f"{type(exc).__name__}: {exc}")
        raise
    _report(state="done", status=report.get("status"))
    return report.get("status") or "done"
