"""Verdicts and the result objects of the judge.

A :class:`JudgeResult` is what :func:`judge.judging.judge_submission` returns; ``to_dict()`` gives
the JSON printed by ``python -m judge run --json``::

    {"verdict", "score", "max_score", "time", "memory", "compile_output",
     "tests": [{"name", "group", "verdict", "time", "wall_time", "memory", "score"}]}

``time`` is in seconds (the largest CPU time over the tests), ``memory`` in KiB (the largest peak
resident memory over the tests).
"""
from __future__ import annotations

from dataclasses import dataclass, field

AC = "AC"  # accepted
WA = "WA"  # wrong answer
TLE = "TLE"  # CPU time over the limit, or wall time over the wall limit (sleeping)
MLE = "MLE"  # peak memory over the limit, or killed by the memory cgroup
RE = "RE"  # runtime error: killed by a signal or non-zero exit code
OLE = "OLE"  # output over the output limit
CE = "CE"  # compilation error
SE = "SE"  # system error: the judge's fault, never the contestant's
SK = "SK"  # skipped: not run because an earlier test of its group failed (grading "break")

VERDICTS = (AC, WA, TLE, MLE, RE, OLE, CE, SE, SK)

VERDICT_NAMES = {
    AC: "Accepted",
    WA: "Wrong answer",
    TLE: "Time limit exceeded",
    MLE: "Memory limit exceeded",
    RE: "Runtime error",
    OLE: "Output limit exceeded",
    CE: "Compilation error",
    SE: "System error",
    SK: "Skipped",
}

# judge.grading speaks Kattis' names; these map them back to ours.
FROM_GRADING = {"RTE": RE, "JE": SE}


@dataclass
class TestResult:
    """The outcome of one test."""

    name: str
    group: str = ""
    verdict: str = SK
    time: float = 0.0  # CPU seconds, user + system
    wall_time: float = 0.0  # seconds
    memory: int = 0  # peak resident memory, KiB
    score: float = 0.0  # checker's fraction 0..1 (1 for AC, 0 otherwise unless a checker says)
    message: str = ""  # checker message, signal/exit code, ... (not in to_dict's required keys)
    exit_code: int | None = None
    signal: int | None = None

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "group": self.group,
            "verdict": self.verdict,
            "time": round(self.time, 4),
            "wall_time": round(self.wall_time, 4),
            "memory": self.memory,
            "score": self.score,
            "message": self.message,
        }


def overall_verdict(tests: list, score: float, max_score: float) -> str:
    """The submission's verdict as contestants here read it (DMOJ/VNOJ, Themis): **AC only with
    full marks** (``score ≥ max_score − 1e-9``); otherwise the verdict of the first test, in test
    order, that was not accepted (skipped tests ignored), and WA when every test that ran was
    accepted but the points are not full (partial points from a checker or a validator). The score
    is shown beside it. problemtools' own aggregate (worst error, ``first_error``, …) is kept in
    :attr:`JudgeResult.package_verdict` for ``verify``'s expectation folders."""
    if max_score > 0 and score >= max_score - 1e-9:
        return AC
    failed = next((t.verdict for t in tests if t.verdict not in (AC, SK)), None)
    if failed is not None:
        return failed
    return AC if max_score <= 0 and tests and all(t.verdict == AC for t in tests) else WA


@dataclass
class JudgeResult:
    """The outcome of one submission."""

    verdict: str
    score: float = 0.0
    max_score: float = 0.0
    compile_output: str = ""
    tests: list[TestResult] = field(default_factory=list)
    message: str = ""  # for SE: what went wrong (for the jury, not the contestant)
    # wall-clock seconds spent in each phase: start (container up), compile, tests, stop
    timings: dict = field(default_factory=dict)
    # subtasks of a scoring problem: [{name, verdict, score, max_score}] (judge.grading.subtask_points)
    groups: list[dict] = field(default_factory=list)
    # problemtools' verdict of the whole package run (judge.grading: worst error, first_error, …);
    # used by verify's expectation folders. Empty: same as verdict
    package_verdict: str = ""

    @property
    def time(self) -> float:
        """Largest CPU time over the tests that ran, seconds."""
        return max((t.time for t in self.tests), default=0.0)

    @property
    def memory(self) -> int:
        """Largest peak memory over the tests that ran, KiB."""
        return max((t.memory for t in self.tests), default=0)

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "score": round(self.score, 6),
            "max_score": self.max_score,
            "time": round(self.time, 4),
            "memory": self.memory,
            "compile_output": self.compile_output,
            "tests": [t.to_dict() for t in self.tests],
            "groups": self.groups,
            "message": self.message,
        }
