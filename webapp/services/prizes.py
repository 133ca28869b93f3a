"""Prize rules (stored as data) and the prize tally of one division: a pure function.

A rule (dict, JSON or YAML):

    levels:                          # best first; each with `count` or `fraction` (of ranked entrants)
      - {name: first, fraction: 0.05}
      - {name: second, count: 6}
    min_score: 1                     # below this, no prize; absent = the score must be > 0
    min_score_per_level: {first: 80} # optional
    max_total_fraction: 0.6          # optional: all prizes together <= 60% of the ranked entrants
    ties: at_most                    # at_most (default) | at_least
    rounding: floor                  # floor (default) | nearest, for fractions

`parse_rule` validates and normalises it (errors name the field); `allocate_prizes` applies it;
`split_overall_cap` shares an overall cap across divisions (see its docstring).
Reasons are returned as a code with parameters (for translation) and as an English sentence
(for the CLI and the API).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

LEVEL_NAMES = ("first", "second", "third", "consolation")
TIE_POLICIES = ("at_most", "at_least")
ROUNDINGS = ("floor", "nearest")

DEFAULT_RULE = {
    # a city round: a handful of first prizes, then second, third and consolation; at most 60% of entrants
    "levels": [
        {"name": "first", "fraction": 0.05},
        {"name": "second", "fraction": 0.10},
        {"name": "third", "fraction": 0.15},
        {"name": "consolation", "fraction": 0.20},
    ],
    "max_total_fraction": 0.6,
    "ties": "at_most",
    "rounding": "floor",
}


class RuleError(ValueError):
    """A rule that cannot be used. errors: [(field, code, params)]; str() is an English summary."""

    def __init__(self, errors: list[tuple[str, str, dict]]):
        self.errors = errors
        super().__init__("; ".join(f"{f}: {ERROR_TEXT.get(c, c).format(**p)}" for f, c, p in errors))


ERROR_TEXT = {
    "syntax": "cannot be read as JSON or YAML ({detail})",
    "not_mapping": "must be a mapping of fields",
    "unknown_field": "is not a known field (known: {known})",
    "required": "is required",
    "not_list": "must be a list",
    "empty": "must have at least one level",
    "bad_level_name": "must be one of {allowed}",
    "duplicate_level": "'{name}' appears twice",
    "count_or_fraction": "give exactly one of count or fraction",
    "not_int": "must be a whole number >= 0",
    "bad_fraction": "must be a number between 0 and 1",
    "not_number": "must be a number",
    "bad_choice": "must be one of {allowed}",
    "one_of_kinds": "give exactly one of {kinds}",
    "unknown_level": "'{name}' is not one of the rule's levels",
}


@dataclass(frozen=True)
class Level:
    name: str
    count: int | None = None
    fraction: float | None = None


@dataclass(frozen=True)
class Rule:
    levels: tuple[Level, ...]
    min_score: float | None = None  # None: score must be > 0
    min_score_per_level: dict = field(default_factory=dict)
    max_total_fraction: float | None = None
    ties: str = "at_most"
    rounding: str = "floor"

    def to_dict(self) -> dict:
        out: dict = {"levels": [{"name": lv.name, **({"count": lv.count} if lv.count is not None
                                                     else {"fraction": lv.fraction})} for lv in self.levels]}
        if self.min_score is not None:
            out["min_score"] = self.min_score
        if self.min_score_per_level:
            out["min_score_per_level"] = dict(self.min_score_per_level)
        if self.max_total_fraction is not None:
            out["max_total_fraction"] = self.max_total_fraction
        out["ties"] = self.ties
        out["rounding"] = self.rounding
        return out


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return float(value)


def parse_rule(data) -> Rule:
    """Validate a rule given as a dict, or JSON/YAML text; raise RuleError listing every problem."""
    if isinstance(data, (str, bytes)):
        data = load_text(data)
    errors: list[tuple[str, str, dict]] = []
    if not isinstance(data, dict):
        raise RuleError([("rule", "not_mapping", {})])
    known = ("levels", "min_score", "min_score_per_level", "max_total_fraction", "ties", "rounding")
    for key in data:
        if key not in known:
            errors.append((str(key), "unknown_field", {"known": ", ".join(known)}))
    levels: list[Level] = []
    raw_levels = data.get("levels")
    if raw_levels is None:
        errors.append(("levels", "required", {}))
    elif not isinstance(raw_levels, list):
        errors.append(("levels", "not_list", {}))
    elif not raw_levels:
        errors.append(("levels", "empty", {}))
    else:
        seen = set()
        for i, raw in enumerate(raw_levels):
            where = f"levels[{i}]"
            if not isinstance(raw, dict):
                errors.append((where, "not_mapping", {}))
                continue
            for key in raw:
                if key not in ("name", "count", "fraction"):
                    errors.append((f"{where}.{key}", "unknown_field", {"known": "name, count, fraction"}))
            name = raw.get("name")
            if name not in LEVEL_NAMES:
                errors.append((f"{where}.name", "bad_level_name", {"allowed": ", ".join(LEVEL_NAMES)}))
            elif name in seen:
                errors.append((f"{where}.name", "duplicate_level", {"name": name}))
            seen.add(name)
            has_count, has_fraction = raw.get("count") is not None, raw.get("fraction") is not None
            if has_count == has_fraction:
                errors.append((where, "count_or_fraction", {}))
                continue
            if has_count:
                c = raw["count"]
                if isinstance(c, bool) or not isinstance(c, int) or c < 0:
                    errors.append((f"{where}.count", "not_int", {}))
                    continue
                levels.append(Level(name, count=c))
            else:
                f = _number(raw["fraction"])
                if f is None or not 0 <= f <= 1:
                    errors.append((f"{where}.fraction", "bad_fraction", {}))
                    continue
                levels.append(Level(name, fraction=f))
    min_score = None
    if data.get("min_score") is not None:
        min_score = _number(data["min_score"])
        if min_score is None:
            errors.append(("min_score", "not_number", {}))
    per_level: dict[str, float] = {}
    raw_per = data.get("min_score_per_level") or {}
    if not isinstance(raw_per, dict):
        errors.append(("min_score_per_level", "not_mapping", {}))
    else:
        names = {lv.get("name") for lv in raw_levels if isinstance(lv, dict)} if isinstance(raw_levels, list) else set()
        for name, value in raw_per.items():
            if name not in names:
                errors.append((f"min_score_per_level.{name}", "unknown_level", {"name": name}))
            elif _number(value) is None:
                errors.append((f"min_score_per_level.{name}", "not_number", {}))
            else:
                per_level[name] = _number(value)
    cap = None
    if data.get("max_total_fraction") is not None:
        cap = _number(data["max_total_fraction"])
        if cap is None or not 0 <= cap <= 1:
            errors.append(("max_total_fraction", "bad_fraction", {}))
    ties = data.get("ties", "at_most")
    if ties not in TIE_POLICIES:
        errors.append(("ties", "bad_choice", {"allowed": ", ".join(TIE_POLICIES)}))
    rounding = data.get("rounding", "floor")
    if rounding not in ROUNDINGS:
        errors.append(("rounding", "bad_choice", {"allowed": ", ".join(ROUNDINGS)}))
    if errors:
        raise RuleError(errors)
    return Rule(tuple(levels), min_score, per_level, cap, ties, rounding)


def load_text(text) -> object:
    """JSON or YAML text -> data (RuleError 'syntax' when neither parses)."""
    import yaml

    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RuleError([("rule", "syntax", {"detail": f"not UTF-8 ({exc.reason})"})]) from None
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        detail = f"line {mark.line + 1}, column {mark.column + 1}" if mark else str(exc).splitlines()[0]
        raise RuleError([("rule", "syntax", {"detail": detail})]) from None


# -- the tally -----------------------------------------------------------------------------------------
REASON_TEXT = {
    "unscored": "not scored",
    "below_min": "score {score} < {min}, the minimum for a prize",
    "not_positive": "score {score}: a prize needs a score above 0",
    "in_quota": "rank {rank}, within the quota of {quota} for {level}",
    "tie_included": "tied group of {size} at rank {rank} included whole in {level} (quota {quota}, ties at_least)",
    "tie_dropped": "tied group of {size} at rank {rank} would exceed the quota of {quota} for {higher}; given {level}",
    "below_level_min": "score {score} < {min}, the minimum for {higher}; given {level}",
    "below_cutoff": "score {score} < {cutoff}, the cutoff for {level}",
    "tie_excluded": "tied group of {size} at rank {rank} would exceed the quota of {quota} for {level}",
    "cap": "tied group of {size} at rank {rank} would exceed the cap of {cap} prizes ({basis})",
    "no_quota": "no prize quota for {n} ranked entrants",
}


def fmt(x) -> str:
    """A score as people write it: 63.0 -> '63', 62.5 -> '62.5'."""
    if x is None:
        return "-"
    return f"{round(float(x), 4):g}"


def reason_text(code: str, params: dict) -> str:
    return REASON_TEXT[code].format(**params)


def rank_entries(entries: list[dict]) -> list[tuple[int, list[dict]]]:
    """Sort by key (default (score,)), higher first, and group equal keys: [(rank, group)].
    Ranks are shared by equal keys and skip after a tie (1, 2, 2, 4). Entries whose score is None are
    left out (unranked). Inside a group the input order is kept."""
    scored = [e for e in entries if e.get("score") is not None]
    scored.sort(key=lambda e: tuple(e.get("key") or (e["score"],)), reverse=True)
    groups: list[tuple[int, list[dict]]] = []
    for i, e in enumerate(scored, start=1):
        k = tuple(e.get("key") or (e["score"],))
        if groups and tuple(groups[-1][1][0].get("key") or (groups[-1][1][0]["score"],)) == k:
            groups[-1][1].append(e)
        else:
            groups.append((i, [e]))
    return groups


def level_quotas(rule: Rule, n: int) -> list[int]:
    """Per-level quota: count, or fraction x n rounded down (floor) or half up (nearest)."""
    out = []
    for lv in rule.levels:
        if lv.count is not None:
            out.append(lv.count)
        else:
            x = lv.fraction * n
            out.append(math.floor(x + 1e-9) if rule.rounding == "floor" else math.floor(x + 0.5 + 1e-9))
    return out


def allocate_prizes(entries: list[dict], rule: Rule | dict, *, max_total: int | None = None) -> list[dict]:
    """Award prizes in one division.

    entries: dicts with "entrant" (an id), "score" (float, or None when unscored) and optionally
    "key" (a tuple compared instead of (score,), higher is better, e.g. ICPC (solved, -penalty)).
    Returns one dict per entry, ranked ones first (best first) then the unscored:
    {"entrant", "score", "rank", "award", "reason", "reason_code", "reason_params"}.

    Algorithm:
    1. N = number of ranked entrants (score not None; zero scores count). Rank by key descending;
       equal keys share a rank (1, 2, 2, 4) and form a *tied group*; equal keys always get the same award.
    2. Level quotas q_i = count, or fraction x N rounded (floor by default, or half up with `nearest`);
       quotas are cumulative: C_i = q_1 + ... + q_i (places left unused above pass down). A level with
       quota 0 is simply empty.
    3. Cap T = min(floor(max_total_fraction x N), max_total) (either may be absent). Caps are ceilings
       under both tie policies.
    4. Walk the tied groups best first with A = number already awarded and L = current level
       (never going back up, so a lower score never gets a better award):
       - score below min_score (or <= 0 when min_score is not set): no prize;
       - move L down while the group's score < min_score_per_level[L], or the level is full:
         at_most: A + size > C_L (a tied group that would exceed the quota drops to the next level);
         at_least: A >= C_L (the whole tied group is admitted as long as one place is left);
       - past the last level: no prize; if A + size > T: no prize;
       - otherwise the group gets level L and A += size.
       Once a group is refused for quota or cap, every group after it is refused too.
    5. Every entrant gets a reason: why this award, or why not the level above / no prize, e.g.
       "score 63 < 65, the cutoff for third".
    """
    if not isinstance(rule, Rule):
        rule = parse_rule(rule)
    groups = rank_entries(entries)
    n = sum(len(g) for _, g in groups)
    quotas = level_quotas(rule, n)
    cumulative = []
    acc = 0
    for q in quotas:
        acc += q
        cumulative.append(acc)
    cap, basis = None, ""
    if rule.max_total_fraction is not None:
        cap, basis = math.floor(rule.max_total_fraction * n + 1e-9), f"{fmt(rule.max_total_fraction * 100)}% of {n}"
    if max_total is not None and (cap is None or max_total < cap):
        cap, basis = max_total, "overall cap share"
    names = [lv.name for lv in rule.levels]
    out: list[dict] = []
    awarded = 0
    level = 0
    stopped: tuple[str, dict] | None = None
    lowest_score: dict[str, float] = {}  # level -> lowest score that got it (its cutoff)

    def row(e, rank, award, code, params):
        return {"entrant": e["entrant"], "score": e["score"], "rank": rank, "award": award,
                "reason": reason_text(code, params), "reason_code": code, "reason_params": params}

    for rank, group in groups:
        score = group[0]["score"]
        size = len(group)
        s = fmt(score)
        if rule.min_score is not None and score < rule.min_score:
            out += [row(e, rank, None, "below_min", {"score": s, "min": fmt(rule.min_score)}) for e in group]
            continue
        if rule.min_score is None and score <= 0:
            out += [row(e, rank, None, "not_positive", {"score": s}) for e in group]
            continue
        if stopped is not None:
            code, params = stopped
            last = next((nm for nm in reversed(names) if nm in lowest_score), None)
            if last is not None:
                code, params = "below_cutoff", {"score": s, "cutoff": fmt(lowest_score[last]), "level": last}
            out += [row(e, rank, None, code, params) for e in group]
            continue
        why: tuple[str, dict] | None = None
        while level < len(names):
            nm = names[level]
            if nm in rule.min_score_per_level and score < rule.min_score_per_level[nm]:
                why = ("below_level_min", {"score": s, "min": fmt(rule.min_score_per_level[nm]), "higher": nm})
                level += 1
                continue
            full = awarded + size > cumulative[level] if rule.ties == "at_most" else awarded >= cumulative[level]
            if full:
                if rule.ties == "at_most" and awarded < cumulative[level]:
                    why = ("tie_dropped", {"size": size, "rank": rank, "quota": cumulative[level], "higher": nm})
                level += 1
                continue
            break
        if level >= len(names):
            if why and why[0] == "tie_dropped" and why[1]["higher"] == names[-1]:
                code, params = "tie_excluded", {"size": size, "rank": rank, "quota": why[1]["quota"], "level": names[-1]}
            elif lowest_score:
                last = next(nm for nm in reversed(names) if nm in lowest_score)
                code, params = "below_cutoff", {"score": s, "cutoff": fmt(lowest_score[last]), "level": last}
            else:
                code, params = "no_quota", {"n": n}
            stopped = (code, params)
            out += [row(e, rank, None, code, params) for e in group]
            continue
        if cap is not None and awarded + size > cap:
            stopped = ("cap", {"size": size, "rank": rank, "cap": cap, "basis": basis})
            out += [row(e, rank, None, *stopped) for e in group]
            continue
        nm = names[level]
        above = next((x for x in reversed(names[:level]) if x in lowest_score), None)
        if why is not None:
            code, params = why[0], {**why[1], "level": nm}
        elif awarded + size > cumulative[level]:
            code, params = "tie_included", {"size": size, "rank": rank, "level": nm, "quota": cumulative[level]}
        elif above is not None:
            code, params = "below_cutoff", {"score": s, "cutoff": fmt(lowest_score[above]), "level": above}
        else:
            code, params = "in_quota", {"rank": rank, "quota": cumulative[level], "level": nm}
        out += [row(e, rank, nm, code, params) for e in group]
        awarded += size
        lowest_score[nm] = score
    out += [row(e, None, None, "unscored", {}) for e in entries if e.get("score") is None]
    return out


def prize_count(rows: list[dict]) -> int:
    return sum(1 for r in rows if r["award"])


def split_overall_cap(counts: dict[str, int], cap: int) -> dict[str, int]:
    """Share an overall prize cap (e.g. 42 for the whole contest) among divisions.

    counts: prizes each division's own rule gives (division code -> count). When their sum is within
    the cap, every division keeps its count. Otherwise each division's share is cap x count / sum,
    rounded down, and the places still left go one each to the largest remainders (ties: the
    division with more prizes, then the code). Each division is then re-tallied with max_total =
    its share (`allocate_prizes(..., max_total=share)`), so the lowest prizes of every division
    give way in proportion, and a tied group that would cross its share gets nothing.
    """
    total = sum(counts.values())
    if total <= cap:
        return dict(counts)
    shares = {code: cap * c // total for code, c in counts.items()}
    left = cap - sum(shares.values())
    order = sorted(counts, key=lambda code: (-((cap * counts[code]) % total), -counts[code], code))
    for code in order[:left]:
        shares[code] += 1
    return shares
