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

How a tally is made (`tally_contest`):
1. Entrants per division. Programming: every admitted contestant, scored by the unfrozen scoreboard
   (services.scoreboard; IOI: total, ICPC: problems solved with the penalty as the tie-break).
   Creative: the entries of services.creative_ranking.division_ranking (`creative_entrants`).
   An ExternalScore of a user in the division replaces that user's (or their entry's) score; a
   user with an ExternalScore and no other place in the division is an entrant on their own.
   Then a "score" ResultAdjustment replaces the score of its entrant. In an ICPC contest every entrant
   is ranked by (solved, -penalty): an overridden score counts as problems solved and keeps the
   contestant's own penalty (0 for an entrant known only from an import).
2. Prizes: services.prizes.allocate_prizes with the division's PrizeRule (DEFAULT_RULE when none).
   With an overall prize cap for the contest, split_overall_cap shares it among divisions and the
   divisions are re-tallied with their share as max_total.
3. "award" adjustments replace the award of their entrant (the reason says so).
4. Qualifiers: services.qualifiers.select_qualifiers over every division's rows with the contest's
   qualifier rule; then "qualified" adjustments. Once a division is frozen its rows take part as
   frozen (`current_rows`); `sync_frozen_qualifiers` keeps the frozen flags consistent with the
   cross-division selection whenever a division is locked, unlocked or re-tallied.
The latest adjustment of an (entrant, field) wins. Locking freezes a division's rows (snapshot);
publishing shows them to everyone and lifts the scoreboard freeze; unlocking needs a reason.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import (
    Appeal,
    Contest,
    ContestResultSettings,
    Division,
    DivisionResult,
    ExternalScore,
    Participation,
    PrizeRule,
    Problem,
    ResultAdjustment,
    Submission,
    User,
    audit,
    utcnow,
)
from . import prizes as prize_rules
from . import qualifiers as qualifier_rules

ROW_KEYS = ("entrant", "username", "full_name", "date_of_birth", "school", "grade", "unit", "members", "title",
            "division", "score", "rank", "award", "reason", "qualified")
PERSON_KEYS = ("username", "full_name", "date_of_birth", "school", "grade", "unit")


class ResultsError(ValueError):
    """A refused results action; the message says what and how to fix it."""


def division_rows(division_id: int) -> list[dict]:
    """The frozen rows of a locked or published division (DivisionResult.snapshot), else []."""
    result = db.session.scalar(select(DivisionResult).where(DivisionResult.division_id == division_id))
    if result is None or result.state not in ("locked", "published") or not result.snapshot:
        return []
    return list(result.snapshot)


def is_published(division_id: int) -> bool:
    result = db.session.scalar(select(DivisionResult).where(DivisionResult.division_id == division_id))
    return result is not None and result.state == "published"


def division_state(division: Division) -> DivisionResult:
    """The DivisionResult of a division (a transient draft one when none is stored)."""
    result = db.session.scalar(select(DivisionResult).where(DivisionResult.division_id == division.id))
    return result or DivisionResult(division_id=division.id, state="draft")


# -- rules and settings ------------------------------------------------------------------------------
def prize_rule(division: Division) -> dict:
    row = db.session.scalar(select(PrizeRule).where(PrizeRule.division_id == division.id))
    return dict(row.rule) if row else dict(prize_rules.DEFAULT_RULE)


def save_prize_rule(division: Division, data, by: User | None) -> dict:
    """Validate (RuleError names the fields) and store; audited with before and after."""
    rule = prize_rules.parse_rule(data).to_dict()
    row = db.session.scalar(select(PrizeRule).where(PrizeRule.division_id == division.id))
    before = dict(row.rule) if row else None
    if row is None:
        row = PrizeRule(division_id=division.id, rule=rule)
        db.session.add(row)
    row.rule, row.updated_by, row.updated_at = rule, by.id if by else None, utcnow()
    audit(by, "results.prize_rule", f"division:{division.id}", before=before, after=rule)
    db.session.commit()
    return rule


def result_settings(contest: Contest) -> ContestResultSettings:
    row = db.session.scalar(select(ContestResultSettings).where(ContestResultSettings.contest_id == contest.id))
    return row or ContestResultSettings(contest_id=contest.id, qualifier_rule=None, overall_prize_cap=None,
                                        appeal_hours=48)


def save_result_settings(contest: Contest, *, qualifier_rule, overall_prize_cap: int | None, appeal_hours: int,
                         by: User | None) -> ContestResultSettings:
    """qualifier_rule: dict/JSON/YAML or None (validated, RuleError names the fields); audited."""
    rule = qualifier_rules.parse_qualifier_rule(qualifier_rule) if qualifier_rule not in (None, "", {}) else None
    if overall_prize_cap is not None and overall_prize_cap < 0:
        raise ResultsError(_l("Giới hạn tổng số giải phải là số nguyên ≥ 0."))
    if appeal_hours < 0:
        raise ResultsError(_l("Thời hạn phúc khảo phải là số giờ ≥ 0."))
    row = result_settings(contest)
    before = {"qualifier_rule": row.qualifier_rule, "overall_prize_cap": row.overall_prize_cap,
              "appeal_hours": row.appeal_hours}
    row.qualifier_rule, row.overall_prize_cap, row.appeal_hours = rule, overall_prize_cap, appeal_hours
    db.session.add(row)
    audit(by, "results.settings", f"contest:{contest.id}", before=before,
          after={"qualifier_rule": rule, "overall_prize_cap": overall_prize_cap, "appeal_hours": appeal_hours})
    db.session.commit()
    return row


# -- entrants ------------------------------------------------------------------------------------------
def person(user: User) -> dict:
    return {"username": user.username, "full_name": user.full_name or user.username,
            "date_of_birth": user.date_of_birth.isoformat() if user.date_of_birth else "",
            "school": user.school.name if user.school else "", "grade": user.grade, "unit": user.unit or ""}


def creative_key(score: float | None, tier: int) -> tuple | None:
    """The tally's ordering key of a creative entry, the creative ranking's own order: round-2 entries
    (tier 0) above the others, then the score rounded to creative_judging.SCORE_DECIMALS, so entries
    tied in the creative ranking are tied in the tally (same rank, same award)."""
    from .creative_judging import SCORE_DECIMALS

    return None if score is None else (-tier, round(score, SCORE_DECIMALS))


def creative_entrants(ranking: list[dict], people: dict[int, dict]) -> list[dict]:
    """Creative ranking rows (services.creative_ranking contract) -> entrants: one per entry,
    "entry:<entry_id>", its final score (None while unscored), its ordering key (creative_key) and its
    members' details (people: user id -> person dict; a member missing there is shown by username
    only). Pure."""
    out = []
    for r in ranking:
        members = []
        for uid, uname in zip(r.get("member_ids") or [], r.get("members") or []):
            members.append(dict(people.get(uid) or {"username": uname, "full_name": uname, "date_of_birth": "",
                                                     "school": "", "grade": None, "unit": ""}))
        tier = r.get("tier", 1)
        out.append({"entrant": f"entry:{r['entry_id']}", "score": r.get("score"), "title": r.get("title") or "",
                    "tier": tier, "key": creative_key(r.get("score"), tier),
                    "members": members, "member_ids": list(r.get("member_ids") or [])})
    return out


def _programming_entrants(division: Division) -> list[dict]:
    from .scoreboard import load_scoreboard

    board = load_scoreboard(division, frozen=False)
    icpc = division.contest.scoring == "icpc"
    users = {u.id: u for u in db.session.scalars(
        select(User).join(Participation, Participation.user_id == User.id).where(Participation.division_id == division.id))}
    out = []
    for row in board:
        user = users[row.user_id]
        score = float(row.solved) if icpc else float(row.total)
        out.append({"entrant": f"user:{user.id}", "score": score,
                    "key": (row.solved, -row.penalty) if icpc else None, "title": "",
                    "members": [person(user)], "member_ids": [user.id], "penalty": row.penalty if icpc else None})
    return out


def _creative_entrants(division: Division) -> list[dict]:
    from .creative_ranking import division_ranking

    ranking = division_ranking(division.id)
    ids = {uid for r in ranking for uid in (r.get("member_ids") or [])}
    people = {u.id: person(u) for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return creative_entrants(ranking, people)


ENTRANT_SOURCES = {"programming": _programming_entrants, "creative": _creative_entrants}


def latest_adjustments(division: Division) -> dict[tuple[str, str], ResultAdjustment]:
    rows = db.session.scalars(select(ResultAdjustment).where(ResultAdjustment.division_id == division.id)
                              .order_by(ResultAdjustment.id)).all()
    return {(a.entrant, a.field): a for a in rows}


def division_entrants(division: Division) -> list[dict]:
    """Entrants with ExternalScore overrides and score adjustments applied (steps 1 of the module doc)."""
    entrants = ENTRANT_SOURCES[division.content](division)
    externals = {e.user_id: e for e in db.session.scalars(
        select(ExternalScore).where(ExternalScore.division_id == division.id))}
    placed = set()
    for e in entrants:
        for uid in e["member_ids"]:
            placed.add(uid)
            if uid in externals:
                e["score"], e["key"], e["external"] = float(externals[uid].score), None, True
                break
    for uid, ext in externals.items():
        if uid not in placed:
            entrants.append({"entrant": f"user:{uid}", "score": float(ext.score), "key": None, "title": "",
                             "members": [person(ext.user)], "member_ids": [uid], "external": True})
    adjustments = latest_adjustments(division)
    for e in entrants:
        adj = adjustments.get((e["entrant"], "score"))
        if adj is not None:
            e["score"], e["key"] = (float(adj.value) if adj.value not in (None, "") else None), None
    if division.content == "creative":  # one kind of key for every entrant (overridden scores included)
        for e in entrants:
            e["key"] = creative_key(e["score"], e.get("tier", 1))
    elif division.contest.scoring == "icpc":  # (solved, -penalty) for everyone: an overridden score keeps
        for e in entrants:                      # the contestant's own penalty, 0 when there is none (imported)
            if e["key"] is None and e["score"] is not None:
                e["key"] = (e["score"], -(e.get("penalty") or 0))
    return entrants


# -- the tally ------------------------------------------------------------------------------------------
def _row(division: Division, entrant: dict, alloc: dict) -> dict:
    members = entrant["members"]
    first = members[0] if members else {k: "" for k in PERSON_KEYS}
    return {
        "entrant": entrant["entrant"],
        "username": ", ".join(m["username"] for m in members),
        "full_name": ", ".join(m["full_name"] for m in members),
        "date_of_birth": first["date_of_birth"], "school": first["school"], "grade": first["grade"],
        "unit": first["unit"], "members": members, "title": entrant["title"], "division": division.code,
        "score": alloc["score"], "rank": alloc["rank"], "award": alloc["award"], "reason": alloc["reason"],
        "qualified": None,
        # preview-only keys (stripped from the snapshot):
        "reason_code": alloc["reason_code"], "reason_params": alloc["reason_params"], "adjusted": [],
        "qualified_reason": "", "qualified_code": None, "qualified_params": {},
        "external": bool(entrant.get("external")),
    }


def snapshot_row(row: dict) -> dict:
    """A tally row reduced to the documented row shape (snapshots hold ranked entrants only)."""
    return {k: row[k] for k in ROW_KEYS}


def tally_contest(contest: Contest, *, rules: dict[int, object] | None = None,
                  qualifier_rule=None, overall_cap: int | None | bool = False) -> dict[int, list[dict]]:
    """Live tally of every division of the contest: {division_id: rows} (module doc, steps 1-4).
    rules: division id -> a prize rule to use instead of the stored one; qualifier_rule / overall_cap:
    instead of the contest settings (False = use the settings)."""
    settings = result_settings(contest)
    if qualifier_rule is None:
        qualifier_rule = settings.qualifier_rule
    if overall_cap is False:
        overall_cap = settings.overall_prize_cap
    rules = rules or {}
    divisions = sorted(contest.divisions, key=lambda d: d.code)
    entrants = {d.id: division_entrants(d) for d in divisions}
    parsed = {d.id: prize_rules.parse_rule(rules.get(d.id) or prize_rule(d)) for d in divisions}
    allocs = {d.id: prize_rules.allocate_prizes(entrants[d.id], parsed[d.id]) for d in divisions}
    if overall_cap is not None:
        counts = {d.code: prize_rules.prize_count(allocs[d.id]) for d in divisions}
        shares = prize_rules.split_overall_cap(counts, overall_cap)
        for d in divisions:
            if shares[d.code] < counts[d.code]:
                allocs[d.id] = prize_rules.allocate_prizes(entrants[d.id], parsed[d.id], max_total=shares[d.code])
    out: dict[int, list[dict]] = {}
    for d in divisions:
        by_id = {e["entrant"]: e for e in entrants[d.id]}
        adjustments = latest_adjustments(d)
        rows = []
        for a in allocs[d.id]:
            row = _row(d, by_id[a["entrant"]], a)
            adj = adjustments.get((row["entrant"], "award"))
            if adj is not None:
                row["award"] = adj.value or None
                row["reason"] = f"adjusted: {adj.reason}"
                row["reason_code"], row["reason_params"] = "adjusted", {"reason": adj.reason}
                row["adjusted"].append("award")
            if (row["entrant"], "score") in adjustments:
                row["adjusted"].append("score")
            rows.append(row)
        out[d.id] = rows
    if qualifier_rule:
        candidates = [r for d in divisions for r in out[d.id]]
        rule = qualifier_rules.parse_qualifier_rule(qualifier_rule)
        result = qualifier_rules.select_qualifiers(candidates, rule)
        chosen = {(r["division"], r["entrant"]): r for r in result["rows"]}
        for d in divisions:
            for row in out[d.id]:
                q = chosen[(d.code, row["entrant"])]
                if d.code in rule["divisions"]:
                    row["qualified"], row["qualified_reason"] = q["qualified"], q["reason"]
                    row["qualified_code"], row["qualified_params"] = q["reason_code"], q["reason_params"]
    for d in divisions:
        _apply_qualified_adjustments(d, out[d.id])
    return out


def _apply_qualified_adjustments(division: Division, rows: list[dict]) -> None:
    """The latest "qualified" adjustment of an entrant replaces its qualified flag (in place)."""
    adjustments = latest_adjustments(division)
    for row in rows:
        adj = adjustments.get((row["entrant"], "qualified"))
        if adj is not None:
            row["qualified"] = adj.value == "true"
            row["qualified_reason"] = f"adjusted: {adj.reason}"
            row["qualified_code"], row["qualified_params"] = "adjusted", {"reason": adj.reason}
            if "adjusted" in row and "qualified" not in row["adjusted"]:
                row["adjusted"].append("qualified")


def tally_division(division: Division, rule=None) -> list[dict]:
    """The live tally rows of one division (with preview-only keys); rule overrides the stored one."""
    return tally_contest(division.contest, rules={division.id: rule} if rule is not None else None)[division.id]


def current_rows(contest: Contest) -> dict[int, list[dict]]:
    """{division_id: rows} as they stand: the frozen snapshot of a locked or published division, the
    live tally (ranked rows, no qualifier step: the caller selects) of a draft one."""
    live = None
    out = {}
    for d in contest.divisions:
        state = division_state(d)
        if state.state in ("locked", "published"):
            out[d.id] = [dict(r) for r in (state.snapshot or [])]
        else:
            live = live if live is not None else tally_contest(contest, qualifier_rule={})
            out[d.id] = [r for r in live[d.id] if r["rank"] is not None]
    return out


def select_over_current(contest: Contest, rule) -> dict:
    """select_qualifiers over `current_rows` (frozen divisions as frozen, the others live), then the
    "qualified" adjustments of every division. The same shape as select_qualifiers' result."""
    rows_by_division = current_rows(contest)
    result = qualifier_rules.select_qualifiers([r for rows in rows_by_division.values() for r in rows], rule)
    by_code = {d.code: d for d in contest.divisions}
    for code in {r["division"] for r in result["rows"]}:
        _apply_qualified_adjustments(by_code[code], [r for r in result["rows"] if r["division"] == code])
    result["qualified"] = [r for r in result["rows"] if r.get("qualified")]
    return result


def qualifier_rows(contest: Contest, rule=None) -> dict:
    """The qualifier selection of the contest (rule overrides the settings): `select_over_current`,
    i.e. frozen divisions as frozen and adjustments applied; RuleError when there is no rule."""
    rule = rule if rule is not None else result_settings(contest).qualifier_rule
    if not rule:
        raise prize_rules.RuleError([("qualifier_rule", "required", {})])
    return select_over_current(contest, rule)


def sync_frozen_qualifiers(contest: Contest, by: User | None) -> dict[str, list[str]]:
    """Rewrite the "qualified" flag in every frozen snapshot of the contest from `select_over_current`.

    Qualifiers are chosen across divisions (per-unit cap, total), so locking, re-tallying or unlocking
    one division can change who qualifies in another, already frozen one; without this, the frozen
    lists could break the cap or the total. Called by lock, unlock and retally_frozen (no commit).
    Returns {division code: entrants whose flag changed}; audited when anything changed."""
    rule = result_settings(contest).qualifier_rule
    if not rule:
        return {}
    chosen = {(r["division"], r["entrant"]): r.get("qualified") for r in select_over_current(contest, rule)["rows"]}
    changed: dict[str, list[str]] = {}
    for d in contest.divisions:
        state = division_state(d)
        if state.id is None or state.state not in ("locked", "published") or not state.snapshot:
            continue
        rows = [dict(r) for r in state.snapshot]
        for r in rows:
            new = chosen.get((d.code, r["entrant"]), r.get("qualified"))
            if new != r.get("qualified"):
                r["qualified"] = new
                changed.setdefault(d.code, []).append(r["entrant"])
        if d.code in changed:
            state.snapshot = rows
    if changed:
        audit(by, "results.qualifiers_synced", f"contest:{contest.id}", changed=changed)
    return changed


# -- adjustments ------------------------------------------------------------------------------------
def _check_award(value):
    if value not in ("", None) + prize_rules.LEVEL_NAMES:
        raise ResultsError(_l("Giải phải là một trong: first, second, third, consolation hoặc để trống."))
    return value or ""


def _check_score(value):
    try:
        score = float(value)
    except (TypeError, ValueError):
        raise ResultsError(_l("Điểm phải là một số, ví dụ 63.5.")) from None
    if score < 0:
        raise ResultsError(_l("Điểm không được âm."))
    return f"{score:g}"


def _check_qualified(value):
    value = str(value).lower()
    if value not in ("true", "false"):
        raise ResultsError(_l("Giá trị 'được chọn' phải là true hoặc false."))
    return value


ADJUSTABLE = {"award": _check_award, "score": _check_score, "qualified": _check_qualified}


def _require_draft(division: Division) -> None:
    if division_state(division).state != "draft":
        raise ResultsError(_l("Kết quả bảng %(d)s đã khoá; hãy mở khoá (kèm lý do) trước khi điều chỉnh.", d=division.code))


def adjust(division: Division, entrant: str, field: str, value, reason: str, by: User | None) -> dict:
    """Change one entrant's award, score or qualification, with a mandatory reason. Audited with the
    entrant's (score, rank, award, qualified) before and after the tally is rerun."""
    _require_draft(division)
    if field not in ADJUSTABLE:
        raise ResultsError(_l("Không thể điều chỉnh trường '%(f)s'.", f=field))
    reason = (reason or "").strip()
    if not reason:
        raise ResultsError(_l("Hãy ghi lý do điều chỉnh."))
    rows = tally_division(division)
    before = next((r for r in rows if r["entrant"] == entrant), None)
    if before is None:
        raise ResultsError(_l("Không tìm thấy thí sinh/sản phẩm '%(e)s' trong bảng %(d)s.", e=entrant, d=division.code))
    stored = ADJUSTABLE[field](value)
    db.session.add(ResultAdjustment(division_id=division.id, entrant=entrant, field=field, value=stored,
                                    reason=reason, user_id=by.id if by else None))
    db.session.flush()
    after = next(r for r in tally_division(division) if r["entrant"] == entrant)
    audit(by, "results.adjust", f"division:{division.id}/{entrant}", field=field, value=stored, reason=reason,
          before=outcome(before), after=outcome(after))
    db.session.commit()
    return after


def outcome(row: dict | None) -> dict | None:
    """What an entrant cares about: score, rank, award, qualified."""
    if row is None:
        return None
    return {"score": row["score"], "rank": row["rank"], "award": row["award"], "qualified": row["qualified"]}


# -- lock, publish, unlock --------------------------------------------------------------------------
def _stored_state(division: Division) -> DivisionResult:
    result = division_state(division)
    if result.id is None:
        db.session.add(result)
    return result


def lock(division: Division, by: User | None) -> DivisionResult:
    """Freeze the division's tally (snapshot of documented rows). Audited. A creative division whose
    round 2 is still being scored (creative_ranking.round2_pending) is refused."""
    result = _stored_state(division)
    if result.state != "draft":
        raise ResultsError(_l("Kết quả bảng %(d)s đã được khoá.", d=division.code))
    if division.content == "creative":
        from .creative_ranking import round2_pending

        waiting = round2_pending(division.id)
        if waiting:
            raise ResultsError(_l("Chưa khoá được kết quả bảng %(d)s: %(n)s bài vào vòng 2 chưa có điểm vòng 2 "
                                  "(bài số %(ids)s). Hãy chấm xong vòng 2 rồi khoá.", d=division.code,
                                  n=len(waiting), ids=", ".join(map(str, waiting))))
    rows = [snapshot_row(r) for r in tally_division(division) if r["rank"] is not None]
    result.state, result.snapshot, result.locked_at = "locked", rows, utcnow()
    audit(by, "results.lock", f"division:{division.id}", entrants=len(rows),
          prizes=sum(1 for r in rows if r["award"]))
    db.session.flush()
    sync_frozen_qualifiers(division.contest, by)
    db.session.commit()
    return result


def publish(division: Division, by: User | None) -> DivisionResult:
    """Show the locked rows to everyone (and lift the scoreboard freeze). Audited."""
    result = _stored_state(division)
    if result.state != "locked":
        raise ResultsError(_l("Chỉ công bố được kết quả đã khoá."))
    result.state, result.published_at, result.published_by = "published", utcnow(), by.id if by else None
    audit(by, "results.publish", f"division:{division.id}")
    db.session.commit()
    return result


def unlock(division: Division, by: User | None, reason: str) -> DivisionResult:
    """Back to draft (hidden again from the public), with a mandatory reason. Audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ResultsError(_l("Hãy ghi lý do mở khoá."))
    result = _stored_state(division)
    if result.state == "draft":
        raise ResultsError(_l("Kết quả bảng %(d)s chưa khoá.", d=division.code))
    before = result.state
    result.state = "draft"
    audit(by, "results.unlock", f"division:{division.id}", before=before, after="draft", reason=reason)
    db.session.flush()
    sync_frozen_qualifiers(division.contest, by)
    db.session.commit()
    return result


def retally_frozen(division: Division, by: User | None, reason: str) -> list[dict]:
    """Rerun the tally of a locked/published division and replace its snapshot (after an appeal).
    Audited with the outcomes that changed."""
    result = _stored_state(division)
    old = {r["entrant"]: r for r in (result.snapshot or [])}
    rows = [snapshot_row(r) for r in tally_division(division) if r["rank"] is not None]
    changed = {r["entrant"]: {"before": outcome(old.get(r["entrant"])), "after": outcome(r)}
               for r in rows if outcome(old.get(r["entrant"])) != outcome(r)}
    result.snapshot = rows
    audit(by, "results.retally", f"division:{division.id}", reason=reason, changed=changed)
    db.session.flush()
    sync_frozen_qualifiers(division.contest, by)
    return [dict(r) for r in result.snapshot]


def can_view(user, division: Division) -> bool:
    """Organisers always; everyone else once the division is published."""
    if getattr(user, "is_authenticated", False) and user.has_role("organiser"):
        return True
    return is_published(division.id)


# -- appeals (phúc khảo) --------------------------------------------------------------------------------
def appeal_deadline(division: Division) -> datetime | None:
    result = division_state(division)
    if result.state != "published" or result.published_at is None:
        return None
    return result.published_at + timedelta(hours=result_settings(division.contest).appeal_hours)


def entrant_row(rows: list[dict], user: User) -> dict | None:
    """The row of a user: their own (programming) or their team's (creative)."""
    for r in rows:
        if r["entrant"] == f"user:{user.id}" or any(m["username"] == user.username for m in r["members"]):
            return r
    return None


def file_appeal(user: User, division: Division, reason: str, *, problem_id: int | None = None,
                now: datetime | None = None) -> Appeal:
    """A contestant asks for re-marking of a problem (programming) or of their entry (creative),
    inside the window after publishing; in a programming division without problems here (judged
    elsewhere, scores imported) the appeal is for the whole score. Audited."""
    now = now or utcnow()
    deadline = appeal_deadline(division)
    if deadline is None:
        raise ResultsError(_l("Chỉ phúc khảo được sau khi kết quả bảng %(d)s được công bố.", d=division.code))
    if now >= deadline:
        raise ResultsError(_l("Đã hết hạn phúc khảo."))
    reason = (reason or "").strip()
    if not reason:
        raise ResultsError(_l("Hãy ghi lý do phúc khảo."))
    row = entrant_row(division_rows(division.id), user)
    if row is None:
        raise ResultsError(_l("Bạn không có tên trong kết quả bảng %(d)s.", d=division.code))
    entry_id = None
    if division.content == "programming" and any(p.published for p in division.problems):
        problem = db.session.get(Problem, problem_id) if problem_id else None
        if problem is None or problem.division_id != division.id:
            raise ResultsError(_l("Hãy chọn bài cần phúc khảo."))
    elif division.content == "programming":  # judged elsewhere (imported scores): the whole score
        problem_id = None
    else:
        problem_id = None
        entry_id = int(row["entrant"].split(":")[1]) if row["entrant"].startswith("entry:") else None
    same = (Appeal.entry_id == entry_id) if entry_id is not None else (Appeal.user_id == user.id)
    open_ = db.session.scalar(select(Appeal).where(Appeal.division_id == division.id, same,  # a team: one at a time
                                                   Appeal.problem_id == problem_id,
                                                   Appeal.status.in_(("open", "rejudging"))))
    if open_ is not None:
        raise ResultsError(_l("Bạn đã có một đơn phúc khảo đang chờ xử lý cho mục này."))
    appeal = Appeal(contest_id=division.contest_id, division_id=division.id, user_id=user.id, problem_id=problem_id,
                    entry_id=entry_id, reason=reason, before=outcome(row))
    db.session.add(appeal)
    db.session.flush()
    audit(user, "appeal.file", f"appeal:{appeal.id}", division=division.code, problem_id=problem_id,
          entry_id=entry_id, reason=reason)
    db.session.commit()
    return appeal


def _appeal_entrant(appeal: Appeal) -> str:
    return f"entry:{appeal.entry_id}" if appeal.entry_id else f"user:{appeal.user_id}"


def _finish(appeal: Appeal, division: Division, by: User | None, status: str) -> None:
    rows = retally_frozen(division, by, f"appeal #{appeal.id}")
    appeal.after = outcome(entrant_row(rows, appeal.user))
    appeal.status, appeal.resolved_at, appeal.resolved_by = status, utcnow(), by.id if by else None
    audit(by, "appeal.resolve", f"appeal:{appeal.id}", status=status, response=appeal.response,
          before=appeal.before, after=appeal.after)


def _reject(appeal: Appeal, division: Division, by, response: str, score) -> None:
    appeal.after = appeal.before
    appeal.status, appeal.resolved_at, appeal.resolved_by = "rejected", utcnow(), by.id if by else None
    audit(by, "appeal.reject", f"appeal:{appeal.id}", response=response, before=appeal.before, after=appeal.after)


def _rescore(appeal: Appeal, division: Division, by, response: str, score) -> None:
    stored = _check_score(score)
    db.session.add(ResultAdjustment(division_id=division.id, entrant=_appeal_entrant(appeal), field="score",
                                    value=stored, reason=f"appeal #{appeal.id}: {response}",
                                    user_id=by.id if by else None))
    db.session.flush()
    _finish(appeal, division, by, "resolved")


def _appeal_submissions(appeal: Appeal) -> list[Submission]:
    contest = db.session.get(Contest, appeal.contest_id)
    return list(db.session.scalars(select(Submission).where(
        Submission.user_id == appeal.user_id, Submission.problem_id == appeal.problem_id,
        Submission.created_at >= contest.start_at, Submission.created_at < contest.end_at).order_by(Submission.id)))


def _rejudge(appeal: Appeal, division: Division, by, response: str, score) -> None:
    from .submissions import rejudge

    if appeal.problem_id is None:
        raise ResultsError(_l("Chỉ chấm lại được bài lập trình; với sản phẩm sáng tạo hãy chấm lại điểm."))
    subs = _appeal_submissions(appeal)
    appeal.status, appeal.resolved_by = "rejudging", by.id if by else None
    audit(by, "appeal.rejudge", f"appeal:{appeal.id}", response=response, submissions=[s.id for s in subs])
    if subs:
        rejudge(subs, by, f"appeal #{appeal.id}")  # commits, then queues
    else:
        _finish(appeal, division, by, "resolved")


APPEAL_ACTIONS = {"reject": _reject, "rescore": _rescore, "rejudge": _rejudge}


def resolve_appeal(appeal: Appeal, action: str, response: str, by: User | None, score=None) -> Appeal:
    """The organiser's answer: reject (with a response), rescore (a new score, as a score adjustment)
    or rejudge (the contestant's submissions on the problem; the tally is rerun when they are judged,
    see refresh_appeal). before/after (score, rank, award, qualified) are stored on the appeal."""
    if appeal.status != "open":
        raise ResultsError(_l("Đơn phúc khảo này đã được xử lý."))
    if action not in APPEAL_ACTIONS:
        raise ResultsError(_l("Cách xử lý không hợp lệ."))
    response = (response or "").strip()
    if not response:
        raise ResultsError(_l("Hãy ghi câu trả lời cho thí sinh."))
    if action == "rejudge" and appeal.problem_id is None:
        raise ResultsError(_l("Chỉ chấm lại được bài lập trình; với sản phẩm sáng tạo hãy chấm lại điểm."))
    if action == "rescore":
        _check_score(score)
    division = db.session.get(Division, appeal.division_id)
    try:
        appeal.before = outcome(entrant_row(division_rows(division.id), appeal.user)) or appeal.before
        appeal.response = response
        APPEAL_ACTIONS[action](appeal, division, by, response, score)
        db.session.commit()
    except Exception:
        db.session.rollback()  # all or nothing
        raise
    return appeal


def refresh_appeal(appeal: Appeal, by: User | None = None) -> Appeal:
    """A rejudging appeal is finished (tally rerun, after stored) once its submissions are judged."""
    if appeal.status != "rejudging":
        return appeal
    if any(s.status != "done" for s in _appeal_submissions(appeal)):
        return appeal
    division = db.session.get(Division, appeal.division_id)
    _finish(appeal, division, by or (db.session.get(User, appeal.resolved_by) if appeal.resolved_by else None), "resolved")
    db.session.commit()
    return appeal


def _public_score(value):
    """Whole-number scores as integers (63, not 63.0); others unchanged."""
    return None if value is None else (int(value) if float(value).is_integer() else value)


def public_rows(rows: list[dict], outcome: str) -> list[dict]:
    """The shape the CLI and the API print: ranked entrants only, best first, each
    {username, full_name, unit, score, rank, <outcome>, reason}; outcome is "award" or "qualified"."""
    return [{"username": r["username"], "full_name": r["full_name"], "unit": r["unit"],
             "score": _public_score(r["score"]), "rank": r["rank"], outcome: r[outcome], "reason": r["reason"]}
            for r in rows if r["rank"] is not None]
