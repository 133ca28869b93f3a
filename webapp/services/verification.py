"""Verifying a stored problem before publishing: quick package checks plus judge.verify (which judges
the package's example solutions in Docker and takes seconds). The report is stored in
Problem.verify_report as JSON:

    {"at": ISO time, "status": "ok" | "failed" | "error" | "unavailable",
     "summary": services.statements.package_summary(...), "result": what judge.verify returned,
     "message": error text}

judge.verify is owned by the judge side; this adapter accepts `verify_problem(problem)` or
`verify(problem)` (a judge.problem.Problem, falling back to the package path), returning an object
with to_dict(), a dataclass, a dict, or a bool. "ok" is read from the result's `ok`/`passed` key.
"""
from __future__ import annotations

import dataclasses
import json

from ..extensions import db
from ..models import Problem, User, audit, utcnow
from .problem_import import load_package
from .statements import package_summary


def _plain(value):
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.loads(json.dumps(value, default=str))


def _verifier():
    try:
        from judge import verify as module
    except ImportError:
        return None
    return getattr(module, "verify_problem", None) or getattr(module, "verify", None)


def verify_available() -> bool:
    return _verifier() is not None


def run_verify(problem: Problem, user: User | None = None) -> dict:
    """Verify `problem`'s stored package now; store and return the report (audited)."""
    report: dict = {"at": utcnow().isoformat(timespec="seconds")}
    try:
        loaded = load_package(problem)
        report["summary"] = package_summary(loaded)
    except Exception as exc:  # the stored package no longer loads
        report.update(status="error", message=str(exc))
        loaded = None
    if loaded is not None:
        fn = _verifier()
        if fn is None:
            report["status"] = "unavailable"
        else:
            try:
                try:
                    result = fn(loaded)
                except TypeError:
                    result = fn(problem.package_path)
                plain = _plain(result)
                if isinstance(plain, bool):
                    ok = plain
                elif isinstance(plain, dict):
                    ok = bool(plain.get("ok", plain.get("passed", False)))
                else:
                    ok = False
                report.update(status="ok" if ok else "failed", result=plain)
            except Exception as exc:
                report.update(status="error", message=f"{type(exc).__name__}: {exc}")
    problem.verify_report = report
    audit(user, "problem.verify", f"problem:{problem.id}", status=report.get("status"))
    db.session.commit()
    return report
