"""Importing packages into a division: stored under their own name, broken ones refused whole."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from judge.problem import ProblemError
from webapp.extensions import db
from webapp.models import Problem
from webapp.services.problem_import import import_problem

DEMO = Path(__file__).resolve().parents[2] / "problems"


def stored_files(app) -> list[Path]:
    root = Path(app.config["PROBLEMS_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.docker
def test_checker_that_does_not_compile_refuses_the_package(app, make_contest, tmp_path):
    contest = make_contest(divisions=(("C1", "upper_secondary", "programming"),))
    pkg = tmp_path / "capso"
    shutil.copytree(DEMO / "capso", pkg)
    (pkg / "checker.cpp").write_text("int main( { this is not C++ }\n")
    with pytest.raises(ProblemError) as err:
        import_problem(contest.divisions[0], pkg)
    assert "checker.cpp" in str(err.value)
    assert db.session.scalar(select(func.count(Problem.id))) == 0
    assert stored_files(app) == []


@pytest.mark.docker
def test_kattis_package_keeps_its_name(app, make_contest):
    contest = make_contest()
    problem = import_problem(contest.divisions[0], DEMO / "quangduong", publish=True)
    assert problem.code == "QUANGDUONG"
    assert Path(problem.package_path).name == "quangduong"
    assert problem.title_vi and problem.title_en
