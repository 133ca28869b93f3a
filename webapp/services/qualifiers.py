"""Qualifier selection for the next round: a pure function over the tallied entrants of a contest.

A rule (dict, JSON or YAML):

    divisions:                       # one rule per division code, in the order of filling
      B:  {top: 5}                   # the best 5 (tied groups follow `ties`)
      C1: {award_at_least: third}    # everyone with first, second or third
      D2: {min_score: 70}            # everyone with score >= 70
    per_unit_cap: 3                  # optional: at most 3 from one unit, filled in rank order
    unit_by: school                  # school (default) | unit (district / youth-union branch)
    total: 26                        # optional: at most 26 in all
    ties: at_most                    # at_most (default) | at_least, as for prizes
"""
from __future__ import annotations

from .prizes import LEVEL_NAMES, TIE_POLICIES, RuleError, _number, fmt, load_text

KINDS = ("top", "award_at_least", "min_score")


def parse_qualifier_rule(data) -> dict:
    """Validate and normalise a qualifier rule; RuleError lists every problem with its field."""
    if isinstance(data, (str, bytes)):
        data = load_text(data)
    if not isinstance(data, dict):
        raise RuleError([("rule", "not_mapping", {})])
    errors: list[tuple[str, str, dict]] = []
    known = ("divisions", "per_unit_cap", "unit_by", "total", "ties")
    for key in data:
        if key not in known:
            errors.append((str(key), "unknown_field", {"known": ", ".join(known)}))
    divisions: dict[str, dict] = {}
    raw = data.get("divisions")
    if raw is None:
        errors.append(("divisions", "required", {}))
    elif not isinstance(raw, dict):
        errors.append(("divisions", "not_mapping", {}))
    else:
        for code, spec in raw.items():
            where = f"divisions.{code}"
            if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in KINDS:
                errors.append((where, "one_of_kinds", {"kinds": ", ".join(KINDS)}))
                continue
            kind, value = next(iter(spec.items()))
            if kind == "top" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                errors.append((f"{where}.top", "not_int", {}))
            elif kind == "award_at_least" and value not in LEVEL_NAMES:
                errors.append((f"{where}.award_at_least", "bad_level_name", {"allowed": ", ".join(LEVEL_NAMES)}))
            elif kind == "min_score" and _number(value) is None:
                errors.append((f"{where}.min_score", "not_number", {}))
            else:
                divisions[str(code)] = {kind: value}
    out: dict = {"divisions": divisions}
    for key in ("per_unit_cap", "total"):
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            errors.append((key, "not_int", {}))
        out[key] = value
    out["unit_by"] = data.get("unit_by", "school")
    if out["unit_by"] not in ("school", "unit"):
        errors.append(("unit_by", "bad_choice", {"allowed": "school, unit"}))
    out["ties"] = data.get("ties", "at_most")
    if out["ties"] not in TIE_POLICIES:
        errors.append(("ties", "bad_choice", {"allowed": ", ".join(TIE_POLICIES)}))
    if errors:
        raise RuleError(errors)
    return out


REASON_TEXT = {
    "no_rule": "no qualifier rule for division {division}",
    "unranked": "not ranked",
    "zero": "score 0 does not qualify",
    "top": "rank {rank}, within the top {k} of {division}",
    "top_tie_in": "tied group of {size} at rank {rank} included whole in the top {k} (ties at_least)",
    "outside_top": "rank {rank} is outside the top {k} of {division}",
    "top_tie_out": "tied group of {size} at rank {rank} would exceed the top {k} of {division}",
    "award": "award {award}, at or above {level}",
    "award_below": "award {award} is below {level}",
    "score": "score {score} >= {min}",
    "score_below": "score {score} < {min}, the threshold of {division}",
    "unit_cap": "{cap} already selected from {unit}",
    "total": "the total of {total} qualifiers is reached",
}


def _reason(code: str, params: dict) -> dict:
    return {"reason": REASON_TEXT[code].format(**params), "reason_code": code, "reason_params": params}


def _groups(rows: list[dict]) -> list[list[dict]]:
    """Consecutive rows with the same (division, rank)."""
    out: list[list[dict]] = []
    for r in rows:
        if out and (out[-1][0]["division"], out[-1][0]["rank"]) == (r["division"], r["rank"]):
            out[-1].append(r)
        else:
            out.append([r])
    return out


def _person_units(row: dict, unit_key: str) -> list[str]:
    """The unit of each person of a candidate: its members' (a team entry), else its own."""
    members = row.get("members") or []
    if members:
        return [m.get(unit_key) or "" for m in members]
    return [row.get(unit_key) or ""]


def select_qualifiers(candidates: list[dict], rule: dict) -> dict:
    """Choose the qualifiers.

    candidates: tallied entrants of every division: dicts with "entrant", "division" (code), "score",
    "rank" (None when unranked), "award" and the unit fields "school" and "unit".
    Returns {"rows": every candidate (division order of the rule, then rank) with "qualified" and a
    reason, "qualified": the selected rows in order of filling, "below_line": {division: the
    tied group ranked just below that division's last qualifier}}.

    Algorithm:
    1. Per division, the eligible (ranked, score > 0) entrants by its rule, in rank order:
       top K: tied groups (equal rank) while the count stays <= K (at_most) or while fewer than K are
       in (at_least: the whole group enters); award_at_least L: award L or better;
       min_score T: score >= T. Divisions without a rule qualify no one.
    2. The eligible of all divisions are merged in the order (rank, division order in the rule), so
       the best of every division come first, and filled one tied group (same division and rank)
       at a time:
       - per-unit cap N (unit = school name or the `unit` field, empty units are not capped), counted
         in people: a team entry (a candidate with "members") counts each member toward the member's
         own unit. An entrant of a group is left out when one of its people's units would pass N with
         the whole group's people of that unit (at_most), or when one of them is already full
         (at_least); the rest of the group is taken;
       - total T, counted in people (a team of 2 is 2 qualifiers): a group that would pass T is left
         out with every later one (at_most), or taken whole while fewer than T are in (at_least).
    """
    rule = parse_qualifier_rule(rule)
    order = list(rule["divisions"])
    ties = rule["ties"]
    pos = {code: i for i, code in enumerate(order)}
    rows = [dict(c) for c in candidates]
    rows.sort(key=lambda r: (pos.get(r["division"], len(order)), r["division"],
                             r["rank"] is None, r["rank"] or 0))
    eligible: list[dict] = []
    for code in order + sorted({r["division"] for r in rows} - set(order)):
        div_rows = [r for r in rows if r["division"] == code]
        spec = rule["divisions"].get(code)
        taken = 0
        stop = False
        for group in _groups(div_rows):
            for r in group:
                r["qualified"] = False
            first = group[0]
            size, rank = len(group), first["rank"]
            if spec is None:
                for r in group:
                    r.update(_reason("no_rule", {"division": code}))
                continue
            if rank is None:
                for r in group:
                    r.update(_reason("unranked", {}))
                continue
            if not first["score"] or first["score"] <= 0:
                for r in group:
                    r.update(_reason("zero", {}))
                continue
            kind, value = next(iter(spec.items()))
            ok, params = False, {"division": code, "rank": rank, "size": size, "score": fmt(first["score"])}
            if kind == "top":
                params["k"] = value
                if stop:
                    code_ = "outside_top"
                elif ties == "at_most" and taken + size <= value or ties == "at_least" and taken < value:
                    ok = True
                    code_ = "top_tie_in" if taken + size > value else "top"
                else:
                    stop = True
                    code_ = "top_tie_out" if taken < value else "outside_top"
            elif kind == "award_at_least":
                params.update(level=value, award=first["award"] or "none")
                ok = first["award"] in LEVEL_NAMES[: LEVEL_NAMES.index(value) + 1]
                code_ = "award" if ok else "award_below"
            else:
                params["min"] = fmt(value)
                ok = first["score"] >= value
                code_ = "score" if ok else "score_below"
            for r in group:
                r.update(_reason(code_, params))
            if ok:
                taken += size
                eligible += group
    eligible.sort(key=lambda r: (r["rank"], pos[r["division"]]))
    unit_key = rule["unit_by"]
    cap, total = rule.get("per_unit_cap"), rule.get("total")
    per_unit: dict[str, int] = {}
    selected: list[dict] = []
    total_stop = False
    for group in _groups(eligible):
        if total_stop:
            for r in group:
                r.update(_reason("total", {"total": total}))
            continue
        keep = []
        if cap is not None:
            need: dict[str, int] = {}
            for r in group:
                for unit in _person_units(r, unit_key):
                    need[unit] = need.get(unit, 0) + 1
            for r in group:
                full = [u for u in dict.fromkeys(_person_units(r, unit_key)) if u and (
                    per_unit.get(u, 0) + need[u] > cap if ties == "at_most" else per_unit.get(u, 0) >= cap)]
                if full:
                    r.update(_reason("unit_cap", {"cap": cap, "unit": full[0]}))
                else:
                    keep.append(r)
        else:
            keep = list(group)
        if not keep:
            continue
        n = sum(len(_person_units(r, unit_key)) for r in selected)
        people = sum(len(_person_units(r, unit_key)) for r in keep)
        if total is not None and (n + people > total if ties == "at_most" else n >= total):
            total_stop = True
            for r in keep:
                r.update(_reason("total", {"total": total}))
            continue
        for r in keep:
            r["qualified"] = True
            for unit in _person_units(r, unit_key):
                per_unit[unit] = per_unit.get(unit, 0) + 1
        selected += keep
    below: dict[str, list[dict]] = {}
    for code in order:
        div_rows = [r for r in rows if r["division"] == code]
        last = max((i for i, r in enumerate(div_rows) if r["qualified"]), default=-1)
        rest = [r for r in div_rows[last + 1:] if r["rank"] is not None and not r["qualified"] and (r["score"] or 0) > 0]
        if rest:
            below[code] = [r for r in rest if r["rank"] == rest[0]["rank"]]
    return {"rows": rows, "qualified": selected, "below_line": below}
