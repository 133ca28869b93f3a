"""Factories for creative judging tests: entries are created directly as rows (CreativeEntry +
EntryMember), schools and judges with a school or unit."""
from __future__ import annotations

from itertools import count

from webapp.extensions import db
from webapp.models import CreativeEntry, Division, EntryMember, User
from webapp.services.users import create_user, find_or_create_school

_n = count(1)


def make_entry(division: Division, members: list[User], title: str | None = None, **fields) -> CreativeEntry:
    """A team entry of `members` in a creative division (committed)."""
    entry = CreativeEntry(contest_id=division.contest_id, division_id=division.id,
                          title=title or f"Sản phẩm {next(_n)}", declared_not_awarded=True,
                          created_by=members[0].id if members else None, **fields)
    db.session.add(entry)
    db.session.flush()
    for user in members:
        db.session.add(EntryMember(entry_id=entry.id, division_id=division.id, user_id=user.id))
    db.session.commit()
    return entry


def make_student(username: str, school: str = "THCS Test", district: str = "Quận 1", unit: str = "",
                 level: str = "lower_secondary", grade: int = 7) -> User:
    user = create_user(username, "secret123", "student", full_name=f"Học sinh {username}", school_level=level,
                       grade=grade, school=find_or_create_school(school, district), unit=unit)
    db.session.commit()
    return user


def make_judge(username: str, school: str | None = None, district: str = "Quận 1", unit: str = "") -> User:
    user = create_user(username, "secret123", "judge", full_name=f"Giám khảo {username}",
                       school=find_or_create_school(school, district) if school else None, unit=unit)
    db.session.commit()
    return user
