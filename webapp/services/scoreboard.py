"""Scoreboards: pure functions over plain records, plus a loader from the database.

Two formats (Contest.scoring):

IOI (default) — a contestant's score on a problem is the best they reached: when the problem has
  subtasks (groups with scores in the judge result), the best score of EACH subtask over all their
  submissions, summed ("subtask-wise best"); otherwise the best total of one submission.
  Total = sum over problems. Rank: total descending; equal totals share a rank (1, 2, 2, 4).
  Display order inside a tie: the earlier time the total was reached first, then the name.

ICPC — a problem is solved by its first accepted (AC) submission. Penalty of a solved problem =
  minutes from the contest start to that submission (rounded down) + 20 × rejected submissions
  before it (compile errors and judge errors do not count). Rank: solved descending, then penalty
  ascending; equal (solved, penalty) share a rank. Display order inside a tie: name.

Freeze: in the public view, submissions made in the last `freeze_minutes` before the end are not
counted (ICPC shows them as pending); organisers see the unfrozen board.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

ICPC_PENALTY_MINUTES = 20
NOT_COUNTED = {"CE", "SE", None}


@dataclass
class Sub:
    """What the scoreboard needs of a judged (or pending) submission."""

    user_id: int
    problem_id: int
    created_at: datetime
    done: bool
    verdict: str | None
    score: float
    subtasks: dict[str, float] = field(default_factory=dict)  # group name -> points reached


@dataclass
class Cell:
    score: float = 0.0
    solved: bool = False
    attempts: int = 0  # rejected attempts before the first AC (ICPC) / submissions counted (IOI)
    minutes: int | None = None  # ICPC: minute of the first AC
    pending: int = 0  # submissions hidden by the freeze or still being judged
    subtasks: dict[str, float] = field(default_factory=dict)


@dataclass
class Row:
    user_id: int
    name: str
    unit: str
    cells: dict[int, Cell]
    total: float = 0.0  # IOI points
    solved: int = 0  # ICPC
    penalty: int = 0  # ICPC minutes
    reached_at: datetime | None = None
    rank: int = 0


def _ioi_cell(subs: list[Sub]) -> tuple[Cell, datetime | None]:
    cell = Cell()
    best_at = None
    for s in subs:
        cell.attempts += 1
        if s.subtasks:
            improved = False
            for name, pts in s.subtasks.items():
                if pts > cell.subtasks.get(name, 0.0):
                    cell.subtasks[name] = pts
                    improved = True
            new_score = sum(cell.subtasks.values())
        else:
            new_score = s.score
            improved = new_score > cell.score
        if new_score > cell.score or improved:
            cell.score = max(cell.score, new_score)
            best_at = s.created_at
    cell.solved = False
    return cell, best_at


def _icpc_cell(subs: list[Sub], start: datetime) -> Cell:
    cell = Cell()
    for s in subs:
        if s.verdict in NOT_COUNTED:
            continue
        if s.verdict == "AC":
            cell.solved = True
            cell.minutes = int((s.created_at - start).total_seconds() // 60)
            break
        cell.attempts += 1
    return cell


def freeze_time(end: datetime, freeze_minutes: int | None) -> datetime | None:
    """When the scoreboard freezes: `end - freeze_minutes`; None when the contest has no freeze
    (freeze_minutes 0 or empty). Submissions made at or after this instant are hidden while frozen."""
    return end - timedelta(minutes=freeze_minutes) if freeze_minutes else None


def compute_scoreboard(
    users: list[tuple[int, str, str]],
    problem_ids: list[int],
    subs: list[Sub],
    *,
    scoring: str,
    start: datetime,
    end: datetime,
    freeze_minutes: int = 0,
    frozen: bool = False,
    problem_max: dict[int, float] | None = None,
) -> list[Row]:
    """Rank `users` ((id, name, unit)) on `problem_ids` from `subs`, as the module docstring says.

    Submissions still being judged count as pending, never as scores. With frozen=True, submissions
    made at or after `end - freeze_minutes` are pending too.
    """
    freeze_at = freeze_time(end, freeze_minutes) if frozen else None
    by_key: dict[tuple[int, int], list[Sub]] = {}
    pending: dict[tuple[int, int], int] = {}
    for s in sorted(subs, key=lambda s: s.created_at):
        key = (s.user_id, s.problem_id)
        if not s.done or (freeze_at is not None and s.created_at >= freeze_at):
            pending[key] = pending.get(key, 0) + 1
            continue
        by_key.setdefault(key, []).append(s)

    rows = []
    for uid, name, unit in users:
        row = Row(user_id=uid, name=name, unit=unit, cells={})
        for pid in problem_ids:
            subs_here = by_key.get((uid, pid), [])
            if scoring == "icpc":
                cell = _icpc_cell(subs_here, start)
                if cell.solved:
                    row.solved += 1
                    row.penalty += cell.minutes + ICPC_PENALTY_MINUTES * cell.attempts
            else:
                cell, at = _ioi_cell(subs_here)
                if problem_max and pid in problem_max:
                    cell.solved = cell.score >= problem_max[pid] > 0
                row.total += cell.score
                if at and cell.score > 0 and (row.reached_at is None or at > row.reached_at):
                    row.reached_at = at
            cell.pending = pending.get((uid, pid), 0)
            row.cells[pid] = cell
        row.total = round(row.total, 6)
        rows.append(row)

    if scoring == "icpc":
        def key(r: Row):
            return (-r.solved, r.penalty)

        rows.sort(key=lambda r: (key(r), r.name))
    else:
        def key(r: Row):
            return (-r.total,)

        rows.sort(key=lambda r: (key(r), r.reached_at or datetime.max, r.name))
    previous = None
    for i, r in enumerate(rows, start=1):
        k = key(r)
        r.rank = rows[i - 2].rank if previous == k else i
        previous = k
    return rows


def subtasks_of(result: dict | None) -> dict[str, float]:
    """Points per subtask from a stored judge result: its "groups" list of {name, score}, if any."""
    groups = (result or {}).get("groups") or []
    return {g["name"]: float(g.get("score") or 0.0) for g in groups if g.get("name") is not None}


def load_scoreboard(division, *, frozen: bool) -> list[Row]:
    """The scoreboard of one division from the database (students admitted to it, its problems)."""
    from sqlalchemy import select

    from ..extensions import db
    from ..models import Participation, Problem, Submission, User

    contest = division.contest
    problems = [p for p in division.problems if p.published]
    users = db.session.execute(
        select(User.id, User.full_name, User.username, User.unit)
        .join(Participation, Participation.user_id == User.id)
        .where(Participation.division_id == division.id)
    ).all()
    rows = db.session.execute(
        select(Submission.user_id, Submission.problem_id, Submission.created_at, Submission.status,
               Submission.verdict, Submission.score, Submission.result)
        .join(Problem, Problem.id == Submission.problem_id)
        .where(Problem.division_id == division.id, Submission.created_at >= contest.start_at,
               Submission.created_at < contest.end_at)
    ).all()
    subs = [
        Sub(user_id=r.user_id, problem_id=r.problem_id, created_at=r.created_at, done=r.status == "done",
            verdict=r.verdict, score=float(r.score or 0.0), subtasks=subtasks_of(r.result))
        for r in rows
    ]
    return compute_scoreboard(
        [(u.id, u.full_name or u.username, u.unit or "") for u in users],
        [p.id for p in problems],
        subs,
        scoring=contest.scoring,
        start=contest.start_at,
        end=contest.end_at,
        freeze_minutes=contest.freeze_minutes,
        frozen=frozen,
        problem_max={p.id: p.max_score for p in problems},
    )
