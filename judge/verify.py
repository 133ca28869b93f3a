"""``python -m judge verify PACKAGE [--json]``: judge every example submission of a package and
compare with what its folder says it should get (problemtools' rules, simplified).

Example submissions live in ``submissions/<expected>/`` (one file per program)::

    accepted              verdict AC and the full score
    partially_accepted    a score strictly between 0 and the maximum
    wrong_answer          verdict WA
    time_limit_exceeded   verdict TLE
    run_time_error        verdict RE — a memory-limit (MLE) or output-limit (OLE) overrun counts too
    memory_limit_exceeded verdict MLE;  output_limit_exceeded: verdict OLE
    rejected              anything but AC with the full score

A file whose language the judge does not know is listed as *skipped*, not failed.  The exit status
is 0 iff every judged submission matched (and at least one accepted submission ran).

**Time limit.**  When the package gives none (Kattis legacy has no time-limit key),
the accepted submissions are run first with a generous probe limit; the time limit is then the
slowest accepted test's CPU time (divided by the language's own time multiplier) × the package's
time multiplier (legacy ``time_multiplier``, default 5; 2023-07 ``ac_to_time_limit``, default 2),
rounded up to whole seconds — as problemtools does — and it is written to ``.judge-timelimit`` in
the package folder (``--no-write`` to skip) so that later loads (and the web app) use it.

**Package checks first.**  A program checker that does not compile stops the verification with a
``ProblemError`` naming the checker source.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from judge.formats import load_problem
from judge.formats.kattis import write_time_limit
from judge.problem import Problem, ProblemError

PROBE_TIME_LIMIT = 10.0  # seconds: accepted submissions' limit while the time limit is unknown
EPS = 1e-6

# expected folder -> predicate(verdict, score, max_score)
EXPECTATIONS: dict[str, Callable[[str, float, float], bool]] = {
    "accepted": lambda v, s, m: v == "AC" and s >= m - EPS,
    "partially_accepted": lambda v, s, m: v not in ("CE", "SE") and EPS < s < m - EPS,
    "wrong_answer": lambda v, s, m: v == "WA",
    "time_limit_exceeded": lambda v, s, m: v == "TLE",
    "run_time_error": lambda v, s, m: v in ("RE", "RTE", "MLE", "OLE"),
    "memory_limit_exceeded": lambda v, s, m: v == "MLE",
    "output_limit_exceeded": lambda v, s, m: v == "OLE",
    "rejected": lambda v, s, m: not (v == "AC" and s >= m - EPS),
}
ORDER = list(EXPECTATIONS)


@dataclass
class SubmissionReport:
    file: str  # relative to submissions/
    expected: str
    status: str  # "ok" | "FAIL" | "skipped"
    verdict: str = ""
    score: float = 0.0
    max_score: float = 0.0
    slowest_test: str = ""
    slowest_time: float = 0.0
    note: str = ""

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self).items()}


@dataclass
class VerifyReport:
    package: str
    format: str = ""
    time_limit: float = 0.0
    time_limit_source: str = ""  # "package" | "computed"
    error: str = ""
    submissions: list[SubmissionReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        judged = [s for s in self.submissions if s.status != "skipped"]
        return (not self.error and all(s.status == "ok" for s in judged)
                and any(s.expected == "accepted" for s in judged))

    def to_dict(self) -> dict:
        return {
            "package": self.package, "format": self.format, "ok": self.ok,
            "time_limit": self.time_limit, "time_limit_source": self.time_limit_source,
            "error": self.error, "submissions": [s.to_dict() for s in self.submissions],
        }


def find_submissions(problem: Problem) -> list[tuple[str, Path]]:
    """(expected, path) of every example submission, accepted ones first, in a stable order."""
    out: list[tuple[str, Path]] = []
    root = problem.submissions_dir
    if root is None or not root.is_dir():
        return out
    for cat in sorted((d for d in root.iterdir() if d.is_dir()), key=lambda d: (ORDER.index(d.name) if d.name in ORDER else 99, d.name)):
        for f in sorted(cat.iterdir()):
            if not f.name.startswith("."):
                out.append((cat.name, f))
    return out


def _slowest(result) -> tuple[str, float]:
    ran = [t for t in result.tests if t.verdict != "SK"]
    if not ran:
        return "", 0.0
    t = max(ran, key=lambda t: t.time)
    return t.name, t.time


def verify_package(path: str | Path | Problem, *, write: bool = True,
                   on_report: Callable[[SubmissionReport], None] | None = None) -> VerifyReport:
    """Verify a package given by its path (folder or zip) or as an already loaded Problem.

    A zip is extracted (safely) into a temporary folder that is removed afterwards."""
    if not isinstance(path, Problem) and Path(path).is_file():
        import tempfile

        with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
            try:
                problem = load_problem(path, extract_to=tmp)
            except ProblemError as exc:
                return VerifyReport(package=str(path), error=str(exc))
            report = _verify(problem, write=False, on_report=on_report)
            report.package = str(path)
            return report
    return _verify(path, write=write, on_report=on_report)


def _verify(path: str | Path | Problem, *, write: bool,
            on_report: Callable[[SubmissionReport], None] | None) -> VerifyReport:
    from judge.judging import judge_submission
    from judge import result as R
    from judge.languages import language_for_source, source_of_file
    from judge.program_checkers import compile_checker

    report = VerifyReport(package=str(path.path if isinstance(path, Problem) else path))
    try:
        problem = path if isinstance(path, Problem) else load_problem(path)
        report.format = f"{problem.format} {problem.version}".strip()
        compile_checker(problem)
    except ProblemError as exc:
        report.error = str(exc)
        return report

    subs = find_submissions(problem)
    if not subs:
        report.error = f"{problem.path / 'submissions'}: no example submissions (need submissions/accepted/...)"
        return report
    root = problem.submissions_dir
    assert root is not None

    def emit(r: SubmissionReport) -> None:
        report.submissions.append(r)
        if on_report is not None:
            on_report(r)

    jobs = []
    for expected, f in subs:
        rel = str(f.relative_to(root))
        if expected not in EXPECTATIONS:
            emit(SubmissionReport(rel, expected, "skipped", note=f"unknown expectation folder {expected!r}"))
            continue
        if f.is_dir():
            emit(SubmissionReport(rel, expected, "skipped", note="multi-file submissions are not supported"))
            continue
        try:
            lang = language_for_source(f, f.read_bytes()[:200])
        except KeyError as exc:
            emit(SubmissionReport(rel, expected, "skipped", note=str(exc.args[0])))
            continue
        jobs.append((expected, f, rel, lang))

    def judge_one(expected, f, rel, lang, time_limit):
        try:
            source = source_of_file(lang, f.read_bytes())  # a Scratch .sb3 -> its project.json
        except ValueError as exc:
            res = R.JudgeResult(R.CE, 0.0, problem.max_score, compile_output=str(exc))
        else:
            res = judge_submission(problem, source, lang.key, time_limit=time_limit)
        name, t = _slowest(res)
        # problemtools' semantics: the package's aggregate verdict, not the contestant-facing one
        good = EXPECTATIONS[expected](res.package_verdict or res.verdict, res.score, res.max_score)
        note = res.message or (res.compile_output.strip().splitlines()[-1] if res.verdict == "CE" and res.compile_output.strip() else "")
        return res, SubmissionReport(rel, expected, "ok" if good else "FAIL", res.verdict, res.score,
                                     res.max_score, name, t, note), lang

    accepted = [j for j in jobs if j[0] == "accepted"]
    rest = [j for j in jobs if j[0] != "accepted"]
    if problem.time_limit_from_package:
        report.time_limit, report.time_limit_source = problem.time_limit, "package"
        for j in jobs:
            emit(judge_one(*j, problem.time_limit)[1])
        return report

    # No time limit in the package: accepted submissions first, with a probe limit.
    slowest = 0.0
    for j in accepted:
        res, rep, lang = judge_one(*j, PROBE_TIME_LIMIT)
        emit(rep)
        if rep.status == "ok":
            slowest = max([slowest] + [t.time / lang.time_multiplier for t in res.tests if t.verdict != "SK"])
    if not any(s.status == "ok" for s in report.submissions if s.expected == "accepted"):
        report.error = "no accepted submission was accepted: cannot compute the time limit"
        return report
    limit = float(max(1, math.ceil(slowest * problem.time_multiplier - 1e-9)))
    problem.time_limit = limit
    problem.time_limit_from_package = False
    report.time_limit, report.time_limit_source = limit, "computed"
    if write:
        write_time_limit(problem.path, limit)
    for j in rest:
        emit(judge_one(*j, limit)[1])
    return report


def verify_problem(problem: Problem | str | Path, *, write: bool = True) -> VerifyReport:
    """The web app's entry point: same as :func:`verify_package`; ``report.to_dict()["ok"]``
    tells whether every example submission got what its folder says, ``time_limit`` and
    ``time_limit_source`` ("package" or "computed") the time limit to store."""
    return verify_package(problem, write=write)


def format_table(report: VerifyReport) -> str:
    rows = [("file", "expected", "got", "score", "slowest test", "")]
    for s in report.submissions:
        if s.status == "skipped":
            rows.append((s.file, s.expected, "skipped", "", "", s.note))
            continue
        slow = f"{s.slowest_test} {s.slowest_time:.3f}s" if s.slowest_test else ""
        rows.append((s.file, s.expected, s.verdict, f"{s.score:g}/{s.max_score:g}", slow,
                     ("ok" if s.status == "ok" else "MISMATCH") + (f"  {s.note}" if s.note and s.status != "ok" else "")))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [f"{report.package}  [{report.format}]"]
    if report.time_limit:
        lines.append(f"time limit {report.time_limit:g} s ({report.time_limit_source})")
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[5])
    if report.error:
        lines.append(f"error: {report.error}")
    lines.append("OK" if report.ok else "FAILED")
    return "\n".join(lines)


def _setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("package", metavar="PACKAGE", help="problem package folder or zip (Kattis, Themis)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-write", action="store_true", help="do not write a computed time limit into the package")


def handle(args: argparse.Namespace) -> int:
    if not Path(args.package).exists():
        print(f"error: {args.package}: no such package", file=sys.stderr)
        return 2
    report = verify_package(args.package, write=not args.no_write)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(format_table(report))
    return 0 if report.ok else 1


def _register() -> None:
    mods = [m for m in (sys.modules.get("__main__"), sys.modules.get("judge.__main__"))
            if m is not None and hasattr(m, "COMMANDS") and hasattr(m, "command")]
    if not mods:
        import judge.__main__ as m

        mods = [m]
    for m in mods:
        m.command("verify", "judge a package's example submissions and compare with their folders", _setup)(handle)


_register()
