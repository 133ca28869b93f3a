"""Login, logout, student self-registration, organiser bulk import."""
from __future__ import annotations

import base64
import csv
import io

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..models import LEVEL_ORDER, School, audit
from ..services.accounts import LEVEL_LABELS, generate_password, make_username, validate_student
from ..services.demo import admit_to_demo
from ..services.student_import import ImportError_, parse_students
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
    """Bulk import: all rows valid → all stored and a credentials list shown; else nothing stored."""
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
        credentials = []
        chosen: set[str] = {s.username for s in students if s.username}
        for s in students:
            username = s.username or make_username(s.full_name, lambda u: u in chosen or username_taken(u))
            chosen.add(username)
            password = generate_password()
            admit_to_demo(create_student(s, username, password))
            credentials.append((s, username, password))
        audit(current_user, "students.import", upload.filename or "", count=len(credentials))
        db.session.commit()
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["Họ và tên", "Lớp", "Trường", "Tên đăng nhập", "Mật khẩu"])
        for s, u, p in credentials:
            writer.writerow([s.full_name, s.grade, s.school, u, p])
        csv_b64 = base64.b64encode(("\ufeff" + buf.getvalue()).encode("utf-8")).decode()
        return render_template("auth/import_done.html", credentials=credentials, csv_b64=csv_b64)
    return render_template("auth/import.html", form=form)
