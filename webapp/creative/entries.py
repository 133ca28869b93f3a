"""Creative entries: a team's product, its files and links (student and organiser pages), and the
organiser's settings page of a creative division. Rules live in services/creative_entries.py."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from .. import nav
from ..auth.decorators import role_required
from ..extensions import csrf, db
from ..input_guards import request_limit
from ..models import CreativeEntry, Division, EntryFile, Role
from ..services import creative_entries as svc
from ..services.contests import local_to_utc, utc_to_local
from . import bp, creative_division_or_404, entry_or_404
from .forms_entries import (
    CATEGORY_LABELS,
    KIND_LABELS,
    ActionForm,
    EntryForm,
    FileForm,
    SettingsForm,
)

nav.add("creative.index", _l("Sản phẩm sáng tạo"), ("student", "organiser"))


# -- helpers -----------------------------------------------------------------------------------------
def _tz() -> str:
    return current_app.config["TIMEZONE"]


_creative_division = creative_division_or_404
_entry = entry_or_404


def _entry_file(entry: CreativeEntry, file_id: int) -> EntryFile:
    f = db.session.get(EntryFile, file_id)
    if f is None or f.entry_id != entry.id:
        abort(404)
    return f


def _form_error(form, exc: svc.EntryError) -> None:
    """Show a service refusal next to the field it names, else as a flash."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [exc.message]
    else:
        flash(exc.message, "error")


def _allow_upload_size(division: Division) -> None:
    """Let this request carry up to the division's per-entry limit (plus room for the form fields)."""
    request.max_content_length = entry_request_limit(division)


def entry_request_limit(division: Division) -> int:
    return svc.settings_for(division).max_entry_mb * svc.MIB + svc.MIB


def entry_upload_limit(entry_id: int, **_) -> int | None:
    """The request limit of an upload to an entry (input_guards.request_limit): its division's."""
    entry = db.session.get(CreativeEntry, entry_id)
    return entry_request_limit(entry.division) if entry is not None else None


def attachment_response(entry_file: EntryFile, viewer=None):
    """The bytes of an entry file as a download, never rendered: attachment with a safe name
    (svc.download_name: hidden from judges in blind mode), octet-stream, nosniff, not cached by shared caches."""
    path = svc.file_path(entry_file)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                         download_name=svc.download_name(entry_file, viewer), etag=False, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.app_context_processor
def creative_labels():
    return {"category_label": lambda k: CATEGORY_LABELS.get(k, k), "kind_label": lambda k: KIND_LABELS.get(k, k),
            "entry_missing": svc.missing_labels}


# -- hub ---------------------------------------------------------------------------------------------
@bp.route("/")
@login_required
def index():
    """Students: their entries and where they may create one. Organisers: every creative division."""
    if current_user.has_role("organiser"):
        divisions = svc.creative_divisions()
        counts = {d.id: len(svc.division_entries(d)) for d in divisions}
        return render_template("creative/entry_hub.html", divisions=divisions, counts=counts, entries=[],
                               open_divisions=[], deadline_of=svc.deadline_of)
    if current_user.role != Role.STUDENT.value:
        abort(403)
    entries = svc.entries_of(current_user)
    return render_template("creative/entry_hub.html", divisions=[], counts={}, entries=entries,
                           open_divisions=svc.open_divisions(current_user), deadline_of=svc.deadline_of,
                           completeness=svc.completeness, is_locked=svc.is_locked)


# -- organiser: settings and list --------------------------------------------------------------------
@bp.route("/divisions/<int:division_id>/settings", methods=["GET", "POST"])
@role_required("organiser")
def settings(division_id: int):
    division = _creative_division(division_id)
    row = svc.settings_for(division)
    form = SettingsForm(obj=row if request.method == "GET" else None)
    if request.method == "GET":
        form.deadline.data = utc_to_local(row.deadline, _tz()) if row.deadline else None
        db.session.commit()  # the defaults, when just created
    if form.validate_on_submit():
        values = {k: getattr(form, k).data for k in svc.ENTRY_SETTINGS_FIELDS}
        values["deadline"] = local_to_utc(values["deadline"], _tz()) if values["deadline"] else None
        try:
            svc.update_settings(division, values, current_user)
        except svc.EntryError as exc:
            _form_error(form, exc)
        else:
            flash(_("Đã lưu cài đặt bảng %(d)s.", d=division.code), "success")
            return redirect(url_for(".settings", division_id=division.id))
    status = 422 if form.errors or request.method == "POST" else 200
    return render_template("creative/settings.html", division=division, form=form, settings=row,
                           contest_end=division.contest.end_at), status


@bp.route("/divisions/<int:division_id>/entries")
@role_required("organiser")
def entry_list(division_id: int):
    division = _creative_division(division_id)
    entries = svc.division_entries(division)
    limits = svc.settings_for(division)
    db.session.commit()
    n_complete = sum(1 for e in entries if svc.completeness(e).complete)
    return render_template("creative/entry_list.html", division=division, entries=entries, limits=limits,
                           n_complete=n_complete, completeness=svc.completeness, missing_labels=svc.missing_labels,
                           deadline=svc.deadline_of(division), locked=svc.is_locked(division))


# -- student: create, view, edit ---------------------------------------------------------------------
@bp.route("/divisions/<int:division_id>/entries/new", methods=["GET", "POST"])
@role_required("student")
def entry_new(division_id: int):
    division = _creative_division(division_id)
    mine = svc.entry_of(current_user, division)
    if mine is not None:
        flash(_("Bạn đã có bài dự thi trong bảng %(d)s.", d=division.code), "info")
        return redirect(url_for(".entry_view", entry_id=mine.id))
    if svc.is_locked(division):
        flash(svc.locked_message(division), "error")
        return redirect(url_for(".index"))
    form = EntryForm()
    cap = svc.settings_for(division).max_team_size
    db.session.commit()
    if form.validate_on_submit():
        try:
            entry = svc.create_entry(current_user, division, form.data_fields(), form.teammates.data)
        except svc.EntryError as exc:
            _form_error(form, exc)
        else:
            flash(_("Đã tạo bài dự thi. Hãy tải lên bản thuyết minh (PDF) và sản phẩm."), "success")
            return redirect(url_for(".entry_view", entry_id=entry.id))
    status = 422 if request.method == "POST" else 200
    return render_template("creative/entry_form.html", division=division, form=form, entry=None, cap=cap,
                           deadline=svc.deadline_of(division), organiser=False), status


@bp.route("/entries/<int:entry_id>")
@login_required
def entry_view(entry_id: int):
    entry = _entry(entry_id)
    if not svc.can_view(current_user, entry):
        abort(403)
    division = entry.division
    result = svc.published_result(entry) if svc.is_member(current_user, entry) else None
    return render_template("creative/entry_view.html", entry=entry, division=division,
                           completeness=svc.completeness(entry), missing=svc.missing_labels(entry),
                           locked=svc.is_locked(division), can_edit=svc.can_edit(current_user, entry),
                           results_frozen=svc.results_frozen(division),
                           deadline=svc.deadline_of(division), result=result, file_form=FileForm(),
                           action=ActionForm(), limits=svc.settings_for(division),
                           total_size=sum(f.size for f in entry.files))


@bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def entry_edit(entry_id: int):
    entry = _entry(entry_id)
    if not svc.can_view(current_user, entry):
        abort(403)
    if not svc.can_edit(current_user, entry):
        flash(svc.locked_message(entry.division), "error")
        return redirect(url_for(".entry_view", entry_id=entry.id))
    organiser = current_user.has_role("organiser") and not svc.is_member(current_user, entry)
    form = EntryForm(obj=entry if request.method == "GET" else None)
    if request.method == "GET":
        others = [m.user.username for m in entry.members if organiser or m.user_id != current_user.id]
        form.teammates.data = ", ".join(others)
    if form.validate_on_submit():
        names = svc.parse_usernames(form.teammates.data)
        if not organiser:
            names = [current_user.username] + names
        try:
            svc.update_entry(current_user, entry, form.data_fields(), members=names)
        except svc.EntryError as exc:
            _form_error(form, exc)
        else:
            flash(_("Đã lưu bài dự thi."), "success")
            return redirect(url_for(".entry_view", entry_id=entry.id))
    status = 422 if request.method == "POST" else 200
    return render_template("creative/entry_form.html", division=entry.division, form=form, entry=entry,
                           cap=svc.settings_for(entry.division).max_team_size, deadline=svc.deadline_of(entry.division),
                           organiser=organiser), status


# -- files -------------------------------------------------------------------------------------------
@csrf.exempt  # checked below, once the per-division size limit is set (the token is read from the body)
@bp.route("/entries/<int:entry_id>/files", methods=["POST"])
@request_limit(entry_upload_limit)
@login_required
def file_upload(entry_id: int):
    entry = _entry(entry_id)
    if not svc.can_view(current_user, entry):
        abort(403)
    back = redirect(url_for(".entry_view", entry_id=entry.id))
    if not svc.can_edit(current_user, entry):
        flash(svc.locked_message(entry.division), "error")
        return back
    _allow_upload_size(entry.division)
    csrf.protect()
    form = FileForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for e in errors:
                flash(e, "error")
        return back
    upload = form.file.data
    try:
        staged = svc.stage_file(entry.division, form.kind.data, upload.stream, upload.filename)
        svc.add_files(current_user, entry, [staged])
    except svc.EntryError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đã tải lên %(n)s.", n=staged.original_name), "success")
    return back


@bp.route("/entries/<int:entry_id>/files/<int:file_id>/delete", methods=["POST"])
@login_required
def file_delete(entry_id: int, file_id: int):
    entry = _entry(entry_id)
    if not svc.can_view(current_user, entry):
        abort(403)
    f = _entry_file(entry, file_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = f.original_name
    try:
        svc.delete_file(current_user, f)
    except svc.EntryError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đã xoá tệp %(n)s.", n=name), "success")
    return redirect(url_for(".entry_view", entry_id=entry.id))


@bp.route("/entries/<int:entry_id>/files/<int:file_id>")
@login_required
def file_download(entry_id: int, file_id: int):
    """Members, judges assigned to the entry and organisers; always as an attachment."""
    entry = _entry(entry_id)
    if not svc.can_download(current_user, entry):
        abort(403)
    return attachment_response(_entry_file(entry, file_id), current_user)
