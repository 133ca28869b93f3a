"""Rubric, judge assignment, score sheets, coverage and rankings (organiser and judge pages).
Thin views: access checks here, rules in services/creative_judging.py, writes in services/creative_ops.py."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from .. import nav
from ..auth.decorators import role_required
from ..extensions import db
from ..models import ConflictOfInterest, Contest, CreativeEntry, Division, School, ScoreSheet, User
from ..services import creative_ops as ops
from ..services.creative_judging import AGGREGATIONS
from ..services.creative_ranking import division_ranking, round_scores, sheet_totals
from . import bp, creative_division_or_404, entry_or_404

nav.add("creative.judge_home", _l("Chấm sản phẩm sáng tạo"), ("judge",))
nav.add("creative.org_home", _l("Chấm sản phẩm sáng tạo (BTC)"), ("organiser",))

AGGREGATION_LABELS = {
    "mean": _l("Trung bình điểm các giám khảo"),
    "trimmed": _l("Trung bình bỏ điểm cao nhất và thấp nhất (từ 4 giám khảo)"),
    "zscore": _l("Chuẩn hoá z-score theo từng giám khảo, quy về thang 0–100"),
}


class CsrfForm(FlaskForm):
    """Only the CSRF token; the fields of these pages are read from request.form and checked in services."""


# -- helpers -------------------------------------------------------------------------------------------
_creative_division = creative_division_or_404
_entry = entry_or_404


def _round(round_: int) -> int:
    if round_ not in ops.ROUNDS:
        abort(404)
    return round_


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _float(value, default=None):
    try:
        return float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return default


ENTRY_CATEGORY_LABELS = {
    "software": _l("Phần mềm"), "web": _l("Website"), "mobile": _l("Ứng dụng di động"), "game": _l("Trò chơi"),
    "scratch": _l("Dự án Scratch"), "other": _l("Khác"),
}


@bp.app_context_processor
def creative_labels():
    return {"conflict_label": ops.conflict_label,
            "aggregation_label": lambda m: AGGREGATION_LABELS.get(m, m),
            "judging_category_label": lambda c: ENTRY_CATEGORY_LABELS.get(c, c),
            "entries_open_until": _entries_open_until}


def _entries_open_until(division: Division):
    """The deadline while the division's entries can still be changed by their teams, else None."""
    from ..services import creative_entries as entries_svc

    return None if entries_svc.is_locked(division) else entries_svc.deadline_of(division)


# -- judge pages ------------------------------------------------------------------------------------
@bp.route("/judge")
@role_required("judge")
def judge_home():
    """My entries, per round: what is scored, what is a draft, what is left."""
    rows = []
    for a in ops.judge_assignments(current_user):
        sheet = ops.sheet_for(a.entry, current_user, a.round)
        rows.append({"a": a, "entry": a.entry, "sheet": sheet, "blind": ops._settings(a.entry.division).blind,
                     "state": sheet.status if sheet else "none"})
    done = sum(r["state"] == "submitted" for r in rows)
    return render_template("creative/judge_home.html", rows=rows, done=done, left=len(rows) - done,
                           conflicts=ops.conflict_rows([current_user.id]))


def _judge_access(entry_id: int, round_: int) -> CreativeEntry:
    entry = _entry(entry_id)
    if not ops.is_assigned(current_user, entry, _round(round_)):
        abort(403, _("Bạn không được phân công chấm bài này."))
    return entry


def _sheet_context(entry: CreativeEntry, round_: int) -> dict:
    return {"entry": entry, "round_": round_, "criteria": ops.rubric(entry.division, round_),
            "sheet": ops.sheet_for(entry, current_user, round_), "settings": ops._settings(entry.division),
            "conflict": ops.conflict_of(current_user, entry)}


@bp.route("/judge/entries/<int:entry_id>/<int:round_>", methods=["GET", "POST"])
@role_required("judge")
def judge_sheet(entry_id: int, round_: int):
    """The score sheet form: points per criterion (within its maximum), a comment, save or submit."""
    entry = _judge_access(entry_id, round_)
    form = CsrfForm()
    values, comment = None, None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        ctx = _sheet_context(entry, round_)
        values = {str(c.id): request.form.get(f"c_{c.id}", "") for c in ctx["criteria"]}
        comment = request.form.get("comment", "")
        submit = request.form.get("action") == "submit"
        try:
            ops.save_sheet(entry, current_user, round_, values, comment, submit)
        except ops.CreativeRefused as exc:
            flash(str(exc), "error")
            return render_template("creative/judge_sheet.html", form=form, values=values, comment=comment, **ctx), exc.http_status
        flash(_("Đã nộp phiếu chấm.") if submit else _("Đã lưu nháp."), "success")
        return redirect(url_for("creative.judge_sheet", entry_id=entry.id, round_=round_))
    ctx = _sheet_context(entry, round_)
    return render_template("creative/judge_sheet.html", form=form, values=values, comment=comment, **ctx)


@bp.route("/judge/entries/<int:entry_id>/<int:round_>/print")
@role_required("judge")
def judge_print(entry_id: int, round_: int):
    """The printable phiếu chấm of one entry (blank or with the judge's points)."""
    entry = _judge_access(entry_id, round_)
    return render_template("creative/judge_print.html", judge=current_user, **_sheet_context(entry, round_))


@bp.route("/judge/conflicts", methods=["GET", "POST"])
@role_required("judge")
def judge_conflicts():
    """A judge declares a conflict of interest: with one of the assigned entries, a school or a unit."""
    form = CsrfForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            _record_conflict(current_user)
        except ops.CreativeRefused as exc:
            flash(str(exc), "error")
        else:
            flash(_("Đã ghi nhận xung đột lợi ích."), "success")
            return redirect(url_for("creative.judge_conflicts"))
    entries = [a.entry for a in ops.judge_assignments(current_user)]
    return render_template("creative/judge_conflicts.html", form=form, entries=entries,
                           schools=db.session.scalars(select(School).order_by(School.name)).all(),
                           conflicts=ops.conflict_rows([current_user.id]))


def _flash_conflicted_scored(judge: User) -> None:
    """Warn about the judge's assignments kept although they now conflict (they have a score sheet)."""
    rows = ops.conflicted_assignments(judge=judge)
    if rows:
        flash(_("%(u)s đã có phiếu chấm cho bài có xung đột lợi ích, phân công được giữ lại để Ban tổ chức quyết định "
                "(mở khoá rồi bỏ phân công): %(l)s.", u=judge.username,
                l="; ".join(f"#{a.entry_id} ({ops.conflict_label(code)})" for a, code in rows)), "error")


def _record_conflict(judge: User) -> None:
    kind = request.form.get("kind")
    target = {"entry": {"entry_id": _int(request.form.get("entry_id"))},
              "school": {"school_id": _int(request.form.get("school_id"))},
              "unit": {"unit": request.form.get("unit", "")}}.get(kind)
    if target is None:
        raise ops.CreativeRefused(_("Chọn loại xung đột: một bài dự thi, một trường hoặc một đơn vị."), 422, "kind")
    ops.record_conflict(judge, current_user, reason=request.form.get("reason", ""), **target)
    _flash_conflicted_scored(judge)


# -- organiser pages ----------------------------------------------------------------------------------
@bp.route("/org")
@role_required("organiser")
def org_home():
    divisions = db.session.scalars(select(Division).join(Contest).where(Division.content == "creative")
                                   .order_by(Contest.start_at.desc(), Division.code)).all()
    return render_template("creative/org_home.html", divisions=divisions)


@bp.route("/org/<int:division_id>")
@bp.route("/org/<int:division_id>/round/<int:round_>")
@role_required("organiser")
def org_division(division_id: int, round_: int = 1):
    """Coverage per entry, progress per judge, flagged entries of one round."""
    division = _creative_division(division_id)
    _round(round_)
    settings = ops._settings(division)
    prog = ops.progress(division, round_)
    ranking = {r["entry_id"]: r for r in division_ranking(division.id)}
    flagged = [r for r in ranking.values() if r["flagged"]]
    k = settings.judges_per_entry
    return render_template("creative/org_division.html", division=division, round_=round_, settings=settings,
                           progress=prog, ranking=ranking, flagged=flagged, k=k)


@bp.route("/org/<int:division_id>/rubric/<int:round_>", methods=["GET", "POST"])
@role_required("organiser")
def org_rubric(division_id: int, round_: int):
    """Edit the criteria of a round until its scoring starts."""
    division = _creative_division(division_id)
    _round(round_)
    form = CsrfForm()
    items = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        items = []
        # every row posts its own fields, so rows beyond the number of fields are empty: a forged
        # `rows` (say 10**25) must not keep the request looping
        for i in range(min(_int(request.form.get("rows"), 0) or 0, len(request.form))):
            name = request.form.get(f"name_{i}", "").strip()
            top = request.form.get(f"max_{i}", "").strip()
            if not name and not top:
                continue
            items.append({"name": name, "description": request.form.get(f"desc_{i}", ""), "max_points": top or None,
                          "weight": request.form.get(f"weight_{i}", "") or 1})
        try:
            ops.save_rubric(division, round_, items, current_user)
        except ops.CreativeRefused as exc:
            flash(str(exc), "error")
            return render_template("creative/org_rubric.html", form=form, division=division, round_=round_,
                                   items=items + [{}] * 2, locked=ops.scoring_started(division, round_)), exc.http_status
        flash(_("Đã lưu tiêu chí chấm."), "success")
        return redirect(url_for("creative.org_rubric", division_id=division.id, round_=round_))
    rows = [{"name": c.name, "description": c.description, "max_points": c.max_points, "weight": c.weight}
            for c in ops.rubric(division, round_)]
    return render_template("creative/org_rubric.html", form=form, division=division, round_=round_,
                           items=rows + [{}] * 2, locked=ops.scoring_started(division, round_))


def _panel_page(division: Division, round_: int, report=None, status: int = 200):
    settings = ops._settings(division)
    judges = ops.all_judges()
    chosen = {u.id for u in ops.panel(division, round_)}
    entries = ops.round_entries(division, round_)
    prog = ops.progress(division, round_)
    report_rows = []
    if report is not None:
        by_id = {e.id: e for e in entries}
        names = {u.id: u.username for u in judges}
        for s in report.shortfall:
            report_rows.append({"s": s, "entry": by_id.get(s.entry_id),
                                "conflicted": [(names.get(j, j), ops.conflict_label(r)) for j, r in sorted(s.conflicted.items())]})
    return render_template("creative/org_panel.html", form=CsrfForm(), division=division, round_=round_, settings=settings,
                           judges=judges, chosen=chosen, default_panel=ops.panel_is_default(division, round_),
                           entries=entries, progress=prog, report=report, report_rows=report_rows,
                           conflicts=ops.conflict_rows(), users={u.id: u for u in judges},
                           schools=db.session.scalars(select(School).order_by(School.name)).all(),
                           all_entries=ops.division_entries(division)), status


@bp.route("/org/<int:division_id>/panel/<int:round_>", methods=["GET", "POST"])
@role_required("organiser")
def org_panel(division_id: int, round_: int):
    """The panel of a round, the assignment (run, report, add/remove by hand), conflicts, judges' units."""
    division = _creative_division(division_id)
    _round(round_)
    if request.method == "GET":
        return _panel_page(division, round_)
    if not CsrfForm().validate_on_submit():
        abort(400)
    action = request.form.get("action")
    report = None
    try:
        if action == "panel":
            ops.set_panel(division, round_, [_int(x) for x in request.form.getlist("judge_ids") if _int(x)], current_user)
            flash(_("Đã lưu hội đồng giám khảo."), "success")
        elif action == "run":
            k = _int(request.form.get("per_entry"))
            if k is None:
                raise ops.CreativeRefused(_("Số giám khảo mỗi bài phải là một số nguyên."), 422, "per_entry")
            report = ops.run_assignment(division, round_, k, current_user)
            flash(ngettext("Đã phân công: %(n)s lượt chấm.", "Đã phân công: %(n)s lượt chấm.",
                           len(report.assignments), n=len(report.assignments)), "success")
        elif action == "add":
            entry, judge = _entry(_int(request.form.get("entry_id"), 0)), db.session.get(User, _int(request.form.get("judge_id"), 0))
            if judge is None or entry.division_id != division.id:
                abort(404)
            ops.add_assignment(entry, judge, round_, current_user)
            flash(_("Đã phân công %(u)s chấm bài “%(t)s”.", u=judge.username, t=entry.title), "success")
        elif action == "remove":
            entry, judge = _entry(_int(request.form.get("entry_id"), 0)), db.session.get(User, _int(request.form.get("judge_id"), 0))
            if judge is None or entry.division_id != division.id:
                abort(404)
            ops.remove_assignment(entry, judge, round_, current_user, request.form.get("reason", ""))
            flash(_("Đã bỏ phân công %(u)s với bài “%(t)s”.", u=judge.username, t=entry.title), "success")
        elif action == "conflict":
            judge = db.session.get(User, _int(request.form.get("judge_id"), 0))
            if judge is None:
                raise ops.CreativeRefused(_("Hãy chọn giám khảo."), 422, "judge_id")
            _record_conflict(judge)
            flash(_("Đã ghi nhận xung đột lợi ích của %(u)s.", u=judge.username), "success")
        elif action == "conflict_delete":
            row = db.session.get(ConflictOfInterest, _int(request.form.get("conflict_id"), 0))
            if row is None:
                abort(404)
            ops.delete_conflict(row, current_user, request.form.get("reason", ""))
            flash(_("Đã xoá xung đột lợi ích."), "success")
        elif action == "judge":
            judge = db.session.get(User, _int(request.form.get("judge_id"), 0))
            if judge is None:
                abort(404)
            ops.set_judge_affiliation(judge, request.form.get("school", ""), request.form.get("district", ""),
                                      request.form.get("unit", ""), current_user)
            flash(_("Đã lưu trường và đơn vị của %(u)s.", u=judge.username), "success")
            _flash_conflicted_scored(judge)
        else:
            abort(400)
    except ops.CreativeRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _panel_page(division, round_, status=exc.http_status)
    if report is not None:
        return _panel_page(division, round_, report=report)
    return redirect(url_for("creative.org_panel", division_id=division.id, round_=round_))


@bp.route("/org/<int:division_id>/ranking")
@role_required("organiser")
def org_ranking(division_id: int):
    """The ranking of a division, ties shown."""
    division = _creative_division(division_id)
    rows = division_ranking(division.id)
    counts: dict[int, int] = {}
    for r in rows:
        if r["rank"] is not None:
            counts[r["rank"]] = counts.get(r["rank"], 0) + 1
    return render_template("creative/org_ranking.html", division=division, rows=rows, tie_counts=counts,
                           settings=ops._settings(division))


@bp.route("/org/<int:division_id>/sheets")
@role_required("organiser")
def org_sheets(division_id: int):
    """Every score sheet of the division with its points; submitted sheets can be unlocked."""
    division = _creative_division(division_id)
    crit = {r: ops.rubric(division, r) for r in ops.ROUNDS}
    sheets = ops.division_sheets(division)
    only = request.args.get("entry", type=int)
    if only:
        sheets = [s for s in sheets if s.entry_id == only]
    return render_template("creative/org_sheets.html", form=CsrfForm(), division=division, criteria=crit,
                           sheets=sheets, only=only)


@bp.route("/org/sheets/<int:sheet_id>/unlock", methods=["POST"])
@role_required("organiser")
def org_unlock(sheet_id: int):
    sheet = db.session.get(ScoreSheet, sheet_id)
    if sheet is None:
        abort(404)
    if not CsrfForm().validate_on_submit():
        abort(400)
    try:
        ops.unlock_sheet(sheet, current_user, request.form.get("reason", ""))
        flash(_("Đã mở khoá phiếu chấm của %(u)s.", u=sheet.judge.username), "success")
    except ops.CreativeRefused as exc:
        flash(str(exc), "error")
    return redirect(url_for("creative.org_sheets", division_id=sheet.entry.division_id))


@bp.route("/org/<int:division_id>/judging", methods=["GET", "POST"])
@role_required("organiser")
def org_judging(division_id: int):
    """Judging settings: judges per entry, blind mode, aggregation, flag threshold, two rounds."""
    division = _creative_division(division_id)
    settings = ops._settings(division)
    form = CsrfForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        f = request.form
        values = {
            "judges_per_entry": _int(f.get("judges_per_entry"), -1), "blind": bool(f.get("blind")),
            "aggregation": f.get("aggregation"), "disagreement_threshold": _float(f.get("disagreement_threshold"), -1),
            "two_rounds": bool(f.get("two_rounds")),
            "round2_top_k": _int(f.get("round2_top_k")) if f.get("round2_top_k", "").strip() else None,
            "round2_min_score": _float(f.get("round2_min_score")) if f.get("round2_min_score", "").strip() else None,
            "round2_weight": _float(f.get("round2_weight"), -1),
        }
        try:
            ops.save_judging_settings(division, current_user, **values)
            flash(_("Đã lưu cách chấm."), "success")
            return redirect(url_for("creative.org_judging", division_id=division.id))
        except ops.CreativeRefused as exc:
            db.session.rollback()
            flash(str(exc), "error")
            status = exc.http_status
    r1 = round_scores(division, 1)
    selected = {e.id for e in ops.round_entries(division, 2)}
    entries = sorted(ops.division_entries(division), key=lambda e: (r1.get(e.id) is None, -(r1.get(e.id) or 0), e.id))
    return render_template("creative/org_judging.html", form=form, division=division, settings=settings,
                           methods=list(AGGREGATIONS), r1=r1, selected=selected, entries=entries,
                           judged={e: len(t) for e, t in sheet_totals(division, 1).items()}), status
