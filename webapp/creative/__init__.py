"""Creative products (bảng D1/D2/D3): team entries and their files (entries.py), rubric, judge
assignment, score sheets and rankings (judging.py). Rules live in services/creative_*.py."""
from flask import Blueprint, abort

bp = Blueprint("creative", __name__, url_prefix="/creative")


def creative_division_or_404(division_id: int):
    from ..extensions import db
    from ..models import Division

    division = db.session.get(Division, division_id)
    if division is None or division.content != "creative":
        abort(404)
    return division


def entry_or_404(entry_id: int):
    from ..extensions import db
    from ..models import CreativeEntry

    return db.get_or_404(CreativeEntry, entry_id)


from . import entries, judging  # noqa: E402,F401
