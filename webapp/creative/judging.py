"""Rubric, judge assignment, score sheets, coverage and rankings (organiser and judge pages)."""
from . import bp  # noqa: F401
