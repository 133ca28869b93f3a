"""Organiser CLI: import-problem, rejudge, sweeper --once."""
from __future__ import annotations

import shutil
from pathlib import Path

from rq import Queue
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import AuditLog, Problem, Submission

CHIAKEO = Path(__file__).resolve().parents[2] / "problems" / "chiakeo"


def test_import_problem_folder_and_zip(app, make_contest, tmp_path):
    contest = make_contest(divisions=(("A", "primary", "programming"), ("D1", "primary", "creative")))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-problem", "--contest", str(contest.id), "--division", "A", str(CHIAKEO)])
    assert result.exit_code == 0, result.output
    problem = db.session.get(Problem, int(result.output.strip()))
    assert problem.code == "CHIAKEO" and problem.published and problem.title_en == "Sharing Sweets"

    # the same package zipped under another name imports as another problem
    copy = tmp_path / "keo2"
    shutil.copytree(CHIAKEO, copy)
    for f in copy.glob("Test*/CHIAKEO.*"):
        f.rename(f.with_name(f.name.replace("CHIAKEO", "KEO2")))
    archive = shutil.make_archive(str(tmp_path / "keo2"), "zip", tmp_path, "keo2")
    result = runner.invoke(args=["import-problem", "--contest", str(contest.id), "--division", "A", archive])
    assert result.exit_code == 0, result.output
    assert db.session.get(Problem, int(result.output.strip())).code == "KEO2"


def test_import_problem_errors(app, make_contest, tmp_path):
    contest = make_contest(divisions=(("A", "primary", "programming"), ("D1", "primary", "creative")))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-problem", "--contest", str(contest.id), "--division", "Z", str(CHIAKEO)])
    assert result.exit_code != 0 and "divisions: A, D1" in result.output
    result = runner.invoke(args=["import-problem", "--contest", str(contest.id), "--division", "D1", str(CHIAKEO)])
    assert result.exit_code != 0 and "creative" in result.output
    broken = tmp_path / "broken"
    shutil.copytree(CHIAKEO, broken)
    next(broken.glob("Test02/*.OUT")).unlink()  # a test without its answer
    result = runner.invoke(args=["import-problem", "--contest", str(contest.id), "--division", "A", str(broken)])
    assert result.exit_code != 0 and "Test02" in result.output
    assert db.session.scalar(select(func.count(Problem.id))) == 0
    stored = Path(app.config["PROBLEMS_DIR"])
    assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))


def test_rejudge_problem_resets_and_queues(app, make_contest, make_user, redis_conn):
    contest = make_contest(divisions=(("A", "primary", "programming"),))
    from webapp.services.problem_import import import_problem

    problem = import_problem(contest.divisions[0], CHIAKEO, publish=True)
    user = make_user(level="primary", grade=5)
    subs = [Submission(user_id=user.id, problem_id=problem.id, language="python3", source="print(1)",
                       status="done", verdict="WA", score=0.0) for _ in range(3)]
    db.session.add_all(subs)
    db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["rejudge"]).exit_code != 0
    result = runner.invoke(args=["rejudge", "--problem", str(problem.id)])
    assert result.exit_code == 0 and "re-judging 3 submission(s)" in result.output
    assert {s.status for s in db.session.scalars(select(Submission))} == {"queued"}
    assert Queue(app.config["JUDGE_QUEUE"], connection=redis_conn).count == 3
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "submission.rejudge")).details["count"] == 3


def test_sweeper_once(app, redis_conn):
    result = app.test_cli_runner().invoke(args=["sweeper", "--once"])
    assert result.exit_code == 0 and "sweep failed" not in result.output
