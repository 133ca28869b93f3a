"""Results of a division: the rows that pages, exports and certificates show (the contract between
the tally and the files made from it).

A row (dict), one per ranked entrant, best first:
    entrant: "user:<id>" (programming) or "entry:<id>" (creative team entry)
    username, full_name: for a team, the members joined by ", "
    date_of_birth (ISO date or ""), school, grade (int | None), unit: of the contestant; for a team,
        those of the first member (all members are in `members`)
    members: list of {"username", "full_name", "date_of_birth", "school", "grade", "unit"}
    title: creative entry title ("" for programming)
    division: division code, e.g. "B" or "D2"
    score: float, rank: int, award: "first" | "second" | "third" | "consolation" | None,
    reason: str, qualified: bool | None (None when no qualifier rule applies)
"""
from __future__ import annotations

from ..extensions import db
from ..models import DivisionResult
from sqlalchemy import select


def division_rows(division_id: int) -> list[dict]:
    """The frozen rows of a locked or published division (DivisionResult.snapshot), else []."""
    result = db.session.scalar(select(DivisionResult).where(DivisionResult.division_id == division_id))
    if result is None or result.state not in ("locked", "published") or not result.snapshot:
        return []
    return list(result.snapshot)


def is_published(division_id: int) -> bool:
    result = db.session.scalar(select(DivisionResult).where(DivisionResult.division_id == division_id))
    return result is not None and result.state == "published"
