"""The registry of output checkers.

``CHECKERS[kind]`` is a callable::

    checker(input_path: Path, answer_path: Path, output: bytes, flags: dict, context: CheckContext)
        -> CheckResult(accepted: bool, score: float, message: str)

* ``input_path``: the test's input file (on the host; checkers never run in the contestant's box);
* ``answer_path``: the judge's answer file;
* ``output``: what the program produced (``TASK.OUT`` if it wrote it, else its stdout), at most the
  output limit: bytes, or — for kinds registered with ``streams=True`` — the path of the host file
  holding it, so that they can stream it (:func:`read_output` gives the bytes);
* ``flags``: ``problem.checker.flags`` (e.g. float tolerances, added by other checkers);
* ``context``: :class:`CheckContext` (problem, test, a per-submission ``cache`` dict where a checker
  may keep e.g. a compiled checker binary).

It returns ``accepted`` and ``score`` — the fraction 0..1 of the test's points (1.0 when accepted for
pass/fail checkers) — and a short message for the jury. A checker that cannot do its work (missing
file, crashed checker program) raises :class:`CheckerError`: that is a system error, never the
contestant's fault.

Built in:

* ``default``: the Kattis default output validator with its flags (:mod:`judge.validators`) for a
  Kattis package or when flags are given; otherwise token comparison, whitespace-insensitive: both
  texts are split on runs of ASCII whitespace (space, tab, CR, LF, VT, FF); the output is accepted
  iff the two token lists are equal.
* ``kattis``, ``themis``, ``testlib``: programs of the package, in :mod:`judge.program_checkers`.
* ``exact``: byte comparison after normalising line ends (CRLF → LF) and ignoring trailing newlines
  at the very end of both texts; anything else (spaces, blank lines inside) must match exactly.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

from judge import validators
from judge.problem import ProblemError


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


STREAMING: set[str] = set()  # kinds that take the output as a file path (they stream it)


def register(kind: str, checker: Checker, *, streams: bool = False) -> Checker:
    """Register a checker kind; ``streams=True``: it accepts the output as the path of a host
    file (and bytes), otherwise the judge hands it the output as bytes."""
    CHECKERS[kind] = checker
    (STREAMING.add if streams else STREAMING.discard)(kind)
    return checker


def _read_answer(answer_path: Path) -> bytes:
    try:
        return Path(answer_path).read_bytes()
    except OSError as exc:
        raise CheckerError(f"cannot read the answer file {answer_path}: {exc.strerror}") from exc


def _short(token: bytes) -> str:
    text = token.decode("utf-8", "replace")
    return repr(text if len(text) <= 40 else text[:37] + "...")


def read_output(output) -> bytes:
    """The program's output as bytes: checkers receive it as bytes or as the path of a host file."""
    if isinstance(output, (bytes, bytearray)):
        return bytes(output)
    try:
        return Path(output).read_bytes()
    except OSError as exc:
        raise CheckerError(f"cannot read the output file {output}: {exc.strerror}") from exc


class _Tokens:
    """Tokens of a text taken in batches (:func:`judge.validators.token_batches`)."""

    def __init__(self, source):
        self.batches = validators.token_batches(source)
        self.buf: list[bytes] = []
        self.pos = 0  # tokens before buf

    def take(self, n: int | None = None) -> list[bytes]:
        """The next n tokens (fewer only at the end); n=None: the next batch as it comes."""
        if n is None:
            out = self.buf or next(self.batches, [])
            self.buf = []
        else:
            while len(self.buf) < n:
                batch = next(self.batches, None)
                if batch is None:
                    break
                self.buf = self.buf + batch if self.buf else batch
            out = self.buf if len(self.buf) == n else self.buf[:n]
            self.buf = [] if out is self.buf else self.buf[n:]
        self.pos += len(out)
        return out

    def count_rest(self) -> int:
        return len(self.buf) + sum(len(b) for b in self.batches)


def token_checker(input_path: Path, answer_path: Path, output, flags: dict,
                  context: CheckContext) -> CheckResult:
    """Accepted iff ``output.split() == answer.split()`` (bytes.split splits on ASCII whitespace).
    Both texts are streamed in batches of tokens (:func:`judge.validators.token_batches`), compared
    a batch at a time: the memory used is bounded by a chunk (64 KiB) and the longest token, not by
    the size of the output."""
    try:
        out, ans = _Tokens(output), _Tokens(answer_path)
        while True:
            a = ans.take()
            o = out.take(len(a)) if a else []
            if a != o:
                for i, (x, y) in enumerate(zip(o, a)):
                    if x != y:
                        return CheckResult(False, 0.0, f"token {ans.pos - len(a) + i + 1}: expected "
                                                       f"{_short(y)}, got {_short(x)}")
                done = out.pos
                return CheckResult(False, 0.0, f"output ends after {done} tokens, expected "
                                               f"{ans.pos + ans.count_rest()}")
            if not a:
                break
        extra = out.count_rest()
    except OSError as exc:
        raise CheckerError(f"cannot read the answer or the output: {exc}") from exc
    if extra:
        return CheckResult(False, 0.0, f"{extra} extra tokens after the expected {ans.pos}")
    return CheckResult(True, 1.0, "ok")


def _normalise_exact(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").rstrip(b"\n")


def exact_checker(input_path: Path, answer_path: Path, output: bytes, flags: dict,
                  context: CheckContext) -> CheckResult:
    """Accepted iff the texts are equal after CRLF → LF and removing trailing newlines at the end."""
    ans = _normalise_exact(_read_answer(answer_path))
    out = _normalise_exact(read_output(output))
    if out == ans:
        return CheckResult(True, 1.0, "ok")
    out_lines, ans_lines = out.split(b"\n"), ans.split(b"\n")
    for i, (a, b) in enumerate(zip(out_lines, ans_lines)):
        if a != b:
            return CheckResult(False, 0.0, f"line {i + 1}: expected {_short(b)}, got {_short(a)}")
    return CheckResult(False, 0.0, f"{len(out_lines)} lines, expected {len(ans_lines)}")


def default_checker(input_path: Path, answer_path: Path, output: bytes, flags: dict,
                    context: CheckContext) -> CheckResult:
    """``default``: the Kattis default output validator with its flags (:mod:`judge.validators`)
    when the problem is a Kattis package or has flags (the problem's ``checker.flags`` plus the
    test's ``output_validator_flags``); otherwise :func:`token_checker`."""
    return kattis_default_checker(input_path, answer_path, output, flags, context)


def kattis_default_checker(input_path: Path, answer_path: Path, output: bytes, flags: dict,
                           context: CheckContext) -> CheckResult:
    problem = context.problem
    test = context.test
    extra = list(getattr(test, "validator_args", []) or [])
    kattis = problem is not None and problem.format == "kattis"
    if not kattis and not flags and not extra:
        return token_checker(input_path, answer_path, output, flags, context)
    merged = dict(flags or {})
    if extra and (problem is None or extra != getattr(problem.checker, "args", None)):
        try:
            merged.update(validators.parse_flags(extra, f"output_validator_flags of {test.group or 'data'}"))
        except ProblemError as exc:
            raise CheckerError(str(exc)) from exc
    try:
        ok, message = validators.compare(output, answer_path, merged)  # both streamed
    except OSError as exc:
        raise CheckerError(f"cannot read the answer or the output: {exc}") from exc
    return CheckResult(ok, 1.0 if ok else 0.0, message or "ok")


register("default", default_checker, streams=True)
register("exact", exact_checker)


# Program checkers (kattis, themis, testlib) live in this module; they need the sandbox, so the
# module is loaded on first use instead of being imported here (no import cycle, and the built-in
# checkers above never depend on what was imported first).
PROGRAM_CHECKERS_MODULE = "judge.program_checkers"


def get_checker(kind: str) -> Checker:
    if kind not in CHECKERS:
        importlib.import_module(PROGRAM_CHECKERS_MODULE)
    try:
        return CHECKERS[kind]
    except KeyError:
        raise CheckerError(f"unknown checker kind {kind!r} (known: {', '.join(CHECKERS)})") from None
