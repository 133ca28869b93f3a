"""Views of the contests feature. Rules live in services/ (submissions, scoreboard, contests,
problem_import, verification, statements); the views check access, call them and render."""
from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_babel import get_locale, gettext as _, ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from judge.languages import LANGUAGES
from judge.problem import ProblemError
from judge.program_checkers import needs_compile

from ..auth.decorators import role_required
from ..extensions import db
from ..models import (
    LEVEL_ORDER,
    Announcement,
    Clarification,
    Contest,
    Division,
    Participation,
    Problem,
    Submission,
    SubmissionStatus,
    User,
    audit,
    utcnow,
)
from ..services import contests as svc
from ..services.accounts import LEVEL_LABELS
from ..services import package_jobs
from ..services.problem_import import add_problem, discard_package, load_package, prepare_package, test_count
from ..services.results import is_published
from ..services.scoreboard import load_scoreboard
from ..services.statements import pick_statement, read_sample, render_markdown, statement_html
from ..services.submissions import (
    MAX_SOURCE_BYTES,
    SubmissionRefused,
    can_see_problem,
    judge_queue,
    language_for_upload,
    prepare_source,
    project_upload_cap,
    rejudge,
    submit,
    visible_contests,
)
from ..services.verification import verify_available
from . import bp
from .forms import (
    ActionForm,
    AnnouncementForm,
    AnswerForm,
    ClarificationForm,
    ContestForm,
    DivisionForm,
    LimitsForm,
    ParticipantsForm,
    ROUND_LABELS,
    SubmitForm,
    UploadForm,
)

STATEMENT_FILE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf"}  # no .svg: it can carry scripts


# -- helpers -----------------------------------------------------------------------------------------
def _tz() -> str:
    return current_app.config["TIMEZONE"]


def _contest(contest_id: int) -> Contest:
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        abort(404)
    return contest


def _division(contest: Contest, division_id: int) -> Division:
    division = db.session.get(Division, division_id)
    if division is None or division.contest_id != contest.id:
        abort(404)
    return division


def _problem(problem_id: int) -> Problem:
    problem = db.session.get(Problem, problem_id)
    if problem is None:
        abort(404)
    return problem


def _staff() -> bool:
    return current_user.is_authenticated and current_user.has_role("organiser", "judge")


def _organiser() -> bool:
    return current_user.is_authenticated and current_user.has_role("organiser")


def _can_view_contest(contest: Contest) -> bool:
    if _staff():
        return True
    if svc.user_divisions(current_user, contest):
        return True
    return any(svc.can_self_register(current_user, d) for d in contest.divisions)


def _phase(contest: Contest) -> str:
    now = utcnow()
    if now < contest.start_at:
        return "upcoming"
    if now < contest.end_at:
        return "running"
    return "over"


def _language_choices(division: Division) -> list[SelectChoice]:
    return [SelectChoice(k, LANGUAGES[k].name if k in LANGUAGES else k) for k in division.language_list]


@bp.app_template_filter("markdown")
def markdown_filter(text: str | None):
    from markupsafe import Markup

    return Markup(render_markdown(text or ""))


@bp.app_context_processor
def contest_labels():
    return {
        "round_label": lambda r: ROUND_LABELS.get(r, r),
        "level_label": lambda lvl: next((str(LEVEL_LABELS[x]) for x in LEVEL_ORDER if x.value == lvl), lvl),
        "language_name": lambda k: LANGUAGES[k].name if k in LANGUAGES else k,
    }


# -- contest list and home -----------------------------------------------------------------------------
@bp.route("/")
@login_required
def contest_list():
    """Contests the user takes part in (all for staff) and divisions they may still join."""
    contests = list(visible_contests(current_user))
    joinable = svc.joinable_divisions(current_user)
    known = {c.id for c in contests}
    for d in joinable:
        if d.contest_id not in known:
            contests.append(d.contest)
            known.add(d.contest_id)
    contests.sort(key=lambda c: c.start_at, reverse=True)
    mine = {c.id: svc.user_divisions(current_user, c) for c in contests}
    return render_template("contests/list.html", contests=contests, joinable=joinable, mine=mine, phase=_phase)


@bp.route("/<int:contest_id>")
@login_required
def contest_home(contest_id: int):
    contest = _contest(contest_id)
    if not _can_view_contest(contest):
        abort(403)
    mine = svc.user_divisions(current_user, contest)
    joinable = [d for d in contest.divisions if d not in mine and svc.can_self_register(current_user, d)]
    return render_template(
        "contests/home.html", contest=contest, mine=mine, joinable=joinable, phase=_phase(contest),
        announcements=svc.announcements(contest), action=ActionForm(), announcement_form=AnnouncementForm(),
    )


@bp.route("/<int:contest_id>/divisions/<int:division_id>/join", methods=["POST"])
@login_required
def join(contest_id: int, division_id: int):
    contest = _contest(contest_id)
    division = _division(contest, division_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        svc.join(current_user, division)
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".contest_home", contest_id=contest.id))
    flash(_("Bạn đã đăng ký thi %(d)s.", d=division.name), "success")
    return redirect(url_for(".contest_home", contest_id=contest.id))


# -- organiser: contests and divisions ----------------------------------------------------------------
def _fill_contest(form: ContestForm, contest: Contest) -> None:
    contest.name = form.name.data.strip()
    contest.year = form.year.data
    contest.round = form.round.data
    contest.start_at = svc.local_to_utc(form.start_at.data, _tz())
    contest.end_at = svc.local_to_utc(form.end_at.data, _tz())
    contest.freeze_minutes = form.freeze_minutes.data
    contest.scoring = form.scoring.data


@bp.route("/new", methods=["GET", "POST"])
@role_required("organiser")
def contest_new():
    form = ContestForm()
    if request.method == "GET":
        form.year.data = utcnow().year
    if form.validate_on_submit():
        contest = svc.create_contest(
            current_user, name=form.name.data.strip(), year=form.year.data, round=form.round.data,
            start_at=svc.local_to_utc(form.start_at.data, _tz()), end_at=svc.local_to_utc(form.end_at.data, _tz()),
            freeze_minutes=form.freeze_minutes.data, scoring=form.scoring.data,
        )
        flash(_("Đã tạo cuộc thi với các bảng mặc định A, B, C1, C2, D1–D3. Hãy xem lại từng bảng."), "success")
        return redirect(url_for(".contest_manage", contest_id=contest.id))
    return render_template("contests/contest_form.html", form=form, contest=None), 422 if form.is_submitted() else 200


@bp.route("/<int:contest_id>/edit", methods=["GET", "POST"])
@role_required("organiser")
def contest_edit(contest_id: int):
    contest = _contest(contest_id)
    form = ContestForm(obj=contest)
    if request.method == "GET":
        form.start_at.data = svc.utc_to_local(contest.start_at, _tz())
        form.end_at.data = svc.utc_to_local(contest.end_at, _tz())
    if form.validate_on_submit():
        _fill_contest(form, contest)
        audit(current_user, "contest.edit", f"contest:{contest.id}")
        db.session.commit()
        flash(_("Đã lưu cuộc thi."), "success")
        return redirect(url_for(".contest_manage", contest_id=contest.id))
    return render_template("contests/contest_form.html", form=form, contest=contest), 422 if form.is_submitted() else 200


@bp.route("/<int:contest_id>/manage")
@role_required("organiser")
def contest_manage(contest_id: int):
    contest = _contest(contest_id)
    counts = dict(db.session.execute(
        select(Participation.division_id, func.count(Participation.id))
        .where(Participation.contest_id == contest.id).group_by(Participation.division_id)
    ).all())
    return render_template("contests/manage.html", contest=contest, counts=counts, phase=_phase(contest),
                           action=ActionForm(), announcement_form=AnnouncementForm())


def _division_form(division: Division | None) -> DivisionForm:
    form = DivisionForm(obj=division)
    form.levels.choices = [SelectChoice(lvl.value, str(LEVEL_LABELS[lvl])) for lvl in LEVEL_ORDER]
    form.languages.choices = [SelectChoice(k, lang.name) for k, lang in LANGUAGES.items()]
    if request.method == "GET" and division is not None:
        form.levels.data = division.level_list
        form.languages.data = division.language_list
    return form


def _save_division(form: DivisionForm, contest: Contest, division: Division | None) -> Division | None:
    code = form.code.data.strip().upper()
    clash = db.session.scalar(select(Division.id).where(Division.contest_id == contest.id, Division.code == code))
    if clash and (division is None or clash != division.id):
        form.code.errors = list(form.code.errors) + [_("Cuộc thi đã có bảng %(c)s.", c=code)]
        return None
    languages = form.languages.data or []
    if form.content.data == "programming" and not languages:
        form.languages.errors = list(form.languages.errors) + [_("Bảng lập trình cần ít nhất một ngôn ngữ.")]
        return None
    if division is None:
        division = Division(contest_id=contest.id)
        db.session.add(division)
    division.code = code
    division.name = form.name.data.strip()
    division.levels = ",".join(lvl.value for lvl in LEVEL_ORDER if lvl.value in form.levels.data)
    division.content = form.content.data
    division.languages = ",".join(k for k in LANGUAGES if k in languages) if form.content.data == "programming" else ""
    division.allow_higher = form.allow_higher.data
    division.self_register = form.self_register.data
    db.session.flush()
    audit(current_user, "division.save", f"division:{division.id}", code=code)
    db.session.commit()
    return division


@bp.route("/<int:contest_id>/divisions/new", methods=["GET", "POST"])
@role_required("organiser")
def division_new(contest_id: int):
    contest = _contest(contest_id)
    form = _division_form(None)
    if request.method == "GET":
        form.languages.data = list(LANGUAGES)
    if form.validate_on_submit() and _save_division(form, contest, None):
        flash(_("Đã thêm bảng."), "success")
        return redirect(url_for(".contest_manage", contest_id=contest.id))
    return render_template("contests/division_form.html", form=form, contest=contest, division=None), 422 if form.is_submitted() else 200


@bp.route("/<int:contest_id>/divisions/<int:division_id>/edit", methods=["GET", "POST"])
@role_required("organiser")
def division_edit(contest_id: int, division_id: int):
    contest = _contest(contest_id)
    division = _division(contest, division_id)
    form = _division_form(division)
    if form.validate_on_submit() and _save_division(form, contest, division):
        flash(_("Đã lưu bảng %(d)s.", d=division.code), "success")
        return redirect(url_for(".contest_manage", contest_id=contest.id))
    return render_template("contests/division_form.html", form=form, contest=contest, division=division), 422 if form.is_submitted() else 200


@bp.route("/<int:contest_id>/divisions/<int:division_id>/delete", methods=["POST"])
@role_required("organiser")
def division_delete(contest_id: int, division_id: int):
    contest = _contest(contest_id)
    division = _division(contest, division_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    from ..services.deletion import blocking_tables, delete_with_settings

    if blocking_tables(division):
        flash(_("Bảng %(d)s đã có thí sinh hoặc đề bài nên không xoá được.", d=division.code), "error")
    else:
        audit(current_user, "division.delete", f"division:{division.id}", code=division.code)
        delete_with_settings(division)
        db.session.commit()
        flash(_("Đã xoá bảng."), "success")
    return redirect(url_for(".contest_manage", contest_id=contest.id))


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


def _samples(loaded) -> list[tuple[str, str, str]]:
    return [(t.name, read_sample(t.input_path), read_sample(t.answer_path)) for t in loaded.tests() if t.is_sample][:10]


def _file_base(problem: Problem) -> str:
    return url_for(".problem_file", problem_id=problem.id, name="x")[:-1]


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
    try:
        seconds = float((form.time_limit.data or "").replace(",", "."))
    except ValueError:
        seconds = 0.0
    if form.validate_on_submit() and 0.05 <= seconds <= 60:
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
    from ..services.deletion import blocking_tables, delete_with_settings

    if blocking_tables(problem):  # submissions, clarifications, appeals about it
        flash(_("Bài %(c)s đã có bài nộp nên không xoá được; hãy ẩn bài.", c=problem.code), "error")
        return redirect(url_for(".problem_preview", problem_id=problem.id))
    audit(current_user, "problem.delete", f"problem:{problem.id}", code=problem.code, sha256=problem.package_hash)
    digest = problem.package_hash
    delete_with_settings(problem)
    db.session.commit()
    discard_package(digest)  # unless another problem has the same content
    flash(_("Đã xoá bài."), "success")
    return redirect(url_for(".contest_manage", contest_id=contest_id))


# -- organiser: participants -------------------------------------------------------------------------
@bp.route("/<int:contest_id>/divisions/<int:division_id>/participants", methods=["GET", "POST"])
@role_required("organiser")
def participants(contest_id: int, division_id: int):
    contest = _contest(contest_id)
    division = _division(contest, division_id)
    form = ParticipantsForm()
    results = None
    if form.validate_on_submit():
        results = svc.add_participants(division, form.usernames.data, current_user)
        bad = [r for r in results if not r.ok]
        if bad:
            form.usernames.data = "\n".join(r.text for r in bad)
        else:
            form.usernames.data = ""
    people = db.session.scalars(
        select(User).join(Participation, Participation.user_id == User.id)
        .where(Participation.division_id == division.id).order_by(User.full_name, User.username)
    ).all()
    status = 422 if results is not None and any(not r.ok for r in results) else 200
    return render_template("contests/participants.html", contest=contest, division=division, form=form,
                           results=results, people=people, action=ActionForm()), status


@bp.route("/<int:contest_id>/divisions/<int:division_id>/participants/<int:user_id>/remove", methods=["POST"])
@role_required("organiser")
def participant_remove(contest_id: int, division_id: int, user_id: int):
    contest = _contest(contest_id)
    division = _division(contest, division_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if svc.remove_participant(division, user_id, current_user):
        flash(_("Đã xoá thí sinh khỏi bảng %(d)s.", d=division.code), "success")
    return redirect(url_for(".participants", contest_id=contest.id, division_id=division.id))


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
                    source = prepare_source(language, upload.read(project_upload_cap() + 1))
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
    q = (select(Submission).join(Problem, Problem.id == Submission.problem_id)
         .join(Division, Division.id == Problem.division_id).where(Division.contest_id == contest.id))
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
def _contest_submissions(contest: Contest):
    return (select(Submission).join(Problem, Problem.id == Submission.problem_id)
            .join(Division, Division.id == Problem.division_id).where(Division.contest_id == contest.id))


@bp.route("/<int:contest_id>/queue")
@role_required("organiser")
def queue(contest_id: int):
    contest = _contest(contest_id)
    now = utcnow()
    waiting = db.session.scalars(
        _contest_submissions(contest).where(Submission.status.in_([SubmissionStatus.QUEUED.value, SubmissionStatus.JUDGING.value]))
        .order_by(Submission.created_at)
    ).all()
    recent = db.session.scalars(
        _contest_submissions(contest).where(Submission.started_at.is_not(None))
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
    subs = db.session.scalars(_contest_submissions(contest).order_by(Submission.id)).all()
    n = rejudge(subs, current_user, form.reason.data or f"contest {contest.id}")
    flash(ngettext("Đã cho chấm lại %(n)s bài nộp của cả cuộc thi.", "Đã cho chấm lại %(n)s bài nộp của cả cuộc thi.",
                   n, n=n), "success")
    return _rejudge_back(url_for(".queue", contest_id=contest.id))


# -- scoreboard --------------------------------------------------------------------------------------
@bp.route("/<int:contest_id>/scoreboard/<int:division_id>")
def scoreboard(contest_id: int, division_id: int):
    """Public (frozen for the last freeze_minutes until the division's results are published);
    organisers see it unfrozen. ?partial=1 gives only
    the table, for the page's live refresh."""
    contest = _contest(contest_id)
    division = _division(contest, division_id)
    if division.content != "programming":
        abort(404)
    published = is_published(division.id)
    unfrozen = _organiser() or published  # publishing the results lifts the freeze
    rows = load_scoreboard(division, frozen=not unfrozen)
    problems = [p for p in division.problems if p.published]
    freeze_at = contest.end_at - timedelta(minutes=contest.freeze_minutes) if contest.freeze_minutes else None
    now = utcnow()
    frozen_now = freeze_at is not None and now >= freeze_at
    context = dict(contest=contest, division=division, rows=rows, problems=problems, unfrozen=unfrozen, published=published,
                   freeze_at=freeze_at, frozen_now=frozen_now, phase=_phase(contest), now=now)
    if request.args.get("partial"):
        response = current_app.make_response(render_template("contests/_scoreboard_table.html", **context))
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("contests/scoreboard.html", **context)


# -- announcements and clarifications ----------------------------------------------------------------
@bp.route("/<int:contest_id>/announcements", methods=["POST"])
@role_required("organiser")
def announcement_new(contest_id: int):
    contest = _contest(contest_id)
    form = AnnouncementForm()
    if form.validate_on_submit():
        a = Announcement(contest_id=contest.id, title=form.title.data.strip(), body=form.body.data or "")
        db.session.add(a)
        db.session.flush()
        audit(current_user, "announcement.post", f"announcement:{a.id}")
        db.session.commit()
        flash(_("Đã đăng thông báo."), "success")
    else:
        for errors in form.errors.values():
            for e in errors:
                flash(str(e), "error")
    return redirect(url_for(".contest_home", contest_id=contest.id))


@bp.route("/<int:contest_id>/announcements/<int:announcement_id>/delete", methods=["POST"])
@role_required("organiser")
def announcement_delete(contest_id: int, announcement_id: int):
    contest = _contest(contest_id)
    a = db.session.get(Announcement, announcement_id)
    if a is None or a.contest_id != contest.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    audit(current_user, "announcement.delete", f"announcement:{a.id}", title=a.title)
    db.session.delete(a)
    db.session.commit()
    flash(_("Đã xoá thông báo."), "success")
    return redirect(url_for(".contest_home", contest_id=contest.id))


@bp.route("/<int:contest_id>/clarifications", methods=["GET", "POST"])
@login_required
def clarifications(contest_id: int):
    """Students ask (about a problem or in general) and see their own questions and public answers;
    staff see every question and answer it privately or for everybody."""
    contest = _contest(contest_id)
    if not _can_view_contest(contest):
        abort(403)
    staff = _staff()
    divisions = contest.divisions if staff else svc.user_divisions(current_user, contest)
    problems = [p for d in divisions for p in d.problems if can_see_problem(current_user, p)]
    form = ClarificationForm()
    form.problem_id.choices = [SelectChoice("", _("Câu hỏi chung"))] + [
        SelectChoice(str(p.id), f"{p.division.code} · {p.code} — {p.title_vi}") for p in problems]
    status = 200
    if not staff and request.method == "POST":
        if not svc.user_divisions(current_user, contest):
            abort(403)
        if form.validate_on_submit():
            pid = int(form.problem_id.data) if form.problem_id.data else None
            if pid is not None and pid not in {p.id for p in problems}:
                abort(400)
            c = Clarification(contest_id=contest.id, problem_id=pid, user_id=current_user.id,
                              question=form.question.data.strip())
            db.session.add(c)
            db.session.commit()
            flash(_("Đã gửi câu hỏi. Ban tổ chức sẽ trả lời tại trang này."), "success")
            return redirect(url_for(".clarifications", contest_id=contest.id))
        status = 422
    items = svc.visible_clarifications(current_user, contest)
    return render_template("contests/clarifications.html", contest=contest, form=form, items=items, staff=staff,
                           answer_form=AnswerForm(), can_ask=not staff and bool(divisions)), status


@bp.route("/<int:contest_id>/clarifications/<int:clarification_id>/answer", methods=["POST"])
@role_required("organiser", "judge")
def clarification_answer(contest_id: int, clarification_id: int):
    contest = _contest(contest_id)
    clar = db.session.get(Clarification, clarification_id)
    if clar is None or clar.contest_id != contest.id:
        abort(404)
    form = AnswerForm()
    if form.validate_on_submit():
        svc.answer_clarification(clar, form.answer.data.strip(), form.public.data, current_user)
        flash(_("Đã trả lời công khai.") if clar.public else _("Đã trả lời riêng cho thí sinh."), "success")
    else:
        flash(_("Hãy nhập câu trả lời."), "error")
    return redirect(url_for(".clarifications", contest_id=contest.id) + f"#clar-{clar.id}")
