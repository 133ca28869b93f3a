"""Pure rules of creative judging (bảng D1/D2/D3): conflicts of interest, judge assignment, score-sheet
totals, aggregation per entry, the disagreement flag, ranking with shared ties, round-2 selection and
the final blend. No database, no Flask: plain values in, plain values out; reasons are codes that the
web translates.
"""
from __future__ import annotations

import math
import statistics
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Iterable, Mapping

# Codes of conflict reasons (the web has one sentence per code).
SAME_SCHOOL = "same_school"  # the judge's school is a member's school
SAME_UNIT = "same_unit"  # the judge's unit (district, youth-union branch) is a member's unit
MENTOR_SCHOOL = "mentor_school"  # the judge's school is the mentor teacher's school
DECLARED = "declared"  # a conflict the judge declared (with the entry, a school or a unit)
ORGANISER = "organiser"  # a conflict an organiser recorded

SCORE_DECIMALS = 2  # scores are compared (ties, thresholds) after rounding to this many decimals


def _norm(text: str | None) -> str:
    return unicodedata.normalize("NFC", " ".join((text or "").split()).casefold())


# Generic words a school name may start with that do not tell schools apart ("Trường THCS A" is "THCS A").
GENERIC_SCHOOL_PREFIXES = ("trường",)


def school_key(name: str | None) -> str:
    """The comparison key of a school name: NFC-normalised (one code-point form for each Vietnamese
    letter), case-folded, whitespace trimmed and collapsed, then one leading generic word of
    GENERIC_SCHOOL_PREFIXES ("trường") removed. Diacritics are kept: names that differ only by
    diacritics are different schools. "Trường  THCS A" -> "thcs a"; "" or "Trường" alone -> "" (matches
    nothing)."""
    key = _norm(name)
    for prefix in GENERIC_SCHOOL_PREFIXES:
        if key == prefix or key.startswith(prefix + " "):
            key = key[len(prefix):].strip()
            break
    return key


def same_school(name_a: str | None, district_a: str | None, name_b: str | None, district_b: str | None) -> bool:
    """Are (name_a, district_a) and (name_b, district_b) the same school?

    Rule: school_key(name_a) == school_key(name_b) != "" and the districts do not tell them apart:
    either district is empty (a school typed without its district, e.g. `create-user --school`, or a
    mentor's school) or both districts are equal after trimming, collapsing spaces and case-folding.
    Two schools of the same name in two different (non-empty) districts are different schools."""
    key = school_key(name_a)
    if not key or key != school_key(name_b):
        return False
    da, db_ = _norm(district_a), _norm(district_b)
    return not da or not db_ or da == db_


@dataclass(frozen=True)
class JudgeInfo:
    id: int
    school_id: int | None = None
    school_name: str = ""
    unit: str = ""
    school_district: str = ""


@dataclass(frozen=True)
class EntryInfo:
    """member_schools: (name, district) of the members' schools, compared with `same_school` (the ids in
    member_school_ids match too)."""

    id: int
    member_school_ids: frozenset = frozenset()
    member_units: frozenset = frozenset()
    mentor_school: str = ""
    member_schools: frozenset = frozenset()


@dataclass(frozen=True)
class Conflict:
    """A declared (source 'declared') or recorded (source 'organiser') conflict of a judge with one
    entry (entry_id), every entry with a member of a school (school_id), or of a unit (unit)."""

    judge_id: int
    entry_id: int | None = None
    school_id: int | None = None
    unit: str = ""
    source: str = DECLARED


def conflict_reason(judge: JudgeInfo, entry: EntryInfo, conflicts: Iterable[Conflict] = ()) -> str | None:
    """Why `judge` may not score `entry`, or None when there is no conflict of interest.

    Rule, checked in this order (the first that holds is returned):
      1. same_school: the judge's school_id is the school of a member, or the judge's school and a
         member's school are the same by `same_school` (normalised name, districts not differing);
      2. same_unit: the judge's unit equals a member's unit (compared trimmed, case-insensitively;
         an empty unit never matches);
      3. mentor_school: the judge's school is the mentor's school by `same_school` (the mentor's school
         is free text without a district, so the normalised names decide);
      4. declared / organiser: a Conflict row of this judge names this entry, a member's school or a
         member's unit; its source is the code.
    """
    if judge.school_id is not None and judge.school_id in entry.member_school_ids:
        return SAME_SCHOOL
    if any(same_school(judge.school_name, judge.school_district, name, district)
           for name, district in entry.member_schools):
        return SAME_SCHOOL
    units = {_norm(u) for u in entry.member_units} - {""}
    if _norm(judge.unit) and _norm(judge.unit) in units:
        return SAME_UNIT
    if same_school(judge.school_name, judge.school_district, entry.mentor_school, ""):
        return MENTOR_SCHOOL
    for c in conflicts:
        if c.judge_id != judge.id:
            continue
        if (c.entry_id is not None and c.entry_id == entry.id) \
                or (c.school_id is not None and c.school_id in entry.member_school_ids) \
                or (_norm(c.unit) and _norm(c.unit) in units):
            return ORGANISER if c.source == ORGANISER else DECLARED
    return None


# -- assignment -------------------------------------------------------------------------------------
@dataclass
class Shortfall:
    """An entry that gets fewer than k judges: `reason` is 'panel_too_small' (fewer judges in the panel
    than k) or 'conflicts' (enough judges, but too many conflicted); `conflicted` maps judge id ->
    conflict code for every panel judge who may not score it."""

    entry_id: int
    needed: int
    assigned: int
    eligible: int
    reason: str
    conflicted: dict[int, str] = field(default_factory=dict)


@dataclass
class AssignmentResult:
    assignments: list[tuple[int, int]]  # (entry_id, judge_id), sorted
    loads: dict[int, int]  # judge_id -> entries assigned
    shortfall: list[Shortfall]
    # fixed pairs kept although the judge has a conflict with the entry: (entry_id, judge_id, code)
    conflicted_fixed: list[tuple[int, int, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "assignments": [{"entry_id": e, "judge_id": j} for e, j in self.assignments],
            "loads": {str(j): n for j, n in sorted(self.loads.items())},
            "conflicted_fixed": [{"entry_id": e, "judge_id": j, "conflict": r} for e, j, r in self.conflicted_fixed],
            "shortfall": [{**asdict(s), "conflicted": {str(j): r for j, r in sorted(s.conflicted.items())}}
                          for s in self.shortfall],
        }


def assign_judges(entries: list[EntryInfo], judges: list[JudgeInfo], conflicts: Iterable[Conflict] = (),
                  k: int = 3, fixed: Iterable[tuple[int, int]] = ()) -> AssignmentResult:
    """Give each entry k judges of the panel without a conflict of interest, loads balanced.

    Rule:
      * a judge is eligible for an entry when `conflict_reason` is None; a pair is never assigned twice;
      * `fixed` pairs (entry_id, judge_id), e.g. hand-made assignments or ones with a score sheet, are
        kept as they are and count towards k and the judge's load (even if they exceed k); a fixed
        pair whose judge has a conflict with the entry is still kept (the caller decided: a sheet
        exists) but listed in `conflicted_fixed` with its code, so the organiser sees it;
      * each entry gets min(k, eligible judges) judges: the most any assignment can give it. An entry
        with fewer is reported in `shortfall`, with the reason and each conflicted judge's code;
      * loads (entries per judge) are balanced: first greedily (entries with the fewest eligible judges
        first, each taking the least-loaded eligible judges; ties by entry id, then judge id), then by
        moving assignments along chains judge -> entry -> judge while a judge has at least 2 entries
        more than another and a chain between them exists. No such chain left means the spread
        max - min cannot be lowered without breaking k or a conflict; when the constraints allow it
        the result has max - min <= 1 (ignoring fixed pairs that already exceed it).
    Deterministic: the same input gives the same output.
    """
    conflicts = list(conflicts)
    judges = sorted(judges, key=lambda j: j.id)
    entries = sorted(entries, key=lambda e: e.id)
    judge_ids = [j.id for j in judges]
    entry_ids = {e.id for e in entries}
    judge_set = set(judge_ids)
    eligible: dict[int, list[int]] = {}
    conflicted: dict[int, dict[int, str]] = {}
    for e in entries:
        eligible[e.id], conflicted[e.id] = [], {}
        for j in judges:
            reason = conflict_reason(j, e, conflicts)
            if reason is None:
                eligible[e.id].append(j.id)
            else:
                conflicted[e.id][j.id] = reason

    assigned: dict[int, set[int]] = {e.id: set() for e in entries}
    locked: set[tuple[int, int]] = set()
    for e_id, j_id in fixed:
        if e_id in entry_ids and j_id in judge_set:
            assigned[e_id].add(j_id)
            locked.add((e_id, j_id))
    load = {j: 0 for j in judge_ids}
    for e_id, js in assigned.items():
        for j in js:
            load[j] += 1

    # 1. greedy: scarce entries first, least-loaded judges first
    for e in sorted(entries, key=lambda e: (len(eligible[e.id]), e.id)):
        free = [j for j in eligible[e.id] if j not in assigned[e.id]]
        want = max(0, k - len(assigned[e.id]))
        for j in sorted(free, key=lambda j: (load[j], j))[:want]:
            assigned[e.id].add(j)
            load[j] += 1

    # 2. rebalance along chains L takes e1 from J1, J1 takes e2 from J2, ..., the last judge loses one
    def chain_from(low: int) -> list[tuple[int, int, int]] | None:
        """BFS over judges; returns the moves [(entry, from_judge, to_judge)] ending at a judge with
        load >= load[low] + 2, or None."""
        prev: dict[int, tuple[int, int] | None] = {low: None}
        queue = [low]
        while queue:
            x = queue.pop(0)
            for e in entries:  # x could take e from a judge y who has it
                if x not in eligible[e.id] or x in assigned[e.id]:
                    continue
                for y in sorted(assigned[e.id]):
                    if y in prev or (e.id, y) in locked:
                        continue
                    prev[y] = (x, e.id)
                    if load[y] >= load[low] + 2:
                        moves, node = [], y
                        while prev[node] is not None:
                            taker, ent = prev[node]
                            moves.append((ent, node, taker))
                            node = taker
                        return moves
                    queue.append(y)
        return None

    changed = True
    while changed:
        changed = False
        for low in sorted(judge_ids, key=lambda j: (load[j], j)):
            if load[low] + 2 > max(load.values(), default=0):
                break
            moves = chain_from(low)
            if moves:
                for ent, giver, taker in moves:
                    assigned[ent].discard(giver)
                    assigned[ent].add(taker)
                    load[giver] -= 1
                    load[taker] += 1
                changed = True
                break

    shortfall = []
    for e in entries:
        if len(assigned[e.id]) < k:
            reason = "panel_too_small" if len(judges) < k else "conflicts"
            shortfall.append(Shortfall(e.id, k, len(assigned[e.id]), len(eligible[e.id]), reason, conflicted[e.id]))
    pairs = sorted((e, j) for e, js in assigned.items() for j in js)
    flagged = sorted((e, j, conflicted[e][j]) for e, j in locked if j in conflicted[e])
    return AssignmentResult(pairs, load, shortfall, flagged)


# -- score sheets --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Criterion:
    key: str  # the criterion id as a string (ScoreSheet.points keys)
    name: str
    max_points: float
    weight: float = 1.0


def check_points(points: Mapping[str, object], criteria: list[Criterion], complete: bool) -> list[tuple[str, str, dict]]:
    """Problems of a sheet's points, as (criterion key, code, params): 'not_a_number', 'out_of_range'
    (0 <= points <= max), 'unknown' (no such criterion), and with complete=True 'missing'. Empty = fine."""
    keys = {c.key for c in criteria}
    problems = [(k, "unknown", {}) for k in points if k not in keys]
    for c in criteria:
        v = points.get(c.key)
        if v is None:
            if complete:
                problems.append((c.key, "missing", {}))
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            problems.append((c.key, "not_a_number", {}))
        elif not 0 <= v <= c.max_points:
            problems.append((c.key, "out_of_range", {"max": c.max_points}))
    return problems


def sheet_total(points: Mapping[str, float], criteria: list[Criterion]) -> float | None:
    """Weighted total of a sheet on 0..100, or None while a criterion has no points.

    Formula: total = 100 * sum(w_i * p_i) / sum(w_i * max_i). With every weight 1 and maxima adding up
    to 100 (the default rubric 30/25/25/20) it is simply the sum of the points."""
    if not criteria or any(points.get(c.key) is None for c in criteria):
        return None
    top = sum(c.weight * c.max_points for c in criteria)
    if top <= 0:
        return None
    return round(100.0 * sum(c.weight * float(points[c.key]) for c in criteria) / top, 6)


# -- aggregation -------------------------------------------------------------------------------------
def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def aggregate_mean(scores: Mapping[int, Mapping[int, float]]) -> dict[int, float | None]:
    """mean: score(entry) = (1/n) * sum of its n judges' totals. No judge -> None."""
    return {e: (_mean(list(t.values())) if t else None) for e, t in scores.items()}


def aggregate_trimmed(scores: Mapping[int, Mapping[int, float]]) -> dict[int, float | None]:
    """trimmed: with n >= 4 judges drop one highest and one lowest total and average the other n - 2;
    with n < 4 it is the mean."""
    out: dict[int, float | None] = {}
    for e, t in scores.items():
        xs = sorted(t.values())
        out[e] = None if not xs else _mean(xs[1:-1] if len(xs) >= 4 else xs)
    return out


def aggregate_zscore(scores: Mapping[int, Mapping[int, float]]) -> dict[int, float | None]:
    """zscore: per-judge normalisation, for panels where judges saw different entries.

    For each judge j: mu_j and sigma_j = mean and population standard deviation of the totals j gave
    (over every entry in `scores`); z_je = (x_je - mu_j) / sigma_j, and z_je = 0 when sigma_j = 0
    (a judge who gave everybody the same total, or scored one entry, says nothing about order).
    Entry: zbar_e = mean of its z_je. Rescaled to the 0..100 scale of the totals:
    score_e = clamp(M + S * zbar_e, 0, 100), with M and S the mean and population standard deviation of
    all totals given in the division (S = 0 -> every entry gets M)."""
    by_judge: dict[int, list[float]] = defaultdict(list)
    for t in scores.values():
        for j, x in t.items():
            by_judge[j].append(x)
    stats = {j: (_mean(xs), statistics.pstdev(xs)) for j, xs in by_judge.items()}
    every = [x for xs in by_judge.values() for x in xs]
    if not every:
        return {e: None for e in scores}
    big_m, big_s = _mean(every), statistics.pstdev(every)
    out: dict[int, float | None] = {}
    for e, t in scores.items():
        if not t:
            out[e] = None
            continue
        zs = [((x - stats[j][0]) / stats[j][1]) if stats[j][1] > 0 else 0.0 for j, x in t.items()]
        out[e] = min(100.0, max(0.0, big_m + big_s * _mean(zs)))
    return out


AGGREGATIONS = {"mean": aggregate_mean, "trimmed": aggregate_trimmed, "zscore": aggregate_zscore}


def aggregate(scores: Mapping[int, Mapping[int, float]], method: str = "mean") -> dict[int, float | None]:
    """Score per entry from the judges' totals: scores = {entry_id: {judge_id: total 0..100}}.
    method is a key of AGGREGATIONS (mean | trimmed | zscore); see each function for its formula.
    Results are rounded to 4 decimals."""
    if method not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {method!r}: use one of {', '.join(AGGREGATIONS)}")
    return {e: (None if s is None else round(s, 4)) for e, s in AGGREGATIONS[method](scores).items()}


def disagreement(totals: Iterable[float], threshold: float = 20.0) -> bool:
    """Flag: max - min of the judges' totals is strictly greater than threshold (needs 2 judges)."""
    xs = list(totals)
    return len(xs) >= 2 and round(max(xs) - min(xs), SCORE_DECIMALS) > threshold


# -- ranking, rounds ------------------------------------------------------------------------------------
def rank(scores: Mapping[int, float | None], tiers: Mapping[int, int] | None = None) -> dict[int, int | None]:
    """Competition ranking ("1, 1, 3"): entries ordered by tier (lower first; e.g. round-2 entries
    before the rest), then by score rounded to SCORE_DECIMALS, best first; equal (tier, rounded score)
    share a rank and the next rank skips. Entries without a score get None."""
    tiers = tiers or {}
    scored = sorted(((tiers.get(e, 0), -round(s, SCORE_DECIMALS), e) for e, s in scores.items() if s is not None))
    out: dict[int, int | None] = {e: None for e, s in scores.items() if s is None}
    prev, prev_rank = None, 0
    for i, (tier, neg, e) in enumerate(scored, start=1):
        if (tier, neg) != prev:
            prev, prev_rank = (tier, neg), i
        out[e] = prev_rank
    return out


def select_round2(round1: Mapping[int, float | None], top_k: int | None = None,
                  min_score: float | None = None) -> list[int]:
    """Entries that go to round 2 (sorted by id). An entry needs a round-1 score and: rank <= top_k
    (entries tied at place K all go) when top_k is set, and score >= min_score when min_score is set
    (both set: both hold). Neither set: nobody."""
    if top_k is None and min_score is None:
        return []
    ranks = rank(round1)
    chosen = []
    for e, s in round1.items():
        if s is None:
            continue
        if top_k is not None and not (ranks[e] is not None and ranks[e] <= top_k):
            continue
        if min_score is not None and round(s, SCORE_DECIMALS) < min_score:
            continue
        chosen.append(e)
    return sorted(chosen)


def final_score(round1: float | None, round2: float | None, in_round2: bool, weight: float = 1.0) -> float | None:
    """Final score of an entry. Not in round 2: its round-1 score. In round 2:
    final = weight * round2 + (1 - weight) * round1 (weight 1 = round 2 alone); None until round 2 is
    scored. Entries in round 2 rank above the others (see `rank` tiers); while some still wait for
    their round 2 the ranking is provisional (see `rank_rounds`)."""
    if not in_round2:
        return round1
    if round2 is None or round1 is None and weight < 1:
        return None
    return round(weight * round2 + (1 - weight) * (round1 or 0.0), 4)


@dataclass
class DivisionRanks:
    """Result of `rank_rounds`: finals (final score per entry, None while unscored or waiting for its
    round 2), ranks, tiers (0 = in round 2, 1 = not), waiting (entries of round 2 without a round-2
    score, sorted) and provisional (waiting is not empty: the order may still change)."""

    finals: dict[int, float | None]
    ranks: dict[int, int | None]
    tiers: dict[int, int]
    waiting: list[int]

    @property
    def provisional(self) -> bool:
        return bool(self.waiting)


def rank_rounds(round1: Mapping[int, float | None], round2: Mapping[int, float | None],
                selected: Iterable[int] = (), weight: float = 1.0) -> DivisionRanks:
    """Ranks of a division with one or two rounds.

    finals[e] = final_score(round1[e], round2[e], e in selected, weight). Tiers: entries selected for
    round 2 are tier 0 and rank above every other entry (tier 1); `rank` orders by tier, then score
    (ties share a rank).

    While round 2 is being scored (an entry selected for round 2 has no round-2 score yet: `waiting`),
    the ranking is provisional: selected entries still rank above the others (they are the top of
    round 1 by construction) and are ordered among themselves by their final score when they have one,
    else by their round-1 score; the others by their final (= round-1) score. Finals of waiting entries
    stay None. Once every selected entry has a round-2 score, ranks = rank(finals, tiers), the final
    ranking. Example: round 1 {a: 90, b: 80, c: 70, d: 60}, top K = 2, no round 2 scored yet ->
    provisional ranks a 1, b 2, c 3, d 4 (never c 1, d 2 with a and b unranked)."""
    selected = set(selected)
    finals: dict[int, float | None] = {}
    tiers: dict[int, int] = {}
    waiting: list[int] = []
    for e in round1.keys() | round2.keys():
        inside = e in selected
        finals[e] = final_score(round1.get(e), round2.get(e), inside, weight)
        tiers[e] = 0 if inside else 1
        if inside and finals[e] is None:
            waiting.append(e)
    order = finals
    if waiting:
        order = {e: (round1.get(e) if e in waiting else s) for e, s in finals.items()}
    return DivisionRanks(finals, rank(order, tiers), tiers, sorted(waiting))
