"""The demo world: a contest running for 7 days, a programming division per school level with the demo
problems, demo accounts, every demo student admitted to the division of their level. Idempotent."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml
from sqlalchemy import select

from ..extensions import db
from ..models import Contest, Division, Participation, Problem, SchoolLevel, User, utcnow
from .users import create_user, find_or_create_school

DEMO_CONTEST = "Hội thi Tin học trẻ (demo)"
REPO = Path(__file__).resolve().parents[2]

# (code, name, levels, content)
DEFAULT_DIVISIONS = [
    ("A", "Bảng A — Tiểu học", [SchoolLevel.PRIMARY], "programming"),
    ("B", "Bảng B — THCS", [SchoolLevel.LOWER_SECONDARY], "programming"),
    ("C1", "Bảng C1 — THPT chuyên", [SchoolLevel.UPPER_SECONDARY], "programming"),
    ("C2", "Bảng C2 — THPT không chuyên", [SchoolLevel.UPPER_SECONDARY], "programming"),
    ("D1", "Bảng D1 — Sản phẩm sáng tạo Tiểu học", [SchoolLevel.PRIMARY], "creative"),
    ("D2", "Bảng D2 — Sản phẩm sáng tạo THCS", [SchoolLevel.LOWER_SECONDARY], "creative"),
    ("D3", "Bảng D3 — Sản phẩm sáng tạo THPT", [SchoolLevel.UPPER_SECONDARY], "creative"),
]
DEMO_DIVISIONS = ["A", "B", "C1"]  # one programming division per school level

DEMO_ACCOUNTS = [
    # username, password, role, full name, level, grade
    ("admin", "admin123", "admin", "Quản trị hệ thống", None, None),
    ("btc", "btc12345", "organiser", "Ban tổ chức", None, None),
    ("giamkhao", "gk123456", "judge", "Giám khảo Lê Thị Hoa", None, None),
    ("hs_tieuhoc", "hs123456", "student", "Nguyễn Minh Anh", SchoolLevel.PRIMARY, 5),
    ("hs_thcs", "hs123456", "student", "Trần Quốc Bảo", SchoolLevel.LOWER_SECONDARY, 7),
    ("hs_thpt", "hs123456", "student", "Phạm Thu Hà", SchoolLevel.UPPER_SECONDARY, 11),
]


def division_for_level(level: str | None) -> str | None:
    return {SchoolLevel.PRIMARY.value: "A", SchoolLevel.LOWER_SECONDARY.value: "B", SchoolLevel.UPPER_SECONDARY.value: "C1"}.get(level or "")


def _demo_problem_map() -> dict[str, list[str]]:
    """problems/demo.yaml: division code -> list of problem folders (relative to problems/)."""
    path = REPO / "problems" / "demo.yaml"
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def load_demo() -> list[str]:
    lines: list[str] = []
    contest = db.session.scalar(select(Contest).where(Contest.name == DEMO_CONTEST))
    now = utcnow().replace(microsecond=0)
    if contest is None:
        contest = Contest(name=DEMO_CONTEST, year=now.year, round="city", start_at=now, end_at=now + timedelta(days=7), freeze_minutes=60)
        db.session.add(contest)
        for code, name, levels, content in DEFAULT_DIVISIONS:
            if code in DEMO_DIVISIONS:
                division = Division(code=code, name=name, levels=",".join(lvl.value for lvl in levels), content=content, self_register=True)
                if code == "A":  # primary pupils also program in Scratch (problems/congdon)
                    division.languages = "scratch,c,cpp,cpp20,python3,pascal,java"
                contest.divisions.append(division)
        db.session.flush()
        lines.append(f"demo contest created (id {contest.id})")
    else:
        lines.append(f"demo contest already present (id {contest.id})")

    divisions = {d.code: d for d in contest.divisions}
    try:
        from .problem_import import import_problem
    except ImportError:  # the judge package layer is not installed
        import_problem = None
    for code, folders in _demo_problem_map().items():
        division = divisions.get(code)
        if division is None or import_problem is None:
            continue
        for ordinal, folder in enumerate(folders):
            src = REPO / "problems" / folder
            exists = db.session.scalar(select(Problem).where(Problem.division_id == division.id, Problem.code == src.name.upper()))
            if exists is None:
                problem = import_problem(division, src, ordinal=ordinal, publish=True)
                lines.append(f"  problem {problem.code} -> division {code} (id {problem.id})")

    school = find_or_create_school("Trường demo", "Quận 1")
    lines.append("demo accounts (username / password / role):")
    for username, password, role, full_name, level, grade in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = create_user(
                username, password, role, full_name=full_name,
                school_level=level.value if level else None, grade=grade, school=school if level else None,
            )
            db.session.flush()
        lines.append(f"  {username:12} {password:10} {role}")
    db.session.flush()
    admit_students(contest)
    db.session.commit()
    lines += load_creative_demo(contest)
    return lines


# Creative demo: (division, title, category, summary, members, mentor name, mentor school)
CREATIVE_STUDENTS = [
    # username, full name, level, grade, school
    ("hs_tieuhoc2", "Lê Bảo Ngọc", SchoolLevel.PRIMARY, 4, "Trường demo"),
    ("hs_thcs2", "Đỗ Gia Huy", SchoolLevel.LOWER_SECONDARY, 8, "Trường demo"),
    ("hs_thpt2", "Vũ Khánh Linh", SchoolLevel.UPPER_SECONDARY, 10, "Trường THPT demo 2"),
]
CREATIVE_ENTRIES = [
    ("D1", "Chú mèo học bảng cửu chương", "scratch", "Trò chơi Scratch giúp các bạn lớp 2, lớp 3 thuộc bảng cửu chương.",
     ["hs_tieuhoc", "hs_tieuhoc2"], "Cô Nguyễn Thu Trang", "Trường demo"),
    ("D2", "Ứng dụng nhắc uống nước", "mobile", "Ứng dụng điện thoại nhắc học sinh uống đủ nước mỗi ngày.",
     ["hs_thcs", "hs_thcs2"], "Thầy Phạm Văn Long", "Trường demo"),
    ("D3", "Website chia sẻ sách cũ", "web", "Học sinh đăng và mượn sách giáo khoa cũ trong trường.",
     ["hs_thpt"], "", ""),
    ("D3", "Trò chơi giải đố lịch sử", "game", "Trò chơi ô chữ về các triều đại Việt Nam.",
     ["hs_thpt2"], "Cô Trần Mai", "Trường THPT demo 2"),
]


def load_creative_demo(contest: Contest) -> list[str]:
    """Creative divisions D1-D3 in the demo contest, a few team entries of demo students (admitted to the
    creative division of their level), and the demo judge assigned to every entry. Idempotent."""
    from ..models import CreativeEntry, EntryMember, JudgeAssignment
    from . import creative_ops

    lines = []
    divisions = {d.code: d for d in contest.divisions}
    for code, name, levels, content in DEFAULT_DIVISIONS:
        if content == "creative" and code not in divisions:
            division = Division(code=code, name=name, levels=",".join(lvl.value for lvl in levels), content=content,
                                self_register=True)
            contest.divisions.append(division)
            db.session.flush()
            divisions[code] = division
            lines.append(f"  division {code} added (id {division.id})")
    for username, full_name, level, grade, school_name in CREATIVE_STUDENTS:
        if db.session.scalar(select(User.id).where(User.username == username)) is None:
            create_user(username, "hs123456", "student", full_name=full_name, school_level=level.value, grade=grade,
                        school=find_or_create_school(school_name, "Quận 1"))
            lines.append(f"  {username:12} hs123456   student")
    db.session.flush()
    judge = db.session.scalar(select(User).where(User.username == "giamkhao"))
    for code, title, category, summary, usernames, mentor, mentor_school in CREATIVE_ENTRIES:
        division = divisions[code]
        entry = db.session.scalar(select(CreativeEntry).where(CreativeEntry.division_id == division.id, CreativeEntry.title == title))
        if entry is None:
            members = [db.session.scalar(select(User).where(User.username == u)) for u in usernames]
            entry = CreativeEntry(contest_id=contest.id, division_id=division.id, title=title, category=category,
                                  summary=summary, mentor_name=mentor, mentor_school=mentor_school,
                                  declared_not_awarded=True, created_by=members[0].id)
            db.session.add(entry)
            db.session.flush()
            for user in members:
                db.session.add(EntryMember(entry_id=entry.id, division_id=division.id, user_id=user.id))
                if db.session.scalar(select(Participation.id).where(Participation.division_id == division.id,
                                                                    Participation.user_id == user.id)) is None:
                    db.session.add(Participation(contest_id=contest.id, division_id=division.id, user_id=user.id))
            lines.append(f"  entry “{title}” -> division {code} (id {entry.id})")
        if judge is not None and not creative_ops.is_assigned(judge, entry, 1) and creative_ops.conflict_of(judge, entry) is None:
            db.session.add(JudgeAssignment(entry_id=entry.id, judge_id=judge.id, round=1, manual=False))
    db.session.commit()
    for division in divisions.values():
        if division.content == "creative":
            creative_ops.rubric(division, 1)  # the default rubric, stored
    return lines


def admit_students(contest: Contest) -> int:
    """Admit every student without a division in this contest to the division of their level."""
    divisions = {d.code: d for d in contest.divisions}
    taken = set(db.session.scalars(select(Participation.user_id).where(Participation.contest_id == contest.id)))
    added = 0
    for user in db.session.scalars(select(User).where(User.role == "student")):
        code = division_for_level(user.school_level)
        if user.id in taken or code not in divisions:
            continue
        db.session.add(Participation(contest_id=contest.id, division_id=divisions[code].id, user_id=user.id))
        added += 1
    return added


def admit_to_demo(user: User) -> None:
    """The demo contest admits every student to the division of their level (called on registration
    and import; does nothing when there is no demo contest)."""
    contest = db.session.scalar(select(Contest).where(Contest.name == DEMO_CONTEST))
    if contest is None or user.role != "student":
        return
    code = division_for_level(user.school_level)
    division = next((d for d in contest.divisions if d.code == code), None)
    if division is None:
        return
    db.session.flush()
    exists = db.session.scalar(select(Participation.id).where(Participation.contest_id == contest.id, Participation.user_id == user.id))
    if exists is None:
        db.session.add(Participation(contest_id=contest.id, division_id=division.id, user_id=user.id))


def admit_all_to_demo(users: list[User]) -> None:
    """admit_to_demo for many NEW accounts at once (the bulk import): one look-up of the demo contest,
    no flush per account. New accounts have no participation yet, so none is checked for."""
    contest = db.session.scalar(select(Contest).where(Contest.name == DEMO_CONTEST))
    if contest is None:
        return
    by_code = {d.code: d for d in contest.divisions}
    for user in users:
        division = by_code.get(division_for_level(user.school_level) or "") if user.role == "student" else None
        if division is not None:
            db.session.add(Participation(contest_id=contest.id, division_id=division.id, user_id=user.id))
