"""Database operations of creative judging: rubric, panel, conflicts of interest, assignment, score
sheets, unlocking. Each operation validates everything first, then writes and commits in one go, so a
refused operation changes nothing; every human decision writes an audit row (who, before, after, why).
The rules themselves are in services/creative_judging.py.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..models import (
    ConflictOfInterest,
    CreativeEntry,
    CreativePanel,
    CreativeSettings,
    Division,
    JudgeAssignment,
    Role,
    RubricCriterion,
    School,
    ScoreSheet,
    User,
    audit,
    utcnow,
)
from . import creative_judging as rules

# The default rubric (total 100), as stored data: (name, description, max points).
DEFAULT_RUBRIC = [
    ("Ý tưởng và tính sáng tạo", "Ý tưởng mới, độc đáo; cách giải quyết vấn đề sáng tạo.", 30.0),
    ("Tính ứng dụng thực tiễn", "Giải quyết một nhu cầu có thật; có thể dùng được ngay.", 25.0),
    ("Chất lượng kỹ thuật", "Sản phẩm chạy ổn định, mã nguồn rõ ràng, dùng công nghệ hợp lý.", 25.0),
    ("Trình bày", "Hồ sơ, giao diện và phần thuyết trình rõ ràng, dễ hiểu.", 20.0),
]
ROUNDS = (1, 2)
AGGREGATION_METHODS = tuple(rules.AGGREGATIONS)


class CreativeRefused(Exception):
    """An operation that is not allowed or has bad input; the message says what and how to fix it.
    http_status for the API; field names the offending input when there is one."""

    def __init__(self, message: str, http_status: int = 422, field: str | None = None):
        super().__init__(message)
        self.http_status, self.field = http_status, field


def _settings(division: Division) -> CreativeSettings:
    """The creative settings of a division (services.creative_entries.settings_for), committed when
    just created with the defaults — so call it before writing anything else."""
    from .creative_entries import settings_for

    exists = db.session.scalar(select(CreativeSettings.id).where(CreativeSettings.division_id == division.id))
    row = settings_for(division)
    if exists is None:
        db.session.commit()
    return row


def _check_round(round_: int) -> int:
    if round_ not in ROUNDS:
        raise CreativeRefused(_("Vòng chấm phải là 1 hoặc 2."), 422, "round")
    return round_


# -- rubric ------------------------------------------------------------------------------------------
def rubric(division: Division, round_: int = 1) -> list[RubricCriterion]:
    """The criteria of a division and round, in order; the default rubric is stored (committed) on first
    use, so that criterion ids, the keys of the score sheets, never change under a judge."""
    _check_round(round_)
    rows = list(db.session.scalars(select(RubricCriterion).where(
        RubricCriterion.division_id == division.id, RubricCriterion.round == round_).order_by(RubricCriterion.ordinal, RubricCriterion.id)))
    if not rows:
        for i, (name, desc, top) in enumerate(DEFAULT_RUBRIC):
            row = RubricCriterion(division_id=division.id, round=round_, ordinal=i, name=name, description=desc,
                                  max_points=top, weight=1.0)
            db.session.add(row)
            rows.append(row)
        db.session.commit()
    return rows


def criteria(division: Division, round_: int = 1) -> list[rules.Criterion]:
    return [rules.Criterion(str(c.id), c.name, c.max_points, c.weight) for c in rubric(division, round_)]


def _rubric_dump(rows) -> list[dict]:
    return [{"name": c.name, "description": c.description, "max_points": c.max_points, "weight": c.weight} for c in rows]


def scoring_started(division: Division, round_: int = 1) -> bool:
    """True once any score sheet (draft or submitted) exists for the division and round."""
    return db.session.scalar(select(func.count(ScoreSheet.id)).join(CreativeEntry, CreativeEntry.id == ScoreSheet.entry_id)
                             .where(CreativeEntry.division_id == division.id, ScoreSheet.round == round_)) > 0


def save_rubric(division: Division, round_: int, items: list[dict], user: User) -> list[RubricCriterion]:
    """Replace the rubric of a round. items: [{name, description, max_points, weight}], in order.
    Refused once scoring of that round has started; every row is checked before anything is written."""
    _check_round(round_)
    if scoring_started(division, round_):
        raise CreativeRefused(_("Đã có phiếu chấm ở vòng %(r)s nên không sửa tiêu chí được nữa.", r=round_), 409)
    if not items:
        raise CreativeRefused(_("Cần ít nhất một tiêu chí."), 422, "criteria")
    clean, seen = [], set()
    for i, item in enumerate(items, start=1):
        name = " ".join(str(item.get("name") or "").split())
        if not name:
            raise CreativeRefused(_("Tiêu chí %(i)s: hãy nhập tên.", i=i), 422, f"name_{i}")
        if name.casefold() in seen:
            raise CreativeRefused(_("Tiêu chí %(i)s: tên “%(n)s” bị trùng.", i=i, n=name), 422, f"name_{i}")
        seen.add(name.casefold())
        try:
            top = float(item.get("max_points"))
            weight = float(item.get("weight", 1) if item.get("weight") not in (None, "") else 1)
        except (TypeError, ValueError):
            raise CreativeRefused(_("Tiêu chí %(i)s: điểm tối đa và trọng số phải là số.", i=i), 422, f"max_points_{i}")
        if not 0 < top <= 1000:
            raise CreativeRefused(_("Tiêu chí %(i)s: điểm tối đa phải lớn hơn 0 và không quá 1000.", i=i), 422, f"max_points_{i}")
        if not 0 < weight <= 100:
            raise CreativeRefused(_("Tiêu chí %(i)s: trọng số phải lớn hơn 0 và không quá 100.", i=i), 422, f"weight_{i}")
        clean.append({"name": name[:200], "description": str(item.get("description") or "").strip(), "max_points": top, "weight": weight})
    old = rubric(division, round_)
    before = _rubric_dump(old)
    for row in old:
        db.session.delete(row)
    db.session.flush()
    rows = []
    for i, c in enumerate(clean):
        row = RubricCriterion(division_id=division.id, round=round_, ordinal=i, **c)
        db.session.add(row)
        rows.append(row)
    audit(user, "creative.rubric", f"division:{division.id}", round=round_, before=before, after=clean)
    db.session.commit()
    return rows


# -- panel, judges -------------------------------------------------------------------------------------
def all_judges() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role.JUDGE.value, User.is_active_account.is_(True)).order_by(User.username)))


def panel(division: Division, round_: int = 1) -> list[User]:
    """The judges of a division and round: the organiser's choice, or every judge when none is stored."""
    rows = list(db.session.scalars(select(CreativePanel).where(CreativePanel.division_id == division.id, CreativePanel.round == round_)))
    if not rows:
        return all_judges()
    return sorted((r.judge for r in rows), key=lambda u: u.username)


def panel_is_default(division: Division, round_: int = 1) -> bool:
    return db.session.scalar(select(func.count(CreativePanel.id)).where(
        CreativePanel.division_id == division.id, CreativePanel.round == round_)) == 0


def set_panel(division: Division, round_: int, judge_ids: list[int], user: User) -> list[User]:
    """Store the panel of a round (every id must be a judge account). An empty list = every judge."""
    _check_round(round_)
    judges = {u.id: u for u in all_judges()}
    unknown = [j for j in judge_ids if j not in judges]
    if unknown:
        raise CreativeRefused(_("Tài khoản %(ids)s không phải giám khảo.", ids=", ".join(map(str, unknown))), 422, "judges")
    before = [u.username for u in panel(division, round_)] if not panel_is_default(division, round_) else []
    db.session.execute(CreativePanel.__table__.delete().where(CreativePanel.division_id == division.id, CreativePanel.round == round_))
    for j in sorted(set(judge_ids)):
        db.session.add(CreativePanel(division_id=division.id, round=round_, judge_id=j))
    audit(user, "creative.panel", f"division:{division.id}", round=round_, before=before,
          after=sorted(judges[j].username for j in set(judge_ids)))
    db.session.commit()
    return panel(division, round_)


def set_judge_affiliation(judge: User, school_name: str, district: str, unit: str, user: User) -> dict:
    """Set a judge's school and unit (used for conflicts of interest). Assignments that now conflict
    are re-checked like after a recorded conflict (recheck_assignments): unscored ones are removed,
    scored ones are kept and returned. Returns {"removed": [...], "kept": [...]} (see recheck_assignments)."""
    from .users import find_or_create_school

    if judge.role != Role.JUDGE.value:
        raise CreativeRefused(_("Chỉ sửa được trường và đơn vị của giám khảo."), 422)
    before = {"school": str(judge.school) if judge.school else "", "unit": judge.unit}
    school_name = " ".join(school_name.split())
    judge.school = find_or_create_school(school_name[:200], " ".join(district.split())[:200]) if school_name else None
    judge.unit = " ".join(unit.split())[:200]
    db.session.flush()
    report = recheck_assignments(judge)
    audit(user, "creative.judge_affiliation", f"user:{judge.id}", before=before,
          after={"school": str(judge.school) if judge.school else "", "unit": judge.unit},
          removed_assignments=report["removed"], conflicted_scored=report["kept"])
    db.session.commit()
    return report


# -- conflicts ----------------------------------------------------------------------------------------
def judge_info(user: User) -> rules.JudgeInfo:
    return rules.JudgeInfo(user.id, user.school_id, user.school.name if user.school else "", user.unit or "",
                           (user.school.district or "") if user.school else "")


def entry_info(entry: CreativeEntry) -> rules.EntryInfo:
    members = [m.user for m in entry.members]
    return rules.EntryInfo(entry.id, frozenset(u.school_id for u in members if u.school_id),
                           frozenset(u.unit for u in members if u.unit), entry.mentor_school or "",
                           frozenset((u.school.name, u.school.district or "") for u in members if u.school))


def conflict_rows(judge_ids=None) -> list[ConflictOfInterest]:
    query = select(ConflictOfInterest).order_by(ConflictOfInterest.id)
    if judge_ids is not None:
        query = query.where(ConflictOfInterest.judge_id.in_(list(judge_ids)))
    return list(db.session.scalars(query))


def conflicts(judge_ids=None) -> list[rules.Conflict]:
    return [rules.Conflict(c.judge_id, c.entry_id, c.school_id, c.unit or "", c.source) for c in conflict_rows(judge_ids)]


def conflict_of(judge: User, entry: CreativeEntry) -> str | None:
    """The conflict code of this judge with this entry, or None."""
    return rules.conflict_reason(judge_info(judge), entry_info(entry), conflicts([judge.id]))


def record_conflict(judge: User, by: User, *, entry_id: int | None = None, school_id: int | None = None,
                    unit: str = "", reason: str = "") -> ConflictOfInterest:
    """A conflict declared by the judge (by == judge) or recorded by an organiser. Exactly one of entry,
    school or unit. Unscored assignments of the judge that now conflict are removed (audited)."""
    if judge.role != Role.JUDGE.value:
        raise CreativeRefused(_("Chỉ ghi xung đột lợi ích cho tài khoản giám khảo."), 422, "judge")
    unit = " ".join((unit or "").split())[:200]
    if sum(x not in (None, "") for x in (entry_id, school_id, unit)) != 1:
        raise CreativeRefused(_("Chọn đúng một: một bài dự thi, một trường hoặc một đơn vị."), 422, "target")
    if entry_id is not None and db.session.get(CreativeEntry, entry_id) is None:
        raise CreativeRefused(_("Không có bài dự thi số %(id)s.", id=entry_id), 404, "entry_id")
    if school_id is not None and db.session.get(School, school_id) is None:
        raise CreativeRefused(_("Không có trường số %(id)s.", id=school_id), 404, "school_id")
    source = "declared" if by.id == judge.id else "organiser"
    row = ConflictOfInterest(judge_id=judge.id, entry_id=entry_id, school_id=school_id, unit=unit,
                             reason=(reason or "").strip()[:500], source=source, created_by=by.id)
    db.session.add(row)
    db.session.flush()
    report = recheck_assignments(judge)
    audit(by, "creative.conflict", f"user:{judge.id}", before=None,
          after={"entry_id": entry_id, "school_id": school_id, "unit": unit, "source": source}, reason=row.reason,
          removed_assignments=report["removed"], conflicted_scored=report["kept"])
    db.session.commit()
    return row


def recheck_assignments(judge: User) -> dict:
    """Re-check every assignment of `judge` against conflicts of interest (after a change of the
    judge's school or unit, or a new conflict). A conflicting assignment without a score sheet is
    deleted; one with a sheet (draft or submitted) is kept for the organiser to decide, and its sheet
    can no longer be saved (save_sheet). Does not commit: the caller audits and commits.
    Returns {"removed": [{entry_id, round}], "kept": [{entry_id, round, conflict}]}."""
    removed, kept = [], []
    for a in db.session.scalars(select(JudgeAssignment).where(JudgeAssignment.judge_id == judge.id)
                                .order_by(JudgeAssignment.round, JudgeAssignment.entry_id)):
        code = conflict_of(judge, a.entry)
        if not code:
            continue
        if _sheet(a.entry_id, judge.id, a.round) is None:
            removed.append({"entry_id": a.entry_id, "round": a.round})
            db.session.delete(a)
        else:
            kept.append({"entry_id": a.entry_id, "round": a.round, "conflict": code})
    return {"removed": removed, "kept": kept}


def conflicted_assignments(division: Division | None = None, judge: User | None = None) -> list[tuple[JudgeAssignment, str]]:
    """Stored assignments whose judge has a conflict of interest with the entry (they can only be
    left from before the conflict appeared, with a score sheet), with the conflict code."""
    query = select(JudgeAssignment).join(CreativeEntry)
    if division is not None:
        query = query.where(CreativeEntry.division_id == division.id)
    if judge is not None:
        query = query.where(JudgeAssignment.judge_id == judge.id)
    out = []
    for a in db.session.scalars(query.order_by(JudgeAssignment.round, JudgeAssignment.entry_id, JudgeAssignment.judge_id)):
        code = conflict_of(a.judge, a.entry)
        if code:
            out.append((a, code))
    return out


def delete_conflict(row: ConflictOfInterest, by: User, reason: str = "") -> None:
    audit(by, "creative.conflict_delete", f"user:{row.judge_id}",
          before={"entry_id": row.entry_id, "school_id": row.school_id, "unit": row.unit, "source": row.source},
          after=None, reason=reason)
    db.session.delete(row)
    db.session.commit()


# -- entries of a round, assignment -----------------------------------------------------------------
def division_entries(division: Division) -> list[CreativeEntry]:
    return list(db.session.scalars(select(CreativeEntry).where(CreativeEntry.division_id == division.id).order_by(CreativeEntry.id)))


def round_entries(division: Division, round_: int = 1) -> list[CreativeEntry]:
    """Round 1: every entry of the division. Round 2: the entries selected from round 1's scores
    (creative_judging.select_round2 with the division's top K / minimum score)."""
    entries = division_entries(division)
    if round_ == 1:
        return entries
    settings = _settings(division)
    if not settings.two_rounds:
        return []
    from .creative_ranking import round_scores

    chosen = set(rules.select_round2(round_scores(division, 1), settings.round2_top_k, settings.round2_min_score))
    return [e for e in entries if e.id in chosen]


def assignments(division: Division, round_: int = 1) -> list[JudgeAssignment]:
    return list(db.session.scalars(select(JudgeAssignment).join(CreativeEntry).where(
        CreativeEntry.division_id == division.id, JudgeAssignment.round == round_).order_by(JudgeAssignment.entry_id, JudgeAssignment.judge_id)))


def run_assignment(division: Division, round_: int = 1, k: int | None = None, user: User | None = None) -> rules.AssignmentResult:
    """Compute and store the assignment of a round (creative_judging.assign_judges). Hand-made
    assignments and those with a score sheet are kept; the other automatic ones are recomputed.
    A kept pair is re-checked against conflicts of interest: without a sheet it is dropped, with a
    sheet it stays and is listed in result.conflicted_fixed (and the audit row) for the organiser."""
    _check_round(round_)
    settings = _settings(division)
    k = settings.judges_per_entry if k is None else k
    if not 1 <= k <= 50:
        raise CreativeRefused(_("Số giám khảo mỗi bài phải từ 1 đến 50."), 422, "per_entry")
    entries = round_entries(division, round_)
    judges = panel(division, round_)
    existing = assignments(division, round_)
    entry_ids = {e.id for e in entries}
    judge_ids = {j.id for j in judges}
    keep, dropped = [], []
    for a in existing:
        scored = _sheet(a.entry_id, a.judge_id, round_) is not None
        if not (a.manual or scored):
            continue
        if not scored and conflict_of(a.judge, a.entry):
            dropped.append([a.entry_id, a.judge_id])
            continue
        keep.append(a)
    result = rules.assign_judges([entry_info(e) for e in entries], [judge_info(j) for j in judges],
                                 conflicts(judge_ids), k, fixed=[(a.entry_id, a.judge_id) for a in keep
                                                                 if a.entry_id in entry_ids and a.judge_id in judge_ids])
    before = sorted((a.entry_id, a.judge_id) for a in existing)
    kept = {(a.entry_id, a.judge_id) for a in keep}
    for a in existing:
        if (a.entry_id, a.judge_id) not in kept:
            db.session.delete(a)
    db.session.flush()
    for e, j in result.assignments:
        if (e, j) not in kept:
            db.session.add(JudgeAssignment(entry_id=e, judge_id=j, round=round_, manual=False))
    audit(user, "creative.assign", f"division:{division.id}", round=round_, k=k,
          before=[list(p) for p in before], after=[list(p) for p in result.assignments],
          shortfall=[s.entry_id for s in result.shortfall], dropped_conflicting=dropped,
          conflicted_scored=[list(p) for p in result.conflicted_fixed])
    db.session.commit()
    return result


def add_assignment(entry: CreativeEntry, judge: User, round_: int, user: User) -> JudgeAssignment:
    """Assign a judge by hand; refused for a conflict of interest, a non-judge or a duplicate."""
    _check_round(round_)
    if judge.role != Role.JUDGE.value:
        raise CreativeRefused(_("%(u)s không phải giám khảo.", u=judge.username), 422, "judge")
    reason = conflict_of(judge, entry)
    if reason:
        raise CreativeRefused(_("Không phân công được: %(u)s có xung đột lợi ích với bài này (%(r)s).",
                                u=judge.username, r=conflict_label(reason)), 409, "judge")
    if db.session.scalar(select(JudgeAssignment.id).where(JudgeAssignment.entry_id == entry.id, JudgeAssignment.judge_id == judge.id,
                                                          JudgeAssignment.round == round_)):
        raise CreativeRefused(_("%(u)s đã được phân công bài này.", u=judge.username), 409, "judge")
    row = JudgeAssignment(entry_id=entry.id, judge_id=judge.id, round=round_, manual=True)
    db.session.add(row)
    audit(user, "creative.assign_add", f"entry:{entry.id}", round=round_, before=None, after={"judge": judge.username})
    db.session.commit()
    return row


def remove_assignment(entry: CreativeEntry, judge: User, round_: int, user: User, reason: str = "") -> None:
    """Remove a judge from an entry; refused when the judge has submitted a sheet (unlock it first);
    a draft sheet is deleted with the assignment (kept in the audit row)."""
    row = db.session.scalar(select(JudgeAssignment).where(JudgeAssignment.entry_id == entry.id, JudgeAssignment.judge_id == judge.id,
                                                          JudgeAssignment.round == round_))
    if row is None:
        raise CreativeRefused(_("%(u)s không được phân công bài này.", u=judge.username), 404, "judge")
    sheet = _sheet(entry.id, judge.id, round_)
    if sheet is not None and sheet.status == "submitted":
        raise CreativeRefused(_("%(u)s đã nộp phiếu chấm bài này; hãy mở khoá phiếu trước khi bỏ phân công.", u=judge.username), 409, "judge")
    draft = _sheet_dump(sheet) if sheet else None
    if sheet is not None:
        db.session.delete(sheet)
    db.session.delete(row)
    audit(user, "creative.assign_remove", f"entry:{entry.id}", round=round_, before={"judge": judge.username, "draft": draft},
          after=None, reason=reason)
    db.session.commit()


def is_assigned(judge: User, entry: CreativeEntry, round_: int | None = None) -> bool:
    query = select(JudgeAssignment.id).where(JudgeAssignment.entry_id == entry.id, JudgeAssignment.judge_id == judge.id)
    if round_ is not None:
        query = query.where(JudgeAssignment.round == round_)
    return db.session.scalar(query.limit(1)) is not None


def judge_assignments(judge: User) -> list[JudgeAssignment]:
    return list(db.session.scalars(select(JudgeAssignment).where(JudgeAssignment.judge_id == judge.id)
                                   .order_by(JudgeAssignment.round, JudgeAssignment.entry_id)))


CONFLICT_LABELS = {
    rules.SAME_SCHOOL: _l("cùng trường với một thành viên"),
    rules.SAME_UNIT: _l("cùng đơn vị với một thành viên"),
    rules.MENTOR_SCHOOL: _l("cùng trường với giáo viên hướng dẫn"),
    rules.DECLARED: _l("giám khảo tự khai báo"),
    rules.ORGANISER: _l("Ban tổ chức ghi nhận"),
}


def conflict_label(code: str) -> str:
    return str(CONFLICT_LABELS.get(code, code))


# -- score sheets ---------------------------------------------------------------------------------------
def _sheet(entry_id: int, judge_id: int, round_: int) -> ScoreSheet | None:
    return db.session.scalar(select(ScoreSheet).where(ScoreSheet.entry_id == entry_id, ScoreSheet.judge_id == judge_id,
                                                      ScoreSheet.round == round_))


def sheet_for(entry: CreativeEntry, judge: User, round_: int) -> ScoreSheet | None:
    return _sheet(entry.id, judge.id, round_)


def _sheet_dump(sheet: ScoreSheet | None) -> dict | None:
    if sheet is None:
        return None
    return {"points": dict(sheet.points or {}), "comment": sheet.comment, "status": sheet.status, "total": sheet.total}


POINT_MESSAGES = {
    "unknown": lambda p: _("không có tiêu chí này"),
    "missing": lambda p: _("chưa cho điểm"),
    "not_a_number": lambda p: _("điểm phải là một số"),
    "out_of_range": lambda p: _("điểm phải từ 0 đến %(max)s", max="%g" % p["max"]),
}


def points_by_name(division: Division, round_: int, named: dict) -> dict:
    """{criterion name: points} (API) -> {criterion key: points}; an unknown name is refused."""
    by_name = {c.name.casefold(): c.key for c in criteria(division, round_)}
    out, unknown = {}, []
    for name, value in named.items():
        key = by_name.get(str(name).strip().casefold())
        if key is None:
            unknown.append(str(name))
        else:
            out[key] = value
    if unknown:
        raise CreativeRefused(_("Không có tiêu chí: %(n)s. Các tiêu chí: %(all)s.", n=", ".join(unknown),
                                all=", ".join(c.name for c in criteria(division, round_))), 422, "criteria")
    return out


def save_sheet(entry: CreativeEntry, judge: User, round_: int, points: dict, comment: str = "",
               submit: bool = False) -> ScoreSheet:
    """Save a judge's draft, or submit it (all criteria needed). Only an assigned judge; a submitted
    sheet is locked until an organiser unlocks it; refused (409) while the judge has a conflict of
    interest with the entry (conflict_of), even if it appeared after the assignment. Points are checked against each criterion's maximum
    (creative_judging.check_points); the total is creative_judging.sheet_total. Audited."""
    _check_round(round_)
    if not is_assigned(judge, entry, round_):
        raise CreativeRefused(_("Bạn không được phân công chấm bài này."), 403)
    reason = conflict_of(judge, entry)
    if reason:
        raise CreativeRefused(_("Không lưu được phiếu chấm: bạn có xung đột lợi ích với bài này (%(r)s). "
                                "Hãy báo Ban tổ chức để được phân công lại.", r=conflict_label(reason)), 409)
    sheet = _sheet(entry.id, judge.id, round_)
    if sheet is not None and sheet.status == "submitted":
        raise CreativeRefused(_("Phiếu chấm đã nộp và bị khoá; hãy nhờ Ban tổ chức mở khoá nếu cần sửa."), 409)
    crit = criteria(entry.division, round_)
    clean = {}
    for key, value in points.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, str):
            try:
                value = float(value.replace(",", "."))
            except ValueError:
                pass
        clean[str(key)] = value
    problems = rules.check_points(clean, crit, complete=submit)
    if problems:
        names = {c.key: c.name for c in crit}
        parts = [f"{names.get(k, k)}: " + POINT_MESSAGES[code](params) for k, code, params in problems]
        raise CreativeRefused(_("Phiếu chấm chưa hợp lệ — %(p)s.", p="; ".join(parts)), 422, "criteria")
    clean = {k: float(v) for k, v in clean.items()}
    before = _sheet_dump(sheet)
    if sheet is None:
        sheet = ScoreSheet(entry_id=entry.id, judge_id=judge.id, round=round_)
        db.session.add(sheet)
    sheet.points = clean
    sheet.comment = (comment or "").strip()[:5000]
    sheet.total = rules.sheet_total(clean, crit)
    sheet.updated_at = utcnow()
    if submit:
        sheet.status, sheet.submitted_at = "submitted", utcnow()
    else:
        sheet.status = "draft"
    audit(judge, "creative.score_submit" if submit else "creative.score_save", f"entry:{entry.id}", round=round_,
          before=before, after=_sheet_dump(sheet))
    db.session.commit()
    return sheet


def unlock_sheet(sheet: ScoreSheet, user: User, reason: str) -> ScoreSheet:
    """An organiser reopens a submitted sheet (it becomes a draft again); the reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise CreativeRefused(_("Hãy ghi lý do mở khoá phiếu chấm."), 422, "reason")
    if sheet.status != "submitted":
        raise CreativeRefused(_("Phiếu chấm này chưa nộp nên không cần mở khoá."), 409)
    before = _sheet_dump(sheet)
    sheet.status, sheet.submitted_at = "draft", None
    audit(user, "creative.score_unlock", f"entry:{sheet.entry_id}", round=sheet.round, judge=sheet.judge_id,
          before=before, after=_sheet_dump(sheet), reason=reason[:500])
    db.session.commit()
    return sheet


def division_sheets(division: Division, round_: int | None = None) -> list[ScoreSheet]:
    query = select(ScoreSheet).join(CreativeEntry).where(CreativeEntry.division_id == division.id)
    if round_ is not None:
        query = query.where(ScoreSheet.round == round_)
    return list(db.session.scalars(query.order_by(ScoreSheet.round, ScoreSheet.entry_id, ScoreSheet.judge_id)))


# -- settings of judging -------------------------------------------------------------------------------
def save_judging_settings(division: Division, user: User, **values) -> CreativeSettings:
    """Judging settings: judges_per_entry, blind, aggregation, disagreement_threshold, two_rounds,
    round2_top_k, round2_min_score, round2_weight. Checked first, then written together. Audited."""
    s = _settings(division)
    fields = ("judges_per_entry", "blind", "aggregation", "disagreement_threshold", "two_rounds", "round2_top_k",
              "round2_min_score", "round2_weight")
    new = {f: values.get(f, getattr(s, f)) for f in fields}
    if not isinstance(new["judges_per_entry"], int) or not 1 <= new["judges_per_entry"] <= 50:
        raise CreativeRefused(_("Số giám khảo mỗi bài phải từ 1 đến 50."), 422, "judges_per_entry")
    if new["aggregation"] not in AGGREGATION_METHODS:
        raise CreativeRefused(_("Cách tổng hợp điểm phải là một trong: %(m)s.", m=", ".join(AGGREGATION_METHODS)), 422, "aggregation")
    if not 0 <= float(new["disagreement_threshold"]) <= 100:
        raise CreativeRefused(_("Ngưỡng chênh lệch phải từ 0 đến 100 điểm."), 422, "disagreement_threshold")
    if new["round2_top_k"] is not None and not 1 <= new["round2_top_k"] <= 10000:
        raise CreativeRefused(_("Số bài vào vòng 2 phải từ 1 trở lên."), 422, "round2_top_k")
    if new["round2_min_score"] is not None and not 0 <= float(new["round2_min_score"]) <= 100:
        raise CreativeRefused(_("Điểm tối thiểu vào vòng 2 phải từ 0 đến 100."), 422, "round2_min_score")
    if not 0 <= float(new["round2_weight"]) <= 1:
        raise CreativeRefused(_("Trọng số vòng 2 phải từ 0 đến 1."), 422, "round2_weight")
    if new["two_rounds"] and new["round2_top_k"] is None and new["round2_min_score"] is None:
        raise CreativeRefused(_("Hai vòng: hãy nhập số bài vào vòng 2 hoặc điểm tối thiểu."), 422, "round2_top_k")
    before = {f: getattr(s, f) for f in fields}
    for f, v in new.items():
        setattr(s, f, v)
    audit(user, "creative.settings", f"division:{division.id}", before=before, after=new)
    db.session.commit()
    return s


# -- progress --------------------------------------------------------------------------------------------
def progress(division: Division, round_: int = 1) -> dict:
    """Coverage per entry and progress per judge of a round:
    {"entries": [{entry, assigned, submitted, drafts, judges: [{judge, state, manual, sheet, conflict}]}],
     "judges": [{judge, assigned, submitted, drafts}]}; conflict is the code of a conflict of interest that
    appeared after the assignment (a scored pair kept for the organiser), else None."""
    rows = assignments(division, round_)
    sheets = {(s.entry_id, s.judge_id): s for s in division_sheets(division, round_)}
    known = conflicts({a.judge_id for a in rows})
    per_entry, per_judge = {}, {}
    for e in round_entries(division, round_):
        per_entry[e.id] = {"entry": e, "assigned": 0, "submitted": 0, "drafts": 0, "judges": []}
    for a in rows:
        s = sheets.get((a.entry_id, a.judge_id))
        state = s.status if s else "none"
        pe = per_entry.setdefault(a.entry_id, {"entry": a.entry, "assigned": 0, "submitted": 0, "drafts": 0, "judges": []})
        pj = per_judge.setdefault(a.judge_id, {"judge": a.judge, "assigned": 0, "submitted": 0, "drafts": 0})
        for d in (pe, pj):
            d["assigned"] += 1
            d["submitted"] += state == "submitted"
            d["drafts"] += state == "draft"
        pe["judges"].append({"judge": a.judge, "state": state, "manual": a.manual, "sheet": s,
                             "conflict": rules.conflict_reason(judge_info(a.judge), entry_info(a.entry), known)})
    return {"entries": list(per_entry.values()), "judges": sorted(per_judge.values(), key=lambda d: d["judge"].username)}

