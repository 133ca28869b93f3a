"""Results: prize tally, qualifiers, adjustments, publishing, appeals (routes.py); external score
import, XLSX/CSV exports and PDF certificates (exports.py). Rules live in services/prizes.py,
services/qualifiers.py and services/results.py."""
from flask import Blueprint

bp = Blueprint("results", __name__, url_prefix="/results")

from . import exports, routes  # noqa: E402,F401
