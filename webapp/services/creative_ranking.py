"""Creative rankings per division (the contract other features use; implemented by creative judging).

`division_ranking(division_id)` returns one dict per entry of the division, best first:
    entry_id: int, title: str, members: list[str] (usernames), member_ids: list[int],
    score: float | None (final score, 0..100; None while no submitted sheet), round1_score, round2_score,
    rank: int | None (equal scores share a rank; None when unscored), judges: int (submitted sheets),
    tier: 0 for an entry in round 2, 1 otherwise (round-2 entries rank above the others),
    flagged: bool (judges disagree by more than the division's threshold),
    provisional: bool (the same on every row: an entry selected for round 2 has no round-2 score yet,
        so the order may still change; see creative_judging.rank_rounds),
    round2_pending: bool (this entry is selected for round 2 and waits for its round-2 score)
"""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import CreativeEntry, Division, ScoreSheet
from . import creative_judging as rules


def sheet_totals(division: Division, round_: int) -> dict[int, dict[int, float]]:
    """{entry_id: {judge_id: total}} of the submitted, complete sheets of a round (every entry of the
    division is a key, possibly with no judge)."""
    out: dict[int, dict[int, float]] = {e: {} for e in db.session.scalars(
        select(CreativeEntry.id).where(CreativeEntry.division_id == division.id))}
    query = (select(ScoreSheet).join(CreativeEntry, CreativeEntry.id == ScoreSheet.entry_id)
             .where(CreativeEntry.division_id == division.id, ScoreSheet.round == round_, ScoreSheet.status == "submitted"))
    for s in db.session.scalars(query):
        if s.total is not None:
            out.setdefault(s.entry_id, {})[s.judge_id] = s.total
    return out


def round_scores(division: Division, round_: int) -> dict[int, float | None]:
    """Aggregated score per entry of one round, with the division's method (creative_judging.aggregate)."""
    from .creative_ops import _settings

    return rules.aggregate(sheet_totals(division, round_), _settings(division).aggregation)


def division_ranking(division_id: int) -> list[dict]:
    """The ranking of a creative division (row shape in the module docstring), best first.

    score = round-1 aggregate; with two rounds, the entries selected for round 2
    (creative_judging.select_round2) get creative_judging.final_score (round 2 alone, or the blend
    w * round2 + (1 - w) * round1) and rank above the others (tier 0, the rest tier 1); ranks come from
    creative_judging.rank_rounds (ties share a rank). While an entry selected for round 2 has no round-2
    score, its score is None, the ranking is provisional (every row says so) and the round-2 entries
    are ordered by their round-1 score (rank_rounds). Rows of equal rank are ordered by title, then
    entry id; unscored entries come last. flagged: a round's judges disagree (creative_judging.disagreement)."""
    from .creative_ops import _settings

    division = db.session.get(Division, division_id)
    if division is None:
        return []
    settings = _settings(division)
    entries = list(db.session.scalars(select(CreativeEntry).where(CreativeEntry.division_id == division.id)))
    totals1 = sheet_totals(division, 1)
    r1 = rules.aggregate(totals1, settings.aggregation)
    selected: set[int] = set()
    totals2: dict[int, dict[int, float]] = {}
    r2: dict[int, float | None] = {}
    if settings.two_rounds:
        selected = set(rules.select_round2(r1, settings.round2_top_k, settings.round2_min_score))
        totals2 = sheet_totals(division, 2)
        r2 = rules.aggregate({e: t for e, t in totals2.items() if e in selected}, settings.aggregation)
    ranked = rules.rank_rounds({e.id: r1.get(e.id) for e in entries}, r2, selected, settings.round2_weight)
    finals, tiers, ranks = ranked.finals, ranked.tiers, ranked.ranks
    rows = []
    for e in entries:
        inside = e.id in selected
        judged = totals2.get(e.id, {}) if inside else totals1.get(e.id, {})
        flagged = rules.disagreement(totals1.get(e.id, {}).values(), settings.disagreement_threshold) or (
            inside and rules.disagreement(totals2.get(e.id, {}).values(), settings.disagreement_threshold))
        rows.append({
            "entry_id": e.id, "title": e.title,
            "members": [m.user.username for m in e.members], "member_ids": [m.user_id for m in e.members],
            "score": finals[e.id], "round1_score": r1.get(e.id), "round2_score": r2.get(e.id) if inside else None,
            "rank": ranks.get(e.id), "judges": len(judged), "flagged": bool(flagged),
            "tier": tiers[e.id], "provisional": ranked.provisional, "round2_pending": e.id in ranked.waiting,
        })
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["title"].casefold(), r["entry_id"]))
    return rows


def round2_pending(division_id: int) -> list[int]:
    """Ids of the entries selected for round 2 that have no round-2 score yet (empty: the ranking is
    final, or the division has one round)."""
    return [r["entry_id"] for r in division_ranking(division_id) if r["round2_pending"]]
