"""Helpers shared by the contests views: lookups that 404, roles, the contest phase, template filters."""
from __future__ import annotations

from flask import abort, current_app, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from judge.languages import LANGUAGES

from ..extensions import db
from ..models import LEVEL_ORDER, Contest, Division, Problem, utcnow
from ..services import contests as svc
from ..services.accounts import LEVEL_LABELS
from ..services.statements import read_sample, render_markdown
from . import bp
from .forms import ROUND_LABELS

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



def _samples(loaded) -> list[tuple[str, str, str]]:
    return [(t.name, read_sample(t.input_path), read_sample(t.answer_path)) for t in loaded.tests() if t.is_sample][:10]


def _file_base(problem: Problem) -> str:
    return url_for(".problem_file", problem_id=problem.id, name="x")[:-1]
