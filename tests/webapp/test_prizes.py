"""The prize tally (services.prizes): hand-computed tables."""
from __future__ import annotations

import pytest

from webapp.services.prizes import RuleError, allocate_prizes, parse_rule, split_overall_cap


def entries(scores):
    return [{"entrant": f"u{i}", "score": s} for i, s in enumerate(scores, start=1)]


def awards(rows):
    return {r["entrant"]: r["award"] for r in rows}


def counts(rows):
    out = {}
    for r in rows:
        if r["award"]:
            out[r["award"]] = out.get(r["award"], 0) + 1
    return out


# -- THE acceptance case: 60 entrants, ties at two cutoffs (first: places 2-4; third: places 17-19) ----
SIXTY = ([100, 95, 95, 95, 90, 89, 88, 87, 86, 80, 79, 78, 77, 76, 75, 74, 70, 70, 70]
         + [69, 68, 67, 66, 65, 64, 63, 62, 61, 60, 59]
         + [50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26]
         + [0, 0, 0, 0, 0])
SIXTY_RULE = {
    "levels": [{"name": "first", "fraction": 0.05},   # 0.05 x 60 = 3  -> cumulative 3
               {"name": "second", "fraction": 0.10},  # 0.10 x 60 = 6  -> cumulative 9
               {"name": "third", "count": 9},         #                -> cumulative 18
               {"name": "consolation", "fraction": 0.20}],  # 12     -> cumulative 30
    "max_total_fraction": 0.6,  # 36: not binding here
}
# places (1-based, inclusive) -> (rank of the first place, award), worked by hand:
# at_most: the 3 tied at 95 (places 2-4) would make 4 > 3 firsts -> all second; the 3 tied at 70
#          (places 17-19) would make 19 > 18 up to third -> all consolation; consolation fills to 30.
# at_least: the whole tied group at 95 enters first (4 firsts); second fills 5-9; third 10-16 and the
#           whole group at 70 (19 > 18); consolation 20-30 (cumulative 30 reached).
SIXTY_AT_MOST = [((1, 1), "first"), ((2, 4), "second"), ((5, 9), "second"), ((10, 16), "third"),
                 ((17, 19), "consolation"), ((20, 30), "consolation"), ((31, 60), None)]
SIXTY_AT_LEAST = [((1, 1), "first"), ((2, 4), "first"), ((5, 9), "second"), ((10, 16), "third"),
                  ((17, 19), "third"), ((20, 30), "consolation"), ((31, 60), None)]


@pytest.mark.parametrize("ties,table,expected_counts", [
    ("at_most", SIXTY_AT_MOST, {"first": 1, "second": 8, "third": 7, "consolation": 14}),
    ("at_least", SIXTY_AT_LEAST, {"first": 4, "second": 5, "third": 10, "consolation": 11}),
])
def test_sixty_entrants_with_ties_at_two_cutoffs(ties, table, expected_counts):
    assert len(SIXTY) == 60
    rows = allocate_prizes(entries(SIXTY), {**SIXTY_RULE, "ties": ties})
    by_place = {int(r["entrant"][1:]): r for r in rows}
    for (lo, hi), award in table:
        for place in range(lo, hi + 1):
            assert by_place[place]["award"] == award, (ties, place, by_place[place])
    assert counts(rows) == expected_counts
    # shared ranks: 1, 2, 2, 2, 5 ... 17, 17, 17, 20 ...; the five zeros share rank 56
    assert [by_place[p]["rank"] for p in (1, 2, 3, 4, 5, 17, 18, 19, 20, 56, 60)] == [1, 2, 2, 2, 5, 17, 17, 17, 20, 56, 56]
    # every entrant has a reason
    assert all(r["reason"] for r in rows)
    assert by_place[31]["reason"] == "score 50 < 59, the cutoff for consolation"
    assert by_place[60]["reason_code"] == "not_positive"
    if ties == "at_most":
        assert by_place[2]["reason"] == "tied group of 3 at rank 2 would exceed the quota of 3 for first; given second"
        assert by_place[20]["reason"] == "score 69 < 74, the cutoff for third"
    else:
        assert by_place[17]["reason_code"] == "tie_included"
        assert by_place[20]["reason"] == "score 69 < 70, the cutoff for third"


# -- ties exactly at each cutoff --------------------------------------------------------------------
def test_tie_exactly_filling_the_quota_is_not_a_tie_problem():
    rule = {"levels": [{"name": "first", "count": 2}, {"name": "second", "count": 2}]}
    # places 1-2 tied exactly fill first; 3-4 tied exactly fill second
    for ties in ("at_most", "at_least"):
        rows = allocate_prizes(entries([9, 9, 7, 7, 5]), {**rule, "ties": ties})
        assert [r["award"] for r in rows] == ["first", "first", "second", "second", None]


@pytest.mark.parametrize("ties,expected", [
    # at_most: the 3 tied at 8 would make 3 > 2 firsts -> second (cumulative 4 holds 1+3); 6 -> none
    ("at_most", ["first", "second", "second", "second", None]),
    # at_least: whole group in first (4 awarded); second's cumulative 4 is full -> 6 gets nothing
    ("at_least", ["first", "first", "first", "first", None]),
])
def test_tie_across_first_cutoff(ties, expected):
    rule = {"levels": [{"name": "first", "count": 2}, {"name": "second", "count": 2}], "ties": ties}
    rows = allocate_prizes(entries([10, 8, 8, 8, 6]), rule)
    assert [r["award"] for r in rows] == expected


@pytest.mark.parametrize("ties,expected", [
    ("at_most", ["first", "second", None, None, None]),   # tied pair would make 3 > 2: excluded
    ("at_least", ["first", "second", "second", "second", None]),
])
def test_tie_across_the_last_cutoff(ties, expected):
    rule = {"levels": [{"name": "first", "count": 1}, {"name": "second", "count": 1}], "ties": ties}
    rows = allocate_prizes(entries([10, 9, 8, 8, 7]), rule)
    if ties == "at_most":
        rows2 = allocate_prizes(entries([10, 9, 8, 8, 7]), {**rule, "levels": rule["levels"] + [{"name": "third", "count": 1}]})
        # with a third level of 1 the pair still does not fit (cumulative 3 < 4)
        assert [r["award"] for r in rows2] == ["first", "second", None, None, None]
        assert rows2[2]["reason"] == "tied group of 2 at rank 3 would exceed the quota of 3 for third"
    assert [r["award"] for r in allocate_prizes(entries([10, 9, 8, 8, 7]),
                                                 {**rule, "levels": [{"name": "first", "count": 1},
                                                                     {"name": "second", "count": 2}]})][:4] \
        == (["first", "second", None, None] if ties == "at_most" else ["first", "second", "second", "second"])
    assert [r["award"] for r in rows][:2] == ["first", "second"]


def test_empty_levels_and_fractions_rounding_to_zero():
    # 15 entrants: first 0.05 x 15 = 0.75 -> floor 0 (empty); nearest -> 1
    rule = {"levels": [{"name": "first", "fraction": 0.05}, {"name": "second", "count": 0},
                       {"name": "third", "fraction": 0.2}]}
    scores = list(range(100, 85, -1))
    rows = allocate_prizes(entries(scores), rule)
    assert counts(rows) == {"third": 3}  # 0 first, 0 second, 0.2 x 15 = 3 third
    assert rows[0]["reason"] == "rank 1, within the quota of 3 for third"
    rows = allocate_prizes(entries(scores), {**rule, "rounding": "nearest"})
    assert counts(rows) == {"first": 1, "third": 3}  # cumulative 1, 1, 4


def test_nearest_rounds_half_up():
    rule = {"levels": [{"name": "first", "fraction": 0.25}], "rounding": "nearest"}
    assert counts(allocate_prizes(entries([5, 4, 3, 2, 1, 1.5]), rule)) == {"first": 2}  # 1.5 -> 2
    assert counts(allocate_prizes(entries([5, 4, 3, 2, 1]), rule)) == {"first": 1}  # 1.25 -> 1


def test_fewer_entrants_than_prizes():
    rule = {"levels": [{"name": "first", "count": 1}, {"name": "second", "count": 3}, {"name": "third", "count": 6}]}
    rows = allocate_prizes(entries([50, 40, 30]), rule)
    assert [r["award"] for r in rows] == ["first", "second", "second"]


def test_zero_scores_and_min_scores():
    rule = {"levels": [{"name": "first", "count": 1}, {"name": "second", "count": 5}]}
    rows = allocate_prizes(entries([30, 20, 0, 0]), rule)
    assert [r["award"] for r in rows] == ["first", "second", None, None]
    assert rows[2]["reason"] == "score 0: a prize needs a score above 0"
    rows = allocate_prizes(entries([30, 20, 10, 0]), {**rule, "min_score": 15, "min_score_per_level": {"first": 40}})
    assert [r["award"] for r in rows] == ["second", "second", None, None]
    assert rows[0]["reason"] == "score 30 < 40, the minimum for first; given second"
    assert rows[2]["reason"] == "score 10 < 15, the minimum for a prize"
    # all zero: nobody wins
    assert counts(allocate_prizes(entries([0, 0, 0]), rule)) == {}


def test_unscored_entries_are_listed_last_and_not_counted():
    rows = allocate_prizes(entries([10, None, 5]), {"levels": [{"name": "first", "fraction": 0.5}]})
    assert [(r["entrant"], r["rank"], r["award"]) for r in rows] == [("u1", 1, "first"), ("u3", 2, None), ("u2", None, None)]


def test_sixty_percent_cap_binds():
    # 10 entrants, levels would give 2 + 3 + 4 = 9; the 60% cap allows 6
    rule = {"levels": [{"name": "first", "count": 2}, {"name": "second", "count": 3}, {"name": "third", "count": 4}],
            "max_total_fraction": 0.6}
    scores = [100, 90, 80, 70, 60, 50, 40, 30, 20, 10]
    rows = allocate_prizes(entries(scores), rule)
    assert [r["award"] for r in rows] == ["first"] * 2 + ["second"] * 3 + ["third"] + [None] * 4
    assert rows[6]["reason"] == "tied group of 1 at rank 7 would exceed the cap of 6 prizes (60% of 10)"
    # a tie across the cap: the cap is a ceiling under both policies
    tied = [100, 90, 80, 70, 60, 50, 50, 30, 20, 10]
    for ties in ("at_most", "at_least"):
        rows = allocate_prizes(entries(tied), {**rule, "ties": ties})
        assert sum(1 for r in rows if r["award"]) == 5


def test_overall_cap_split_and_binding():
    # 3 divisions whose own rules give 20 + 15 + 13 = 48 > 42
    shares = split_overall_cap({"B": 20, "C1": 15, "D2": 13}, 42)
    # 42 x 20/48 = 17.5, 42 x 15/48 = 13.125, 42 x 13/48 = 11.375 -> floors 17 + 13 + 11 = 41;
    # the one place left goes to the largest remainder (B, .5)
    assert shares == {"B": 18, "C1": 13, "D2": 11}
    assert sum(shares.values()) == 42
    assert split_overall_cap({"B": 20, "C1": 15}, 42) == {"B": 20, "C1": 15}
    rule = {"levels": [{"name": "first", "count": 5}, {"name": "second", "count": 15}]}
    rows = allocate_prizes(entries(range(100, 70, -1)), rule)
    assert len([r for r in rows if r["award"]]) == 20
    rows = allocate_prizes(entries(range(100, 70, -1)), rule, max_total=18)
    assert counts(rows) == {"first": 5, "second": 13}
    assert rows[18]["reason"] == "tied group of 1 at rank 19 would exceed the cap of 18 prizes (overall cap share)"


def test_icpc_key_breaks_equal_solved_by_penalty():
    rule = {"levels": [{"name": "first", "count": 1}]}
    es = [{"entrant": "a", "score": 3, "key": (3, -200)}, {"entrant": "b", "score": 3, "key": (3, -150)}]
    rows = allocate_prizes(es, rule)
    assert [(r["entrant"], r["rank"], r["award"]) for r in rows] == [("b", 1, "first"), ("a", 2, None)]


def test_rule_validation_names_the_field():
    with pytest.raises(RuleError) as e:
        parse_rule({"levels": [{"name": "gold", "count": 1}, {"name": "second", "count": 1, "fraction": 0.1},
                               {"name": "third", "fraction": 1.5}], "ties": "maybe", "colour": 1,
                    "min_score_per_level": {"first": 3}})
    fields = [f for f, _, _ in e.value.errors]
    assert fields == ["colour", "levels[0].name", "levels[1]", "levels[2].fraction", "min_score_per_level.first", "ties"]
    assert "levels[0].name: must be one of first, second, third, consolation" in str(e.value)
    with pytest.raises(RuleError) as e:
        parse_rule("levels: [ {name: first")
    assert e.value.errors[0][0] == "rule" and e.value.errors[0][1] == "syntax"
    rule = parse_rule("levels:\n  - {name: first, count: 2}\nmin_score: 1\nties: at_least\n")
    assert rule.to_dict() == {"levels": [{"name": "first", "count": 2}], "min_score": 1.0, "ties": "at_least", "rounding": "floor"}
    assert parse_rule('{"levels": [{"name": "third", "fraction": 0.5}]}').levels[0].fraction == 0.5
