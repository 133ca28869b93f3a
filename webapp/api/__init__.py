"""JSON API under /api/v1: token auth (`Authorization: Bearer <token>`), contests, submissions,
scoreboards, and its own OpenAPI document at /api/v1/openapi.json. CSRF-exempt (no cookie auth)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import routes  # noqa: E402,F401
