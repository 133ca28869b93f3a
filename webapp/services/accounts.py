"""Account rules: who may register with which school level and grade, usernames, passwords.

Pure functions (no Flask request): the registration form, the bulk import and the CLI all use them, so
the rules are stated once.
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from ..models import GRADES, SchoolLevel

USERNAME_RE = re.compile(r"^[a-z0-9_.-]{3,64}$")
PHONE_RE = re.compile(r"^\+?[0-9 .-]{8,20}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Names people write in a form or a spreadsheet, mapped to the stored value.
LEVEL_ALIASES = {
    "primary": SchoolLevel.PRIMARY,
    "tiểu học": SchoolLevel.PRIMARY,
    "tieu hoc": SchoolLevel.PRIMARY,
    "th": SchoolLevel.PRIMARY,
    "lower_secondary": SchoolLevel.LOWER_SECONDARY,
    "thcs": SchoolLevel.LOWER_SECONDARY,
    "trung học cơ sở": SchoolLevel.LOWER_SECONDARY,
    "upper_secondary": SchoolLevel.UPPER_SECONDARY,
    "thpt": SchoolLevel.UPPER_SECONDARY,
    "trung học phổ thông": SchoolLevel.UPPER_SECONDARY,
}
LEVEL_LABELS = {
    SchoolLevel.PRIMARY: _l("Tiểu học (lớp 1–5)"),
    SchoolLevel.LOWER_SECONDARY: _l("THCS (lớp 6–9)"),
    SchoolLevel.UPPER_SECONDARY: _l("THPT (lớp 10–12)"),
}


def parse_level(value: str) -> SchoolLevel | None:
    return LEVEL_ALIASES.get(unicodedata.normalize("NFC", str(value or "")).strip().lower())


def check_grade(level: SchoolLevel, grade: int) -> str | None:
    """None if grade belongs to level, else the message to show (level's grades are in GRADES)."""
    grades = GRADES[level]
    if grade not in grades:
        return str(
            _l(
                "Lớp %(grade)s không thuộc cấp %(level)s: cấp này gồm lớp %(lo)s–%(hi)s. "
                "Hãy chọn lại cấp học hoặc lớp.",
                grade=grade,
                level=LEVEL_LABELS[level],
                lo=grades.start,
                hi=grades.stop - 1,
            )
        )
    return None


def parse_date(value) -> date | None:
    """A date from a date/datetime, 'dd/mm/yyyy', 'dd-mm-yyyy' or ISO 'yyyy-mm-dd'; None if unreadable."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


@dataclass
class StudentData:
    """A student's details after validation; errors maps a field name to its message."""

    full_name: str = ""
    date_of_birth: date | None = None
    school_level: SchoolLevel | None = None
    grade: int | None = None
    school: str = ""
    unit: str = ""
    email: str | None = None
    phone: str | None = None
    username: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    row: int = 0  # the spreadsheet row it came from (bulk import), 0 otherwise


def validate_student(raw: dict, today: date | None = None) -> StudentData:
    """Check one student's details (from a form or an import row) and normalise them.

    Rules: full name, date of birth, school level, grade and school are required; the grade must belong
    to the level (Tiểu học 1–5, THCS 6–9, THPT 10–12); the birth date must be in the past and give an
    age of 5–20; email and phone are optional but must look right when given.
    """
    today = today or date.today()
    out = StudentData()
    err = out.errors

    out.full_name = " ".join(unicodedata.normalize("NFC", str(raw.get("full_name") or "")).split())
    if not out.full_name:
        err["full_name"] = str(_l("Thiếu họ và tên."))
    elif len(out.full_name) > 200:
        err["full_name"] = str(_l("Họ và tên dài quá 200 ký tự."))

    dob_raw = raw.get("date_of_birth")
    if dob_raw in (None, ""):
        err["date_of_birth"] = str(_l("Thiếu ngày sinh."))
    else:
        out.date_of_birth = parse_date(dob_raw)
        if out.date_of_birth is None:
            err["date_of_birth"] = str(_l("Ngày sinh “%(v)s” không đọc được: hãy viết dạng ngày/tháng/năm, ví dụ 05/09/2012.", v=dob_raw))
        else:
            age = (today - out.date_of_birth).days // 365
            if not 5 <= age <= 20:
                err["date_of_birth"] = str(_l("Ngày sinh %(v)s cho tuổi %(age)s, ngoài khoảng 5–20 tuổi.", v=out.date_of_birth.strftime("%d/%m/%Y"), age=age))

    level_raw = raw.get("school_level")
    if level_raw in (None, ""):
        err["school_level"] = str(_l("Thiếu cấp học."))
    else:
        out.school_level = level_raw if isinstance(level_raw, SchoolLevel) else parse_level(level_raw)
        if out.school_level is None:
            err["school_level"] = str(_l("Cấp học “%(v)s” không hợp lệ: dùng Tiểu học, THCS hoặc THPT.", v=level_raw))

    grade_raw = raw.get("grade")
    if grade_raw in (None, ""):
        err["grade"] = str(_l("Thiếu lớp."))
    else:
        try:
            out.grade = int(float(str(grade_raw).strip()))
            if str(float(str(grade_raw).strip())) != f"{out.grade}.0":
                raise ValueError
        except ValueError:
            err["grade"] = str(_l("Lớp “%(v)s” không phải là số từ 1 đến 12.", v=grade_raw))
            out.grade = None
        if out.grade is not None and out.school_level is not None:
            msg = check_grade(out.school_level, out.grade)
            if msg:
                err["grade"] = msg

    out.school = " ".join(str(raw.get("school") or "").split())
    if not out.school:
        err["school"] = str(_l("Thiếu tên trường."))
    out.unit = " ".join(str(raw.get("unit") or "").split())

    email = str(raw.get("email") or "").strip()
    if email:
        if not EMAIL_RE.match(email):
            err["email"] = str(_l("Email “%(v)s” không hợp lệ.", v=email))
        out.email = email
    phone = str(raw.get("phone") or "").strip()
    if phone:
        if not PHONE_RE.match(phone):
            err["phone"] = str(_l("Số điện thoại “%(v)s” không hợp lệ.", v=phone))
        out.phone = phone

    username = str(raw.get("username") or "").strip().lower()
    if username:
        if not USERNAME_RE.match(username):
            err["username"] = str(_l("Tên đăng nhập “%(v)s” chỉ được gồm chữ thường không dấu, số, dấu _ . - (3–64 ký tự).", v=username))
        out.username = username
    return out


def ascii_fold(text: str) -> str:
    """'Nguyễn Văn Đạt' -> 'nguyen van dat' (lower case, no diacritics)."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def make_username(full_name: str, taken) -> str:
    """Username from a full name: given name + initials of the others, then a number if taken.

    'Nguyễn Văn An' -> 'an.nv', then 'an.nv2', 'an.nv3', ... (digits in the name are ignored).
    `taken(name)` says whether a name is used.
    """
    words = re.findall(r"[a-z]+", ascii_fold(full_name)) or ["hs"]
    base = words[-1] + ("." + "".join(w[0] for w in words[:-1]) if len(words) > 1 else "")
    base = base[:56]
    if len(base) < 3:
        base = base + "hs"
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base}{n}"
    return candidate


def generate_password(length: int = 8) -> str:
    """An easy-to-type password for a child: no 0/O/1/l/I."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))
