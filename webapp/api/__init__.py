"""JSON API under /api/v1: token auth (`Authorization: Bearer <token>`), contests, submissions,
scoreboards, and its own OpenAPI document at /api/v1/openapi.json. CSRF-exempt (no cookie auth)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import routes  # noqa: E402,F401
from . import creative, results  # noqa: E402,F401  (after routes: its catch-all 404 route is last)
