"""API for creative products: a student's team entry (/creative/entries), a judge's score sheets."""
from . import bp  # noqa: F401
