"""Results: prize tally, qualifiers, adjustments, publishing, appeals (routes.py); external score
import, XLSX/CSV exports and PDF certificates (exports.py). Rules live in services/prizes.py,
services/qualifiers.py and services/results.py."""
from flask import Blueprint, abort

bp = Blueprint("results", __name__, url_prefix="/results")


def contest_or_404(contest_id: int):
    from ..extensions import db
    from ..models import Contest

    return db.get_or_404(Contest, contest_id)


def division_or_404(contest, division_id: int):
    """A division of this contest (404 for another contest's)."""
    from ..extensions import db
    from ..models import Division

    division = db.session.get(Division, division_id)
    if division is None or division.contest_id != contest.id:
        abort(404)
    return division


from . import exports, routes  # noqa: E402,F401
