"""Tally preview, adjustments, lock and publish, public results, appeals."""
from . import bp  # noqa: F401
