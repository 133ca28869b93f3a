"""A scoring problem reports its subtasks, so a scoreboard can add each subtask's best."""
from __future__ import annotations

from pathlib import Path

import pytest

from judge.formats import load_problem
from judge.judging import judge_file

DAYCON = Path(__file__).resolve().parents[2] / "problems" / "daycon"


@pytest.mark.docker
def test_partial_submission_reports_points_per_subtask(judge_image):
    problem = load_problem(DAYCON)
    problem.time_limit = 1.0
    result = judge_file(problem, DAYCON / "submissions" / "partially_accepted" / "brute_force.py").to_dict()
    groups = {g["name"]: g for g in result["groups"]}
    assert sorted(g["max_score"] for g in groups.values()) == [30.0, 70.0]
    assert sum(g["score"] for g in groups.values()) == pytest.approx(result["score"])
    assert 0 < result["score"] < result["max_score"]
