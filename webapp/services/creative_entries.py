"""Creative entries (bảng D1/D2/D3): division settings, team entries, their files and who may see them.

Rules
- Settings: one CreativeSettings row per creative division, created with defaults by `settings_for`.
- Deadline: `CreativeSettings.deadline`, else the contest's end. From that moment (now >= deadline) an
  entry is locked: members can no longer create, edit, upload or delete. Organisers still can (every
  change is audited).
- Team: the creator plus up to max_team_size - 1 teammates, by username. Every member must be a student
  allowed in the division: already admitted to it, or passing `contests.entry_refusal` (level rule, and
  one creative division per contest); an entry admits its members to the division (Participation). A
  student belongs to at most one entry per division (EntryMember unique on division_id, user_id).
- Fields: title (required, <= 200), summary, category (CATEGORIES), mentor name/school/phone, demo video
  and repository links (http or https URLs only), and the "not previously awarded" declaration, which
  must be given.
- Files: kinds and content checks in services/uploads.py; at most max_file_mb MiB a file and
  max_entry_mb MiB for all files of an entry together, MAX_FILES files. A file is written to a temporary
  file, checked, renamed to a random name under CREATIVE_DIR, and its row committed; if the commit
  fails the file is removed. Nothing is half-stored.
- Complete: a title, a summary, the declaration, a description PDF and a product (zip or .sb3).
- Downloads: members, judges assigned to the entry (any round) and organisers; nobody else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO, Iterable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import (
    Contest,
    CreativeEntry,
    CreativeSettings,
    Division,
    EntryFile,
    EntryMember,
    JudgeAssignment,
    Participation,
    Role,
    User,
    audit,
    utcnow,
)
from . import uploads
from .contests import entry_refusal, utc_to_local

CATEGORIES = ("software", "web", "mobile", "game", "scratch", "other")
AGGREGATIONS = ("mean", "trimmed", "zscore")
FILE_KINDS = tuple(uploads.KINDS)
MAX_FILES = 20
MIB = 1024 * 1024
ENTRY_FIELDS = ("title", "summary", "category", "mentor_name", "mentor_school", "mentor_phone",
                "video_url", "repo_url", "declared_not_awarded")
SETTINGS_FIELDS = ("max_team_size", "max_file_mb", "max_entry_mb", "deadline", "judges_per_entry", "blind",
                   "aggregation", "disagreement_threshold", "two_rounds", "round2_top_k", "round2_min_score",
                   "round2_weight")
# the entries side edits these; the judging fields have one page of their own (creative.org_judging,
# services.creative_ops.save_judging_settings)
ENTRY_SETTINGS_FIELDS = ("max_team_size", "max_file_mb", "max_entry_mb", "deadline")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
PHONE_RE = re.compile(r"^[0-9+() .-]{6,32}$")


class EntryError(Exception):
    """A refused change. `message` is for people; `field` names the input at fault (or None);
    `status` is the HTTP status that fits (422 invalid, 403 not allowed / locked, 404 unknown)."""

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


# -- settings ----------------------------------------------------------------------------------------
def settings_for(division: Division) -> CreativeSettings:
    """The division's CreativeSettings row; created (flushed, not committed) with the defaults when
    missing: team of 2, 50 MiB a file, 100 MiB an entry, 3 judges an entry, mean, threshold 20."""
    row = db.session.scalar(select(CreativeSettings).where(CreativeSettings.division_id == division.id))
    if row is None:
        row = CreativeSettings(division_id=division.id, max_team_size=2, max_file_mb=50, max_entry_mb=100,
                               judges_per_entry=3, blind=False, aggregation="mean", disagreement_threshold=20.0,
                               two_rounds=False, round2_weight=1.0)
        db.session.add(row)
        db.session.flush()
    return row


def settings_problems(values: dict) -> dict[str, str]:
    """Field -> message for settings that contradict each other (each field alone is checked by the form)."""
    problems = {}
    if values.get("max_entry_mb") is not None and values.get("max_file_mb") is not None \
            and values["max_entry_mb"] < values["max_file_mb"]:
        problems["max_entry_mb"] = _("Giới hạn cho cả bài dự thi phải lớn hơn hoặc bằng giới hạn một tệp.")
    if values.get("aggregation") not in AGGREGATIONS:
        problems["aggregation"] = _("Cách tổng hợp điểm phải là một trong: %(v)s.", v=", ".join(AGGREGATIONS))
    if values.get("two_rounds") and values.get("round2_top_k") is None and values.get("round2_min_score") is None:
        problems["round2_top_k"] = _("Có vòng 2 thì hãy nhập số bài vào vòng 2 (top K) hoặc điểm tối thiểu.")
    return problems


def update_settings(division: Division, values: dict, by: User | None) -> CreativeSettings:
    """Apply `values` (keys of SETTINGS_FIELDS; deadline naive UTC or None), audit before/after, commit.
    Keys not given keep their stored value (contradictions are checked on the merged values).
    Raises EntryError on contradictory values."""
    row = settings_for(division)
    merged = {k: values[k] if k in values else getattr(row, k) for k in SETTINGS_FIELDS}
    problems = settings_problems(merged)
    if problems:
        field, message = next(iter(problems.items()))
        raise EntryError(message, field)
    before = {k: _plain(getattr(row, k)) for k in SETTINGS_FIELDS}
    for key in SETTINGS_FIELDS:
        if key in values:
            setattr(row, key, values[key])
    after = {k: _plain(getattr(row, k)) for k in SETTINGS_FIELDS}
    if before != after:
        audit(by, "creative.settings", f"division:{division.id}", before=before, after=after)
    db.session.commit()
    return row


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


# -- deadline ----------------------------------------------------------------------------------------
def deadline_of(division: Division) -> datetime:
    """Naive UTC: the division's deadline, else the contest's end."""
    row = db.session.scalar(select(CreativeSettings).where(CreativeSettings.division_id == division.id))
    return row.deadline if row is not None and row.deadline is not None else division.contest.end_at


def results_frozen(division: Division) -> bool:
    """True once the division's results are locked or published (services.results): entries no
    longer change under a fixed tally, whatever the deadline."""
    from .results import division_state

    return division_state(division).state in ("locked", "published")


def is_locked(division: Division, now: datetime | None = None) -> bool:
    """True from the deadline on (now >= deadline), or once the division's results are locked."""
    return (now or utcnow()) >= deadline_of(division) or results_frozen(division)


def locked_message(division: Division) -> str:
    if results_frozen(division) and utcnow() < deadline_of(division):
        return _("Kết quả bảng %(d)s đã khoá: bài dự thi không sửa được nữa.", d=division.code)
    local = utc_to_local(deadline_of(division), current_app.config["TIMEZONE"])
    return _("Đã hết hạn nộp sản phẩm bảng %(d)s (%(t)s): bài dự thi đã khoá, không sửa được nữa.",
             d=division.code, t=local.strftime("%d/%m/%Y %H:%M"))


def _check_open(user: User, division: Division, now: datetime | None) -> None:
    if user.has_role("organiser"):
        return
    if is_locked(division, now):
        raise EntryError(locked_message(division), status=403)


# -- who may do what ---------------------------------------------------------------------------------
def is_member(user: User, entry: CreativeEntry) -> bool:
    return any(m.user_id == user.id for m in entry.members)


def can_view(user: User, entry: CreativeEntry) -> bool:
    """The entry page with names and files: members and organisers."""
    return user.has_role("organiser") or is_member(user, entry)


def can_edit(user: User, entry: CreativeEntry, now: datetime | None = None) -> bool:
    """Organisers always; members until the deadline."""
    return user.has_role("organiser") or (is_member(user, entry) and not is_locked(entry.division, now))


def is_assigned_judge(user: User, entry: CreativeEntry) -> bool:
    return db.session.scalar(select(JudgeAssignment.id).where(
        JudgeAssignment.entry_id == entry.id, JudgeAssignment.judge_id == user.id).limit(1)) is not None


def can_download(user: User, entry: CreativeEntry) -> bool:
    """Members, judges assigned to this entry (any round) and organisers."""
    if user.has_role("organiser") or is_member(user, entry):
        return True
    return user.role == Role.JUDGE.value and is_assigned_judge(user, entry)


# -- finding entries ---------------------------------------------------------------------------------
def entries_of(user: User) -> list[CreativeEntry]:
    """The entries `user` is a member of, newest first."""
    return db.session.scalars(
        select(CreativeEntry).join(EntryMember, EntryMember.entry_id == CreativeEntry.id)
        .where(EntryMember.user_id == user.id).order_by(CreativeEntry.id.desc())
    ).all()


def entry_of(user: User, division: Division) -> CreativeEntry | None:
    return db.session.scalar(
        select(CreativeEntry).join(EntryMember, EntryMember.entry_id == CreativeEntry.id)
        .where(EntryMember.user_id == user.id, EntryMember.division_id == division.id)
    )


def division_entries(division: Division) -> list[CreativeEntry]:
    return db.session.scalars(select(CreativeEntry).where(CreativeEntry.division_id == division.id)
                              .order_by(CreativeEntry.id)).all()


def creative_divisions() -> list[Division]:
    """Every creative division, newest contest first."""
    return db.session.scalars(
        select(Division).join(Contest, Contest.id == Division.contest_id).where(Division.content == "creative")
        .order_by(Contest.start_at.desc(), Division.code)
    ).all()


def _admitted(user: User, division: Division) -> bool:
    return db.session.scalar(select(Participation.id).where(
        Participation.division_id == division.id, Participation.user_id == user.id)) is not None


def open_divisions(user: User, now: datetime | None = None) -> list[Division]:
    """Creative divisions where `user` may create an entry now: not locked, no entry of theirs yet,
    and admitted already or admissible (level rule, one creative division per contest)."""
    if user.role != Role.STUDENT.value:
        return []
    return [d for d in creative_divisions()
            if not is_locked(d, now) and entry_of(user, d) is None
            and (_admitted(user, d) or entry_refusal(user, d) is None)]


# -- completeness ------------------------------------------------------------------------------------
@dataclass
class Completeness:
    complete: bool
    missing: list[str]  # codes: title, summary, declaration, description, product


def completeness(entry: CreativeEntry) -> Completeness:
    """Complete = title, summary, declaration, a description PDF and a product (zip or .sb3)."""
    kinds = {f.kind for f in entry.files}
    missing = [code for code, ok in (
        ("title", bool(entry.title.strip())),
        ("summary", bool((entry.summary or "").strip())),
        ("declaration", entry.declared_not_awarded),
        ("description", "description" in kinds),
        ("product", bool(kinds & {"product", "sb3"})),
    ) if not ok]
    return Completeness(not missing, missing)


MISSING_LABELS = {
    "title": lambda: _("tên sản phẩm"),
    "summary": lambda: _("tóm tắt"),
    "declaration": lambda: _("cam kết chưa đoạt giải"),
    "description": lambda: _("bản thuyết minh (PDF)"),
    "product": lambda: _("sản phẩm (tệp .zip hoặc .sb3)"),
}


def missing_labels(entry: CreativeEntry) -> list[str]:
    return [MISSING_LABELS[c]() for c in completeness(entry).missing]


# -- entry fields ------------------------------------------------------------------------------------
def clean_fields(data: dict, partial: bool = False) -> dict:
    """Validate and normalise entry fields (keys of ENTRY_FIELDS). With partial=True only the given
    keys are checked and returned (PATCH); otherwise every field is returned, missing text as "" and a
    missing category as "software" (PUT, create). Raises EntryError naming the field."""
    out: dict = {}

    def text(key: str, limit: int, label: str, required: bool = False) -> None:
        if key not in data:
            if required and not partial:
                raise EntryError(_("Thiếu %(f)s.", f=label), key)
            if not partial:
                out[key] = ""  # a full update (PUT) clears what it does not give
            return
        value = data[key]
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise EntryError(_("%(f)s phải là chuỗi ký tự.", f=label), key)
        value = value.strip()
        if required and not value:
            raise EntryError(_("Hãy nhập %(f)s.", f=label), key)
        if len(value) > limit:
            raise EntryError(_("%(f)s dài quá %(n)s ký tự.", f=label, n=limit), key)
        out[key] = value

    text("title", 200, _("tên sản phẩm"), required=True)
    text("summary", 5000, _("tóm tắt"))
    text("mentor_name", 200, _("họ tên giáo viên hướng dẫn"))
    text("mentor_school", 200, _("đơn vị của giáo viên hướng dẫn"))
    text("mentor_phone", 32, _("điện thoại giáo viên hướng dẫn"))
    text("video_url", 500, _("liên kết video giới thiệu"))
    text("repo_url", 500, _("liên kết mã nguồn"))
    if "category" in data or not partial:
        category = data.get("category") or "software"
        if category not in CATEGORIES:
            raise EntryError(_("Thể loại “%(c)s” không có; chọn một trong: %(v)s.", c=category,
                               v=", ".join(CATEGORIES)), "category")
        out["category"] = category
    if out.get("mentor_phone") and not PHONE_RE.match(out["mentor_phone"]):
        raise EntryError(_("Số điện thoại chỉ gồm chữ số, dấu cách, +, -, (, ) và dấu chấm (6–32 ký tự)."),
                         "mentor_phone")
    for key, label in (("video_url", _("Liên kết video giới thiệu")), ("repo_url", _("Liên kết mã nguồn"))):
        if out.get(key) and not URL_RE.match(out[key]):
            raise EntryError(_("%(f)s phải là địa chỉ bắt đầu bằng http:// hoặc https://.", f=label), key)
    if "declared_not_awarded" in data or not partial:
        declared = data.get("declared_not_awarded")
        if isinstance(declared, str):
            declared = declared.strip().lower() in ("1", "true", "y", "yes", "on")
        if declared is not True:
            raise EntryError(_("Hãy xác nhận sản phẩm chưa từng đoạt giải cấp quốc gia hay quốc tế: "
                               "sản phẩm đã đoạt giải không được dự thi."), "declared_not_awarded")
        out["declared_not_awarded"] = True
    return out


def parse_usernames(value: str | Iterable[str] | None) -> list[str]:
    """Usernames from a list, or a string separated by commas, semicolons, spaces or lines; lower-cased,
    without repeats, in order."""
    if value is None:
        return []
    if isinstance(value, str):
        items = re.split(r"[\s,;]+", value)
    else:
        items = [str(v) for v in value]
    seen: list[str] = []
    for item in items:
        name = item.strip().lower()
        if name and name not in seen:
            seen.append(name)
    return seen


def _resolve_team(division: Division, usernames: list[str], entry: CreativeEntry | None) -> list[User]:
    """The users of `usernames` after every team rule; raises EntryError naming the first problem."""
    cap = settings_for(division).max_team_size
    if not usernames:
        raise EntryError(_("Một bài dự thi cần ít nhất một thành viên."), "teammates")
    if len(usernames) > cap:
        raise EntryError(_("Bảng %(d)s cho phép đội tối đa %(n)s thành viên (đã nhập %(m)s).",
                           d=division.code, n=cap, m=len(usernames)), "teammates")
    users = []
    for name in usernames:
        user = db.session.scalar(select(User).where(User.username == name))
        if user is None:
            raise EntryError(_("Không có tài khoản “%(u)s”.", u=name), "teammates")
        if user.role != Role.STUDENT.value:
            raise EntryError(_("%(u)s không phải tài khoản thí sinh.", u=name), "teammates")
        other = db.session.scalar(select(EntryMember).where(EntryMember.division_id == division.id,
                                                            EntryMember.user_id == user.id))
        if other is not None and (entry is None or other.entry_id != entry.id):
            raise EntryError(_("%(u)s đã là thành viên của một bài dự thi khác trong bảng %(d)s.",
                               u=name, d=division.code), "teammates")
        if not _admitted(user, division):
            reason = entry_refusal(user, division)
            if reason:
                raise EntryError(reason, "teammates")
        users.append(user)
    return users


def _set_team(entry: CreativeEntry, users: list[User]) -> None:
    wanted = {u.id for u in users}
    for m in list(entry.members):
        if m.user_id not in wanted:
            entry.members.remove(m)
    db.session.flush()
    have = {m.user_id for m in entry.members}
    for u in users:
        if u.id not in have:
            entry.members.append(EntryMember(division_id=entry.division_id, user_id=u.id))
        if not _admitted(u, entry.division):
            db.session.add(Participation(contest_id=entry.contest_id, division_id=entry.division_id, user_id=u.id))
            db.session.flush()


def create_entry(user: User, division: Division, data: dict, teammates: Iterable[str] | str | None = None,
                 staged: list[uploads.StagedFile] | None = None, now: datetime | None = None) -> CreativeEntry:
    """A student creates the team's entry: members = `user` + `teammates` (usernames). Staged files
    (from `stage_file`) are placed and committed with it, all or nothing. Commits; raises EntryError."""
    try:
        return _create_entry(user, division, data, teammates, staged or [], now)
    except BaseException:
        db.session.rollback()
        discard(staged or [])
        raise


def _create_entry(user: User, division: Division, data: dict, teammates, staged: list, now) -> CreativeEntry:
    if division.content != "creative":
        raise EntryError(_("Bảng %(d)s không phải bảng sản phẩm sáng tạo.", d=division.code), "division_id")
    if user.role != Role.STUDENT.value:
        raise EntryError(_("Chỉ thí sinh tạo bài dự thi; Ban tổ chức sửa bài của các đội."), status=403)
    _check_open(user, division, now)
    fields = clean_fields(data)
    names = [user.username] + [n for n in parse_usernames(teammates) if n != user.username]
    members = _resolve_team(division, names, None)
    entry = CreativeEntry(contest_id=division.contest_id, division_id=division.id, created_by=user.id, **fields)
    entry.division = division
    db.session.add(entry)
    db.session.flush()
    _set_team(entry, members)
    audit(user, "creative.entry.create", f"entry:{entry.id}", division=division.code,
          members=[u.username for u in members], title=entry.title)
    _commit_with_files(user, entry, staged)
    return entry


def update_entry(user: User, entry: CreativeEntry, data: dict, members: Iterable[str] | str | None = None,
                 partial: bool = False, staged: list[uploads.StagedFile] | None = None,
                 now: datetime | None = None) -> CreativeEntry:
    """Change an entry's fields (and, when `members` is given, its whole member list, usernames).
    A member editing must stay in the team. Members until the deadline; organisers always. Commits;
    on refusal nothing changes (and staged files are removed)."""
    try:
        return _update_entry(user, entry, data, members, partial, staged or [], now)
    except BaseException:
        db.session.rollback()
        discard(staged or [])
        raise


def _update_entry(user: User, entry: CreativeEntry, data: dict, members, partial: bool, staged: list,
                  now) -> CreativeEntry:
    _check_edit(user, entry, now)
    fields = clean_fields(data, partial=partial)
    before = {k: getattr(entry, k) for k in fields}
    change_team = members is not None
    if change_team:
        names = parse_usernames(members)
        if not user.has_role("organiser") and user.username not in names:
            raise EntryError(_("Bạn không thể tự xoá mình khỏi bài dự thi; hãy nhờ Ban tổ chức."), "teammates")
        team = _resolve_team(entry.division, names, entry)
        old_team = [m.user.username for m in entry.members]
        _set_team(entry, team)
    for key, value in fields.items():
        setattr(entry, key, value)
    entry.updated_at = utcnow()
    details = {"before": before, "after": fields}
    if change_team:
        details.update(members_before=old_team, members_after=[u.username for u in team])
    audit(user, "creative.entry.update", f"entry:{entry.id}", **details)
    _commit_with_files(user, entry, staged)
    return entry


def _check_edit(user: User, entry: CreativeEntry, now: datetime | None) -> None:
    if not (user.has_role("organiser") or is_member(user, entry)):
        raise EntryError(_("Bài dự thi %(i)s không phải của đội bạn.", i=entry.id), status=403)
    _check_open(user, entry.division, now)


# -- files -------------------------------------------------------------------------------------------
UPLOAD_MESSAGES = {
    "bad_kind": lambda p: _("Loại tệp “%(k)s” không có; chọn một trong: %(v)s.", k=p["kind"], v=p["kinds"]),
    "empty": lambda p: _("Tệp rỗng."),
    "file_too_big": lambda p: _("Tệp lớn quá %(n)s MiB (giới hạn mỗi tệp của bảng).", n=p["limit"] // MIB),
    "not_pdf": lambda p: _("Bản thuyết minh phải là tệp PDF thật (nội dung tệp không phải PDF; đổi đuôi tên tệp không đủ)."),
    "not_image": lambda p: _("Ảnh phải là tệp PNG hoặc JPEG (nội dung tệp không phải ảnh PNG/JPEG)."),
    "not_zip": lambda p: _("Sản phẩm phải là tệp nén .zip (hoặc .sb3 cho Scratch); nội dung tệp không phải zip."),
    "bad_zip": lambda p: _("Tệp nén bị hỏng, không đọc được; hãy nén lại rồi tải lên."),
    "zip_too_many": lambda p: _("Tệp nén có %(n)s tệp con, nhiều quá giới hạn %(m)s.", n=p["count"], m=p["limit"]),
    "zip_too_big": lambda p: _("Tệp nén khi giải nén lớn quá %(m)s MiB.", m=p["limit"] // MIB),
    "zip_bad_name": lambda p: _("Tệp nén có tên tệp con không hợp lệ: “%(m)s”.", m=p["member"]),
    "zip_absolute_path": lambda p: _("Tệp nén chứa đường dẫn tuyệt đối “%(m)s”; hãy nén lại từ bên trong thư mục dự án.",
                                     m=p["member"]),
    "zip_parent_path": lambda p: _("Tệp nén chứa đường dẫn “%(m)s” trỏ ra ngoài thư mục (..); hãy nén lại.",
                                   m=p["member"]),
    "zip_symlink": lambda p: _("Tệp nén chứa liên kết tượng trưng (symlink) “%(m)s”; hãy thay bằng tệp thật.",
                               m=p["member"]),
    "sb3_no_project": lambda p: _("Tệp .sb3 không có project.json: đây không phải dự án Scratch 3; hãy lưu lại từ Scratch."),
}


def upload_message(exc: uploads.UploadRefused) -> str:
    return UPLOAD_MESSAGES[exc.code](exc.params)


def store_dir() -> Path:
    return Path(current_app.config["CREATIVE_DIR"])


def file_path(entry_file: EntryFile) -> Path:
    """Where the file's bytes are (outside the web root; the name is random)."""
    return store_dir() / entry_file.stored_name


def stage_file(division: Division, kind: str, stream: BinaryIO, filename: str | None) -> uploads.StagedFile:
    """Copy and check one upload (per-file limit of the division). Raises EntryError (field = kind)."""
    limit = settings_for(division).max_file_mb * MIB
    try:
        return uploads.stage(stream, kind, filename, store_dir(), limit)
    except uploads.UploadRefused as exc:
        name = uploads.safe_filename(filename)
        raise EntryError(f"{name}: {upload_message(exc)}", kind if kind in FILE_KINDS else "kind")


def discard(staged: Iterable[uploads.StagedFile]) -> None:
    for s in staged:
        s.discard()


def _commit_with_files(user: User, entry: CreativeEntry, staged: list[uploads.StagedFile]) -> None:
    """Check the per-entry limits, place the staged files, commit. On any failure: roll back, remove
    every staged or placed file, re-raise. Files are in place before the commit, so a committed row
    always has its file."""
    placed: list[uploads.StagedFile] = []
    try:
        if staged:
            limits = settings_for(entry.division)
            existing = [f for f in entry.files]
            total = sum(f.size for f in existing) + sum(s.size for s in staged)
            if len(existing) + len(staged) > MAX_FILES:
                raise EntryError(_("Mỗi bài dự thi có tối đa %(n)s tệp.", n=MAX_FILES), staged[0].kind)
            if total > limits.max_entry_mb * MIB:
                raise EntryError(_("Tổng dung lượng các tệp của bài dự thi sẽ là %(t).1f MiB, quá giới hạn "
                                   "%(n)s MiB của bảng; hãy xoá bớt tệp hoặc nén nhỏ lại.",
                                   t=total / MIB, n=limits.max_entry_mb), staged[0].kind)
            for s in staged:
                uploads.place(s, store_dir())
                placed.append(s)
                entry.files.append(EntryFile(kind=s.kind, original_name=s.original_name, stored_name=s.stored_name,
                                             size=s.size, sha256=s.sha256, uploaded_by=user.id))
                audit(user, "creative.file.add", f"entry:{entry.id}", kind=s.kind, name=s.original_name,
                      size=s.size, sha256=s.sha256)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        discard(staged)
        raise


def add_files(user: User, entry: CreativeEntry, staged: list[uploads.StagedFile],
              now: datetime | None = None) -> list[EntryFile]:
    """Attach staged files to an existing entry (members before the deadline, organisers). Commits
    all or nothing; the staged files are removed when refused."""
    try:
        _check_edit(user, entry, now)
    except EntryError:
        discard(staged)
        raise
    count = len(entry.files)
    entry.updated_at = utcnow()
    _commit_with_files(user, entry, staged)
    return list(entry.files[count:])


def delete_file(user: User, entry_file: EntryFile, now: datetime | None = None) -> None:
    """Remove a file (members before the deadline, organisers): the row is deleted and committed first,
    then the bytes (a failed commit leaves both)."""
    entry = db.session.get(CreativeEntry, entry_file.entry_id)
    _check_edit(user, entry, now)
    path = file_path(entry_file)
    audit(user, "creative.file.delete", f"entry:{entry.id}", kind=entry_file.kind, name=entry_file.original_name,
          sha256=entry_file.sha256)
    entry.files.remove(entry_file)
    db.session.delete(entry_file)
    entry.updated_at = utcnow()
    db.session.commit()
    path.unlink(missing_ok=True)


def sweep_store(older_than: timedelta = timedelta(hours=6), now: datetime | None = None) -> list[str]:
    """Remove what a crash can leave in CREATIVE_DIR: temporary uploads (".upload-*.part") and placed
    files without an EntryFile row (a process killed between the rename and the commit), when last
    modified more than `older_than` ago (uploads in progress are younger). Returns the names removed."""
    root = store_dir()
    if not root.is_dir():
        return []
    cutoff = (now or datetime.now(timezone.utc)).timestamp() - older_than.total_seconds()
    known = set(db.session.scalars(select(EntryFile.stored_name)).all())
    removed = []
    for path in sorted(root.iterdir()):
        if not path.is_file() or path.stat().st_mtime > cutoff or path.name in known:
            continue
        path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed


def download_name(entry_file: EntryFile, viewer: User | None = None) -> str:
    """The file name offered on download (uploads.download_name of the uploaded name). A judge (a viewer
    who is neither an organiser nor a member) of a blind division gets `entry<id>-<kind><ext>` instead,
    so the uploaded name cannot reveal the team; <ext> is the uploaded name's extension when it is one
    of the kind's, else the kind's first."""
    name = uploads.download_name(entry_file.kind, entry_file.original_name)
    if viewer is None or viewer.has_role("organiser"):
        return name
    entry = db.session.get(CreativeEntry, entry_file.entry_id)
    if is_member(viewer, entry) or not settings_for(entry.division).blind:
        return name
    ext = next((x for x in uploads.KINDS[entry_file.kind].extensions if name.lower().endswith(x)),
               uploads.KINDS[entry_file.kind].extensions[0])
    return f"entry{entry.id}-{entry_file.kind}{ext}"


# -- results for students ----------------------------------------------------------------------------
def published_result(entry: CreativeEntry) -> dict | None:
    """{score, rank, award} of the entry in the division's published results (the frozen rows of
    services.results.division_rows: adjustments and appeals included), only once they are published;
    else None. Students see scores through this function only."""
    from .results import division_rows, is_published

    if not is_published(entry.division_id):
        return None
    for row in division_rows(entry.division_id):
        if row.get("entrant") == f"entry:{entry.id}":
            return {"score": row.get("score"), "rank": row.get("rank"), "award": row.get("award")}
    return {"score": None, "rank": None, "award": None}
