"""Submissions: who may submit what and when, queueing, rejudging, and the sweeper.

The database is the truth. A submission row is committed before a job about it is queued; the job
carries only the id. A judging attempt holds a lease in Redis (`judging:<id>`, refreshed by a heartbeat);
the sweeper re-queues `queued` submissions whose job vanished (Redis restarted) and `judging` ones whose
lease expired (worker killed). Every attempt has a number (Submission.attempts); a worker writes
results only while its number is the current one, so judging twice yields one result.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import Select, func, select

from judge.languages import LANGUAGES

from ..extensions import db
from ..models import Contest, Division, Participation, Problem, Submission, SubmissionStatus, SubmissionTest, User, audit, utcnow

MAX_SOURCE_BYTES = 64 * 1024


class SubmissionRefused(Exception):
    """The submission is not accepted; the message says why and what to do. http_status for the API."""

    def __init__(self, message: str, http_status: int = 422):
        super().__init__(message)
        self.http_status = http_status


def contest_submissions(contest_id: int, query: Select | None = None) -> Select:
    """`query` (default: every submission) narrowed to the submissions of one contest: those whose
    problem belongs to one of the contest's divisions. Unordered; callers add order and limits."""
    query = select(Submission) if query is None else query
    return (query.join(Problem, Problem.id == Submission.problem_id)
            .join(Division, Division.id == Problem.division_id).where(Division.contest_id == contest_id))


def redis_conn() -> Redis:
    return Redis.from_url(current_app.config["REDIS_URL"])


def judge_queue() -> Queue:
    return Queue(current_app.config["JUDGE_QUEUE"], connection=redis_conn(), default_timeout=current_app.config["JUDGE_TIMEOUT"])


def participation(user: User, division: Division) -> Participation | None:
    return db.session.scalar(
        select(Participation).where(Participation.user_id == user.id, Participation.division_id == division.id)
    )


def can_see_problem(user: User, problem: Problem, now: datetime | None = None) -> bool:
    """Organisers and judges always; a student when admitted to the division, the problem is published
    and the contest has started."""
    if user.has_role("organiser", "judge"):
        return True
    now = now or utcnow()
    contest = problem.division.contest
    return problem.published and now >= contest.start_at and participation(user, problem.division) is not None


def _size_text(n: int) -> str:
    """A byte limit as people set it: whole MiB as "N MiB", anything else as "N KiB" (rounded down)."""
    return f"{n >> 20} MiB" if n and n % (1 << 20) == 0 else f"{n // 1024} KiB"


def _scratch_messages() -> dict:
    """Vietnamese texts of judge.scratch.ScratchError codes (what is wrong and how to fix it)."""
    return {
        "too_large": lambda p: _("Tệp .sb3 nặng %(size)s KiB, tối đa %(limit)s. Hãy xoá bớt hình và âm thanh không dùng rồi lưu lại.",
                                 size=(p["size"] + 1023) // 1024, limit=_size_text(p["limit"])),
        "not_zip": lambda p: _("Tệp này không phải dự án Scratch 3 (.sb3) hợp lệ: không mở được như một tệp nén. Trong Scratch, chọn Tệp → Lưu về máy tính rồi nộp tệp vừa lưu."),
        "no_project": lambda p: _("Tệp .sb3 không có project.json. Hãy mở dự án bằng Scratch 3 và lưu lại (Tệp → Lưu về máy tính)."),
        "project_too_large": lambda p: _("Phần chương trình (project.json) của dự án lớn hơn %(limit)s KiB.", limit=p["limit"] // 1024),
        "bad_json": lambda p: _("project.json trong tệp .sb3 bị hỏng. Hãy mở dự án bằng Scratch 3, lưu lại rồi nộp lại."),
        "not_scratch3": lambda p: _("Đây không phải dự án Scratch 3. Nếu là dự án Scratch 2, hãy mở bằng Scratch 3 và lưu lại."),
        "extension": lambda p: _("Dự án dùng tiện ích %(extensions)s nên không chấm được. Chỉ được dùng các khối có sẵn và tiện ích Bút vẽ: hãy xoá các khối của tiện ích đó rồi nộp lại.",
                                 extensions=p["extensions"]),
    }


def project_upload_cap(division: Division | None = None) -> int:
    """Largest accepted project file (.sb3), bytes: the division's ``scratch_max_mib`` × 1 MiB when
    it is set, else the site setting ``SCRATCH_MAX_BYTES`` (default 5 MiB)."""
    from judge.scratch import MAX_SB3_BYTES

    if division is not None and division.scratch_max_mib:
        return division.scratch_max_mib << 20
    return int(current_app.config.get("SCRATCH_MAX_BYTES", MAX_SB3_BYTES))


def check_project_size(size: int, division: Division | None) -> None:
    """Refuse (SubmissionRefused, the message giving the real size and the limit) a project file of
    `size` bytes over ``project_upload_cap(division)``; lets a view refuse before reading it all."""
    cap = project_upload_cap(division)
    if size > cap:
        raise SubmissionRefused(_scratch_messages()["too_large"]({"size": size, "limit": cap}))


def prepare_source(language: str, data: bytes | str, division: Division | None = None) -> str:
    """The source stored for a submitted file or text.

    A language with its own reader (``Language.read_source``; Scratch: the ``project.json`` of a
    ``.sb3``, checked by ``judge.scratch`` with the size limit ``project_upload_cap(division)``:
    the division's setting, else ``SCRATCH_MAX_BYTES``, default 5 MiB) converts the bytes and
    refuses bad files with a Vietnamese message; other languages keep the text as it is. Raises
    SubmissionRefused."""
    lang = LANGUAGES.get(language)
    if lang is None or lang.read_source is None:
        return data if isinstance(data, str) else data.decode("utf-8", "replace")
    from judge.scratch import ScratchError, project_from_json, project_from_upload

    try:
        if isinstance(data, str):  # pasted text, or the project.json an upload already gave
            if not data.lstrip().startswith("{"):
                raise ScratchError("not_zip")
            return project_from_json(data)
        return project_from_upload(data, max_bytes=project_upload_cap(division))
    except ScratchError as exc:
        raise SubmissionRefused(_scratch_messages()[exc.code](exc.params)) from None


def language_for_upload(filename: str, division: Division) -> str | None:
    """The language a binary upload must be judged in, from its extension (``.sb3`` → Scratch),
    when the division allows it; None for text files (the chosen language stands)."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    for key in division.language_list:
        lang = LANGUAGES.get(key)
        if lang is not None and lang.read_source is not None and suffix in lang.extensions:
            return key
    return None


def check_submission(user: User, problem: Problem, language: str, source: str, now: datetime | None = None) -> None:
    """Raise SubmissionRefused unless `user` may submit `source` in `language` to `problem` now.

    Rules: admitted to the division (organisers may always test); the contest is running; the
    language is allowed in the division; the source is not empty and at most 64 KiB (a language may
    set its own cap: Scratch's project.json, 4 MiB); at most
    SUBMIT_RATE_COUNT submissions in the last SUBMIT_RATE_SECONDS seconds.
    """
    now = now or utcnow()
    division = problem.division
    contest = division.contest
    staff = user.has_role("organiser")
    if not staff:
        if not problem.published or participation(user, division) is None:
            raise SubmissionRefused(_("Bạn không thi ở bảng %(d)s nên không nộp bài cho bài này được.", d=division.code), 403)
        if now < contest.start_at:
            raise SubmissionRefused(_("Cuộc thi chưa bắt đầu."), 403)
        if now >= contest.end_at:
            raise SubmissionRefused(_("Cuộc thi đã kết thúc, không nhận bài nữa."), 403)
    if language not in LANGUAGES:
        raise SubmissionRefused(_("Ngôn ngữ “%(l)s” không có. Chọn một trong: %(all)s.", l=language, all=", ".join(LANGUAGES)))
    if language not in division.language_list:
        raise SubmissionRefused(_("Bảng %(d)s không cho dùng ngôn ngữ %(l)s. Được dùng: %(all)s.", d=division.code, l=language, all=", ".join(division.language_list)))
    size = len(source.encode("utf-8"))
    if not source.strip():
        raise SubmissionRefused(_("Bài nộp trống."))
    cap = LANGUAGES[language].max_source_bytes or MAX_SOURCE_BYTES  # Scratch: the project.json
    if size > cap:
        raise SubmissionRefused(_("Mã nguồn dài %(n)s KiB, tối đa %(m)s KiB.", n=(size + 1023) // 1024, m=cap // 1024))
    window = current_app.config.get("SUBMIT_RATE_SECONDS", 60)
    limit = current_app.config.get("SUBMIT_RATE_COUNT", 10)
    recent = db.session.scalar(
        select(func.count(Submission.id)).where(Submission.user_id == user.id, Submission.created_at >= now - timedelta(seconds=window))
    )
    if recent >= limit:
        raise SubmissionRefused(_("Bạn nộp quá nhanh: tối đa %(n)s bài trong %(s)s giây. Hãy chờ một chút rồi nộp lại.", n=limit, s=window), 429)


def submit(user: User, problem: Problem, language: str, source: str) -> Submission:
    """Check, store (commit) and queue a submission (a Scratch project: its checked project.json)."""
    check_submission(user, problem, language, source)
    source = prepare_source(language, source, problem.division)
    sub = Submission(user_id=user.id, problem_id=problem.id, language=language, source=source, max_score=problem.max_score)
    db.session.add(sub)
    db.session.commit()
    enqueue(sub)
    return sub


def job_id(submission_id: int) -> str:
    return f"judge-{submission_id}"


def job_alive(submission_id: int) -> bool:
    """True when RQ still has a job for this submission that is waiting or running."""
    try:
        job = Job.fetch(job_id(submission_id), connection=redis_conn())
    except NoSuchJobError:
        return False
    return job.get_status(refresh=True) in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)


def enqueue(sub: Submission, at_front: bool = False) -> None:
    """Queue the judging of a committed submission (no-op when its job is already waiting/running).

    If Redis is down the row stays `queued` and the sweeper queues it once Redis is back. at_front:
    ahead of the waiting jobs (the sweeper's re-queued work is older than anything waiting).
    """
    sub.enqueued_at = utcnow()
    db.session.commit()
    try:
        if job_alive(sub.id):
            return
        judge_queue().enqueue("webapp.tasks.judge_job", sub.id, job_id=job_id(sub.id), result_ttl=600, failure_ttl=3600,
                              at_front=at_front)
    except Exception as exc:  # Redis unavailable: the sweeper will retry; the row is safe
        current_app.logger.warning("could not queue submission %s: %s", sub.id, exc)


def rejudge(submissions: list[Submission], user: User | None, reason: str = "") -> int:
    """Reset and re-queue submissions; one audit row per call."""
    for sub in submissions:
        sub.status = SubmissionStatus.QUEUED.value
        sub.verdict = None
        sub.score = None
        sub.time = None
        sub.memory = None
        sub.compile_output = None
        sub.result = None
        sub.started_at = None
        sub.finished_at = None
        db.session.execute(SubmissionTest.__table__.delete().where(SubmissionTest.submission_id == sub.id))
    audit(user, "submission.rejudge", ",".join(str(s.id) for s in submissions[:50]), count=len(submissions), reason=reason)
    db.session.commit()
    for sub in submissions:
        enqueue(sub)
    return len(submissions)


def lease_key(submission_id: int) -> str:
    return f"judging:{submission_id}"


def sweep(now: datetime | None = None) -> list[int]:
    """Re-queue lost work; returns the ids re-queued.

    - `queued` for longer than SWEEP_QUEUED_SECONDS with no live RQ job (Redis lost it);
    - `judging` whose lease key is gone (the worker died or Redis restarted).
    Both go to the front of the queue: they were submitted before anything now waiting.
    """
    now = now or utcnow()
    conn = redis_conn()
    grace = timedelta(seconds=current_app.config.get("SWEEP_QUEUED_SECONDS", 30))
    requeued = []
    queued = db.session.scalars(
        select(Submission).where(Submission.status == SubmissionStatus.QUEUED.value,
                                 func.coalesce(Submission.enqueued_at, Submission.created_at) < now - grace)
    ).all()
    for sub in queued:
        if not job_alive(sub.id):
            enqueue(sub, at_front=True)
            requeued.append(sub.id)
    judging = db.session.scalars(select(Submission).where(Submission.status == SubmissionStatus.JUDGING.value)).all()
    for sub in judging:
        if not conn.exists(lease_key(sub.id)):
            sub.status = SubmissionStatus.QUEUED.value
            db.session.commit()
            try:
                Job.fetch(job_id(sub.id), connection=conn).delete()
            except NoSuchJobError:
                pass
            enqueue(sub, at_front=True)
            requeued.append(sub.id)
    return requeued


def visible_contests(user: User) -> list[Contest]:
    if user.has_role("organiser", "judge"):
        return db.session.scalars(select(Contest).order_by(Contest.start_at.desc())).all()
    ids = select(Participation.contest_id).where(Participation.user_id == user.id)
    return db.session.scalars(select(Contest).where(Contest.id.in_(ids)).order_by(Contest.start_at.desc())).all()
