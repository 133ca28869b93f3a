"""Organiser API for results: tally, qualifiers (the same rows as the CLI's --json)."""
from flask import g, jsonify

from ..extensions import db
from ..models import Contest, Division
from ..services.prizes import RuleError
from ..services.results import public_rows, qualifier_rows, tally_division
from . import bp
from .routes import ApiError, token_required


def _organiser() -> None:
    if not g.api_user.has_role("organiser"):
        raise ApiError(403, "Only organisers may read the tally before it is published.")


@bp.get("/results/divisions/<int:division_id>/tally")
@token_required
def results_tally(division_id: int):
    """The live prize tally of one division, best first, ranked entrants only."""
    _organiser()
    division = db.session.get(Division, division_id)
    if division is None:
        raise ApiError(404, f"No division {division_id}.")
    try:
        rows = tally_division(division)
    except RuleError as exc:
        raise ApiError(422, f"The stored prize rule is invalid: {exc}") from None
    return jsonify(public_rows(rows, "award"))


@bp.get("/results/contests/<int:contest_id>/qualifiers")
@token_required
def results_qualifiers(contest_id: int):
    """The qualifier selection of a contest with its stored rule (422 when it has none)."""
    _organiser()
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        raise ApiError(404, f"No contest {contest_id}.")
    try:
        result = qualifier_rows(contest)
    except RuleError as exc:
        raise ApiError(422, f"No usable qualifier rule ({exc}); set one on the contest's results page.") from None
    return jsonify(public_rows(result["rows"], "qualified"))
