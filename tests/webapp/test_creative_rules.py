"""Pure rules of creative judging, on hand-computed tables (webapp/services/creative_judging.py)."""
from __future__ import annotations

import itertools
import random

import pytest

from webapp.services.creative_judging import (
    DECLARED,
    MENTOR_SCHOOL,
    ORGANISER,
    SAME_SCHOOL,
    SAME_UNIT,
    Conflict,
    Criterion,
    EntryInfo,
    JudgeInfo,
    aggregate,
    assign_judges,
    check_points,
    conflict_reason,
    disagreement,
    final_score,
    rank,
    rank_rounds,
    same_school,
    school_key,
    select_round2,
    sheet_total,
)


def entry(i, schools=(), units=(), mentor=""):
    return EntryInfo(i, frozenset(schools), frozenset(units), mentor)


# -- conflicts ---------------------------------------------------------------------------------------
def test_conflict_reasons_each_rule():
    e = entry(1, schools={10}, units={"Quận 1"}, mentor="THCS Lê Lợi")
    assert conflict_reason(JudgeInfo(1, school_id=10), e) == SAME_SCHOOL
    assert conflict_reason(JudgeInfo(2, unit="  quận 1 "), e) == SAME_UNIT
    assert conflict_reason(JudgeInfo(3, school_id=99, school_name="thcs  lê lợi"), e) == MENTOR_SCHOOL
    assert conflict_reason(JudgeInfo(4), e, [Conflict(4, entry_id=1)]) == DECLARED
    assert conflict_reason(JudgeInfo(5), e, [Conflict(5, school_id=10, source=ORGANISER)]) == ORGANISER
    assert conflict_reason(JudgeInfo(6), e, [Conflict(6, unit="Quận 1")]) == DECLARED
    # no conflict: other school, other unit, someone else's declaration, empty unit never matches
    assert conflict_reason(JudgeInfo(7, school_id=11, school_name="THPT A", unit="Quận 3"), e,
                           [Conflict(4, entry_id=1), Conflict(7, entry_id=2)]) is None
    assert conflict_reason(JudgeInfo(8, unit=""), entry(2, units={""})) is None


def test_school_key_normalises_case_spaces_and_the_generic_prefix_but_keeps_diacritics():
    assert school_key("Trường  THCS   A ") == "thcs a"
    assert school_key("thcs  a") == "thcs a"
    assert school_key("TRƯỜNG THPT Lê Lợi") == "thpt lê lợi"
    # decomposed (NFD) input is the same name as the composed one
    assert school_key("THCS Lê Lợi".replace("ê", "e\u0302")) == "thcs lê lợi"
    assert school_key("THCS Le Loi") == "thcs le loi" != school_key("THCS Lê Lợi")
    assert school_key("Trường") == "" and school_key("") == "" and school_key(None) == ""
    # only a leading whole word is a prefix
    assert school_key("Trườngsa THCS") == "trườngsa thcs"


def test_same_school_rule_on_districts():
    assert same_school("THCS A", "", "Trường THCS A", "Quận 1")  # one district empty -> same name decides
    assert same_school("thcs a", " quận  1", "THCS A", "Quận 1")  # districts equal after normalising
    assert not same_school("THCS Nguyễn Du", "Quận 1", "THCS Nguyễn Du", "Quận 3")  # both set, differ
    assert not same_school("THCS Nguyễn Du", "", "THCS Nguyen Du", "")  # diacritics differ
    assert not same_school("", "", "", "")  # an empty name never matches
    assert not same_school("Trường", "", "trường", "")


def test_same_school_conflict_across_school_records():
    # members: one of "THCS Nguyễn Du" (Quận 1, record 10), one of "THCS A" (Quận 2, record 11)
    e = EntryInfo(1, frozenset({10, 11}), member_schools=frozenset({("THCS Nguyễn Du", "Quận 1"), ("THCS A", "Quận 2")}))
    # same id
    assert conflict_reason(JudgeInfo(1, school_id=10, school_name="THCS Nguyễn Du", school_district="Quận 1"), e) == SAME_SCHOOL
    # another record of the same name without a district (create-user --school) -> same school
    assert conflict_reason(JudgeInfo(2, school_id=20, school_name="THCS Nguyễn Du", school_district=""), e) == SAME_SCHOOL
    # "Trường THCS A" vs "thcs  a" (other record, no district on the judge's side)
    assert conflict_reason(JudgeInfo(3, school_id=21, school_name="Trường THCS A"), e) == SAME_SCHOOL
    e_plain = EntryInfo(2, frozenset({30}), member_schools=frozenset({("thcs  a", "")}))
    assert conflict_reason(JudgeInfo(4, school_id=31, school_name="Trường THCS A", school_district="Quận 9"), e_plain) == SAME_SCHOOL
    # same name, both districts set and different -> different schools, no conflict
    assert conflict_reason(JudgeInfo(5, school_id=22, school_name="THCS Nguyễn Du", school_district="Quận 3"), e) is None
    # names differ only by diacritics -> different schools
    assert conflict_reason(JudgeInfo(6, school_id=23, school_name="THCS Nguyen Du"), e) is None


def test_mentor_school_variants():
    e = EntryInfo(1, mentor_school="Trường THCS Lê Lợi")
    assert conflict_reason(JudgeInfo(1, school_id=5, school_name="thcs  lê lợi", school_district="Quận 1"), e) == MENTOR_SCHOOL
    assert conflict_reason(JudgeInfo(2, school_id=6, school_name="TRƯỜNG THCS LÊ LỢI"), e) == MENTOR_SCHOOL
    assert conflict_reason(JudgeInfo(3, school_id=7, school_name="THCS Le Loi"), e) is None  # diacritics differ
    assert conflict_reason(JudgeInfo(4, school_id=8, school_name="THCS Lê Lợi 2"), e) is None
    assert conflict_reason(JudgeInfo(5), EntryInfo(2, mentor_school="")) is None


# -- assignment --------------------------------------------------------------------------------------
def test_assignment_k_per_entry_no_conflict_balanced():
    judges = [JudgeInfo(j, school_id=100 + j) for j in range(1, 6)]
    entries = [entry(e, schools={100 + (e % 4) + 1}) for e in range(1, 7)]  # each entry conflicts with one judge
    conflicts = [Conflict(1, entry_id=6)]
    res = assign_judges(entries, judges, conflicts, k=3)
    by_entry = {}
    for e, j in res.assignments:
        by_entry.setdefault(e, []).append(j)
    for e in entries:
        js = by_entry[e.id]
        assert len(js) == 3
        for j in js:
            assert conflict_reason(next(x for x in judges if x.id == j), e, conflicts) is None
    assert sum(res.loads.values()) == 18
    assert max(res.loads.values()) - min(res.loads.values()) <= 1
    assert res.shortfall == []


def test_assignment_shortfall_names_entry_and_reason():
    judges = [JudgeInfo(1, school_id=10), JudgeInfo(2, school_id=20), JudgeInfo(3, unit="Quận 5")]
    entries = [entry(1, schools={10}, units={"Quận 5"}), entry(2, schools={30})]
    res = assign_judges(entries, judges, [Conflict(2, entry_id=1, source=ORGANISER)], k=2)
    assert [(e, j) for e, j in res.assignments if e == 1] == []
    assert len([1 for e, _ in res.assignments if e == 2]) == 2
    [short] = res.shortfall
    assert (short.entry_id, short.needed, short.assigned, short.eligible, short.reason) == (1, 2, 0, 0, "conflicts")
    assert short.conflicted == {1: SAME_SCHOOL, 2: ORGANISER, 3: SAME_UNIT}
    small = assign_judges([entry(5)], judges[:2], k=3)
    assert small.shortfall[0].reason == "panel_too_small" and small.shortfall[0].assigned == 2


def test_assignment_keeps_fixed_pairs_and_counts_them():
    judges = [JudgeInfo(j) for j in (1, 2, 3)]
    res = assign_judges([entry(1), entry(2), entry(3)], judges, k=1, fixed=[(1, 1), (2, 1)])
    assert (1, 1) in res.assignments and (2, 1) in res.assignments
    assert res.loads == {1: 2, 2: 1, 3: 0}  # entry 3 goes to a judge with the least load
    assert [e for e, j in res.assignments if e == 3] == [3]
    assert dict(res.assignments)[3] == 2


def _best_spread(entries, judges, conflicts, k):
    options = []
    for e in entries:
        ok = [j.id for j in judges if conflict_reason(j, e, conflicts) is None]
        options.append(list(itertools.combinations(ok, min(k, len(ok)))))
    best = None
    for combo in itertools.product(*options):
        load = {j.id: 0 for j in judges}
        for chosen in combo:
            for j in chosen:
                load[j] += 1
        spread = max(load.values()) - min(load.values())
        best = spread if best is None else min(best, spread)
    return best


def test_assignment_balance_is_optimal_on_random_small_instances():
    rnd = random.Random(7)
    for _ in range(150):
        judges = [JudgeInfo(j, school_id=rnd.choice([1, 2, 3, None])) for j in range(1, rnd.randint(2, 4) + 1)]
        entries = [entry(e, schools={rnd.choice([1, 2, 3, 4])}) for e in range(1, rnd.randint(2, 5) + 1)]
        conflicts = [Conflict(rnd.choice(judges).id, entry_id=rnd.choice(entries).id) for _ in range(rnd.randint(0, 2))]
        k = rnd.randint(1, 3)
        res = assign_judges(entries, judges, conflicts, k)
        got = {}
        for e, j in res.assignments:
            got.setdefault(e, set()).add(j)
        for e in entries:
            ok = {j.id for j in judges if conflict_reason(j, e, conflicts) is None}
            assert got.get(e.id, set()) <= ok
            assert len(got.get(e.id, set())) == min(k, len(ok))
            assert (e.id in {s.entry_id for s in res.shortfall}) == (len(ok) < k)
        spread = max(res.loads.values()) - min(res.loads.values())
        assert spread == _best_spread(entries, judges, conflicts, k), (entries, judges, conflicts, k, res)


# -- sheets --------------------------------------------------------------------------------------------
DEFAULT = [Criterion("1", "Ý tưởng", 30), Criterion("2", "Ứng dụng", 25), Criterion("3", "Kỹ thuật", 25),
           Criterion("4", "Trình bày", 20)]


def test_sheet_total_and_point_checks():
    assert sheet_total({"1": 25, "2": 20, "3": 15.5, "4": 10}, DEFAULT) == 70.5
    assert sheet_total({"1": 25, "2": 20}, DEFAULT) is None
    weighted = [Criterion("a", "A", 10, weight=2), Criterion("b", "B", 10, weight=1)]
    assert sheet_total({"a": 5, "b": 10}, weighted) == pytest.approx(100 * (2 * 5 + 10) / 30)
    problems = check_points({"1": 31, "2": -1, "3": "x", "9": 1}, DEFAULT, complete=True)
    assert ("9", "unknown", {}) in problems
    assert ("1", "out_of_range", {"max": 30}) in problems
    assert ("2", "out_of_range", {"max": 25}) in problems
    assert ("3", "not_a_number", {}) in problems
    assert ("4", "missing", {}) in problems
    assert check_points({"1": 30}, DEFAULT, complete=False) == []


# -- aggregation ---------------------------------------------------------------------------------------
def test_aggregate_mean_and_trimmed():
    scores = {1: {1: 90, 2: 40, 3: 70, 4: 80}, 2: {1: 90, 2: 40, 3: 70}, 3: {}}
    assert aggregate(scores, "mean") == {1: 70.0, 2: 66.6667, 3: None}
    # 4 judges: drop 90 and 40 -> (70 + 80) / 2; 3 judges: the mean
    assert aggregate(scores, "trimmed") == {1: 75.0, 2: 66.6667, 3: None}
    with pytest.raises(ValueError):
        aggregate(scores, "median")


def test_aggregate_zscore_with_a_zero_spread_judge():
    # judge 1: e1 80, e2 60 -> mu 70, sigma 10 -> z +1, -1
    # judge 2: e2 90, e3 70 -> mu 80, sigma 10 -> z +1, -1
    # judge 3: e1 50, e3 50 -> sigma 0 -> z 0, 0
    # zbar: e1 (1+0)/2 = .5, e2 (-1+1)/2 = 0, e3 (-1+0)/2 = -.5
    # all totals 80 60 90 70 50 50: M = 400/6 = 66.6667, S = sqrt(2000/9) = 14.9071
    scores = {1: {1: 80, 3: 50}, 2: {1: 60, 2: 90}, 3: {2: 70, 3: 50}}
    out = aggregate(scores, "zscore")
    assert out[1] == pytest.approx(74.1202, abs=1e-4)
    assert out[2] == pytest.approx(66.6667, abs=1e-4)
    assert out[3] == pytest.approx(59.2131, abs=1e-4)
    assert aggregate({1: {1: 70}, 2: {1: 70}}, "zscore") == {1: 70.0, 2: 70.0}


def test_disagreement_flag_is_strict():
    assert disagreement([50, 70.5], 20) is True
    assert disagreement([50, 70], 20) is False
    assert disagreement([99], 20) is False
    assert disagreement([40, 55, 61], 20) is True


# -- ranking and rounds ------------------------------------------------------------------------------
def test_rank_shares_ties_and_skips():
    assert rank({1: 80, 2: 90, 3: 80, 4: 70, 5: None}) == {2: 1, 1: 2, 3: 2, 4: 4, 5: None}
    assert rank({1: 80.001, 2: 80.004}) == {1: 1, 2: 1}  # compared on 2 decimals
    # tiers: round-2 entries (tier 0) rank above the rest whatever their score
    assert rank({1: 50, 2: 60, 3: 95}, tiers={1: 0, 2: 0, 3: 1}) == {2: 1, 1: 2, 3: 3}


def test_select_round2_top_k_and_min_score():
    r1 = {1: 90, 2: 80, 3: 80, 4: 70, 5: None}
    assert select_round2(r1, top_k=2) == [1, 2, 3]  # tied at place 2: both go
    assert select_round2(r1, min_score=75) == [1, 2, 3]
    assert select_round2(r1, min_score=85) == [1]
    assert select_round2(r1, top_k=4, min_score=75) == [1, 2, 3]
    assert select_round2(r1) == []


def test_final_score_blend():
    assert final_score(70, None, False) == 70
    assert final_score(70, 90, True, 1.0) == 90
    assert final_score(70, 90, True, 0.6) == 82.0  # 0.6 * 90 + 0.4 * 70
    assert final_score(70, None, True, 0.5) is None


def test_rank_rounds_is_provisional_while_round2_is_scored():
    r1 = {1: 90.0, 2: 80.0, 3: 70.0, 4: 60.0}
    chosen = select_round2(r1, top_k=2)
    assert chosen == [1, 2]
    # nothing of round 2 scored yet: 1 and 2 keep the top places by round 1 (never 3 first, 4 second)
    before = rank_rounds(r1, {}, chosen, 1.0)
    assert before.ranks == {1: 1, 2: 2, 3: 3, 4: 4}
    assert before.finals == {1: None, 2: None, 3: 70.0, 4: 60.0}
    assert before.tiers == {1: 0, 2: 0, 3: 1, 4: 1}
    assert before.waiting == [1, 2] and before.provisional
    # entry 1 scored 50 in round 2, entry 2 not yet: 2 (round 1: 80) before 1 (round 2: 50), both above 3, 4
    partial = rank_rounds(r1, {1: 50.0, 2: None}, chosen, 1.0)
    assert partial.ranks == {2: 1, 1: 2, 3: 3, 4: 4}
    assert partial.finals == {1: 50.0, 2: None, 3: 70.0, 4: 60.0}
    assert partial.waiting == [2] and partial.provisional
    # blend 0.5 while waiting: entry 1 final = 0.5*50 + 0.5*90 = 70 < entry 2's round-1 80
    blend = rank_rounds(r1, {1: 50.0}, chosen, 0.5)
    assert blend.finals[1] == 70.0 and blend.ranks == {2: 1, 1: 2, 3: 3, 4: 4} and blend.waiting == [2]
    # round 2 complete: final ranking, not provisional; 1 (50) stays above 3 (70) by tier
    done = rank_rounds(r1, {1: 50.0, 2: 85.0}, chosen, 1.0)
    assert done.ranks == {2: 1, 1: 2, 3: 3, 4: 4}
    assert done.finals == {1: 50.0, 2: 85.0, 3: 70.0, 4: 60.0}
    assert done.waiting == [] and not done.provisional
    # one round (nobody selected): round-1 order, never provisional; unscored entries unranked
    single = rank_rounds({1: 60.0, 2: 75.0, 3: None}, {})
    assert single.ranks == {2: 1, 1: 2, 3: None} and not single.provisional


def test_assignment_lists_fixed_pairs_that_conflict():
    # judge 1 shares school 10 with entry 1; the pair is fixed (it has a sheet): kept, counted, listed
    judges = [JudgeInfo(1, school_id=10), JudgeInfo(2)]
    res = assign_judges([entry(1, schools={10}), entry(2)], judges, k=1, fixed=[(1, 1), (2, 2)])
    assert res.assignments == [(1, 1), (2, 2)]
    assert res.conflicted_fixed == [(1, 1, SAME_SCHOOL)]
    assert res.to_dict()["conflicted_fixed"] == [{"entry_id": 1, "judge_id": 1, "conflict": SAME_SCHOOL}]
    assert assign_judges([entry(1), entry(2)], judges, k=1, fixed=[(1, 1)]).conflicted_fixed == []
