"""Problems (organiser): package upload and its jobs, preview, verify, publish, limits, delete; statement files."""
from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from flask import abort, flash, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from judge.problem import ProblemError
from judge.program_checkers import needs_compile

from ..auth.decorators import role_required
from ..extensions import db
from ..models import Contest, Division, Problem, audit
from ..services import package_jobs
from ..services.deletion import delete_if_unused
from ..services.problem_import import (
    add_problem,
    discard_package,
    load_package,
    parse_time_limit,
    prepare_package,
)
from ..services.statements import pick_statement, statement_html
from ..services.submissions import can_see_problem
from ..services.verification import verify_available
from . import bp
from ._common import STATEMENT_FILE_TYPES, _contest, _division, _problem, _samples, _file_base
from .forms import ActionForm, LimitsForm, UploadForm


# -- organiser: problems -----------------------------------------------------------------------------
@bp.route("/<int:contest_id>/divisions/<int:division_id>/upload", methods=["GET", "POST"])
@role_required("organiser")
def problem_upload(contest_id: int, division_id: int):
    """Upload a package zip; it is checked and stored, or refused with the loader's message."""
    contest = _contest(contest_id)
    division = _division(contest, division_id)
    if division.content != "programming":
        flash(_("Bảng %(d)s thi sản phẩm sáng tạo, không có đề lập trình.", d=division.code), "error")
        return redirect(url_for(".contest_manage", contest_id=contest.id))
    form = UploadForm()
    error = None
    if form.validate_on_submit():
        upload = form.package.data
        tmp = Path(tempfile.mkdtemp(prefix="upload-"))
        upload_id = problem = None
        try:
            name = Path(upload.filename or "package.zip").name or "package.zip"
            path = tmp / name
            upload.save(path)
            root, loaded, digest = prepare_package(division, path)
            if needs_compile(loaded):  # compiled by a worker: the web never talks to Docker
                try:
                    upload_id = package_jobs.start_upload(division, digest, loaded, current_user, name)
                except Exception:
                    discard_package(digest)
                    raise
            else:
                problem = add_problem(division, root, loaded, digest, user=current_user)
        except ProblemError as exc:
            error = str(exc).replace(str(tmp) + "/", "")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if upload_id is not None:
            return redirect(url_for(".problem_upload_progress", contest_id=contest.id, division_id=division.id,
                                    upload_id=upload_id), 303)
        if error is None:
            flash(_("Đã tải lên bài %(c)s. Hãy xem trước và kiểm tra trước khi công bố.", c=problem.code), "success")
            return redirect(url_for(".problem_preview", problem_id=problem.id))
    status = 422 if form.is_submitted() else 200
    return render_template("contests/upload.html", form=form, contest=contest, division=division, error=error), status


def _own_upload(contest: Contest, division: Division, upload_id: str) -> dict:
    status = package_jobs.upload_status(upload_id)
    if status is None or status.get("owner") != current_user.id or status.get("division_id") != division.id:
        abort(404)
    return status


@bp.get("/<int:contest_id>/divisions/<int:division_id>/upload/<upload_id>")
@role_required("organiser")
def problem_upload_progress(contest_id: int, division_id: int, upload_id: str):
    """A pending upload: its checker is being compiled by a worker; the problem exists once it compiled."""
    contest = _contest(contest_id)
    division = _division(contest, division_id)
    status = _own_upload(contest, division, upload_id)
    if status["state"] == "done":
        flash(_("Đã tải lên bài %(c)s. Hãy xem trước và kiểm tra trước khi công bố.", c=status["code"]), "success")
        return redirect(url_for(".problem_preview", problem_id=status["problem_id"]))
    if status["state"] == "failed":
        discard_package(status["hash"])  # this host's cached copy too (the worker forgot its own)
        error = status.get("error")
        if error == "lost":
            error = _("Việc biên dịch trình chấm bị gián đoạn (tiến trình nền dừng). Hãy tải lên lại.")
        return render_template("contests/upload.html", form=UploadForm(), contest=contest, division=division,
                               error=error), 422
    return render_template("contests/package_progress.html", contest=contest, division=division, status=status,
                           url=url_for(".problem_upload_status", contest_id=contest.id, division_id=division.id,
                                       upload_id=upload_id))


@bp.get("/<int:contest_id>/divisions/<int:division_id>/upload/<upload_id>/status")
@role_required("organiser")
def problem_upload_status(contest_id: int, division_id: int, upload_id: str):
    contest = _contest(contest_id)
    status = _own_upload(contest, _division(contest, division_id), upload_id)
    return jsonify(state=status["state"], final=status["state"] in package_jobs.FINAL_STATES, done=0, total=0)


def _parse_time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None



@bp.route("/problems/<int:problem_id>/preview")
@role_required("organiser")
def problem_preview(problem_id: int):
    problem = _problem(problem_id)
    try:
        loaded = load_package(problem)
        load_error = None
    except ProblemError as exc:
        loaded, load_error = None, str(exc)
    statement = pick_statement(loaded.statements, "vi") if loaded else None
    limits = LimitsForm(obj=problem)
    return render_template(
        "contests/preview.html", problem=problem, division=problem.division, contest=problem.division.contest,
        loaded=loaded, load_error=load_error, statement=statement,
        statement_html=statement_html(statement, _file_base(problem)) if statement else "",
        samples=_samples(loaded) if loaded else [], tests=loaded.tests() if loaded else [],
        report=problem.verify_report, verify_available=verify_available(), action=ActionForm(), limits=limits,
        report_at=_parse_time((problem.verify_report or {}).get("at")), verify_job=_verify_running(problem),
    )


def _verify_running(problem: Problem) -> dict | None:
    status = package_jobs.verify_status(problem.id)
    return status if status is not None and status["state"] not in package_jobs.FINAL_STATES else None


@bp.route("/problems/<int:problem_id>/verify", methods=["POST"])
@role_required("organiser")
def problem_verify(problem_id: int):
    problem = _problem(problem_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if package_jobs.start_verify(problem, current_user):
        flash(_("Đã xếp việc kiểm tra gói đề; kết quả hiện ở đây khi xong."), "info")
    else:
        flash(_("Gói đề đang được kiểm tra."), "info")
    return redirect(url_for(".problem_preview", problem_id=problem.id))


@bp.get("/problems/<int:problem_id>/verify/status")
@role_required("organiser")
def problem_verify_status(problem_id: int):
    problem = _problem(problem_id)
    status = package_jobs.verify_status(problem.id) or {"state": "done", "done": 0, "total": 0}
    return jsonify(state=status["state"], final=status["state"] in package_jobs.FINAL_STATES,
                   done=status.get("done", 0), total=status.get("total", 0))


@bp.route("/problems/<int:problem_id>/publish", methods=["POST"])
@role_required("organiser")
def problem_publish(problem_id: int):
    problem = _problem(problem_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    problem.published = request.form.get("published") == "1"
    audit(current_user, "problem.publish" if problem.published else "problem.unpublish", f"problem:{problem.id}")
    db.session.commit()
    flash(_("Đã công bố bài %(c)s.", c=problem.code) if problem.published else _("Đã ẩn bài %(c)s.", c=problem.code), "success")
    return redirect(url_for(".problem_preview", problem_id=problem.id))


@bp.route("/problems/<int:problem_id>/limits", methods=["POST"])
@role_required("organiser")
def problem_limits(problem_id: int):
    problem = _problem(problem_id)
    form = LimitsForm()
    seconds = parse_time_limit(form.time_limit.data)
    if form.validate_on_submit() and seconds is not None:
        problem.time_limit = seconds
        problem.memory_limit = form.memory_limit.data
        problem.ordinal = form.ordinal.data
        audit(current_user, "problem.limits", f"problem:{problem.id}", time_limit=seconds, memory_limit=problem.memory_limit)
        db.session.commit()
        flash(_("Đã lưu giới hạn của bài %(c)s.", c=problem.code), "success")
    else:
        flash(_("Giới hạn không hợp lệ: thời gian 0,05–60 giây, bộ nhớ 16–4096 MiB."), "error")
    return redirect(url_for(".problem_preview", problem_id=problem.id))


@bp.route("/problems/<int:problem_id>/delete", methods=["POST"])
@role_required("organiser")
def problem_delete(problem_id: int):
    problem = _problem(problem_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    contest_id = problem.division.contest_id
    digest = problem.package_hash
    # refused while submissions, clarifications or appeals refer to it
    if not delete_if_unused(problem, current_user, "problem.delete", code=problem.code, sha256=digest):
        flash(_("Bài %(c)s đã có bài nộp nên không xoá được; hãy ẩn bài.", c=problem.code), "error")
        return redirect(url_for(".problem_preview", problem_id=problem.id))
    db.session.commit()
    discard_package(digest)  # unless another problem has the same content
    flash(_("Đã xoá bài."), "success")
    return redirect(url_for(".contest_manage", contest_id=contest_id))



@bp.route("/problems/<int:problem_id>/files/<path:name>")
@login_required
def problem_file(problem_id: int, name: str):
    """Images and PDFs next to the statement. Only those: a Themis statement may sit in the package
    root, next to the test folders, whose answers must never be served."""
    problem = _problem(problem_id)
    if not can_see_problem(current_user, problem):
        abort(404)
    if "/" in name or "\\" in name or Path(name).suffix.lower() not in STATEMENT_FILE_TYPES:
        abort(404)
    try:
        loaded = load_package(problem)
    except ProblemError:
        abort(404)
    folders = {st.path.parent for st in loaded.statements.values() if st.path is not None}
    for folder in folders:
        if (folder / name).is_file():
            return send_from_directory(folder, name)
    abort(404)
