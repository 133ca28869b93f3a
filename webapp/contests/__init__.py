"""Contests: organiser setup (contests, divisions, problems, participants, queue, rejudge) and the
student side (problems, submitting, live submission pages, scoreboards, announcements, questions)."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav

bp = Blueprint("contests", __name__, url_prefix="/contests")

nav.add("contests.contest_list", _l("Cuộc thi"), ())
nav.add("contests.contest_new", _l("Tạo cuộc thi"), ("organiser",))

from . import _common, messages, problems, scoreboard, setup, submissions  # noqa: E402,F401
