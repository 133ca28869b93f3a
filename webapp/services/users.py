"""Creating accounts in the database (used by registration, bulk import, the CLI and the demo)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import Role, School, User, utcnow
from .accounts import StudentData


def password_method(role: str = Role.STUDENT.value) -> str | None:
    """The werkzeug hash method for a new password of an account with `role`.

    Students: PASSWORD_METHOD (scrypt N=2**12, r=8, p=1: ≈16 ms of CPU here, so 20 logins/s take a third
    of one core); staff: STAFF_PASSWORD_METHOD (werkzeug's default strength). Why that is safe:
    docs/passwords.md. Old hashes of any method keep verifying: the method is stored in the hash.
    """
    if role != Role.STUDENT.value:
        return current_app.config.get("STAFF_PASSWORD_METHOD") or current_app.config.get("PASSWORD_METHOD")
    return current_app.config.get("PASSWORD_METHOD")


def hash_password(password: str, role: str = Role.STUDENT.value) -> str:
    """The stored hash of a new password (no database access: call it outside any transaction)."""
    return generate_password_hash(password, method=password_method(role) or "scrypt")


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
    """Add (not commit) a student account from validated data. The password is hashed first, before
    anything is written (the school may be inserted): no write lock is held while hashing."""
    password_hash = hash_password(password, Role.STUDENT.value)
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
        password_hash=password_hash,
    )
    db.session.add(user)
    return user


def create_user(username: str, password: str, role: str, **fields) -> User:
    """Add (not commit) an account of any role."""
    if role not in {r.value for r in Role}:
        raise ValueError(f"unknown role {role!r}: use one of student, judge, organiser, admin")
    user = User(username=username, role=role, password_hash=hash_password(password, role), **fields)
    db.session.add(user)
    return user


@dataclass
class LoginResult:
    """user is set on success; locked_seconds > 0 when the account is locked, throttled_seconds > 0 when
    the address is throttled (services.login_throttle); in both cases nothing was checked."""

    user: User | None = None
    locked_seconds: int = 0
    throttled_seconds: int = 0


def authenticate(username: str, password: str, ip: str | None = None) -> LoginResult:
    """Check a password, with the lock shared by the site and the API (commits the counters).

    Rule: LOGIN_MAX_FAILS wrong passwords in a row lock the account for LOGIN_LOCK_SECONDS; while it
    is locked even the right password is refused; a success resets the count. With `ip`, the failed
    logins from that address are throttled too (services.login_throttle, checked first).
    """
    from . import login_throttle

    wait = login_throttle.blocked_for(ip, username)
    if wait:
        return LoginResult(throttled_seconds=wait)
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    now = utcnow()
    if user is not None and user.locked_until and user.locked_until > now:
        return LoginResult(locked_seconds=int((user.locked_until - now).total_seconds()) + 1)
    if user is not None and user.is_active and user.check_password(password):
        user.failed_logins = 0
        user.locked_until = None
        db.session.commit()
        login_throttle.record_success(ip, username)
        return LoginResult(user=user)
    login_throttle.record_failure(ip, username)
    if user is not None:
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILS"]:
            user.locked_until = now + timedelta(seconds=current_app.config["LOGIN_LOCK_SECONDS"])
            user.failed_logins = 0
        db.session.commit()
    return LoginResult()
