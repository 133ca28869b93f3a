"""Import of external scores: a division judged elsewhere sends its scores as an XLSX or CSV file.

All or nothing: the whole file is read and every row checked first; one bad row refuses the file, and
the organiser gets every error with its row number (as a spreadsheet shows it, header = row 1) and the
column header as written in the file. Only a clean file is stored, in one transaction, and it replaces
the earlier imported scores of the same users in that division (other users' imported scores stay).
One audit row per import records who, the file, the reason and each user's score before and after.

Columns (first row = header; Vietnamese or English, any order, case and diacritics ignored):
  Tên đăng nhập | username          identifies the contestant, or else
  Họ và tên + Trường | full_name + school
                                    both, matched exactly (case and spacing ignored) among the
                                    contestants of the division
  Điểm | score                      required: a number ≥ 0 (decimal comma accepted: "7,5"), at most
                                    the division's maximum when it is known (division_max_score)
A row with a username uses it; a row with an empty username falls back to name + school when the file
has those columns.

CSV: UTF-8 with or without BOM; the delimiter (comma, semicolon or tab) is the one the header line uses
most, so "7,5" in a semicolon file stays one cell.
"""
from __future__ import annotations

import csv
import io
import math
import unicodedata
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..models import Division, EntryMember, ExternalScore, Participation, Problem, School, User, audit, utcnow
from .accounts import ascii_fold
from .exports import FINAL_STATES, division_state
from .student_import import ImportError_, RowError, _read_rows as _read_xlsx_or_csv

COLUMNS = {
    "username": ["tên đăng nhập", "tài khoản", "username", "user", "login"],
    "full_name": ["họ và tên", "họ tên", "full_name", "full name", "name"],
    "school": ["trường", "school"],
    "score": ["điểm", "tổng điểm", "điểm thi", "score", "total", "points"],
}
_LOOKUP = {ascii_fold(alias): key for key, aliases in COLUMNS.items() for alias in aliases}
DELIMITERS = (",", ";", "\t")
CREATIVE_MAX = 100.0  # creative products are scored on 0..100 (ScoreSheet.total)


class ScoreImportError(ImportError_):
    """The file as a whole is unusable (format, size, header), or the division cannot take scores."""


@dataclass
class ScoreRow:
    row: int
    user_id: int
    username: str
    score: float


@dataclass
class ImportResult:
    stored: list[ScoreRow] = field(default_factory=list)
    replaced: int = 0  # how many of them had an earlier imported score


def _norm(text) -> str:
    """Case, spacing and Unicode form ignored; diacritics kept ('Lê' and 'Lệ' stay different)."""
    return " ".join(unicodedata.normalize("NFC", str(text or "")).split()).casefold()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def division_max_score(division: Division) -> float | None:
    """The highest score possible in the division, or None when unknown.

    Programming: the sum of its problems' max_score (None when it has no problems, as when it was
    judged elsewhere). Creative: 100, the scale of the rubric totals.
    """
    if division.content == "creative":
        return CREATIVE_MAX
    total = db.session.scalar(select(func.sum(Problem.max_score)).where(Problem.division_id == division.id))
    return float(total) if total else None


def _read_csv(filename: str, data: bytes) -> list[list]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScoreImportError(str(_l("Tệp CSV “%(f)s” không phải UTF-8 (byte %(pos)s). Hãy lưu lại với bảng mã UTF-8.", f=filename, pos=exc.start)))
    first = text.splitlines()[0] if text else ""
    delimiter = max(DELIMITERS, key=first.count)
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _read(filename: str, data: bytes) -> list[list]:
    if filename.lower().endswith(".csv"):
        return _read_csv(filename, data)
    try:
        return _read_xlsx_or_csv(filename, data)
    except ImportError_ as exc:
        raise ScoreImportError(str(exc))


def _parse_score(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = _cell_text(value).replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def _division_members(division: Division) -> set[int]:
    """User ids of the contestants of a division: participants, and creative team members."""
    ids = set(db.session.scalars(select(Participation.user_id).where(Participation.division_id == division.id)))
    ids |= set(db.session.scalars(select(EntryMember.user_id).where(EntryMember.division_id == division.id)))
    return ids


def parse_scores(division: Division, filename: str, data: bytes, max_bytes: int, max_rows: int) -> tuple[list[ScoreRow], list[RowError]]:
    """Read and check a whole file against a division. Returns (rows, errors); no errors = importable.

    Raises ScoreImportError when the file itself is unusable (too big, wrong type, no header, missing
    columns) or when the division's results are locked (scores would not reach the frozen tally).
    Checks per row: the contestant exists (unknown username / no such name at that school), is one
    person (the same name twice at one school is ambiguous: use usernames), belongs to the division,
    appears once in the file (the later row is reported, naming the first), and the score is a number,
    not negative, not above division_max_score.
    """
    if division_state(division.id) in FINAL_STATES:
        raise ScoreImportError(str(_l("Kết quả bảng %(d)s đã khoá: hãy mở khoá trước khi nhập điểm.", d=division.code)))
    if len(data) > max_bytes:
        raise ScoreImportError(str(_l("Tệp quá lớn: %(n)s KiB, tối đa %(m)s KiB.", n=len(data) // 1024, m=max_bytes // 1024)))
    if not data:
        raise ScoreImportError(str(_l("Tệp rỗng.")))
    rows = _read(filename, data)
    while rows and all(_cell_text(c) == "" for c in rows[-1]):
        rows.pop()
    if not rows:
        raise ScoreImportError(str(_l("Tệp không có dòng tiêu đề.")))
    header = [_cell_text(c) for c in rows[0]]
    mapping: dict[str, int] = {}
    for i, text in enumerate(header):
        key = _LOOKUP.get(ascii_fold(text))
        if key and key not in mapping:
            mapping[key] = i
    by_name = "full_name" in mapping and "school" in mapping
    if "score" not in mapping or not ("username" in mapping or by_name):
        raise ScoreImportError(str(_l("Dòng tiêu đề (dòng 1) cần cột “Điểm” và cột “Tên đăng nhập” (hoặc hai cột “Họ và tên” và “Trường”). Đã thấy: %(cols)s.",
                                      cols=", ".join(f"“{h}”" for h in header if h) or "—")))
    body = rows[1:]
    if len(body) > max_rows:
        raise ScoreImportError(str(_l("Tệp có %(n)s dòng, tối đa %(m)s.", n=len(body), m=max_rows)))
    if not any(any(_cell_text(c) for c in r) for r in body):
        raise ScoreImportError(str(_l("Tệp không có dòng điểm nào (chỉ có dòng tiêu đề).")))
    col = {key: header[i] for key, i in mapping.items()}

    members = _division_members(division)
    users_by_name: dict[str, User] = {}
    if "username" in mapping:
        wanted = {_cell_text(r[mapping["username"]]).lower() for r in body if mapping["username"] < len(r)}
        wanted.discard("")
        users_by_name = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(wanted)))} if wanted else {}
    people: dict[tuple[str, str], list[User]] = {}
    if by_name:
        for u, school_name in db.session.execute(select(User, School.name).join(School, User.school_id == School.id)):
            people.setdefault((_norm(u.full_name), _norm(school_name)), []).append(u)
    maximum = division_max_score(division)

    def cell(r: list, key: str):
        i = mapping.get(key)
        return r[i] if i is not None and i < len(r) else None

    out: list[ScoreRow] = []
    errors: list[RowError] = []
    seen: dict[int, int] = {}
    for n, r in enumerate(body, start=2):
        if all(_cell_text(c) == "" for c in r):
            continue
        user: User | None = None
        username = _cell_text(cell(r, "username")).lower()
        name, school = _cell_text(cell(r, "full_name")), _cell_text(cell(r, "school"))
        if username:
            user = users_by_name.get(username)
            if user is None:
                errors.append(RowError(n, col["username"], str(_l("Không có tài khoản “%(u)s”.", u=username))))
            where = col["username"]
        elif by_name and name and school:
            where = col["full_name"]
            found = people.get((_norm(name), _norm(school)), [])
            inside = [u for u in found if u.id in members]
            if len(inside) > 1 or (not inside and len(found) > 1):
                errors.append(RowError(n, where, str(_l("Có %(k)s thí sinh tên “%(n)s” ở trường “%(s)s” (%(us)s): hãy dùng cột “Tên đăng nhập”.",
                                                      k=len(inside or found), n=name, s=school, us=", ".join(sorted(u.username for u in (inside or found)))))))
            elif inside or found:
                user = (inside or found)[0]
            else:
                errors.append(RowError(n, where, str(_l("Không có thí sinh “%(n)s” ở trường “%(s)s”. Kiểm tra chính tả (có dấu) hoặc dùng cột “Tên đăng nhập”.", n=name, s=school))))
        else:
            where = col.get("username") or col["full_name"]
            missing = str(_l("Thiếu tên đăng nhập.")) if not by_name else str(_l("Thiếu tên đăng nhập, hoặc họ và tên cùng trường."))
            errors.append(RowError(n, where, missing))
        if user is not None:
            if user.id not in members:
                errors.append(RowError(n, where, str(_l("“%(u)s” (%(n)s) không thi bảng %(d)s.", u=user.username, n=user.full_name, d=division.code))))
            elif user.id in seen:
                errors.append(RowError(n, where, str(_l("“%(u)s” đã có ở dòng %(r)s.", u=user.username, r=seen[user.id]))))
            else:
                seen[user.id] = n

        raw = cell(r, "score")
        score = _parse_score(raw)
        if _cell_text(raw) == "":
            errors.append(RowError(n, col["score"], str(_l("Thiếu điểm."))))
        elif score is None:
            errors.append(RowError(n, col["score"], str(_l("“%(v)s” không phải một số.", v=_cell_text(raw)))))
        elif score < 0:
            errors.append(RowError(n, col["score"], str(_l("Điểm %(v)s âm.", v=_cell_text(raw)))))
        elif maximum is not None and score > maximum + 1e-9:
            errors.append(RowError(n, col["score"], str(_l("Điểm %(v)s lớn hơn điểm tối đa của bảng %(d)s (%(m)s).", v=_cell_text(raw), d=division.code, m=f"{maximum:g}"))))
        if user is not None and score is not None:
            out.append(ScoreRow(n, user.id, user.username, score))
    if errors:
        out = []
    return out, errors


def store_scores(division: Division, rows: list[ScoreRow], by: User | None, filename: str, reason: str = "") -> ImportResult:
    """Write checked rows: each user's earlier imported score in the division is replaced. Adds one
    audit row (action "results.import_scores", target "division:<id>") with before/after per username.
    The caller commits."""
    existing = {s.user_id: s for s in db.session.scalars(select(ExternalScore).where(
        ExternalScore.division_id == division.id, ExternalScore.user_id.in_([r.user_id for r in rows])))}
    before: dict[str, float | None] = {}
    after: dict[str, float] = {}
    result = ImportResult(stored=rows)
    now = utcnow()
    for r in rows:
        old = existing.get(r.user_id)
        before[r.username] = old.score if old else None
        after[r.username] = r.score
        if old is None:
            db.session.add(ExternalScore(division_id=division.id, user_id=r.user_id, score=r.score,
                                         imported_by=by.id if by else None, imported_at=now))
        else:
            result.replaced += 1
            old.score, old.imported_by, old.imported_at = r.score, (by.id if by else None), now
    audit(by, "results.import_scores", f"division:{division.id}", file=filename, reason=reason,
          count=len(rows), replaced=result.replaced, before=before, after=after)
    return result
