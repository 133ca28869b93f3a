"""Database models (SQLAlchemy 2, typed). Times are stored as naive UTC datetimes.

The database is the truth: a submission exists as a row before any job about it is queued.
"""
from __future__ import annotations

import enum
from datetime import date, datetime, timezone

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Role(str, enum.Enum):
    STUDENT = "student"
    JUDGE = "judge"
    ORGANISER = "organiser"
    ADMIN = "admin"


class SchoolLevel(str, enum.Enum):
    PRIMARY = "primary"  # Tiểu học, grades 1-5
    LOWER_SECONDARY = "lower_secondary"  # THCS, grades 6-9
    UPPER_SECONDARY = "upper_secondary"  # THPT, grades 10-12


GRADES = {
    SchoolLevel.PRIMARY: range(1, 6),
    SchoolLevel.LOWER_SECONDARY: range(6, 10),
    SchoolLevel.UPPER_SECONDARY: range(10, 13),
}
LEVEL_ORDER = [SchoolLevel.PRIMARY, SchoolLevel.LOWER_SECONDARY, SchoolLevel.UPPER_SECONDARY]


class School(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(200), default="")
    __table_args__ = (UniqueConstraint("name", "district", name="uq_school_name_district"),)

    def __str__(self) -> str:
        return f"{self.name} ({self.district})" if self.district else self.name


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=Role.STUDENT.value)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    school_level: Mapped[str | None] = mapped_column(String(32))
    grade: Mapped[int | None] = mapped_column(Integer)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    unit: Mapped[str] = mapped_column(String(200), default="")  # district / youth-union branch
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    school: Mapped[School | None] = relationship()

    def set_password(self, password: str, method: str | None = None) -> None:
        self.password_hash = generate_password_hash(password, method=method or "scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    def has_role(self, *roles: str) -> bool:
        return self.role == Role.ADMIN.value or self.role in roles


class ApiToken(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user: Mapped[User] = relationship()


class Contest(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    round: Mapped[str] = mapped_column(String(16), default="city")  # city | regional | national
    start_at: Mapped[datetime] = mapped_column(DateTime)
    end_at: Mapped[datetime] = mapped_column(DateTime)
    freeze_minutes: Mapped[int] = mapped_column(Integer, default=0)
    scoring: Mapped[str] = mapped_column(String(8), default="ioi")  # ioi | icpc
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    divisions: Mapped[list["Division"]] = relationship(
        back_populates="contest", cascade="all, delete-orphan", order_by="Division.code"
    )

    def is_running(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.start_at <= now < self.end_at


class Division(db.Model):
    """A bảng: ranked separately. content is 'programming' or 'creative'."""

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    levels: Mapped[str] = mapped_column(String(100))  # comma-separated SchoolLevel values
    content: Mapped[str] = mapped_column(String(16), default="programming")
    languages: Mapped[str] = mapped_column(String(200), default="c,cpp,cpp20,python3,pascal,java")
    allow_higher: Mapped[bool] = mapped_column(Boolean, default=False)  # lower levels may enter
    self_register: Mapped[bool] = mapped_column(Boolean, default=False)
    scratch_max_mib: Mapped[int | None] = mapped_column(Integer)  # largest .sb3 upload; None = SCRATCH_MAX_BYTES

    contest: Mapped[Contest] = relationship(back_populates="divisions")
    problems: Mapped[list["Problem"]] = relationship(
        back_populates="division", cascade="all, delete-orphan", order_by="Problem.ordinal"
    )
    __table_args__ = (UniqueConstraint("contest_id", "code", name="uq_division_code"),)

    @property
    def level_list(self) -> list[str]:
        return [x for x in self.levels.split(",") if x]

    @property
    def language_list(self) -> list[str]:
        return [x for x in self.languages.split(",") if x]


class Participation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id"), index=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    division: Mapped[Division] = relationship()
    user: Mapped[User] = relationship()
    __table_args__ = (UniqueConstraint("division_id", "user_id", name="uq_participation"),)


class ProblemPackage(db.Model):
    """A problem package stored by content: its canonical archive (services.packages), keyed by sha256.
    Workers fetch it from here into their own cache; no folder is shared between hosts."""

    __tablename__ = "problem_package"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Problem(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    title_vi: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    package_path: Mapped[str] = mapped_column(String(500))  # the importing host's copy; others use package_hash
    package_hash: Mapped[str | None] = mapped_column(ForeignKey("problem_package.sha256"), index=True)
    format: Mapped[str] = mapped_column(String(16))
    time_limit: Mapped[float] = mapped_column(Float, default=1.0)
    memory_limit: Mapped[int] = mapped_column(Integer, default=256)
    max_score: Mapped[float] = mapped_column(Float, default=100.0)
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    verify_report: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    division: Mapped[Division] = relationship(back_populates="problems")

    def title(self, locale: str = "vi") -> str:
        return (self.title_en if locale == "en" and self.title_en else self.title_vi) or self.code


class SubmissionStatus(str, enum.Enum):
    QUEUED = "queued"
    JUDGING = "judging"
    DONE = "done"


class Submission(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=SubmissionStatus.QUEUED.value, index=True)
    verdict: Mapped[str | None] = mapped_column(String(8))
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    time: Mapped[float | None] = mapped_column(Float)  # seconds, max over tests
    memory: Mapped[int | None] = mapped_column(Integer)  # KiB, max over tests
    compile_output: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSON)  # full judge result (groups, subtasks)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()
    problem: Mapped[Problem] = relationship()
    tests: Mapped[list["SubmissionTest"]] = relationship(
        cascade="all, delete-orphan", order_by="SubmissionTest.index"
    )

    @property
    def queue_wait(self) -> float | None:
        """Seconds between the submission and the moment a worker started judging it."""
        if self.started_at is None:
            return None
        return (self.started_at - self.created_at).total_seconds()


class SubmissionTest(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(200), default="")
    verdict: Mapped[str] = mapped_column(String(8))
    time: Mapped[float | None] = mapped_column(Float)
    wall_time: Mapped[float | None] = mapped_column(Float)
    memory: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    __table_args__ = (UniqueConstraint("submission_id", "index", name="uq_submission_test"),)

    def to_dict(self) -> dict:
        return {"index": self.index, "name": self.name, "group": self.group, "verdict": self.verdict,
                "time": self.time, "wall_time": self.wall_time, "memory": self.memory, "score": self.score}


class Announcement(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Clarification(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id"), index=True)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()
    problem: Mapped[Problem | None] = relationship()


class AuditLog(db.Model):
    """One row for every human decision that changes results or accounts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def audit(user: User | None, action: str, target: str = "", **details) -> AuditLog:
    row = AuditLog(user_id=user.id if user else None, action=action, target=target, details=details or None)
    db.session.add(row)
    return row


# == Creative products (bảng D1/D2/D3) ============================================================
class CreativeSettings(db.Model):
    """Per creative division: team cap, upload limits, deadline, panel size, blind mode, aggregation and
    the optional second round (presentation). One row per division (created with defaults on demand)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"), unique=True)
    max_team_size: Mapped[int] = mapped_column(Integer, default=2)
    max_file_mb: Mapped[int] = mapped_column(Integer, default=50)
    max_entry_mb: Mapped[int] = mapped_column(Integer, default=100)
    deadline: Mapped[datetime | None] = mapped_column(DateTime)  # naive UTC; None = until the contest ends
    judges_per_entry: Mapped[int] = mapped_column(Integer, default=3)
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    aggregation: Mapped[str] = mapped_column(String(16), default="mean")  # mean | trimmed | zscore
    disagreement_threshold: Mapped[float] = mapped_column(Float, default=20.0)
    two_rounds: Mapped[bool] = mapped_column(Boolean, default=False)
    round2_top_k: Mapped[int | None] = mapped_column(Integer)
    round2_min_score: Mapped[float | None] = mapped_column(Float)
    round2_weight: Mapped[float] = mapped_column(Float, default=1.0)  # final = w*round2 + (1-w)*round1

    division: Mapped[Division] = relationship()


class RubricCriterion(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    max_points: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float, default=1.0)


class CreativeEntry(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id"), index=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(16), default="software")  # software|web|mobile|game|scratch|other
    mentor_name: Mapped[str] = mapped_column(String(200), default="")
    mentor_school: Mapped[str] = mapped_column(String(200), default="")
    mentor_phone: Mapped[str] = mapped_column(String(32), default="")
    video_url: Mapped[str] = mapped_column(String(500), default="")
    repo_url: Mapped[str] = mapped_column(String(500), default="")
    declared_not_awarded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    division: Mapped[Division] = relationship()
    members: Mapped[list["EntryMember"]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="EntryMember.id"
    )
    files: Mapped[list["EntryFile"]] = relationship(cascade="all, delete-orphan", order_by="EntryFile.id")


class EntryMember(db.Model):
    """A team member. (division_id, user_id) is unique: one entry per division per student."""

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("creative_entry.id"), index=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)

    entry: Mapped[CreativeEntry] = relationship(back_populates="members")
    user: Mapped[User] = relationship()
    __table_args__ = (UniqueConstraint("division_id", "user_id", name="uq_entry_member"),)


class EntryFile(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("creative_entry.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # description | product | sb3 | image
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class JudgeAssignment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("creative_entry.id"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    entry: Mapped[CreativeEntry] = relationship()
    judge: Mapped[User] = relationship()
    __table_args__ = (UniqueConstraint("entry_id", "judge_id", "round", name="uq_judge_assignment"),)


class ConflictOfInterest(db.Model):
    """A conflict a judge declares or an organiser records: with one entry, a school, or a unit."""

    id: Mapped[int] = mapped_column(primary_key=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("creative_entry.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    unit: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(16), default="declared")  # declared | organiser
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CreativePanel(db.Model):
    """The judges of a creative division in one round, chosen by the organiser. No row for a division
    and round = every account with the role judge."""

    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    judge: Mapped[User] = relationship()
    __table_args__ = (UniqueConstraint("division_id", "round", "judge_id", name="uq_creative_panel"),)


class ScoreSheet(db.Model):
    """A judge's phiếu chấm for one entry in one round. points: {criterion_id (str): points}."""

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("creative_entry.id"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    points: Mapped[dict] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted
    total: Mapped[float | None] = mapped_column(Float)  # weighted total on 0..100 when complete
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)

    entry: Mapped[CreativeEntry] = relationship()
    judge: Mapped[User] = relationship()
    __table_args__ = (UniqueConstraint("entry_id", "judge_id", "round", name="uq_score_sheet"),)


# == Results: prizes, qualifiers, publishing, appeals ==============================================
class PrizeRule(db.Model):
    """The prize rule of one division, stored as data (see services.prizes.allocate_prizes)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"), unique=True)
    rule: Mapped[dict] = mapped_column(JSON)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ContestResultSettings(db.Model):
    """Contest-wide result rules: the qualifier rule, the overall prize cap, the appeal window."""

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id"), unique=True)
    qualifier_rule: Mapped[dict | None] = mapped_column(JSON)
    overall_prize_cap: Mapped[int | None] = mapped_column(Integer)
    appeal_hours: Mapped[int] = mapped_column(Integer, default=48)


class ExternalScore(db.Model):
    """A score imported for a division judged elsewhere. Overrides the computed score of that user."""

    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    score: Mapped[float] = mapped_column(Float)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    __table_args__ = (UniqueConstraint("division_id", "user_id", name="uq_external_score"),)


class ResultAdjustment(db.Model):
    """A manual change to the tally of one entrant (award, score or qualification), with its reason."""

    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"), index=True)
    entrant: Mapped[str] = mapped_column(String(64))  # "user:<id>" or "entry:<id>"
    field: Mapped[str] = mapped_column(String(16))  # award | score | qualified
    value: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class DivisionResult(db.Model):
    """Publishing state of a division's results: draft -> locked -> published. snapshot: the tally
    (list of entrant rows) frozen at lock time; what the public pages and exports show."""

    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    snapshot: Mapped[list | None] = mapped_column(JSON)
    locked_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class Appeal(db.Model):
    """A phúc khảo request: re-marking of a problem (problem_id) or a creative entry (entry_id)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id"), index=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("creative_entry.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved | rejected
    response: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
