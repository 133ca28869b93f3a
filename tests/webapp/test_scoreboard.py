"""The scoreboard rules (pure functions): IOI subtask-wise best, ICPC penalty, ties, freeze."""
from __future__ import annotations

from datetime import datetime, timedelta

from webapp.services.scoreboard import Sub, compute_scoreboard, subtasks_of

START = datetime(2026, 11, 28, 8, 0)
END = START + timedelta(hours=3)
USERS = [(1, "An", "Q1"), (2, "Bình", "Q3"), (3, "Chi", "Q5")]


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def sub(user, problem, minute, verdict, score=0.0, subtasks=None, done=True):
    return Sub(user, problem, at(minute), done, verdict, score, subtasks or {})


def board(subs, **kw):
    kw.setdefault("scoring", "ioi")
    return compute_scoreboard(USERS, [10, 20], subs, start=START, end=END, **kw)


def test_ioi_subtask_wise_best_over_submissions():
    rows = board([
        sub(1, 10, 5, "WA", 30, {"s1": 30, "s2": 0}),
        sub(1, 10, 9, "WA", 70, {"s1": 0, "s2": 70}),  # alone 70; with the first: 30 + 70
    ])
    an = next(r for r in rows if r.user_id == 1)
    assert an.cells[10].score == 100 and an.total == 100 and an.rank == 1


def test_ioi_best_single_score_without_subtasks_and_shared_ranks():
    rows = board([
        sub(1, 10, 5, "WA", 40), sub(1, 10, 6, "WA", 20),
        sub(2, 10, 50, "AC", 100), sub(2, 20, 30, "WA", 0),
        sub(3, 10, 7, "WA", 40),
    ])
    assert [(r.name, r.total, r.rank) for r in rows] == [("Bình", 100, 1), ("An", 40, 2), ("Chi", 40, 2)]
    # inside the tie the earlier time the total was reached comes first (An at 5 min, Chi at 7)


def test_icpc_penalty_and_ties():
    rows = board([
        sub(1, 10, 30, "WA"), sub(1, 10, 40, "CE"), sub(1, 10, 45, "AC"),  # 45 + 20 = 65
        sub(2, 10, 65, "AC"),  # 65
        sub(3, 10, 10, "AC"), sub(3, 20, 20, "AC"),  # 2 solved, 30
        sub(3, 20, 25, "WA"),  # after the AC: ignored
    ], scoring="icpc")
    assert [(r.name, r.solved, r.penalty, r.rank) for r in rows] == [
        ("Chi", 2, 30, 1), ("An", 1, 65, 2), ("Bình", 1, 65, 2)]


def test_freeze_hides_late_submissions_from_the_public_only():
    subs = [sub(1, 10, 170, "AC", 100), sub(2, 10, 10, "WA", 50)]
    public = board(subs, freeze_minutes=30, frozen=True)
    jury = board(subs, freeze_minutes=30, frozen=False)
    assert public[0].name == "Bình" and next(r for r in public if r.user_id == 1).cells[10].pending == 1
    assert jury[0].name == "An" and jury[0].total == 100


def test_submissions_being_judged_are_pending_not_scored():
    rows = board([sub(1, 10, 5, None, 0, done=False)])
    an = next(r for r in rows if r.user_id == 1)
    assert an.total == 0 and an.cells[10].pending == 1


def test_subtasks_read_from_judge_result():
    result = {"groups": [{"name": "secret/1", "score": 30.0}, {"name": "secret/2", "score": 0.0}]}
    assert subtasks_of(result) == {"secret/1": 30.0, "secret/2": 0.0}
    assert subtasks_of(None) == {}
