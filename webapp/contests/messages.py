"""Announcements and clarifications."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..auth.decorators import role_required
from ..extensions import db
from ..models import Announcement, Clarification, audit
from ..services import contests as svc
from ..services.submissions import can_see_problem
from . import bp
from ._common import _contest, _staff, _can_view_contest
from .forms import ActionForm, AnnouncementForm, AnswerForm, ClarificationForm


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
