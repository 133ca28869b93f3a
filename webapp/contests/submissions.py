"""Submitting and submissions: the problem list and page, live submission pages, the list, queue, rejudge."""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from judge.languages import LANGUAGES
from judge.problem import ProblemError

from ..auth.decorators import role_required
from ..extensions import db
from ..models import Problem, Submission, SubmissionStatus, User, utcnow
from ..services import contests as svc
from ..services.problem_import import load_package, test_count
from ..services.statements import pick_statement, statement_html
from ..services.submissions import (
    MAX_SOURCE_BYTES,
    SubmissionRefused,
    can_see_problem,
    check_project_size,
    contest_submissions,
    judge_queue,
    language_for_upload,
    prepare_source,
    project_upload_cap,
    rejudge,
    submit,
)
from . import bp
from ._common import _contest, _problem, _staff, _can_view_contest, _phase, _language_choices, _samples, _file_base
from .forms import ActionForm, SubmitForm


# -- problems and submitting -------------------------------------------------------------------------
@bp.route("/<int:contest_id>/problems")
@login_required
def problems(contest_id: int):
    contest = _contest(contest_id)
    if _staff():
        divisions = [d for d in contest.divisions if d.content == "programming"]
    else:
        divisions = [d for d in svc.user_divisions(current_user, contest) if d.content == "programming"]
        if not divisions:
            abort(403)
    phase = _phase(contest)
    shown = {d.id: [p for p in d.problems if can_see_problem(current_user, p)] for d in divisions}
    best = {}
    if not _staff():
        rows = db.session.execute(
            select(Submission.problem_id, func.max(Submission.score))
            .where(Submission.user_id == current_user.id).group_by(Submission.problem_id)
        ).all()
        best = dict(rows)
    return render_template("contests/problems.html", contest=contest, divisions=divisions, shown=shown,
                           phase=phase, best=best)


def _read_upload(upload) -> str:
    data = upload.read(MAX_SOURCE_BYTES + 1)
    if len(data) > MAX_SOURCE_BYTES:
        raise SubmissionRefused(_("Tệp mã nguồn lớn hơn 64 KiB."))
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def _upload_size(upload) -> int:
    """Bytes of an uploaded file, from its (seekable, spooled) stream, without reading it; 0 if unknown."""
    stream = upload.stream
    try:
        pos = stream.tell()
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(pos)
    except (AttributeError, OSError, ValueError):
        return 0
    return size


@bp.route("/problems/<int:problem_id>", methods=["GET", "POST"])
@login_required
def problem(problem_id: int):
    """The statement, samples and the submit form."""
    problem = _problem(problem_id)
    if not can_see_problem(current_user, problem):
        abort(404)
    division = problem.division
    contest = division.contest
    form = SubmitForm()
    form.language.choices = _language_choices(division)
    if request.method == "GET":  # the language this student used last, else C++ / Python
        last = db.session.scalar(select(Submission.language).where(Submission.user_id == current_user.id)
                                 .order_by(Submission.id.desc()).limit(1))
        allowed = division.language_list
        form.language.data = next((k for k in (last, "cpp", "python3") if k in allowed), allowed[0] if allowed else None)
    status = 200
    if form.validate_on_submit():
        try:
            upload = form.file.data
            language = form.language.data
            if upload is not None and getattr(upload, "filename", ""):
                # a binary project (.sb3) is judged in its own language whatever the select says
                language = language_for_upload(upload.filename, division) or language
                if language in LANGUAGES and LANGUAGES[language].read_source is not None:
                    check_project_size(_upload_size(upload), division)  # the real size in the message
                    source = prepare_source(language, upload.read(project_upload_cap(division) + 1), division)
                else:
                    source = _read_upload(upload)
            else:
                source = form.source.data or ""
            sub = submit(current_user, problem, language, source)
        except SubmissionRefused as exc:
            flash(str(exc), "error")
            status = exc.http_status
        else:
            flash(_("Đã nhận bài nộp #%(id)s, đang chờ chấm.", id=sub.id), "success")
            return redirect(url_for(".submission", submission_id=sub.id))
    elif form.is_submitted():
        status = 422
    try:
        loaded = load_package(problem)
    except ProblemError:
        loaded = None
    statement = pick_statement(loaded.statements, str(get_locale())) if loaded else None
    mine = db.session.scalars(
        select(Submission).where(Submission.user_id == current_user.id, Submission.problem_id == problem.id)
        .order_by(Submission.created_at.desc()).limit(20)
    ).all()
    return render_template(
        "contests/problem.html", problem=problem, division=division, contest=contest, form=form,
        statement=statement, statement_html=statement_html(statement, _file_base(problem)) if statement else "",
        samples=_samples(loaded) if loaded else [], mine=mine, phase=_phase(contest),
        extensions={k: list(LANGUAGES[k].extensions) for k in division.language_list if k in LANGUAGES},
    ), status


# -- submissions -------------------------------------------------------------------------------------
def _submission(submission_id: int) -> Submission:
    sub = db.session.get(Submission, submission_id)
    if sub is None:
        abort(404)
    if sub.user_id != current_user.id and not _staff():
        abort(403)
    return sub


def _tests_total(problem: Problem) -> int | None:
    report = problem.verify_report or {}
    if report.get("summary", {}).get("tests"):
        return report["summary"]["tests"]
    return test_count(problem)


def submission_data(sub: Submission) -> dict:
    done = sub.status == SubmissionStatus.DONE.value
    return {
        "id": sub.id,
        "status": sub.status,
        "done": done,
        "verdict": sub.verdict,
        "score": sub.score,
        "max_score": sub.max_score,
        "time": sub.time if sub.verdict != "CE" else None,
        "memory": sub.memory if sub.verdict != "CE" else None,
        "compile_output": sub.compile_output if done and sub.verdict == "CE" else None,
        "tests_total": _tests_total(sub.problem),
        "tests": [t.to_dict() for t in sub.tests],
    }


@bp.route("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int):
    sub = _submission(submission_id)
    return render_template("contests/submission.html", sub=sub, problem=sub.problem,
                           contest=sub.problem.division.contest, data=submission_data(sub), action=ActionForm())


@bp.route("/submissions/<int:submission_id>.json")
@login_required
def submission_json(submission_id: int):
    sub = _submission(submission_id)
    response = jsonify(submission_data(sub))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:contest_id>/submissions")
@login_required
def submissions(contest_id: int):
    """Own submissions; staff see everybody's (filter ?user=<username>, ?problem=<id>)."""
    contest = _contest(contest_id)
    if not _can_view_contest(contest):
        abort(403)
    q = contest_submissions(contest.id)
    if not _staff():
        q = q.where(Submission.user_id == current_user.id)
    else:
        if request.args.get("user"):
            q = q.join(User, User.id == Submission.user_id).where(User.username == request.args["user"].strip().lower())
        if request.args.get("problem", "").isdigit():
            q = q.where(Submission.problem_id == int(request.args["problem"]))
    subs = db.session.scalars(q.order_by(Submission.created_at.desc()).limit(200)).all()
    return render_template("contests/submissions.html", contest=contest, subs=subs, staff=_staff())


# -- organiser: queue and rejudging ------------------------------------------------------------------
@bp.route("/<int:contest_id>/queue")
@role_required("organiser")
def queue(contest_id: int):
    contest = _contest(contest_id)
    now = utcnow()
    waiting = db.session.scalars(
        contest_submissions(contest.id).where(Submission.status.in_([SubmissionStatus.QUEUED.value, SubmissionStatus.JUDGING.value]))
        .order_by(Submission.created_at)
    ).all()
    recent = db.session.scalars(
        contest_submissions(contest.id).where(Submission.started_at.is_not(None))
        .order_by(Submission.started_at.desc()).limit(50)
    ).all()
    waits = [s.queue_wait for s in recent if s.queue_wait is not None]
    stats = None
    if waits:
        ordered = sorted(waits)
        stats = {"count": len(waits), "avg": sum(waits) / len(waits), "max": ordered[-1],
                 "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]}
    try:
        rq_count = judge_queue().count
    except Exception:  # Redis down: the page still shows the database view
        rq_count = None
    context = dict(contest=contest, waiting=waiting, recent=recent, stats=stats, now=now, rq_count=rq_count,
                   action=ActionForm())
    if request.args.get("partial"):
        response = current_app.make_response(render_template("contests/_queue_tables.html", **context))
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("contests/queue.html", **context)


def _rejudge_back(default: str):
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else default)


@bp.route("/submissions/<int:submission_id>/rejudge", methods=["POST"])
@role_required("organiser")
def rejudge_submission(submission_id: int):
    sub = _submission(submission_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    rejudge([sub], current_user, form.reason.data or "")
    flash(_("Đã cho chấm lại bài nộp #%(id)s.", id=sub.id), "success")
    return _rejudge_back(url_for(".submission", submission_id=sub.id))


@bp.route("/problems/<int:problem_id>/rejudge", methods=["POST"])
@role_required("organiser")
def rejudge_problem(problem_id: int):
    problem = _problem(problem_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    subs = db.session.scalars(select(Submission).where(Submission.problem_id == problem.id).order_by(Submission.id)).all()
    n = rejudge(subs, current_user, form.reason.data or f"problem {problem.code}")
    flash(ngettext("Đã cho chấm lại %(n)s bài nộp của bài %(c)s.", "Đã cho chấm lại %(n)s bài nộp của bài %(c)s.",
                   n, n=n, c=problem.code), "success")
    return _rejudge_back(url_for(".problem_preview", problem_id=problem.id))


@bp.route("/<int:contest_id>/rejudge", methods=["POST"])
@role_required("organiser")
def rejudge_contest(contest_id: int):
    contest = _contest(contest_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    subs = db.session.scalars(contest_submissions(contest.id).order_by(Submission.id)).all()
    n = rejudge(subs, current_user, form.reason.data or f"contest {contest.id}")
    flash(ngettext("Đã cho chấm lại %(n)s bài nộp của cả cuộc thi.", "Đã cho chấm lại %(n)s bài nộp của cả cuộc thi.",
                   n, n=n), "success")
    return _rejudge_back(url_for(".queue", contest_id=contest.id))
