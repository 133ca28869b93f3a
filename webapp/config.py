"""Settings. Every value can be overridden by an environment variable of the same name.

| variable         | default                                   | meaning                                  |
|------------------|-------------------------------------------|------------------------------------------|
| SECRET_KEY       | generated once into instance/secret_key   | signs sessions and CSRF tokens           |
| DATABASE_URL     | sqlite:///<instance>/tinhoctre.db         | SQLAlchemy URL; postgresql+psycopg://... |
| REDIS_URL        | redis://127.0.0.1:6379/0                  | RQ queue and live progress               |
| PROBLEMS_DIR     | <instance>/problems                       | staging of uploads; this host's files    |
| PACKAGE_CACHE_DIR | <PROBLEMS_DIR>/cache                     | this host's packages by sha256, fetched from the database |
| CREATIVE_DIR     | <instance>/creative                       | creative entry files (never served as static) |
| JUDGE_QUEUE      | judge                                     | RQ queue name                            |
| TASKS_QUEUE      | tasks                                     | RQ queue of background tasks (imports)   |
| JUDGE_TIMEOUT    | 600                                       | seconds before the sweeper re-enqueues   |
| JUDGE_LEASE_SECONDS | 20                                     | a judging attempt's lease (heartbeat ×4) |
| SWEEP_QUEUED_SECONDS | 30                                    | grace before a `queued` row is re-queued |
| LOGIN_MAX_FAILS  | 5                                         | failed logins before a lock              |
| LOGIN_LOCK_SECONDS | 300                                     | how long a lock lasts                    |
| DB_LOCK_TIMEOUT | 15                                     | seconds a writer waits for the lock (PG: lock_timeout) |
| PASSWORD_METHOD  | scrypt:4096:8:1                           | hash of students' passwords (docs/passwords.md) |
| STAFF_PASSWORD_METHOD | scrypt:32768:8:1                     | hash of organisers', judges', admins' passwords |
| IMPORT_CREDENTIALS_TTL | 1800                                | seconds an import's credentials list is kept |
| LOGIN_IP_USER_MAX_FAILS | 10                                 | failed logins per (IP, username) / window |
| LOGIN_IP_MAX_FAILS | 1000                                    | failed logins per IP (all names) / window |
| LOGIN_IP_WINDOW_SECONDS | 600                                | window of the two counts above           |
| TIMEZONE         | Asia/Ho_Chi_Minh                          | times shown to people                    |
| SCRATCH_MAX_BYTES | 5242880                                  | largest Scratch .sb3 upload, bytes       |
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else from instance/secret_key (created on first run)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


class Config:
    BABEL_DEFAULT_LOCALE = "vi"
    LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024  # uploads (problem packages, import files)
    IMPORT_MAX_BYTES = 2 * 1024 * 1024
    IMPORT_MAX_ROWS = 5000
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None
    TESTING = False

    @classmethod
    def load(cls, instance_path: str) -> dict:
        """Resolve the settings for an app whose instance folder is instance_path."""
        env = os.environ.get
        values = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        values.update(
            SECRET_KEY=_secret_key(instance_path),
            SQLALCHEMY_DATABASE_URI=env("DATABASE_URL", f"sqlite:///{Path(instance_path) / 'tinhoctre.db'}"),
            REDIS_URL=env("REDIS_URL", "redis://127.0.0.1:6379/0"),
            PROBLEMS_DIR=env("PROBLEMS_DIR", str(Path(instance_path) / "problems")),
            CREATIVE_DIR=env("CREATIVE_DIR", str(Path(instance_path) / "creative")),
            PACKAGE_CACHE_DIR=env("PACKAGE_CACHE_DIR", ""),  # empty: PROBLEMS_DIR/cache (services.packages)
            JUDGE_QUEUE=env("JUDGE_QUEUE", "judge"),
            TASKS_QUEUE=env("TASKS_QUEUE", "tasks"),
            JUDGE_TIMEOUT=int(env("JUDGE_TIMEOUT", "600")),
            JUDGE_LEASE_SECONDS=int(env("JUDGE_LEASE_SECONDS", "20")),
            SWEEP_QUEUED_SECONDS=int(env("SWEEP_QUEUED_SECONDS", "30")),
            LOGIN_MAX_FAILS=int(env("LOGIN_MAX_FAILS", "5")),
            LOGIN_LOCK_SECONDS=int(env("LOGIN_LOCK_SECONDS", "300")),
            LOGIN_IP_USER_MAX_FAILS=int(env("LOGIN_IP_USER_MAX_FAILS", "10")),
            LOGIN_IP_MAX_FAILS=int(env("LOGIN_IP_MAX_FAILS", "1000")),
            LOGIN_IP_WINDOW_SECONDS=int(env("LOGIN_IP_WINDOW_SECONDS", "600")),
            TIMEZONE=env("TIMEZONE", "Asia/Ho_Chi_Minh"),
            SCRATCH_MAX_BYTES=int(env("SCRATCH_MAX_BYTES", str(5 << 20))),
            DB_LOCK_TIMEOUT=float(env("DB_LOCK_TIMEOUT", "15")),
            PASSWORD_METHOD=env("PASSWORD_METHOD", "scrypt:4096:8:1"),
            STAFF_PASSWORD_METHOD=env("STAFF_PASSWORD_METHOD", "scrypt:32768:8:1"),
            IMPORT_CREDENTIALS_TTL=int(env("IMPORT_CREDENTIALS_TTL", "1800")),
        )
        url = values["SQLALCHEMY_DATABASE_URI"]
        if url.startswith("postgres://") or url.startswith("postgresql://"):
            values["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + url.split("://", 1)[1]
        return values


class TestConfig:
    """Overrides for tests: a throw-away database, a separate Redis db, fast password hashing."""

    TESTING = True
    WTF_CSRF_ENABLED = True  # tests send the token like a browser does
    REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    JUDGE_QUEUE = "judge-test"
    TASKS_QUEUE = "tasks-test"
    PASSWORD_METHOD = "pbkdf2:sha256:1000"
    STAFF_PASSWORD_METHOD = "pbkdf2:sha256:1000"
