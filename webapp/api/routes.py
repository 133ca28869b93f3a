"""The JSON API. Every error is `{"error": "<message>"}` with its HTTP status:

400 malformed JSON / body not an object; 401 no or bad token, wrong password; 403 not allowed;
404 unknown id; 405 wrong method; 422 missing or invalid fields (named in the message); 429 too many
submissions, or an account locked after too many wrong passwords.
503 the database stayed busy longer than DB_LOCK_TIMEOUT (nothing was saved; `Retry-After` and
`retry_after` say when to try again; see webapp/database.py).

Authentication: `POST /api/v1/token` with {username, password} returns a token once; send it as
`Authorization: Bearer <token>`. Only the sha256 of a token is stored (ApiToken.token_hash), so a
leaked database does not leak usable tokens. The API never uses the site's session cookie, which is
why it can be CSRF-exempt.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from functools import wraps

from flask import current_app, g, jsonify, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from ..input_guards import MAX_ID, valid_id
from ..extensions import db
from ..models import ApiToken, Contest, Division, Problem, Submission, User, utcnow
from ..services.results import is_published
from ..services.scoreboard import freeze_time, load_scoreboard
from ..services.submissions import (
    SubmissionRefused,
    can_see_problem,
    contest_submissions,
    participation,
    submit,
    visible_contests,
)
from ..services.users import authenticate
from . import bp


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def error(status: int, message: str, headers: dict | None = None):
    response = jsonify(error=message)
    response.status_code = status
    response.headers.update(headers or {})
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error(exc.status, exc.message, exc.headers)


@bp.errorhandler(403)
@bp.errorhandler(404)
@bp.errorhandler(413)  # the site answers these three with HTML pages; a blueprint's code handler comes first
@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return error(exc.code or 500, exc.description or exc.name)


def iso(value: datetime | None) -> str | None:
    """Naive-UTC datetimes as ISO 8601 with a Z."""
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


# -- authentication ------------------------------------------------------------------------------
def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_user() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="api"'}
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Authentication required: send 'Authorization: Bearer <token>' (get a token with POST /api/v1/token).", challenge)
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip())))
    if row is None:
        raise ApiError(401, "The token is invalid or has been revoked; get a new one with POST /api/v1/token.", challenge)
    if not row.user.is_active:
        raise ApiError(401, "This account is disabled.", challenge)
    return row.user


def token_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        g.api_user = token_user()
        g.api_token_hash = hash_token(request.headers["Authorization"].partition(" ")[2].strip())
        return view(*args, **kwargs)

    return wrapped


def is_staff(user: User) -> bool:
    return user.has_role("organiser", "judge")


# -- request bodies -------------------------------------------------------------------------------
def json_body() -> dict:
    data = request.get_json(force=True, silent=True)
    if data is None:
        raise ApiError(400, "The request body is not valid JSON; send a JSON object with Content-Type: application/json.")
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return data


def require_fields(data: dict, fields: dict[str, type]) -> None:
    """422 naming every missing field, then every field of the wrong type."""
    missing = [name for name in fields if data.get(name) is None]
    if missing:
        raise ApiError(422, f"Missing field(s): {', '.join(missing)}.")
    wrong = []
    for name, kind in fields.items():
        value = data[name]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            wrong.append(f"{name} must be an integer")
        elif kind is str and not isinstance(value, str):
            wrong.append(f"{name} must be a string")
    if wrong:
        raise ApiError(422, "Invalid field(s): " + "; ".join(wrong) + ".")


# -- token ------------------------------------------------------------------------------------------
@bp.post("/token")
def create_token():
    """Exchange a username and password for a token. Shares the site's login lock: after
    LOGIN_MAX_FAILS wrong passwords in a row the account is locked for LOGIN_LOCK_SECONDS (429)."""
    data = json_body()
    require_fields(data, {"username": str, "password": str})
    result = authenticate(data["username"], data["password"], ip=request.remote_addr)
    if result.throttled_seconds:
        raise ApiError(429, f"Too many failed logins from this address; try again in {result.throttled_seconds // 60 + 1} minute(s).",
                       {"Retry-After": str(result.throttled_seconds)})
    if result.locked_seconds:
        raise ApiError(429, f"Too many wrong passwords: this account is locked; try again in {result.locked_seconds // 60 + 1} minute(s).",
                       {"Retry-After": str(result.locked_seconds)})
    if result.user is not None:
        token = secrets.token_urlsafe(32)
        db.session.add(ApiToken(user_id=result.user.id, token_hash=hash_token(token)))
        db.session.commit()
        return jsonify(token=token, user=user_json(result.user)), 201
    raise ApiError(401, "Wrong username or password.")


@bp.delete("/token")
@token_required
def revoke_token():
    """Revoke the token used for this request."""
    db.session.execute(ApiToken.__table__.delete().where(ApiToken.token_hash == g.api_token_hash))
    db.session.commit()
    return "", 204


def user_json(user: User) -> dict:
    return {"id": user.id, "username": user.username, "full_name": user.full_name, "role": user.role}


@bp.get("/me")
@token_required
def me():
    return jsonify(user_json(g.api_user))


# -- contests ---------------------------------------------------------------------------------------
def problem_json(problem: Problem) -> dict:
    return {
        "id": problem.id, "code": problem.code, "title": problem.title("vi"), "title_en": problem.title_en or None,
        "time_limit": problem.time_limit, "memory_limit": problem.memory_limit, "max_score": problem.max_score,
        "published": problem.published,
    }


def division_json(division: Division, user: User) -> dict:
    return {
        "id": division.id, "code": division.code, "name": division.name, "content": division.content,
        "languages": division.language_list, "scratch_max_mib": division.scratch_max_mib,
        "problems": [problem_json(p) for p in division.problems if can_see_problem(user, p)],
    }


def contest_json(contest: Contest, user: User) -> dict:
    staff = is_staff(user)
    divisions = [d for d in contest.divisions if staff or participation(user, d) is not None]
    return {
        "id": contest.id, "name": contest.name, "title": contest.name, "year": contest.year, "round": contest.round,
        "start_at": iso(contest.start_at), "end_at": iso(contest.end_at), "running": contest.is_running(),
        "scoring": contest.scoring, "freeze_minutes": contest.freeze_minutes,
        "divisions": [division_json(d, user) for d in divisions],
    }


@bp.get("/contests")
@token_required
def list_contests():
    """Contests visible to the caller: organisers and judges see all; a student sees the contests
    and divisions they are admitted to, and only published problems of started contests."""
    user = g.api_user
    return jsonify(contests=[contest_json(c, user) for c in visible_contests(user)])


def visible_contest(contest_id: int) -> Contest:
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        raise ApiError(404, f"No contest with id {contest_id}.")
    if contest not in visible_contests(g.api_user):
        raise ApiError(403, f"You are not a participant of contest {contest_id}.")
    return contest


@bp.get("/contests/<int:contest_id>")
@token_required
def get_contest(contest_id: int):
    return jsonify(contest_json(visible_contest(contest_id), g.api_user))


@bp.get("/contests/<int:contest_id>/scoreboard")
@token_required
def scoreboard(contest_id: int):
    """The scoreboard of one division (?division=CODE; optional when the contest has one programming
    division). As the web page: public to every account, frozen in the last freeze_minutes for all
    but organisers."""
    user = g.api_user
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        raise ApiError(404, f"No contest with id {contest_id}.")
    code = (request.args.get("division") or "").strip()
    programming = [d for d in contest.divisions if d.content == "programming"]
    if not code:
        if len(programming) != 1:
            codes = ", ".join(d.code for d in programming) or "none"
            raise ApiError(422, f"Missing query parameter: division (one of: {codes}).")
        division = programming[0]
    else:
        division = next((d for d in contest.divisions if d.code.lower() == code.lower()), None)
        if division is None:
            raise ApiError(404, f"Contest {contest_id} has no division {code}.")
        if division.content != "programming":
            raise ApiError(422, f"Division {division.code} is for creative products and has no scoreboard.")
    frozen = not (user.has_role("organiser") or is_published(division.id))  # publishing lifts the freeze, as on the page
    freeze_at = freeze_time(contest.end_at, contest.freeze_minutes)
    rows = load_scoreboard(division, frozen=frozen)
    problems = [p for p in division.problems if p.published]
    return jsonify(
        contest_id=contest.id, division=division.code, scoring=contest.scoring,
        frozen=bool(frozen and freeze_at is not None and utcnow() >= freeze_at),
        problems=[{"id": p.id, "code": p.code, "title": p.title("vi"), "max_score": p.max_score} for p in problems],
        rows=[
            {
                "rank": r.rank, "user_id": r.user_id, "name": r.name, "unit": r.unit,
                "total": r.total, "solved": r.solved, "penalty": r.penalty,
                "cells": [
                    {"problem_id": p.id, "score": r.cells[p.id].score, "solved": r.cells[p.id].solved,
                     "attempts": r.cells[p.id].attempts, "minutes": r.cells[p.id].minutes,
                     "pending": r.cells[p.id].pending}
                    for p in problems
                ],
            }
            for r in rows
        ],
    )


# -- submissions --------------------------------------------------------------------------------------
def submission_json(sub: Submission) -> dict:
    return {
        "id": sub.id, "user_id": sub.user_id, "problem_id": sub.problem_id, "language": sub.language,
        "status": sub.status, "verdict": sub.verdict, "score": sub.score, "max_score": sub.max_score,
        "time": sub.time, "memory": sub.memory, "compile_output": sub.compile_output,
        "created_at": iso(sub.created_at), "started_at": iso(sub.started_at), "finished_at": iso(sub.finished_at),
        "queue_wait": sub.queue_wait,
        "tests": [t.to_dict() for t in sub.tests],
    }


@bp.post("/submissions")
@token_required
def create_submission():
    """Submit {problem_id, language, source}; 201 with the new submission's id (judged asynchronously:
    poll GET /api/v1/submissions/<id> until status is `done`)."""
    data = json_body()
    require_fields(data, {"problem_id": int, "language": str, "source": str})
    problem = db.session.get(Problem, data["problem_id"]) if valid_id(data["problem_id"]) else None
    if problem is None:
        raise ApiError(404, f"No problem with id {data['problem_id']}.")
    try:
        sub = submit(g.api_user, problem, data["language"].strip(), data["source"])
    except SubmissionRefused as exc:
        headers = {"Retry-After": str(current_app.config.get("SUBMIT_RATE_SECONDS", 60))} if exc.http_status == 429 else None
        raise ApiError(exc.http_status, str(exc), headers)
    response = jsonify(id=sub.id, status=sub.status, url=url_for("api.get_submission", submission_id=sub.id))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_submission", submission_id=sub.id)
    return response


@bp.get("/submissions")
@token_required
def list_submissions():
    """The caller's submissions, newest first (staff: everybody's, or ?user_id=). Filters:
    ?problem_id=, ?contest_id=; at most ?limit= (default 50, max 200). Without per-test rows."""
    user = g.api_user
    query = select(Submission)
    args = {}
    for name in ("problem_id", "contest_id", "user_id", "limit"):
        raw = request.args.get(name)
        if raw is not None:
            if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
                raise ApiError(422, f"Invalid query parameter: {name} must be a positive integer (at most {MAX_ID}).")
            args[name] = int(raw)
    if is_staff(user):
        if "user_id" in args:
            query = query.where(Submission.user_id == args["user_id"])
    else:
        if args.get("user_id", user.id) != user.id:
            raise ApiError(403, "You may list only your own submissions.")
        query = query.where(Submission.user_id == user.id)
    if "problem_id" in args:
        query = query.where(Submission.problem_id == args["problem_id"])
    if "contest_id" in args:
        query = contest_submissions(args["contest_id"], query)
    limit = min(max(args.get("limit", 50), 1), 200)
    subs = db.session.scalars(query.order_by(Submission.id.desc()).limit(limit)).all()
    return jsonify(submissions=[{k: v for k, v in submission_json(s).items() if k != "tests"} for s in subs])


@bp.get("/submissions/<int:submission_id>")
@token_required
def get_submission(submission_id: int):
    """One submission with its per-test results: the owner, organisers and judges only."""
    sub = db.session.get(Submission, submission_id)
    if sub is None:
        raise ApiError(404, f"No submission with id {submission_id}.")
    if sub.user_id != g.api_user.id and not is_staff(g.api_user):
        raise ApiError(403, f"Submission {submission_id} is not yours.")
    return jsonify(submission_json(sub))


# -- the document ---------------------------------------------------------------------------------------
@bp.get("/openapi.json")
def openapi_document():
    from .openapi import build_document

    return jsonify(build_document(request.host_url.rstrip("/") + bp.url_prefix))


@bp.route("/<path:unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_path(unknown: str):
    """JSON 404 for unknown paths under /api/v1, and JSON 405 for a known path with another method
    (routing errors happen before a blueprint is chosen, so the blueprint's handlers never see them)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "api.unknown_path":
            allowed.append(method)
    if allowed:
        raise ApiError(405, f"{request.method} is not allowed on {request.path}; use {', '.join(allowed)}.", {"Allow": ", ".join(allowed)})
    raise ApiError(404, f"No API endpoint {request.path}; see /api/v1/openapi.json.")
