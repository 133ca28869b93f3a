"""Tally preview, adjustments, lock and publish, public results, appeals. Rules live in
services/prizes.py, services/qualifiers.py and services/results.py; the views check access, gather
the form and render."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..auth.decorators import role_required
from ..extensions import db
from ..models import Appeal, Division, ResultAdjustment, User
from ..services import results as svc
from ..services.prizes import DEFAULT_RULE, LEVEL_NAMES, RuleError, fmt
from . import bp, contest_or_404
from .labels import APPEAL_STATUS, AWARD_LABELS, PRIZE_REASONS, QUALIFIER_REASONS, STATE_LABELS, rule_errors, translate


_contest = contest_or_404


def _division(division_id: int) -> Division:
    return db.get_or_404(Division, division_id)


def _organiser() -> bool:
    return current_user.is_authenticated and current_user.has_role("organiser")


class ActionForm(FlaskForm):
    """Only the CSRF token: the views read their fields themselves and the services validate them."""


def _check_csrf() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.app_context_processor
def result_labels():
    return {
        "award_label": lambda a: AWARD_LABELS.get(a, "") if a else "",
        "result_state_label": lambda s: STATE_LABELS.get(s, s),
        "appeal_status_label": lambda s: APPEAL_STATUS.get(s, s),
        "prize_reason": lambda r: translate(PRIZE_REASONS, r.get("reason_code"), r.get("reason_params"), r.get("reason", "")),
        "qualifier_reason": lambda r: translate(QUALIFIER_REASONS, r.get("qualified_code"), r.get("qualified_params"),
                                                r.get("qualified_reason", "")),
        "fmt_score": fmt,
        "row_schools": lambda r: _distinct(r, "school"),
        "row_units": lambda r: _distinct(r, "unit"),
    }


def _distinct(row: dict, key: str) -> str:
    """The schools (or units) of a row's people, each once: a team's members may come from several."""
    values = [m.get(key) for m in row.get("members") or [] if m.get(key)]
    return ", ".join(dict.fromkeys(values)) if values else (row.get(key) or "")


# -- public (and the contestant's appeals) -----------------------------------------------------------
@bp.route("/contest/<int:contest_id>")
def contest_results(contest_id: int):
    """Published divisions for everyone; a contestant also sees their appeals and may file one."""
    contest = _contest(contest_id)
    divisions = [d for d in contest.divisions if svc.is_published(d.id)]
    rows = {d.id: svc.division_rows(d.id) for d in divisions}
    mine, appeals, deadlines = {}, [], {}
    if current_user.is_authenticated:
        for d in divisions:
            mine[d.id] = svc.entrant_row(rows[d.id], current_user)
            deadlines[d.id] = svc.appeal_deadline(d)
        appeals = db.session.scalars(select(Appeal).where(Appeal.contest_id == contest.id,
                                                          Appeal.user_id == current_user.id).order_by(Appeal.id)).all()
        for a in appeals:
            svc.refresh_appeal(a)
    return render_template("results/contest.html", contest=contest, divisions=divisions, rows=rows, mine=mine,
                           appeals=appeals, deadlines=deadlines, now=svc.utcnow(), action=ActionForm(),
                           organiser=_organiser(), division_of={d.id: d for d in contest.divisions})


@bp.route("/divisions/<int:division_id>/appeals/new", methods=["POST"])
@login_required
def appeal_new(division_id: int):
    division = _division(division_id)
    _check_csrf()
    problem_id = request.form.get("problem_id", type=int)
    try:
        svc.file_appeal(current_user, division, request.form.get("reason", ""), problem_id=problem_id)
        flash(_("Đã gửi đơn phúc khảo."), "success")
    except svc.ResultsError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".contest_results", contest_id=division.contest_id))


# -- organiser: overview and settings ---------------------------------------------------------------
@bp.route("/contest/<int:contest_id>/manage", methods=["GET", "POST"])
@role_required("organiser")
def manage(contest_id: int):
    contest = _contest(contest_id)
    settings = svc.result_settings(contest)
    errors: list[str] = []
    form = {"qualifier_rule": _rule_text(settings.qualifier_rule), "overall_prize_cap": settings.overall_prize_cap or "",
            "appeal_hours": settings.appeal_hours}
    if request.method == "POST":
        _check_csrf()
        form = {k: request.form.get(k, "").strip() for k in form}
        cap, hours = None, 48
        try:
            cap = int(form["overall_prize_cap"]) if form["overall_prize_cap"] else None
        except ValueError:
            errors.append(_("Tổng số giải toàn cuộc thi: hãy nhập một số nguyên, hoặc để trống nếu không giới hạn."))
        try:
            hours = int(form["appeal_hours"] or 0)
        except ValueError:
            errors.append(_("Thời hạn phúc khảo: hãy nhập số giờ (số nguyên)."))
        if not errors:
            try:
                svc.save_result_settings(contest, qualifier_rule=form["qualifier_rule"] or None, overall_prize_cap=cap,
                                         appeal_hours=hours, by=current_user)
                flash(_("Đã lưu thiết lập kết quả."), "success")
                return redirect(url_for(".manage", contest_id=contest.id))
            except RuleError as exc:
                errors += [_("Quy tắc chọn thí sinh đi tiếp — %(e)s", e=e) for e in rule_errors(exc)]
            except svc.ResultsError as exc:
                errors.append(str(exc))
    states = {d.id: svc.division_state(d) for d in contest.divisions}
    selection = None
    if settings.qualifier_rule:
        try:
            selection = svc.qualifier_rows(contest)
        except RuleError as exc:
            errors += rule_errors(exc)
    open_appeals = db.session.scalar(select(db.func.count(Appeal.id)).where(
        Appeal.contest_id == contest.id, Appeal.status.in_(("open", "rejudging"))))
    return render_template("results/manage.html", contest=contest, states=states, form=form, errors=errors,
                           action=ActionForm(), open_appeals=open_appeals, selection=selection)


def _rule_text(rule) -> str:
    if not rule:
        return ""
    import yaml

    return yaml.safe_dump(rule, allow_unicode=True, sort_keys=False)


# -- organiser: the prize rule of a division ----------------------------------------------------------
def _rule_from_form(form) -> dict:
    """The editor's fields -> a rule dict (validation is parse_rule's)."""
    levels = []
    for name in LEVEL_NAMES:
        mode, value = form.get(f"{name}_mode", "none"), form.get(f"{name}_value", "").strip()
        if mode == "none":
            continue
        levels.append({"name": name, mode: _num(value)})
    rule: dict = {"levels": levels, "ties": form.get("ties", "at_most"), "rounding": form.get("rounding", "floor")}
    for key in ("min_score", "max_total_fraction"):
        if form.get(key, "").strip():
            rule[key] = _num(form[key].strip())
    per = {name: _num(form.get(f"{name}_min", "").strip()) for name in LEVEL_NAMES if form.get(f"{name}_min", "").strip()}
    if per:
        rule["min_score_per_level"] = per
    return rule


def _num(text: str):
    """'3' -> 3, '0,05' or '0.05' -> 0.05; anything else is passed on for the validator to name."""
    t = text.replace(",", ".")
    try:
        return int(t)
    except ValueError:
        try:
            return float(t)
        except ValueError:
            return text


@bp.route("/divisions/<int:division_id>/rule", methods=["GET", "POST"])
@role_required("organiser")
def rule_edit(division_id: int):
    division = _division(division_id)
    errors: list[str] = []
    rule = svc.prize_rule(division)
    text = ""
    if request.method == "POST":
        _check_csrf()
        upload = request.files.get("file")
        text = request.form.get("text", "").strip()
        source = upload.read() if upload and upload.filename else (text or _rule_from_form(request.form))
        try:
            rule = svc.save_prize_rule(division, source, current_user)
            flash(_("Đã lưu quy tắc xét giải của bảng %(d)s.", d=division.code), "success")
            return redirect(url_for(".preview", division_id=division.id))
        except RuleError as exc:
            errors = rule_errors(exc)
            if isinstance(source, dict):
                rule = source
    levels = {lv.get("name"): lv for lv in rule.get("levels", []) if isinstance(lv, dict)}
    return render_template("results/rule.html", division=division, contest=division.contest, rule=rule,
                           levels=levels, errors=errors, text=text, default_text=_rule_text(DEFAULT_RULE),
                           level_names=LEVEL_NAMES, action=ActionForm())


# -- organiser: preview, adjust, lock, publish, unlock ---------------------------------------------------
@bp.route("/divisions/<int:division_id>/preview")
@role_required("organiser")
def preview(division_id: int):
    division = _division(division_id)
    state = svc.division_state(division)
    live = svc.tally_division(division)
    if state.state == "draft":
        rows = live
    else:  # the frozen rows; their reasons in the user's language where the live tally still agrees
        codes = {r["entrant"]: r for r in live}
        rows = []
        for r in svc.division_rows(division.id):
            same = codes.get(r["entrant"])
            if same and (same["award"], same["score"], same["reason"]) == (r["award"], r["score"], r["reason"]):
                r = {**r, "reason_code": same["reason_code"], "reason_params": same["reason_params"]}
            rows.append(r)
    adjustments = db.session.scalars(select(ResultAdjustment).where(ResultAdjustment.division_id == division.id)
                                     .order_by(ResultAdjustment.id.desc())).all()
    authors = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({a.user_id for a in adjustments if a.user_id})))} if adjustments else {}
    counts = {name: sum(1 for r in rows if r["award"] == name) for name in LEVEL_NAMES}
    return render_template("results/preview.html", division=division, contest=division.contest, state=state,
                           rows=rows, counts=counts, rule=svc.prize_rule(division), adjustments=adjustments,
                           authors=authors, level_names=LEVEL_NAMES, action=ActionForm())


@bp.route("/divisions/<int:division_id>/adjust", methods=["POST"])
@role_required("organiser")
def adjust(division_id: int):
    division = _division(division_id)
    _check_csrf()
    try:
        svc.adjust(division, request.form.get("entrant", ""), request.form.get("field", ""),
                   request.form.get("value", ""), request.form.get("reason", ""), current_user)
        flash(_("Đã điều chỉnh kết quả."), "success")
    except svc.ResultsError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".preview", division_id=division.id))


def _state_action(division_id: int, fn, message: str, *args):
    division = _division(division_id)
    _check_csrf()
    try:
        fn(division, current_user, *args)
        flash(message, "success")
    except svc.ResultsError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".preview", division_id=division.id))


@bp.route("/divisions/<int:division_id>/lock", methods=["POST"])
@role_required("organiser")
def lock(division_id: int):
    return _state_action(division_id, svc.lock, _("Đã khoá kết quả."))


@bp.route("/divisions/<int:division_id>/publish", methods=["POST"])
@role_required("organiser")
def publish(division_id: int):
    return _state_action(division_id, svc.publish, _("Đã công bố kết quả."))


@bp.route("/divisions/<int:division_id>/unlock", methods=["POST"])
@role_required("organiser")
def unlock(division_id: int):
    return _state_action(division_id, svc.unlock, _("Đã mở khoá kết quả."), request.form.get("reason", ""))


# -- organiser: appeals ---------------------------------------------------------------------------------
@bp.route("/contest/<int:contest_id>/appeals")
@role_required("organiser")
def appeals(contest_id: int):
    contest = _contest(contest_id)
    items = db.session.scalars(select(Appeal).where(Appeal.contest_id == contest.id).order_by(Appeal.id.desc())).all()
    for a in items:
        svc.refresh_appeal(a)
    return render_template("results/appeals.html", contest=contest, appeals=items,
                           division_of={d.id: d for d in contest.divisions})


@bp.route("/appeals/<int:appeal_id>", methods=["GET", "POST"])
@role_required("organiser")
def appeal(appeal_id: int):
    item = db.session.get(Appeal, appeal_id)
    if item is None:
        abort(404)
    division = _division(item.division_id)
    if request.method == "POST":
        _check_csrf()
        try:
            svc.resolve_appeal(item, request.form.get("action", ""), request.form.get("response", ""), current_user,
                               score=request.form.get("score"))
            flash(_("Đã xử lý đơn phúc khảo."), "success")
        except svc.ResultsError as exc:
            flash(str(exc), "error")
        return redirect(url_for(".appeal", appeal_id=item.id))
    svc.refresh_appeal(item)
    problem = next((p for p in division.problems if p.id == item.problem_id), None)
    return render_template("results/appeal.html", appeal=item, division=division, contest=division.contest,
                           problem=problem, action=ActionForm())
