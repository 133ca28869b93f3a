"""External score import, XLSX/CSV exports of prizes and qualifiers, PDF certificates (organisers only).

Rules live in services/score_import.py, services/exports.py and services/certificates.py; these views
check access, call them and send files. A division whose results are not locked gets a 409 page that
says so, never an empty file.
"""
from __future__ import annotations

from flask import Response, abort, current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from wtforms import StringField, SubmitField
from wtforms.validators import Length, Optional

from ..auth.decorators import role_required
from ..extensions import db
from ..models import Contest, Division, ExternalScore
from ..services import certificates as certs
from ..services.exports import FORMATS, NotFinal, contest_qualifier_rows, division_state, prize_rows
from ..services.score_import import ScoreImportError, division_max_score, parse_scores, store_scores
from . import bp, contest_or_404, division_or_404


class ScoreImportForm(FlaskForm):
    file = FileField(_l("Tệp điểm (.xlsx hoặc .csv)"), validators=[FileRequired(_l("Hãy chọn một tệp."))])
    reason = StringField(_l("Ghi chú (nguồn điểm, biên bản…)"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Nhập điểm"))


_contest = contest_or_404
_division = division_or_404


def _not_final(contest: Contest, exc: NotFinal):
    return render_template("results/not_final.html", contest=contest, codes=exc.codes), 409


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/contest/<int:contest_id>/exports")
@role_required("organiser")
def exports(contest_id: int):
    """Per division: the state of its results and the files that can be downloaded."""
    contest = _contest(contest_id)
    divisions = []
    for d in contest.divisions:
        state = division_state(d.id)
        winners = prize_rows(d) if state in ("locked", "published") else []
        imported = db.session.scalar(select(func.count(ExternalScore.id)).where(ExternalScore.division_id == d.id))
        people = [(p.get("username", ""), p.get("full_name", ""), r.get("award")) for r in winners for p in (r.get("members") or [r])]
        divisions.append({"division": d, "state": state, "winners": people, "imported": imported})
    all_final = all(x["state"] in ("locked", "published") for x in divisions) and bool(divisions)
    return render_template("results/exports.html", contest=contest, divisions=divisions, all_final=all_final)


@bp.route("/contest/<int:contest_id>/division/<int:division_id>/prizes.<fmt>")
@role_required("organiser")
def prizes_file(contest_id: int, division_id: int, fmt: str):
    contest = _contest(contest_id)
    division = _division(contest, division_id)
    out = FORMATS.get(fmt) or abort(404)
    try:
        rows = prize_rows(division)
    except NotFinal as exc:
        return _not_final(contest, exc)
    data = out.render(rows, f"Giải bảng {division.code}")
    return _download(data, out.mimetype, f"giai-{contest.id}-bang-{division.code}.{fmt}")


@bp.route("/contest/<int:contest_id>/qualifiers.<fmt>")
@role_required("organiser")
def qualifiers_file(contest_id: int, fmt: str):
    contest = _contest(contest_id)
    out = FORMATS.get(fmt) or abort(404)
    try:
        rows = contest_qualifier_rows(contest.id)
    except NotFinal as exc:
        return _not_final(contest, exc)
    data = out.render(rows, "Vào vòng sau")
    return _download(data, out.mimetype, f"vong-sau-{contest.id}.{fmt}")


def _certificates(contest: Contest, division: Division):
    return certs.division_certificates(division, certs.issue_date(division.id, current_app.config["TIMEZONE"]))


def _pdf(items, filename: str):
    try:
        data = certs.render(items)
    except certs.FontMissing as exc:
        current_app.logger.error("certificates: %s", exc)
        return render_template("results/not_final.html", font_error=str(exc)), 503
    return _download(data, "application/pdf", filename)


@bp.route("/contest/<int:contest_id>/division/<int:division_id>/certificates.pdf")
@role_required("organiser")
def certificates_pdf(contest_id: int, division_id: int):
    """Every certificate of the division in one PDF, one page each, for printing."""
    contest = _contest(contest_id)
    division = _division(contest, division_id)
    try:
        items = _certificates(contest, division)
    except NotFinal as exc:
        return _not_final(contest, exc)
    if not items:
        abort(404)
    return _pdf(items, f"giay-chung-nhan-{contest.id}-bang-{division.code}.pdf")


@bp.route("/contest/<int:contest_id>/division/<int:division_id>/certificate/<username>.pdf")
@role_required("organiser")
def certificate_pdf(contest_id: int, division_id: int, username: str):
    """The certificate of one winner (for a team: of one member)."""
    contest = _contest(contest_id)
    division = _division(contest, division_id)
    try:
        items = [c for c in _certificates(contest, division) if c.username == username]
    except NotFinal as exc:
        return _not_final(contest, exc)
    if not items:
        abort(404)
    return _pdf(items, f"giay-chung-nhan-{contest.id}-{division.code}-{username}.pdf")


@bp.route("/contest/<int:contest_id>/division/<int:division_id>/import-scores", methods=["GET", "POST"])
@role_required("organiser")
def import_scores(contest_id: int, division_id: int):
    """External scores: every row valid → all stored (replacing earlier imports of those users); else
    nothing stored and every error listed by row and column."""
    contest = _contest(contest_id)
    division = _division(contest, division_id)
    form = ScoreImportForm()
    page = {"contest": contest, "division": division, "form": form, "maximum": division_max_score(division),
            "locked": division_state(division.id) != "draft"}
    if form.validate_on_submit():
        upload = form.file.data
        limit = current_app.config["IMPORT_MAX_BYTES"]
        data = upload.read(limit + 1)
        try:
            rows, errors = parse_scores(division, upload.filename or "", data, limit, current_app.config["IMPORT_MAX_ROWS"])
        except ScoreImportError as exc:
            return render_template("results/import_scores.html", file_error=str(exc), **page), 422
        if errors:
            return render_template("results/import_scores.html", errors=errors, filename=upload.filename, **page), 422
        result = store_scores(division, rows, current_user, upload.filename or "", (form.reason.data or "").strip())
        db.session.commit()
        return render_template("results/import_scores.html", done=result, filename=upload.filename,
                               imported=_imported(division), **page)
    return render_template("results/import_scores.html", imported=_imported(division), **page)


def _imported(division: Division) -> list[ExternalScore]:
    return list(db.session.scalars(select(ExternalScore).where(ExternalScore.division_id == division.id)
                                   .order_by(ExternalScore.score.desc(), ExternalScore.id)))

