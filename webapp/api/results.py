"""Organiser API for results: tally, qualifiers (the same rows as the CLI's --json), and the import of
external scores (the same checks as the CLI and the page: all or nothing)."""
from flask import current_app, g, jsonify, request

from ..extensions import db
from ..models import Contest, Division
from ..services.prizes import RuleError
from ..services.results import public_rows, qualifier_rows, tally_division
from ..services.score_import import ScoreImportError, parse_scores, store_scores
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


@bp.post("/results/divisions/<int:division_id>/scores")
@token_required
def results_import_scores(division_id: int):
    """Import external scores (multipart field "file": CSV/XLSX with username,score or full name,
    school,score; optional field "reason"). All or nothing: 422 lists every bad row."""
    if not g.api_user.has_role("organiser"):
        raise ApiError(403, "Only organisers may import scores.")
    division = db.session.get(Division, division_id)
    if division is None:
        raise ApiError(404, f"No division {division_id}.")
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(422, "No file: send the CSV/XLSX as the multipart/form-data field 'file'.")
    limit = current_app.config["IMPORT_MAX_BYTES"]
    data = upload.read(limit + 1)
    name = upload.filename or ""
    try:
        rows, errors = parse_scores(division, name, data, limit, current_app.config["IMPORT_MAX_ROWS"])
    except ScoreImportError as exc:
        raise ApiError(422, f"{name}: {exc}") from None
    if errors:
        return jsonify(error=f"{name}: {len(errors)} bad row(s); nothing imported.",
                       errors=[{"row": e.row, "column": e.column, "message": e.message} for e in errors]), 422
    result = store_scores(division, rows, g.api_user, name, (request.form.get("reason") or "").strip()[:500]
                          or f"api import of {name}")
    db.session.commit()
    return jsonify(division=division.code, imported=len(result.stored), replaced=result.replaced)
