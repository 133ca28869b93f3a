"""Qualifier selection (services.qualifiers): hand-computed tables."""
from __future__ import annotations

import pytest

from webapp.services.prizes import RuleError
from webapp.services.qualifiers import parse_qualifier_rule, select_qualifiers


def cand(entrant, division, score, rank, award=None, school="S", unit=""):
    return {"entrant": entrant, "division": division, "score": score, "rank": rank, "award": award,
            "school": school, "unit": unit}


def chosen(result):
    return [r["entrant"] for r in result["qualified"]]


@pytest.mark.parametrize("ties,expected,below", [
    # top 3 with a tie of two at rank 3: at_most leaves both out (4 > 3), at_least takes both
    ("at_most", ["a", "b"], ["c", "d"]),
    ("at_least", ["a", "b", "c", "d"], ["e"]),
])
def test_top_k_with_tie_at_the_line(ties, expected, below):
    cands = [cand("a", "B", 90, 1), cand("b", "B", 80, 2), cand("c", "B", 70, 3), cand("d", "B", 70, 3),
             cand("e", "B", 60, 5)]
    result = select_qualifiers(cands, {"divisions": {"B": {"top": 3}}, "ties": ties})
    assert chosen(result) == expected
    assert [r["entrant"] for r in result["below_line"]["B"]] == below
    if ties == "at_most":
        c = next(r for r in result["rows"] if r["entrant"] == "c")
        assert c["reason"] == "tied group of 2 at rank 3 would exceed the top 3 of B"
        e = next(r for r in result["rows"] if r["entrant"] == "e")
        assert e["reason"] == "rank 5 is outside the top 3 of B"


def test_award_level_and_threshold_rules_and_no_rule():
    cands = [cand("a", "C1", 90, 1, "first"), cand("b", "C1", 80, 2, "third"), cand("c", "C1", 70, 3, "consolation"),
             cand("d", "D2", 75, 1), cand("e", "D2", 70, 2), cand("f", "D2", 69.5, 3), cand("g", "A", 99, 1)]
    result = select_qualifiers(cands, {"divisions": {"C1": {"award_at_least": "third"}, "D2": {"min_score": 70}}})
    assert sorted(chosen(result)) == ["a", "b", "d", "e"]
    rows = {r["entrant"]: r for r in result["rows"]}
    assert rows["c"]["reason"] == "award consolation is below third"
    assert rows["f"]["reason"] == "score 69.5 < 70, the threshold of D2"
    assert rows["g"]["qualified"] is False and rows["g"]["reason_code"] == "no_rule"
    assert [r["entrant"] for r in result["below_line"]["D2"]] == ["f"]


def test_per_unit_cap_filled_in_rank_order_across_divisions():
    # cap 2 per school. Merged order (rank, division order B then D2):
    # B1 (X), D1 (X) -> X full; B2 (X) out; D2 (Y); B3 (Y) -> Y full; D3 (Y) out; B4 (Z)
    cands = [cand("B1", "B", 90, 1, school="X"), cand("B2", "B", 80, 2, school="X"), cand("B3", "B", 70, 3, school="Y"),
             cand("B4", "B", 60, 4, school="Z"),
             cand("D1", "D2", 95, 1, school="X"), cand("D2", "D2", 85, 2, school="Y"), cand("D3", "D2", 75, 3, school="Y")]
    rule = {"divisions": {"B": {"top": 4}, "D2": {"top": 3}}, "per_unit_cap": 2}
    result = select_qualifiers(cands, rule)
    assert chosen(result) == ["B1", "D1", "D2", "B3", "B4"]
    rows = {r["entrant"]: r for r in result["rows"]}
    assert rows["B2"]["reason"] == "2 already selected from X"
    assert rows["D3"]["reason"] == "2 already selected from Y"
    # by district instead of school
    for c in cands:
        c["unit"] = "Q1"
    result = select_qualifiers(cands, {**rule, "unit_by": "unit", "per_unit_cap": 3})
    assert chosen(result) == ["B1", "D1", "B2"]


@pytest.mark.parametrize("ties,expected", [
    ("at_most", ["a"]),          # the tied pair from X would make 3 > 2 from X: both out
    ("at_least", ["a", "b", "c"]),  # X has 1 < 2: the whole tied group enters
])
def test_per_unit_cap_with_a_tie(ties, expected):
    cands = [cand("a", "B", 90, 1, school="X"), cand("b", "B", 80, 2, school="X"), cand("c", "B", 80, 2, school="X")]
    result = select_qualifiers(cands, {"divisions": {"B": {"top": 5}}, "per_unit_cap": 2, "ties": ties})
    assert chosen(result) == expected


def test_total_binds():
    cands = [cand(f"B{i}", "B", 100 - i, i, school=f"S{i}") for i in range(1, 6)] + \
            [cand(f"D{i}", "D2", 100 - i, i, school=f"T{i}") for i in range(1, 6)]
    result = select_qualifiers(cands, {"divisions": {"B": {"top": 5}, "D2": {"top": 5}}, "total": 5})
    # merged order B1, D1, B2, D2, B3, D3 ...: the first five
    assert chosen(result) == ["B1", "D1", "B2", "D2", "B3"]
    rows = {r["entrant"]: r for r in result["rows"]}
    assert rows["D3"]["reason"] == "the total of 5 qualifiers is reached"
    assert [r["entrant"] for r in result["below_line"]["D2"]] == ["D3"]


def test_zero_and_unranked_never_qualify():
    cands = [cand("a", "B", 0, 1), cand("b", "B", None, None)]
    result = select_qualifiers(cands, {"divisions": {"B": {"top": 5}}})
    assert chosen(result) == []
    assert result["below_line"] == {}


def test_rule_validation():
    with pytest.raises(RuleError) as e:
        parse_qualifier_rule({"divisions": {"B": {"top": -1}, "C": {"award_at_least": "gold"}, "D": {"x": 1}},
                              "per_unit_cap": "two", "ties": "no"})
    assert [f for f, _, _ in e.value.errors] == ["divisions.B.top", "divisions.C.award_at_least", "divisions.D",
                                                 "per_unit_cap", "ties"]
    assert parse_qualifier_rule("divisions: {B: {top: 3}}\ntotal: 26\n")["total"] == 26
