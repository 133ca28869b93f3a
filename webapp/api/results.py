"""Organiser API for results: tally, qualifiers."""
from . import bp  # noqa: F401
