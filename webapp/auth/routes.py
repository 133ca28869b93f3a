"""Login, logout, student self-registration, organiser bulk import."""
from __future__ import annotations

import base64
import csv
import io

from flask import abort, current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from redis.exceptions import RedisError
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..models import LEVEL_ORDER, School
from ..services.accounts import LEVEL_LABELS, validate_student
from ..services.demo import admit_to_demo
from ..services.student_import import ImportError_, import_status, parse_students, start_import, take_credentials, tasks_workers
from ..services.users import authenticate, create_student, username_taken
from . import bp
from .decorators import role_required
from .forms import ImportForm, LoginForm, RegisterForm


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in. After LOGIN_MAX_FAILS wrong passwords in a row the account is locked LOGIN_LOCK_SECONDS;
    failed logins per address are throttled (services.login_throttle)."""
    form = LoginForm()
    if form.validate_on_submit():
        result = authenticate(form.username.data, form.password.data, ip=request.remote_addr)
        if result.throttled_seconds:
            minutes = result.throttled_seconds // 60 + 1
            flash(_("Máy này đã đăng nhập sai quá nhiều lần. Hãy thử lại sau %(m)s phút.", m=minutes), "error")
            return render_template("auth/login.html", form=form), 429
        if result.locked_seconds:
            minutes = result.locked_seconds // 60 + 1
            flash(_("Đăng nhập sai quá nhiều lần. Hãy thử lại sau %(m)s phút hoặc nhờ Ban tổ chức đặt lại mật khẩu.", m=minutes), "error")
            return render_template("auth/login.html", form=form), 429
        if result.user is not None:
            login_user(result.user)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Sai tên đăng nhập hoặc mật khẩu."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    return redirect(url_for("main.index"))


def _fill_register_choices(form: RegisterForm) -> None:
    form.school_level.choices = [SelectChoice("", "—")] + [SelectChoice(lvl.value, str(LEVEL_LABELS[lvl])) for lvl in LEVEL_ORDER]
    schools = db.session.scalars(select(School).order_by(School.name)).all()
    form.school_id.choices = [SelectChoice("", _("— chọn trường —"))] + [SelectChoice(str(s.id), str(s)) for s in schools]


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Student self-registration by school level; the grade must belong to the level."""
    form = RegisterForm()
    _fill_register_choices(form)
    if form.is_submitted():
        form_ok = form.validate()
        school_name, unit = (form.new_school.data or "").strip(), (form.unit.data or "").strip()
        if not school_name and form.school_id.data:
            school = db.session.get(School, int(form.school_id.data))
            if school:
                school_name, unit = school.name, unit or school.district
        data = validate_student(
            {
                "full_name": form.full_name.data,
                "date_of_birth": form.date_of_birth.data,
                "school_level": form.school_level.data,
                "grade": form.grade.data,
                "school": school_name,
                "unit": unit,
                "email": form.email.data,
                "phone": form.phone.data,
                "username": form.username.data,
            }
        )
        if "school" in data.errors:
            data.errors["school_id"] = data.errors.pop("school") + " " + _("Chọn trường trong danh sách hoặc gõ tên trường mới.")
        if data.username and username_taken(data.username):
            data.errors["username"] = _("Tên đăng nhập “%(u)s” đã có người dùng. Hãy chọn tên khác.", u=data.username)
        for name, message in data.errors.items():
            field = getattr(form, name)
            if not field.errors:  # one message per field: the form's own check came first
                field.errors = list(field.errors) + [message]
        if form_ok and not data.errors:
            user = create_student(data, data.username, form.password.data)
            admit_to_demo(user)
            db.session.commit()
            login_user(user)
            flash(_("Đăng ký thành công. Chào mừng %(n)s!", n=user.full_name), "success")
            return redirect(url_for("main.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/import", methods=["GET", "POST"])
@role_required("organiser")
def import_students():
    """Bulk import: the file is validated here (every error by row and column, nothing stored when one
    row is wrong); a clean file is stored by a background job whose progress page follows."""
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
        try:
            students, errors = parse_students(
                upload.filename or "",
                data,
                current_app.config["IMPORT_MAX_BYTES"],
                current_app.config["IMPORT_MAX_ROWS"],
                taken=username_taken,
            )
        except ImportError_ as exc:
            flash(str(exc), "error")
            return render_template("auth/import.html", form=form), 422
        if errors:
            return render_template("auth/import.html", form=form, errors=errors, filename=upload.filename), 422
        try:
            import_id = start_import(students, upload.filename or "", current_user)
        except RedisError as exc:  # the queue is down: nothing was stored, say so
            current_app.logger.warning("cannot queue an import: %s", exc)
            flash(_("Hàng đợi công việc nền tạm thời không hoạt động nên chưa nhập được; chưa lưu thí sinh nào. Hãy thử lại sau ít phút."), "error")
            return render_template("auth/import.html", form=form), 503
        return redirect(url_for("auth.import_progress", import_id=import_id), 303)
    return render_template("auth/import.html", form=form)


def _own_import(import_id: str) -> dict:
    """The status of an import started by the current organiser (404 for anyone else's)."""
    status = import_status(import_id)
    if status is None or status["owner"] != current_user.id:
        abort(404)
    return status


def _clash_rows(error: dict) -> str:
    return ", ".join(_("dòng %(r)s (“%(u)s”)", r=c["row"], u=c["username"]) for c in error["clashes"])


# why an import failed (error codes of services.student_import.run_import) → what the organiser reads
IMPORT_ERRORS = {
    "taken": lambda e: _("Tên đăng nhập đã có người dùng trong lúc nhập: %(rows)s. Chưa lưu thí sinh nào; hãy đổi tên đăng nhập ở các dòng này rồi nhập lại.", rows=_clash_rows(e)),
    "busy": lambda e: _("Hệ thống đang bận nên chưa lưu được danh sách; chưa lưu thí sinh nào. Hãy nhập lại tệp sau ít phút."),
    "expired": lambda e: _("Yêu cầu nhập đã quá hạn trước khi được xử lý; chưa lưu thí sinh nào. Hãy nhập lại tệp."),
}


def _import_error(error: dict | None) -> str:
    """The message for a failed import; "lost", "conflict" and "internal" share the last one."""
    explain = IMPORT_ERRORS.get((error or {}).get("code"))
    if explain is not None:
        return explain(error)
    return _("Việc nhập bị gián đoạn; chưa lưu thí sinh nào. Hãy nhập lại tệp; nếu lỗi lặp lại, báo quản trị hệ thống.")


@bp.get("/import/<import_id>")
@role_required("organiser")
def import_progress(import_id: str):
    """Progress of a background import: a bar fed by import_status_json; the list when it is done."""
    status = _own_import(import_id)
    if status["state"] == "done":
        return redirect(url_for("auth.import_result", import_id=import_id))
    message = _import_error(status["error"]) if status["state"] == "failed" else None
    return render_template("auth/import_progress.html", status=status, import_id=import_id, message=message)


@bp.get("/import/<import_id>/status")
@role_required("organiser")
def import_status_json(import_id: str):
    status = _own_import(import_id)
    no_worker = status["state"] == "queued" and tasks_workers() == 0
    return jsonify(state=status["state"], done=status["done"], total=status["total"],
                   final=status["state"] in ("done", "failed"), no_worker=no_worker)


@bp.get("/import/<import_id>/result")
@role_required("organiser")
def import_result(import_id: str):
    """The credentials list and its CSV, shown once to the organiser who started the import."""
    status = _own_import(import_id)
    if status["state"] != "done":
        return redirect(url_for("auth.import_progress", import_id=import_id))
    credentials = take_credentials(import_id, current_user.id)
    if credentials is None:
        return render_template("auth/import_progress.html", status=status, import_id=import_id,
                               message=_("Danh sách mật khẩu chỉ hiện một lần và đã được hiển thị (hoặc đã quá hạn). Nếu chưa lưu được, hãy đặt lại mật khẩu cho các thí sinh.")), 410
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["Họ và tên", "Lớp", "Trường", "Tên đăng nhập", "Mật khẩu"])
    for row in credentials:
        writer.writerow(row)
    csv_b64 = base64.b64encode(("\ufeff" + buf.getvalue()).encode("utf-8")).decode()
    response = make_response(render_template("auth/import_done.html", credentials=credentials, csv_b64=csv_b64))
    response.headers["Cache-Control"] = "no-store"  # passwords: not in the browser's cache
    return response
