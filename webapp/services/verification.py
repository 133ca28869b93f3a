"""Verifying a stored problem before publishing: quick package checks plus judge.verify (which judges
the package's example solutions in Docker and takes seconds). The report is stored in
Problem.verify_report as JSON:

    {"at": ISO time (UTC), "status": "ok" | "failed" | "error" | "unavailable",
     "summary": services.statements.package_summary(...),
     "result": judge.verify.VerifyReport.to_dict() (ok, time_limit, time_limit_source, error,
               submissions: [{file, expected, status, verdict, score, max_score, slowest_time, note}]),
     "message": error text}

When the package has no time limit, judge.verify computes one from the accepted solutions
(time_limit_source "computed"); it becomes the problem's time limit here too.
"""
from __future__ import annotations

import json

from ..extensions import db
from ..models import Problem, User, audit, utcnow
from .problem_import import load_package
from .statements import package_summary


def _verifier():
    try:
        from judge.verify import verify_package
    except ImportError:
        return None
    return verify_package


def _example_count(loaded) -> int:
    try:
        from judge.verify import find_submissions

        return len(find_submissions(loaded))
    except Exception:
        return 0


def verify_available() -> bool:
    return _verifier() is not None


def run_verify(problem: Problem, user: User | None = None, on_progress=None) -> dict:
    """Verify `problem`'s stored package now; store and return the report (audited).

    Judges in Docker: called by a worker (services.package_jobs), never by the web process.
    on_progress(done, total) is called as each example submission is judged."""
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
                total, done = _example_count(loaded), []

                def on_report(_r) -> None:
                    done.append(1)
                    if on_progress is not None:
                        on_progress(len(done), max(total, len(done)))

                if on_progress is not None:
                    on_progress(0, total)
                result = json.loads(json.dumps(fn(loaded, write=False, on_report=on_report).to_dict(), default=str))
            except Exception as exc:  # e.g. Docker unavailable
                report.update(status="error", message=f"{type(exc).__name__}: {exc}")
            else:
                report.update(status="ok" if result.get("ok") else "failed", result=result)
                if result.get("error"):
                    report["message"] = result["error"]
                if result.get("time_limit_source") == "computed" and result.get("time_limit"):
                    problem.time_limit = float(result["time_limit"])
    problem.verify_report = report
    audit(user, "problem.verify", f"problem:{problem.id}", status=report.get("status"))
    db.session.commit()
    return report
