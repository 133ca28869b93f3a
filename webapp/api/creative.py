"""API for creative products: a student's team entry (/creative/entries), a judge's score sheets.

Entries (rules in services/creative_entries.py): a student lists their entries, creates the team's
entry (JSON, or multipart/form-data with the same fields plus files under the kind names
`description`, `product`, `sb3`, `image`), updates it (PATCH: the fields given; PUT: every field),
uploads files (multipart) and downloads them (always as an attachment). After the division's deadline
members get 403 with the reason; organisers may still correct entries.
"""
from __future__ import annotations

from flask import g, jsonify, request, url_for
from sqlalchemy import func, select

from ..creative.entries import entry_upload_limit, attachment_response
from ..input_guards import request_limit, valid_id
from ..extensions import db
from ..models import CreativeEntry, CreativeSettings, Division, EntryFile, User
from ..services import creative_entries as svc
from ..services import creative_ops as judging
from . import bp
from .routes import ApiError, error, iso, json_body, token_required


# == Entries ========================================================================================
@bp.errorhandler(413)
def _too_large(exc):
    """JSON (the site's 413 handler renders HTML, and a code-specific handler wins over the API's generic one)."""
    return error(413, "The upload is larger than this creative division allows (its per-entry limit, "
                      "max_entry_mb); send fewer or smaller files.")


def entry_file_json(entry: CreativeEntry, f: EntryFile) -> dict:
    return {"id": f.id, "kind": f.kind, "name": f.original_name, "size": f.size, "sha256": f.sha256,
            "uploaded_at": iso(f.uploaded_at),
            "url": url_for("api.creative_entry_file", entry_id=entry.id, file_id=f.id)}


def entry_json(entry: CreativeEntry, user: User) -> dict:
    """An entry as its team and organisers see it. `result` only once results are published."""
    state = svc.completeness(entry)
    division = entry.division
    return {
        "id": entry.id, "contest_id": entry.contest_id, "division_id": entry.division_id, "division": division.code,
        "title": entry.title, "summary": entry.summary, "category": entry.category,
        "mentor": {"name": entry.mentor_name, "school": entry.mentor_school, "phone": entry.mentor_phone},
        "video_url": entry.video_url, "repo_url": entry.repo_url,
        "declared_not_awarded": entry.declared_not_awarded,
        "members": [{"id": m.user.id, "username": m.user.username, "full_name": m.user.full_name} for m in entry.members],
        "files": [entry_file_json(entry, f) for f in entry.files],
        "complete": state.complete, "missing": state.missing,
        "deadline": iso(svc.deadline_of(division)), "locked": svc.is_locked(division),
        "editable": svc.can_edit(user, entry),
        "result": svc.published_result(entry) if svc.is_member(user, entry) else None,
        "created_at": iso(entry.created_at), "updated_at": iso(entry.updated_at),
    }


def _refused(exc: svc.EntryError) -> ApiError:
    where = f" (field: {exc.field})" if exc.field else ""
    return ApiError(exc.status, exc.message + where)


def _largest_entry_bytes() -> int:
    """The request limit of a multipart create, read before the division is known: the largest
    per-entry limit of any division (100 MiB when none is set), plus 1 MiB for the fields."""
    largest = db.session.scalar(select(func.max(CreativeSettings.max_entry_mb))) or 100
    return max(largest, 100) * svc.MIB + svc.MIB


def _body() -> tuple[dict, bool]:
    """The request's fields, and whether it is multipart (files may come with it)."""
    if request.mimetype == "multipart/form-data":
        return {k: request.form.get(k) for k in request.form}, True
    data = json_body()
    mentor = data.get("mentor")
    if mentor is not None:
        if not isinstance(mentor, dict):
            raise ApiError(422, "Invalid field: mentor must be an object {name, school, phone}.")
        for key in ("name", "school", "phone"):
            if key in mentor:
                data[f"mentor_{key}"] = mentor[key]
    return data, False


def _fields(data: dict) -> dict:
    return {k: data[k] for k in svc.ENTRY_FIELDS if k in data}


def _usernames(data: dict, key: str) -> list[str] | None:
    if key not in data or data[key] is None:
        return None
    value = data[key]
    if not isinstance(value, (str, list)) or (isinstance(value, list) and not all(isinstance(v, str) for v in value)):
        raise ApiError(422, f"Invalid field: {key} must be a list of usernames (or one string, comma-separated).")
    return svc.parse_usernames(value)


def _stage_request_files(division: Division) -> list:
    """Stage every uploaded file of the request (field name = kind); all or none."""
    unknown = [k for k in request.files if k not in svc.FILE_KINDS]
    if unknown:
        raise ApiError(422, f"Unknown file field(s): {', '.join(unknown)}; use {', '.join(svc.FILE_KINDS)}.")
    staged = []
    try:
        for kind in request.files:
            for upload in request.files.getlist(kind):
                staged.append(svc.stage_file(division, kind, upload.stream, upload.filename))
    except svc.EntryError as exc:
        svc.discard(staged)
        raise _refused(exc)
    return staged


def _body_id(data: dict, name: str) -> int:
    """An id field of the body: an integer (or its digits as text, as multipart sends it) within
    1..MAX_ID, else 422 naming the field; an id beyond MAX_ID is 404 (no such row can exist)."""
    raw = data.get(name)
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise ApiError(422, f"Invalid field: {name} must be a positive integer.")
    if not valid_id(raw):
        raise ApiError(404, f"No {name.removesuffix('_id')} with id {raw}.")
    return raw


def _division_of(data: dict) -> Division:
    if data.get("division_id") is not None:
        division_id = _body_id(data, "division_id")
        division = db.session.get(Division, division_id)
        if division is None:
            raise ApiError(404, f"No division with id {division_id}.")
        return division
    contest_id, code = data.get("contest_id"), data.get("division")
    if contest_id is None or not code:
        raise ApiError(422, "Missing field(s): division_id (or contest_id and division, the division code).")
    contest_id = _body_id(data, "contest_id")
    division = db.session.scalar(select(Division).where(Division.contest_id == contest_id,
                                                        Division.code == str(code).strip().upper()))
    if division is None:
        raise ApiError(404, f"Contest {contest_id} has no division {code}.")
    return division


def _api_entry(entry_id: int) -> CreativeEntry:
    entry = db.session.get(CreativeEntry, entry_id)
    if entry is None:
        raise ApiError(404, f"No creative entry with id {entry_id}.")
    return entry


def _api_entry_file(entry: CreativeEntry, file_id: int) -> EntryFile:
    f = db.session.get(EntryFile, file_id)
    if f is None or f.entry_id != entry.id:
        raise ApiError(404, f"Creative entry {entry.id} has no file {file_id}.")
    return f


@bp.get("/creative/entries")
@token_required
def creative_entries():
    """The caller's entries (organisers: every entry of ?division_id=)."""
    user = g.api_user
    raw = request.args.get("division_id")
    if raw is not None and user.has_role("organiser"):
        if not raw.isdigit():
            raise ApiError(422, "Invalid query parameter: division_id must be a positive integer.")
        division = db.session.get(Division, int(raw))
        if division is None:
            raise ApiError(404, f"No division with id {raw}.")
        entries = svc.division_entries(division)
    elif user.has_role("judge") and not user.has_role("student"):
        raise ApiError(403, "Judges find their assigned entries at /api/v1/creative/assigned.")
    else:
        entries = svc.entries_of(user)
    return jsonify(entries=[entry_json(e, user) for e in entries])


@bp.post("/creative/entries")
@request_limit(lambda **_: _largest_entry_bytes() if request.mimetype == "multipart/form-data" else None)
@token_required
def creative_entry_create():
    """A student creates the team's entry: fields, `teammates` (usernames), files when multipart."""
    if request.mimetype == "multipart/form-data":
        request.max_content_length = _largest_entry_bytes()
    data, multipart = _body()
    division = _division_of(data)
    teammates = _usernames(data, "teammates")
    staged = _stage_request_files(division) if multipart else []
    try:
        entry = svc.create_entry(g.api_user, division, _fields(data), teammates, staged=staged)
    except svc.EntryError as exc:
        svc.discard(staged)
        raise _refused(exc)
    response = jsonify(entry_json(entry, g.api_user))
    response.status_code = 201
    response.headers["Location"] = url_for("api.creative_entry_get", entry_id=entry.id)
    return response


@bp.get("/creative/entries/<int:entry_id>")
@token_required
def creative_entry_get(entry_id: int):
    """One entry: its team and organisers."""
    entry = _api_entry(entry_id)
    if not svc.can_view(g.api_user, entry):
        raise ApiError(403, f"Creative entry {entry_id} is not your team's.")
    return jsonify(entry_json(entry, g.api_user))


@bp.route("/creative/entries/<int:entry_id>", methods=["PATCH", "PUT"])
@token_required
def creative_entry_update(entry_id: int):
    """PATCH changes the fields given, PUT sets every field. `members` replaces the member list
    (usernames); `teammates` gives the members other than the caller."""
    entry = _api_entry(entry_id)
    user = g.api_user
    if not svc.can_view(user, entry):
        raise ApiError(403, f"Creative entry {entry_id} is not your team's.")
    data, multipart = _body()
    if multipart:
        raise ApiError(415, "Send the fields as JSON; upload files with POST /creative/entries/{id}/files.")
    members = _usernames(data, "members")
    teammates = _usernames(data, "teammates")
    if members is None and teammates is not None:
        members = ([user.username] if svc.is_member(user, entry) else []) + teammates
    try:
        svc.update_entry(user, entry, _fields(data), members=members, partial=request.method == "PATCH")
    except svc.EntryError as exc:
        raise _refused(exc)
    return jsonify(entry_json(entry, user))


@bp.post("/creative/entries/<int:entry_id>/files")
@request_limit(entry_upload_limit)
@token_required
def creative_entry_files(entry_id: int):
    """Upload files (multipart; field name = kind). All or nothing."""
    entry = _api_entry(entry_id)
    user = g.api_user
    if not svc.can_view(user, entry):
        raise ApiError(403, f"Creative entry {entry_id} is not your team's.")
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "Send the files as multipart/form-data, one field per kind: "
                            + ", ".join(svc.FILE_KINDS) + ".")
    if not svc.can_edit(user, entry):
        raise ApiError(403, svc.locked_message(entry.division))
    request.max_content_length = svc.settings_for(entry.division).max_entry_mb * svc.MIB + svc.MIB
    staged = _stage_request_files(entry.division)
    if not staged:
        raise ApiError(422, "No file in the request; send one field per kind: " + ", ".join(svc.FILE_KINDS) + ".")
    try:
        files = svc.add_files(user, entry, staged)
    except svc.EntryError as exc:
        raise _refused(exc)
    response = jsonify(files=[entry_file_json(entry, f) for f in files], entry=entry_json(entry, user))
    response.status_code = 201
    return response


@bp.get("/creative/entries/<int:entry_id>/files/<int:file_id>")
@token_required
def creative_entry_file(entry_id: int, file_id: int):
    """Download a file: the team, judges assigned to the entry, organisers. Always an attachment."""
    entry = _api_entry(entry_id)
    if not svc.can_download(g.api_user, entry):
        raise ApiError(403, f"You may not download the files of creative entry {entry_id}.")
    f = _api_entry_file(entry, file_id)
    if not svc.file_path(f).is_file():
        raise ApiError(404, f"The bytes of file {file_id} are missing from the store; tell the organisers.")
    return attachment_response(f, g.api_user)


@bp.delete("/creative/entries/<int:entry_id>/files/<int:file_id>")
@token_required
def creative_entry_file_delete(entry_id: int, file_id: int):
    """Remove a file: the team until the deadline, organisers always (audited). 204 when removed."""
    entry = _api_entry(entry_id)
    if not svc.can_view(g.api_user, entry):
        raise ApiError(403, f"You may not change creative entry {entry_id}.")
    f = _api_entry_file(entry, file_id)
    try:
        svc.delete_file(g.api_user, f)
    except svc.EntryError as exc:
        raise _refused(exc) from None
    return "", 204


# -- judges: assigned entries and score sheets ---------------------------------------------------------


def _judge_entry_json(entry: CreativeEntry, round_: int, judge) -> dict:
    """An assigned entry as a judge sees it; blind mode leaves out members, schools and the mentor.
    Files without their uploaded names (they may name the team): id, kind, size, download url."""
    settings = judging._settings(entry.division)
    crit = judging.rubric(entry.division, round_)
    sheet = judging.sheet_for(entry, judge, round_)
    names = {str(c.id): c.name for c in crit}
    data = {
        "entry_id": entry.id, "round": round_, "contest_id": entry.contest_id,
        "division": {"id": entry.division_id, "code": entry.division.code},
        "title": entry.title, "summary": entry.summary, "category": entry.category,
        "video_url": entry.video_url or None, "repo_url": entry.repo_url or None, "blind": settings.blind,
        "files": [{"id": f.id, "kind": f.kind, "size": f.size,
                   "url": url_for("api.creative_entry_file", entry_id=entry.id, file_id=f.id)} for f in entry.files],
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
