"""Bulk import of students from an XLSX or CSV file.

All or nothing: the file is parsed and every row validated first; one bad row refuses the whole file,
and the organiser gets every error with its row number and column name. Only a clean file is stored,
in a single transaction.

Columns (first row = header; Vietnamese or English names, any order, case-insensitive):
  Họ và tên | full_name            required
  Ngày sinh | date_of_birth        required, dd/mm/yyyy (or an Excel date)
  Cấp học   | school_level         required, Tiểu học / THCS / THPT
  Lớp       | grade                required, 1–12, must belong to the level
  Trường    | school               required
  Đơn vị    | unit                 district / youth-union branch (optional)
  Email     | email                optional
  Điện thoại| phone                optional
  Tên đăng nhập | username         optional; generated from the name when empty
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .accounts import StudentData, ascii_fold, validate_student

COLUMNS = {
    "full_name": ["họ và tên", "họ tên", "full_name", "full name", "name"],
    "date_of_birth": ["ngày sinh", "date_of_birth", "date of birth", "dob"],
    "school_level": ["cấp học", "cấp", "school_level", "school level", "level"],
    "grade": ["lớp", "grade", "class"],
    "school": ["trường", "school"],
    "unit": ["đơn vị", "quận/huyện", "unit", "district"],
    "email": ["email", "e-mail"],
    "phone": ["điện thoại", "số điện thoại", "phone"],
    "username": ["tên đăng nhập", "username"],
}
REQUIRED = ["full_name", "date_of_birth", "school_level", "grade", "school"]
_LOOKUP = {ascii_fold(alias): key for key, aliases in COLUMNS.items() for alias in aliases}


class ImportError_(Exception):
    """The file as a whole is unusable (format, size, header)."""


@dataclass
class RowError:
    row: int  # 1-based row number as shown by a spreadsheet program (header = row 1)
    column: str  # header text as written in the file
    message: str


def _read_rows(filename: str, data: bytes) -> list[list]:
    name = filename.lower()
    if name.endswith(".xlsx"):
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise ImportError_(str(_l("Tệp “%(f)s” không phải tệp Excel .xlsx hợp lệ. Hãy lưu lại bằng Excel dạng .xlsx hoặc dùng CSV UTF-8.", f=filename)))
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a damaged file
            raise ImportError_(str(_l("Không đọc được tệp Excel “%(f)s”: %(e)s", f=filename, e=exc)))
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    if name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportError_(str(_l("Tệp CSV “%(f)s” không phải UTF-8 (byte %(pos)s). Hãy lưu lại với bảng mã UTF-8.", f=filename, pos=exc.start)))
        sample = text[:4096]
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return [row for row in csv.reader(io.StringIO(text), dialect)]
    raise ImportError_(str(_l("Chỉ nhận tệp .xlsx hoặc .csv (nhận được “%(f)s”).", f=filename)))


def parse_students(
    filename: str, data: bytes, max_bytes: int, max_rows: int, taken=lambda username: False
) -> tuple[list[StudentData], list[RowError]]:
    """Parse and validate a whole file. Returns (students, errors); errors empty means importable.

    Raises ImportError_ when the file itself is unusable (too big, wrong type, missing columns).
    Duplicate usernames inside the file are reported on the later row; `taken(username)` says whether a
    username already exists in the database.
    """
    if len(data) > max_bytes:
        raise ImportError_(str(_l("Tệp quá lớn: %(n)s KB, tối đa %(m)s KB.", n=len(data) // 1024, m=max_bytes // 1024)))
    if not data:
        raise ImportError_(str(_l("Tệp rỗng.")))
    rows = _read_rows(filename, data)
    while rows and all(c in (None, "") for c in rows[-1]):
        rows.pop()
    if not rows:
        raise ImportError_(str(_l("Tệp không có dòng tiêu đề.")))
    header = [str(c or "").strip() for c in rows[0]]
    mapping: dict[int, str] = {}
    for i, text in enumerate(header):
        key = _LOOKUP.get(ascii_fold(text))
        if key:
            mapping[i] = key
    missing = [k for k in REQUIRED if k not in mapping.values()]
    if missing:
        names = ", ".join(f"“{COLUMNS[k][0].capitalize()}”" for k in missing)
        raise ImportError_(str(_l("Thiếu cột %(cols)s ở dòng tiêu đề (dòng 1).", cols=names)))
    body = rows[1:]
    if len(body) > max_rows:
        raise ImportError_(str(_l("Tệp có %(n)s dòng, tối đa %(m)s.", n=len(body), m=max_rows)))
    if not body:
        raise ImportError_(str(_l("Tệp không có học sinh nào (chỉ có dòng tiêu đề).")))
    header_of = {key: header[i] for i, key in mapping.items()}

    students: list[StudentData] = []
    errors: list[RowError] = []
    seen_usernames: dict[str, int] = {}
    for n, row in enumerate(body, start=2):
        if all(c in (None, "") for c in row):
            continue
        raw = {key: (row[i] if i < len(row) else None) for i, key in mapping.items()}
        student = validate_student(raw)
        for key, message in student.errors.items():
            errors.append(RowError(n, header_of.get(key, key), message))
        if student.username:
            if student.username in seen_usernames:
                errors.append(RowError(n, header_of["username"], str(_l("Tên đăng nhập “%(u)s” trùng với dòng %(r)s.", u=student.username, r=seen_usernames[student.username]))))
            elif taken(student.username):
                errors.append(RowError(n, header_of["username"], str(_l("Tên đăng nhập “%(u)s” đã có trong hệ thống.", u=student.username))))
            seen_usernames.setdefault(student.username, n)
        students.append(student)
    return students, errors
