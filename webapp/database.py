"""How the site uses its database under load: connection settings and the answer when it is busy.

SQLite (the embedded default) allows one writer at a time. Every new SQLite connection gets
- `PRAGMA busy_timeout` = DB_LOCK_TIMEOUT seconds (default 15): a writer waits for the lock instead
  of failing at once;
- `PRAGMA journal_mode=WAL`: readers never block the writer and the writer never blocks readers.
A PostgreSQL connection gets `lock_timeout` = the same number of seconds, so a request never waits
forever behind a row lock.

A request that still cannot get the database after that wait (SQLite "database is locked", PostgreSQL
lock timeout, or no free pooled connection) is answered 503 with Retry-After — a short Vietnamese page
(a GET reloads itself), or `{"error": ..., "retry_after": s}` under /api/v1 — after rolling the
session back, so nothing of it is written.
"""
from __future__ import annotations

import logging
import sqlite3

from flask import Flask, jsonify, render_template, request
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .extensions import db

RETRY_AFTER_SECONDS = 5

# SQLite result codes (primary code = extended & 0xff) meaning "another connection holds the lock"
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
# PostgreSQL SQLSTATEs: lock_not_available (lock_timeout), query_canceled (statement_timeout)
_PG_BUSY_STATES = {"55P03", "57014"}


def is_busy_error(exc: BaseException) -> bool:
    """True when `exc` means "the database is held by someone else, try again later".

    SQLite: SQLITE_BUSY / SQLITE_LOCKED ("database is locked", "database table is locked").
    PostgreSQL: SQLSTATE 55P03 (lock timeout) or 57014 (statement timeout). Anything else (a missing
    table, a disk error) is a real fault and is not hidden behind a 503.
    """
    orig = getattr(exc, "orig", exc)
    if isinstance(orig, sqlite3.OperationalError):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
        return "locked" in str(orig)
    return getattr(orig, "sqlstate", None) in _PG_BUSY_STATES


def _on_sqlite_connect(timeout_ms: int):
    def configure(dbapi_connection, _record):
        cur = dbapi_connection.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
            try:
                cur.execute("PRAGMA journal_mode = WAL")  # persistent: a no-op once the file is WAL
            except sqlite3.OperationalError as exc:  # locked right now: the next connection sets it
                logging.getLogger(__name__).warning("could not switch SQLite to WAL yet: %s", exc)
        finally:
            cur.close()

    return configure


def _on_postgres_connect(timeout_ms: int):
    def configure(dbapi_connection, _record):
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            with dbapi_connection.cursor() as cur:
                cur.execute(f"SET lock_timeout = {int(timeout_ms)}")
        finally:
            dbapi_connection.autocommit = autocommit

    return configure


def configure_engines(app: Flask) -> None:
    """Attach the connect-time settings to every engine of `app` (Flask-SQLAlchemy made them)."""
    timeout_ms = int(float(app.config.get("DB_LOCK_TIMEOUT", 15)) * 1000)
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        name = engine.dialect.name
        if name == "sqlite":
            event.listen(engine, "connect", _on_sqlite_connect(timeout_ms))
        elif name == "postgresql":
            event.listen(engine, "connect", _on_postgres_connect(timeout_ms))


def busy_response(exc: Exception):
    """The 503 answer for a request that could not get the database (see the module docstring)."""
    db.session.rollback()
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.path.startswith("/api/"):  # the API speaks English, like its other errors
        response = jsonify(error=f"The database is busy; nothing was saved. Retry in {RETRY_AFTER_SECONDS} s.",
                           retry_after=RETRY_AFTER_SECONDS)
        response.status_code = 503
        response.headers.update(headers)
        return response
    page = render_template("errors/busy.html", seconds=RETRY_AFTER_SECONDS, reload=request.method == "GET")
    return page, 503, headers


def init_database(app: Flask) -> None:
    configure_engines(app)

    @app.errorhandler(OperationalError)
    def _operational_error(exc: OperationalError):
        if not is_busy_error(exc):
            raise exc
        app.logger.warning("database busy, answered 503: %s %s: %s", request.method, request.path, exc.orig)
        return busy_response(exc)

    @app.errorhandler(PoolTimeout)
    def _pool_timeout(exc: PoolTimeout):  # every pooled connection in use for longer than pool_timeout
        app.logger.warning("no free database connection, answered 503: %s %s", request.method, request.path)
        return busy_response(exc)
