"""Contest setup and entry rules: default divisions, local time, who may enter which division,
adding participants by username, announcements and clarifications visible to a user.

Entry rule (DESIGN.md): a contestant may enter a division of their own school level, or a division
of a HIGHER level when the division allows it (`allow_higher`); never a division below their level.
A contestant holds at most one division per kind of content (programming / creative) in a contest.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import or_, select

from judge.languages import LANGUAGES

from ..extensions import db
from ..models import (
    LEVEL_ORDER,
    Announcement,
    Clarification,
    Contest,
    Division,
    Participation,
    Role,
    User,
    audit,
    utcnow,
)
from .demo import DEFAULT_DIVISIONS

LEVEL_INDEX = {lvl.value: i for i, lvl in enumerate(LEVEL_ORDER)}
ROUNDS = ("city", "regional", "national")
SCORINGS = ("ioi", "icpc")
CONTENTS = ("programming", "creative")


# -- time ------------------------------------------------------------------------------------------
def local_to_utc(value: datetime, tz: str) -> datetime:
    """A naive datetime typed in the contest's time zone -> naive UTC (how the database stores it)."""
    return value.replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc).replace(tzinfo=None)


def utc_to_local(value: datetime, tz: str) -> datetime:
    """Naive UTC -> naive local time (to fill a datetime-local input)."""
    return value.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tz)).replace(tzinfo=None)


# -- creation --------------------------------------------------------------------------------------
def default_languages(levels: list[str], content: str) -> str:
    """Programming divisions get every registered language, except that Scratch only goes to
    divisions open to primary pupils (bảng A); creative divisions get none."""
    if content != "programming":
        return ""
    return ",".join(k for k in LANGUAGES if k != "scratch" or "primary" in levels)


def create_contest(user: User | None, *, name: str, year: int, round: str, start_at: datetime, end_at: datetime,
                   freeze_minutes: int = 0, scoring: str = "ioi", with_defaults: bool = True) -> Contest:
    """Create (and commit) a contest with the default divisions A, B, C1, C2, D1–D3."""
    contest = Contest(name=name, year=year, round=round, start_at=start_at, end_at=end_at,
                      freeze_minutes=freeze_minutes, scoring=scoring)
    if with_defaults:
        for code, dname, levels, content in DEFAULT_DIVISIONS:
            values = [lvl.value for lvl in levels]
            contest.divisions.append(Division(
                code=code, name=dname, levels=",".join(values), content=content,
                languages=default_languages(values, content), allow_higher=False, self_register=False,
            ))
    db.session.add(contest)
    db.session.flush()
    audit(user, "contest.create", f"contest:{contest.id}", name=name)
    db.session.commit()
    return contest


# -- entry rules -----------------------------------------------------------------------------------
class DivisionRefused(ValueError):
    """A division form that cannot be saved; `field` names the form field the message belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


SCRATCH_MAX_MIB = 50  # the largest per-division Scratch project limit an organiser may set
_KEEP = object()


def parse_scratch_max_mib(raw: object) -> int | None:
    """The per-division Scratch project limit from a form or API value: blank/None = None (use the
    site setting SCRATCH_MAX_BYTES); otherwise a whole number of MiB, 1 ≤ n ≤ SCRATCH_MAX_MIB.
    Raises DivisionRefused("scratch_max_mib", message naming the field)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit() or not 1 <= int(text) <= SCRATCH_MAX_MIB:
        raise DivisionRefused("scratch_max_mib", _(
            "“Dung lượng tối đa của dự án Scratch (MiB)” phải là một số nguyên từ 1 đến %(n)s (bạn nhập “%(v)s”); "
            "để trống để dùng mức chung của hệ thống.", n=SCRATCH_MAX_MIB, v=text))
    return int(text)


def save_division(contest: Contest, division: Division | None, *, code: str, name: str, levels: list[str],
                  content: str, languages: list[str], allow_higher: bool, self_register: bool,
                  by: User | None, scratch_max_mib: object = _KEEP) -> Division:
    """Create (division None) or update a division of `contest`, audited, not committed.

    Rules: the code is stripped and upper-cased and must be unique within the contest (the division
    itself aside); a programming division needs at least one language, a creative one keeps none.
    Levels and languages are stored comma-joined in the canonical order (LEVEL_ORDER, LANGUAGES),
    whatever order the form sent. scratch_max_mib (when given) is checked by parse_scratch_max_mib;
    not given, the division keeps its value. The audit row holds its before and after when it
    changes. Raises DivisionRefused(field, message) and changes nothing."""
    if scratch_max_mib is not _KEEP:
        scratch_max_mib = parse_scratch_max_mib(scratch_max_mib)
    code = code.strip().upper()
    clash = db.session.scalar(select(Division.id).where(Division.contest_id == contest.id, Division.code == code))
    if clash and (division is None or clash != division.id):
        raise DivisionRefused("code", _("Cuộc thi đã có bảng %(c)s.", c=code))
    languages = languages or []
    if content == "programming" and not languages:
        raise DivisionRefused("languages", _("Bảng lập trình cần ít nhất một ngôn ngữ."))
    if division is None:
        division = Division(contest_id=contest.id)
        db.session.add(division)
    division.code = code
    division.name = name.strip()
    division.levels = ",".join(lvl.value for lvl in LEVEL_ORDER if lvl.value in levels)
    division.content = content
    division.languages = ",".join(k for k in LANGUAGES if k in languages) if content == "programming" else ""
    division.allow_higher = allow_higher
    division.self_register = self_register
    details = {}
    if scratch_max_mib is not _KEEP and scratch_max_mib != division.scratch_max_mib:
        details = {"scratch_max_mib": {"before": division.scratch_max_mib, "after": scratch_max_mib}}
        division.scratch_max_mib = scratch_max_mib
    db.session.flush()
    audit(by, "division.save", f"division:{division.id}", code=code, **details)
    return division


def may_enter(user: User, division: Division) -> bool:
    """The level rule: own level, or a higher division that allows lower levels; never below."""
    level = LEVEL_INDEX.get(user.school_level or "")
    if level is None:
        return False
    levels = [LEVEL_INDEX[x] for x in division.level_list if x in LEVEL_INDEX]
    if not levels:
        return False
    if level in levels:
        return True
    return division.allow_higher and level < min(levels)


def entry_refusal(user: User, division: Division) -> str | None:
    """Why `user` cannot hold a place in `division` (None = they can)."""
    if user.role != Role.STUDENT.value:
        return _("%(u)s không phải tài khoản thí sinh.", u=user.username)
    if not user.school_level:
        return _("%(u)s chưa khai báo cấp học.", u=user.username)
    if not may_enter(user, division):
        level = LEVEL_INDEX.get(user.school_level, -1)
        if division.level_list and all(LEVEL_INDEX.get(x, 99) < level for x in division.level_list):
            return _("%(u)s học cấp cao hơn bảng %(d)s; thí sinh không được thi bảng dưới cấp học của mình.",
                     u=user.username, d=division.code)
        return _("Bảng %(d)s không nhận thí sinh cấp học của %(u)s.", d=division.code, u=user.username)
    return _place_taken(user, division)


def _place_taken(user: User, division: Division) -> str | None:
    """Rule: one division of each content (programming / creative) per contest and student."""
    other = current_division(user, division.contest, division.content)
    if other is None:
        return None
    if other.id == division.id:
        return _("%(u)s đã có trong bảng %(d)s.", u=user.username, d=division.code)
    return _("%(u)s đã thi bảng %(d)s của cuộc thi này.", u=user.username, d=other.code)


def current_division(user: User, contest: Contest, content: str | None = None) -> Division | None:
    q = (select(Division).join(Participation, Participation.division_id == Division.id)
         .where(Participation.user_id == user.id, Participation.contest_id == contest.id))
    if content:
        q = q.where(Division.content == content)
    return db.session.scalars(q.order_by(Division.code)).first()


def user_divisions(user: User, contest: Contest) -> list[Division]:
    return db.session.scalars(
        select(Division).join(Participation, Participation.division_id == Division.id)
        .where(Participation.user_id == user.id, Participation.contest_id == contest.id)
        .order_by(Division.code)
    ).all()


def can_self_register(user: User, division: Division, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (division.self_register and now < division.contest.end_at
            and entry_refusal(user, division) is None)


def joinable_divisions(user: User, now: datetime | None = None) -> list[Division]:
    """Divisions of contests not yet over that `user` may join by themselves."""
    now = now or utcnow()
    if user.role != Role.STUDENT.value or not user.school_level:
        return []
    divisions = db.session.scalars(
        select(Division).join(Contest, Contest.id == Division.contest_id)
        .where(Division.self_register.is_(True), Contest.end_at > now)
        .order_by(Contest.start_at.desc(), Division.code)
    ).all()
    return [d for d in divisions if can_self_register(user, d, now)]


def join(user: User, division: Division, now: datetime | None = None) -> Participation:
    """Self-registration; raises ValueError with the reason when refused."""
    now = now or utcnow()
    if not division.self_register:
        raise ValueError(_("Bảng %(d)s không cho thí sinh tự đăng ký; hãy liên hệ Ban tổ chức.", d=division.code))
    if now >= division.contest.end_at:
        raise ValueError(_("Cuộc thi đã kết thúc."))
    reason = entry_refusal(user, division)
    if reason:
        raise ValueError(reason)
    p = Participation(contest_id=division.contest_id, division_id=division.id, user_id=user.id)
    db.session.add(p)
    audit(user, "participation.join", f"division:{division.id}")
    db.session.commit()
    return p


@dataclass
class LineResult:
    line: int
    text: str
    ok: bool
    message: str


def add_participants(division: Division, text: str, by: User | None) -> list[LineResult]:
    """Add students by username, one a line (commas and semicolons also separate). Each line is
    judged on its own: good lines are added, bad ones explained. The organiser adding a student is
    the organiser's permission for a higher division, so only "never below the level" is checked."""
    results: list[LineResult] = []
    seen: set[str] = set()
    n = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        for token in raw.replace(";", ",").split(","):
            name = token.strip().lower()
            if not name:
                continue
            if name in seen:
                results.append(LineResult(number, name, False, _("Trùng với một dòng ở trên.")))
                continue
            seen.add(name)
            user = db.session.scalar(select(User).where(User.username == name))
            if user is None:
                results.append(LineResult(number, name, False, _("Không có tài khoản “%(u)s”.", u=name)))
                continue
            reason = _organiser_refusal(user, division)
            if reason:
                results.append(LineResult(number, name, False, reason))
                continue
            db.session.add(Participation(contest_id=division.contest_id, division_id=division.id, user_id=user.id))
            db.session.flush()
            n += 1
            results.append(LineResult(number, name, True, _("Đã thêm %(n)s vào bảng %(d)s.",
                                                             n=user.full_name or user.username, d=division.code)))
    if n:
        audit(by, "participation.add", f"division:{division.id}", count=n)
    db.session.commit()
    return results


def _organiser_refusal(user: User, division: Division) -> str | None:
    if user.role != Role.STUDENT.value:
        return _("%(u)s không phải tài khoản thí sinh.", u=user.username)
    level = LEVEL_INDEX.get(user.school_level or "")
    levels = [LEVEL_INDEX[x] for x in division.level_list if x in LEVEL_INDEX]
    if level is None:
        return _("%(u)s chưa khai báo cấp học.", u=user.username)
    if levels and level > max(levels):
        return _("%(u)s học cấp cao hơn bảng %(d)s; thí sinh không được thi bảng dưới cấp học của mình.",
                 u=user.username, d=division.code)
    return _place_taken(user, division)


def remove_participant(division: Division, user_id: int, by: User | None) -> bool:
    p = db.session.scalar(select(Participation).where(Participation.division_id == division.id,
                                                      Participation.user_id == user_id))
    if p is None:
        return False
    db.session.delete(p)
    audit(by, "participation.remove", f"division:{division.id}", user_id=user_id)
    db.session.commit()
    return True


# -- announcements and clarifications --------------------------------------------------------------
def announcements(contest: Contest) -> list[Announcement]:
    return db.session.scalars(
        select(Announcement).where(Announcement.contest_id == contest.id).order_by(Announcement.created_at.desc())
    ).all()


def visible_clarifications(user: User, contest: Contest) -> list[Clarification]:
    """Staff see every question; a student sees their own and the answers made public."""
    q = select(Clarification).where(Clarification.contest_id == contest.id)
    if not user.has_role("organiser", "judge"):
        q = q.where(or_(Clarification.user_id == user.id,
                        (Clarification.public.is_(True)) & (Clarification.answer.is_not(None))))
    return db.session.scalars(q.order_by(Clarification.created_at.desc())).all()


def answer_clarification(clar: Clarification, answer: str, public: bool, by: User | None) -> None:
    clar.answer = answer
    clar.public = public
    clar.answered_at = utcnow()
    audit(by, "clarification.answer", f"clarification:{clar.id}", public=public)
    db.session.commit()
