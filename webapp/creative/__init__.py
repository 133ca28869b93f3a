"""Creative products (bảng D1/D2/D3): team entries and their files (entries.py), rubric, judge
assignment, score sheets and rankings (judging.py). Rules live in services/creative_*.py."""
from flask import Blueprint

bp = Blueprint("creative", __name__, url_prefix="/creative")

from . import entries, judging  # noqa: E402,F401
