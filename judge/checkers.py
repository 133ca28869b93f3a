"""The registry of output checkers.

``CHECKERS[kind]`` is a callable::

    checker(input_path: Path, answer_path: Path, output: bytes, flags: dict, context: CheckContext)
        -> CheckResult(accepted: bool, score: float, message: str)

* ``input_path``: the test's input file (on the host; checkers never run in the contestant's box);
* ``answer_path``: the judge's answer file;
* ``output``: what the program produced (``TASK.OUT`` if it wrote it, else its stdout), at most the
  output limit;
* ``flags``: ``problem.checker.flags`` (e.g. float tolerances, added by other checkers);
* ``context``: :class:`CheckContext` (problem, test, a per-submission ``cache`` dict where a checker
  may keep e.g. a compiled checker binary).

It returns ``accepted`` and ``score`` — the fraction 0..1 of the test's points (1.0 when accepted for
pass/fail checkers) — and a short message for the jury. A checker that cannot do its work (missing
file, crashed checker program) raises :class:`CheckerError`: that is a system error, never the
contestant's fault.

Built in:

* ``default``: token comparison, whitespace-insensitive. Both texts are split on runs of ASCII
  whitespace (space, tab, CR, LF, VT, FF); the output is accepted iff the two token lists are equal.
* ``exact``: byte comparison after normalising line ends (CRLF → LF) and ignoring trailing newlines
  at the very end of both texts; anything else (spaces, blank lines inside) must match exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple


class CheckResult(NamedTuple):
    accepted: bool
    score: float  # fraction 0..1
    message: str = ""


class CheckerError(Exception):
    """The checker itself failed: a judge fault (SE)."""


@dataclass
class CheckContext:
    problem: Any = None  # judge.problem.Problem
    test: Any = None  # judge.problem.TestCase
    cache: dict = field(default_factory=dict)  # lives as long as one submission's judging


Checker = Callable[[Path, Path, bytes, dict, CheckContext], CheckResult]

CHECKERS: dict[str, Checker] = {}


def register(kind: str, checker: Checker) -> Checker:
    CHECKERS[kind] = checker
    return checker


def _read_answer(answer_path: Path) -> bytes:
    try:
        return Path(answer_path).read_bytes()
    except OSError as exc:
        raise CheckerError(f"cannot read the answer file {answer_path}: {exc.strerror}") from exc


def _describe_difference(out: list[bytes], ans: list[bytes]) -> str:
    for i, (a, b) in enumerate(zip(out, ans)):
        if a != b:
            return f"token {i + 1}: expected {_short(b)}, got {_short(a)}"
    if len(out) < len(ans):
        return f"output ends after {len(out)} tokens, expected {len(ans)}"
    return f"{len(out) - len(ans)} extra tokens after the expected {len(ans)}"


def _short(token: bytes) -> str:
    text = token.decode("utf-8", "replace")
    return repr(text if len(text) <= 40 else text[:37] + "...")


def token_checker(input_path: Path, answer_path: Path, output: bytes, flags: dict,
                  context: CheckContext) -> CheckResult:
    """Accepted iff ``output.split() == answer.split()`` (bytes.split splits on ASCII whitespace)."""
    ans = _read_answer(answer_path).split()
    out = output.split()
    if out == ans:
        return CheckResult(True, 1.0, "ok")
    return CheckResult(False, 0.0, _describe_difference(out, ans))


def _normalise_exact(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").rstrip(b"\n")


def exact_checker(input_path: Path, answer_path: Path, output: bytes, flags: dict,
                  context: CheckContext) -> CheckResult:
    """Accepted iff the texts are equal after CRLF → LF and removing trailing newlines at the end."""
    ans = _normalise_exact(_read_answer(answer_path))
    out = _normalise_exact(output)
    if out == ans:
        return CheckResult(True, 1.0, "ok")
    out_lines, ans_lines = out.split(b"\n"), ans.split(b"\n")
    for i, (a, b) in enumerate(zip(out_lines, ans_lines)):
        if a != b:
            return CheckResult(False, 0.0, f"line {i + 1}: expected {_short(b)}, got {_short(a)}")
    return CheckResult(False, 0.0, f"{len(out_lines)} lines, expected {len(ans_lines)}")


register("default", token_checker)
register("exact", exact_checker)


def get_checker(kind: str) -> Checker:
    try:
        return CHECKERS[kind]
    except KeyError:
        raise CheckerError(f"unknown checker kind {kind!r} (known: {', '.join(CHECKERS)})") from None


# The Kattis default validator's flags and the program checkers (kattis, themis, testlib) are
# defined in judge.program_checkers (packages side); importing it registers them here.
from judge import program_checkers as _program_checkers  # noqa: E402,F401
