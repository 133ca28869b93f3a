"""API for creative products: a student's team entry (/creative/entries), a judge's score sheets."""
from . import bp  # noqa: F401


# -- judges: assigned entries and score sheets ---------------------------------------------------------
from flask import g, jsonify  # noqa: E402

from ..extensions import db  # noqa: E402
from ..models import CreativeEntry  # noqa: E402
from ..services import creative_ops as judging  # noqa: E402
from .routes import ApiError, iso, json_body, token_required  # noqa: E402


def _judge_entry_json(entry: CreativeEntry, round_: int, judge) -> dict:
    """An assigned entry as a judge sees it; blind mode leaves out members, schools and the mentor."""
    settings = judging._settings(entry.division)
    crit = judging.rubric(entry.division, round_)
    sheet = judging.sheet_for(entry, judge, round_)
    names = {str(c.id): c.name for c in crit}
    data = {
        "entry_id": entry.id, "round": round_, "contest_id": entry.contest_id,
        "division": {"id": entry.division_id, "code": entry.division.code},
        "title": entry.title, "summary": entry.summary, "category": entry.category,
        "video_url": entry.video_url or None, "repo_url": entry.repo_url or None, "blind": settings.blind,
        "criteria": [{"name": c.name, "description": c.description, "max_points": c.max_points, "weight": c.weight} for c in crit],
        "sheet": None if sheet is None else {
            "status": sheet.status, "comment": sheet.comment, "total": sheet.total, "updated_at": iso(sheet.updated_at),
            "criteria": {names.get(k, k): v for k, v in (sheet.points or {}).items()},
        },
    }
    if not settings.blind:
        data["members"] = [{"username": m.user.username, "full_name": m.user.full_name,
                            "school": m.user.school.name if m.user.school else None} for m in entry.members]
        data["mentor"] = {"name": entry.mentor_name, "school": entry.mentor_school} if entry.mentor_name or entry.mentor_school else None
    return data


def _require_judge():
    if not g.api_user.has_role("judge"):
        raise ApiError(403, "Only judges have assigned entries and score sheets.")


@bp.get("/creative/assigned")
@token_required
def creative_assigned():
    """The entries assigned to the calling judge (every round), with the rubric and the judge's sheet."""
    _require_judge()
    rows = [_judge_entry_json(a.entry, a.round, g.api_user) for a in judging.judge_assignments(g.api_user)]
    return jsonify(entries=rows)


@bp.put("/creative/entries/<int:entry_id>/score")
@token_required
def creative_score(entry_id: int):
    """Save or submit the calling judge's score sheet: {"criteria": {"<criterion name>": points},
    "comment": "...", "submit": true, "round": 1}. round defaults to the latest round the judge is
    assigned to this entry. A submitted sheet is locked (409) until an organiser unlocks it."""
    _require_judge()
    entry = db.session.get(CreativeEntry, entry_id)
    if entry is None:
        raise ApiError(404, f"No creative entry {entry_id}.")
    data = json_body()
    rounds = sorted(a.round for a in judging.judge_assignments(g.api_user) if a.entry_id == entry.id)
    if not rounds:
        raise ApiError(403, "You are not assigned to this entry.")
    round_ = data.get("round", rounds[-1])
    if isinstance(round_, bool) or round_ not in (1, 2):
        raise ApiError(422, 'Field "round" must be 1 or 2.')
    if round_ not in rounds:
        raise ApiError(403, f"You are not assigned to this entry in round {round_}.")
    named = data.get("criteria")
    if not isinstance(named, dict):
        raise ApiError(422, 'Field "criteria" must be an object {"<criterion name>": points}.')
    comment = data.get("comment", "")
    if not isinstance(comment, str):
        raise ApiError(422, 'Field "comment" must be a string.')
    submit = data.get("submit", False)
    if not isinstance(submit, bool):
        raise ApiError(422, 'Field "submit" must be true or false.')
    try:
        points = judging.points_by_name(entry.division, round_, named)
        judging.save_sheet(entry, g.api_user, round_, points, comment, submit)
    except judging.CreativeRefused as exc:
        raise ApiError(exc.http_status, str(exc))
    return jsonify(_judge_entry_json(entry, round_, g.api_user))
