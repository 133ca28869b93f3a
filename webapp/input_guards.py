"""Checks on every request, before any view runs, for input the database cannot take:

- an integer URL part above MAX_ID is an unknown row (404), not an integer overflow in the database
  driver (SQLite stops at 2**63 - 1, PostgreSQL's `integer` columns at 2**31 - 1);
- a NUL character (U+0000) in the path, the query, a form field or a JSON string is refused (400):
  PostgreSQL's text columns cannot hold it, so the first query using it would fail."""
from __future__ import annotations

from typing import Callable

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

MAX_ID = 2**31 - 1  # the largest value of an `integer` primary key on PostgreSQL
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def valid_id(value: object) -> bool:
    """True for an int (not a bool) that can be a row id: 1..MAX_ID."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def reject_ids_out_of_range(endpoint: str | None, values: dict | None) -> None:
    """A url_value_preprocessor: 404 for an integer URL part above MAX_ID."""
    for name, value in (values or {}).items():
        if isinstance(value, int) and value > MAX_ID:
            raise NotFound(f"No such {name}: {value} is larger than any id ({MAX_ID}).")


def _nul_in(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_nul_in(k) or _nul_in(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_nul_in(v) for v in value)
    return False


def request_limit(limit: Callable[..., int | None]):
    """Decorate a view that accepts larger uploads than MAX_CONTENT_LENGTH: `limit(**view_args)` gives
    the request's size limit in bytes (None: the site's). Applied before anything reads the body —
    the NUL check below parses forms, and a body parsed under the wrong limit is a wrong 413."""
    def decorate(view):
        view.request_limit = limit
        return view
    return decorate


def apply_request_limit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "request_limit", None)
    if limit is not None:
        value = limit(**(request.view_args or {}))
        if value:
            request.max_content_length = value


def nul_field() -> str | None:
    """Where the current request carries a NUL character: 'path', 'query', the form field's name,
    or 'JSON body'; None when it carries none."""
    if "\x00" in request.path:
        return "path"
    if any(_nul_in(k) or _nul_in(v) for k, v in request.args.items(multi=True)):
        return "query"
    if request.mimetype in FORM_TYPES:
        for key, value in request.form.items(multi=True):
            if _nul_in(key) or _nul_in(value):
                return key.replace("\x00", "")
    elif request.method in ("POST", "PUT", "PATCH") and _nul_in(request.get_json(force=True, silent=True)):
        return "JSON body"
    return None


def reject_nul_bytes():
    """A before_request hook: 400 with a message naming the field when the request carries NUL."""
    apply_request_limit()
    where = nul_field()
    if where is None:
        return None
    if request.blueprint == "api":
        return jsonify(error=f"The request contains a NUL character (\\u0000) in {where}; remove it and send again."), 400
    message = _("Dữ liệu gửi lên chứa ký tự NUL (\\0) ở %(where)s; hãy xoá ký tự đó rồi gửi lại.", where=where)
    return render_template("errors/error.html", code=400, message=message), 400
