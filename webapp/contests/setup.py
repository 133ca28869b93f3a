"""Contest setup: the contest list and home, joining, contests, divisions and participants (organiser)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from judge.languages import LANGUAGES

from ..auth.decorators import role_required
from ..extensions import db
from ..models import LEVEL_ORDER, Contest, Division, Participation, User, audit, utcnow
from ..services import contests as svc
from ..services.accounts import LEVEL_LABELS
from ..services.deletion import delete_if_unused
from ..services.submissions import visible_contests
from . import bp
from ._common import _tz, _contest, _division, _can_view_contest, _phase
from .forms import ActionForm, AnnouncementForm, ContestForm, DivisionForm, ParticipantsForm


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
    try:
        division = svc.save_division(
            contest, division, code=form.code.data, name=form.name.data, levels=form.levels.data or [],
            content=form.content.data, languages=form.languages.data or [], allow_higher=form.allow_higher.data,
            self_register=form.self_register.data, by=current_user, scratch_max_mib=form.scratch_max_mib.data,
        )
    except svc.DivisionRefused as exc:
        field = getattr(form, exc.field)
        field.errors = list(field.errors) + [str(exc)]
        return None
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
    if not delete_if_unused(division, current_user, "division.delete", code=division.code):
        flash(_("Bảng %(d)s đã có thí sinh hoặc đề bài nên không xoá được.", d=division.code), "error")
    else:
        db.session.commit()
        flash(_("Đã xoá bảng."), "success")
    return redirect(url_for(".contest_manage", contest_id=contest.id))



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
