"""Bulk import of students from an XLSX or CSV file.

All or nothing: the file is parsed and every row validated first, in the request; one bad row refuses
the whole file, and the organiser gets every error with its row number and column name. A clean file is
stored by a background job on TASKS_QUEUE (`start_import` → `run_import`), so the request returns at
once and judging goes on meanwhile. The job
1. picks the usernames (reads only),
2. makes and hashes the passwords outside any transaction (the slow part; progress in Redis),
3. writes every account in ONE short transaction: all of them, or none when a username was taken
   meanwhile (the clash is named by row),
4. keeps the credentials list in Redis for IMPORT_CREDENTIALS_TTL seconds, for the organiser who
   started the import only, and hands it out once (`take_credentials`). Passwords are never stored
   in clear in the database.

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
import json
import os
import secrets
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import Role, School, SchoolLevel, User, audit
from .accounts import StudentData, ascii_fold, generate_password, make_username, validate_student
from .demo import admit_all_to_demo
from .users import password_method, username_taken

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
        raise ImportError_(str(_l("Tệp quá lớn: %(n)s KiB, tối đa %(m)s KiB.", n=len(data) // 1024, m=max_bytes // 1024)))
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
        student.row = n
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


# -- storing a validated file: a background job ------------------------------------------------------
STATE_TTL = 3600  # seconds the input and the status of an import are kept in Redis
PROGRESS_EVERY = 20  # rows between two progress reports
FINAL_STATES = ("done", "failed")


def _key(import_id: str, part: str) -> str:
    return f"student-import:{import_id}:{part}"


def job_id(import_id: str) -> str:
    return f"import-{import_id}"


def _redis():
    from .submissions import redis_conn

    return redis_conn()


def tasks_queue() -> Queue:
    """The queue of background tasks (not the judge queue: an import never waits behind judging)."""
    return Queue(current_app.config["TASKS_QUEUE"], connection=_redis(), default_timeout=900)


def _to_json(s: StudentData) -> dict:
    return {
        "row": s.row, "full_name": s.full_name, "date_of_birth": s.date_of_birth.isoformat() if s.date_of_birth else None,
        "school_level": s.school_level.value if s.school_level else None, "grade": s.grade, "school": s.school,
        "unit": s.unit, "email": s.email, "phone": s.phone, "username": s.username,
    }


def _from_json(d: dict) -> StudentData:
    return StudentData(
        row=d["row"], full_name=d["full_name"], school=d["school"], unit=d["unit"], email=d["email"], phone=d["phone"],
        date_of_birth=date.fromisoformat(d["date_of_birth"]) if d["date_of_birth"] else None,
        school_level=SchoolLevel(d["school_level"]) if d["school_level"] else None, grade=d["grade"], username=d["username"],
    )


def _set_status(conn, import_id: str, status: dict) -> None:
    conn.set(_key(import_id, "status"), json.dumps(status), ex=STATE_TTL)


def start_import(students: list[StudentData], filename: str, organiser: User) -> str:
    """Queue the storing of validated students; returns the import id. Nothing is written yet."""
    import_id = secrets.token_hex(12)
    conn = _redis()
    spec = {"owner": organiser.id, "filename": filename, "students": [_to_json(s) for s in students]}
    conn.set(_key(import_id, "input"), json.dumps(spec), ex=STATE_TTL)
    _set_status(conn, import_id, {"owner": organiser.id, "filename": filename, "state": "queued", "done": 0,
                                  "total": len(students), "error": None})
    tasks_queue().enqueue("webapp.tasks.import_students_job", import_id, job_id=job_id(import_id),
                          result_ttl=STATE_TTL, failure_ttl=STATE_TTL)
    return import_id


def tasks_workers() -> int:
    """How many RQ workers listen on TASKS_QUEUE now (0: a queued import would wait forever)."""
    from rq import Worker

    queue = tasks_queue()
    return Worker.count(connection=queue.connection, queue=queue)


def import_status(import_id: str) -> dict | None:
    """{owner, filename, state, done, total, error}; state is queued → hashing → writing → done | failed.

    An unfinished import whose job is gone or failed (e.g. its worker was killed) is reported failed
    with error code "lost": nothing was written then (the write is one transaction).
    """
    conn = _redis()
    raw = conn.get(_key(import_id, "status"))
    if raw is None:
        return None
    status = json.loads(raw)
    if status["state"] not in FINAL_STATES:
        try:
            job_state = Job.fetch(job_id(import_id), connection=conn).get_status()
        except NoSuchJobError:
            job_state = None
        if job_state in (None, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            status.update(state="failed", error={"code": "lost"})
    return status


def take_credentials(import_id: str, user_id: int) -> list[list] | None:
    """The credentials list of a finished import, for the organiser who started it, ONCE: it is deleted
    from Redis as it is handed out. None when it is not theirs, already taken or expired."""
    status = import_status(import_id)
    if status is None or status["owner"] != user_id or status["state"] != "done":
        return None
    raw = _redis().getdel(_key(import_id, "credentials"))
    return json.loads(raw) if raw is not None else None


def hash_passwords(passwords: list[str], method: str, progress=lambda done: None) -> list[str]:
    """Hash every password with `method`, on as many threads as CPUs (hashlib's scrypt releases the
    GIL), calling progress(done) every PROGRESS_EVERY hashes and at the end. No database access."""
    out: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        for h in pool.map(lambda p: generate_password_hash(p, method=method), passwords):
            out.append(h)
            if len(out) % PROGRESS_EVERY == 0 or len(out) == len(passwords):
                progress(len(out))
    return out


def store_students(students: list[StudentData], usernames: list[str], hashes: list[str], organiser_id: int,
                   filename: str) -> list[User]:
    """Write the accounts, their schools, their demo admissions and one audit row in ONE transaction
    (committed here).

    Everything that only reads or computes comes first (existing schools, the organiser, the objects);
    SQLite's write lock is taken by the first INSERT of the flush and held only for the inserts.
    Raises IntegrityError (nothing written, the caller rolls back) when a username, or a new school,
    was taken meanwhile.
    """
    schools: dict[tuple[str, str], School] = {}
    for s in students:
        key = (s.school, s.unit)
        if s.school and key not in schools:
            schools[key] = db.session.scalar(select(School).where(School.name == s.school, School.district == s.unit)) \
                or School(name=s.school, district=s.unit)
    organiser = db.session.get(User, organiser_id)
    users = [
        User(username=username, password_hash=password_hash, role=Role.STUDENT.value, full_name=s.full_name,
             date_of_birth=s.date_of_birth, school_level=s.school_level.value if s.school_level else None,
             grade=s.grade, school=schools.get((s.school, s.unit)), unit=s.unit, email=s.email, phone=s.phone)
        for s, username, password_hash in zip(students, usernames, hashes, strict=True)
    ]
    db.session.add_all(users)
    db.session.flush()  # the write lock is taken here
    admit_all_to_demo(users)
    audit(organiser, "students.import", filename, count=len(users))
    db.session.commit()
    return users


def run_import(import_id: str) -> str:
    """The job body (webapp.tasks.import_students_job). Returns the final state or error code."""
    from ..database import is_busy_error

    conn = _redis()
    raw = conn.get(_key(import_id, "input"))
    if raw is None:
        status = import_status(import_id) or {"owner": None, "filename": "", "done": 0, "total": 0}
        _set_status(conn, import_id, {**status, "state": "failed", "error": {"code": "expired"}})
        return "expired"
    spec = json.loads(raw)
    students = [_from_json(d) for d in spec["students"]]
    base = {"owner": spec["owner"], "filename": spec["filename"], "total": len(students), "error": None}

    def report(state: str, done: int, **extra) -> None:
        _set_status(conn, import_id, {**base, "state": state, "done": done, **extra})

    try:
        report("hashing", 0)
        chosen = {s.username for s in students if s.username}
        usernames = []
        for s in students:
            name = s.username or make_username(s.full_name, lambda u: u in chosen or username_taken(u))
            chosen.add(name)
            usernames.append(name)
        db.session.rollback()  # the reads are over: hold nothing while hashing
        passwords = [generate_password() for _ in students]
        hashes = hash_passwords(passwords, password_method(Role.STUDENT.value) or "scrypt",
                                lambda done: report("hashing", done))
        report("writing", len(students))
        try:
            store_students(students, usernames, hashes, spec["owner"], spec["filename"])
        except IntegrityError:
            db.session.rollback()
            taken = set(db.session.scalars(select(User.username).where(User.username.in_(usernames))))
            db.session.rollback()
            clashes = [{"row": s.row, "username": u} for s, u in zip(students, usernames) if u in taken]
            if not clashes:  # a new school was created meanwhile: running the import again will do
                report("failed", len(students), error={"code": "conflict"})
                return "conflict"
            report("failed", len(students), error={"code": "taken", "clashes": clashes})
            return "taken"
        except OperationalError as exc:
            db.session.rollback()
            if not is_busy_error(exc):
                raise
            report("failed", len(students), error={"code": "busy"})
            return "busy"
        credentials = [[s.full_name, s.grade, s.school, u, p] for s, u, p in zip(students, usernames, passwords)]
        conn.set(_key(import_id, "credentials"), json.dumps(credentials), ex=current_app.config["IMPORT_CREDENTIALS_TTL"])
        report("done", len(students), count=len(students))
        return "done"
    except Exception:
        db.session.rollback()
        report("failed", 0, error={"code": "internal"})
        raise
    finally:
        conn.delete(_key(import_id, "input"))  # the rows (names, birth dates) are not kept once used
