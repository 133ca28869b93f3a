"""Graders: how one test of a submission is run and given its verdict.

``GRADERS[kind]`` is a grader class (a subclass of :class:`judge.graders.base.BaseGrader`);
:func:`grader_for` picks the one a problem needs. The verdict rules are those of the base class,
shared by every kind (see :mod:`judge.graders.base`).
"""
from __future__ import annotations

from judge.graders.base import BaseGrader
from judge.graders.interactive import InteractiveGrader
from judge.graders.standard import StandardGrader

GRADERS: dict[str, type[BaseGrader]] = {"standard": StandardGrader, "interactive": InteractiveGrader}


def grader_kind(problem) -> str:
    """``interactive`` for an interactive problem, else ``standard``."""
    return "interactive" if problem.interactive else "standard"


def grader_for(job) -> BaseGrader:
    """The grader of a judging job (:class:`judge.judging._Judging`)."""
    return GRADERS[grader_kind(job.problem)](job)
