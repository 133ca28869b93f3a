"""Creating accounts in the database (used by registration, bulk import, the CLI and the demo)."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Role, School, User
from .accounts import StudentData


def password_method() -> str | None:
    return current_app.config.get("PASSWORD_METHOD")


def find_or_create_school(name: str, district: str = "") -> School:
    school = db.session.scalar(select(School).where(School.name == name, School.district == district))
    if school is None:
        school = School(name=name, district=district)
        db.session.add(school)
        db.session.flush()
    return school


def username_taken(username: str) -> bool:
    return db.session.scalar(select(User.id).where(User.username == username)) is not None


def create_student(data: StudentData, username: str, password: str) -> User:
    """Add (not commit) a student account from validated data."""
    user = User(
        username=username,
        role=Role.STUDENT.value,
        full_name=data.full_name,
        date_of_birth=data.date_of_birth,
        school_level=data.school_level.value if data.school_level else None,
        grade=data.grade,
        school=find_or_create_school(data.school, data.unit) if data.school else None,
        unit=data.unit,
        email=data.email,
        phone=data.phone,
    )
    user.set_password(password, password_method())
    db.session.add(user)
    return user


def create_user(username: str, password: str, role: str, **fields) -> User:
    """Add (not commit) an account of any role."""
    if role not in {r.value for r in Role}:
        raise ValueError(f"unknown role {role!r}: use one of student, judge, organiser, admin")
    user = User(username=username, role=role, **fields)
    user.set_password(password, password_method())
    db.session.add(user)
    return user
