"""The public scoreboard (frozen near the end until results are published)."""
from __future__ import annotations

from flask import abort, current_app, render_template, request

from ..models import utcnow
from ..services.results import is_published
from ..services.scoreboard import freeze_time, load_scoreboard
from . import bp
from ._common import _contest, _division, _organiser, _phase


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
    freeze_at = freeze_time(contest.end_at, contest.freeze_minutes)
    now = utcnow()
    frozen_now = freeze_at is not None and now >= freeze_at
    context = dict(contest=contest, division=division, rows=rows, problems=problems, unfrozen=unfrozen, published=published,
                   freeze_at=freeze_at, frozen_now=frozen_now, phase=_phase(contest), now=now)
    if request.args.get("partial"):
        response = current_app.make_response(render_template("contests/_scoreboard_table.html", **context))
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("contests/scoreboard.html", **context)
