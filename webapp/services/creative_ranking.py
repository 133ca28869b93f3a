"""Creative rankings per division (the contract other features use; implemented by creative judging).

`division_ranking(division_id)` returns one dict per entry of the division, best first:
    entry_id: int, title: str, members: list[str] (usernames), member_ids: list[int],
    score: float | None (final score, 0..100; None while no submitted sheet), round1_score, round2_score,
    rank: int | None (equal scores share a rank; None when unscored), judges: int (submitted sheets),
    flagged: bool (judges disagree by more than the division's threshold)
"""
from __future__ import annotations


def division_ranking(division_id: int) -> list[dict]:
    return []
