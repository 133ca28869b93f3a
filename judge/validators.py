"""The Kattis default output validator (token comparison with flags), written from the spec.

Flags (``validator_flags`` in problem.yaml, ``output_validator_flags`` in testdata.yaml):

* ``case_sensitive`` — tokens must match exactly; by default ASCII letters match regardless of case.
* ``space_change_sensitive`` — whitespace runs (also leading/trailing) must be identical to the
  answer's; by default whitespace only separates tokens.
* ``float_relative_tolerance ε``, ``float_absolute_tolerance ε``, ``float_tolerance ε`` (both) —
  when any is set, an answer token that is a decimal number is compared numerically: the output
  token must be a number ``s`` with ``|s − a| ≤ ε_abs`` or ``|s − a| ≤ ε_rel·|a|``.

:func:`parse_flags` turns the argument list into a dict (``ProblemError`` on an unknown or repeated
flag or a bad number); :func:`compare` returns ``(accepted, message)``.
"""
from __future__ import annotations

import math
import re
from typing import Iterator

from judge.problem import ProblemError

_WS = b" \t\n\r\f\v"
_SPLIT = re.compile(rb"([ \t\n\r\f\v]+)")
_FLOAT = re.compile(rb"^[+-]?(\d*\.\d+|\d+\.|\d+)([eE][+-]?\d+)?$")
_BOOL_FLAGS = ("case_sensitive", "space_change_sensitive")
_NUM_FLAGS = ("float_relative_tolerance", "float_absolute_tolerance", "float_tolerance")
KNOWN_FLAGS = _BOOL_FLAGS + _NUM_FLAGS


def parse_flags(args: list[str] | str | None, where: str = "validator_flags") -> dict:
    """Parse default-validator flags; ``where`` names the file for error messages."""
    if args is None:
        return {}
    if isinstance(args, str):
        args = args.split()
    flags: dict = {}
    i = 0
    while i < len(args):
        a = str(args[i])
        if a in flags or (a == "float_tolerance" and ({"float_relative_tolerance", "float_absolute_tolerance"} & flags.keys())) or (
            a in ("float_relative_tolerance", "float_absolute_tolerance") and "float_tolerance" in flags
        ):
            raise ProblemError(f"{where}: flag {a!r} given twice or together with a conflicting tolerance")
        if a in _BOOL_FLAGS:
            flags[a] = True
            i += 1
        elif a in _NUM_FLAGS:
            if i + 1 >= len(args):
                raise ProblemError(f"{where}: flag {a!r} needs a number after it")
            try:
                eps = float(args[i + 1])
            except ValueError:
                raise ProblemError(f"{where}: flag {a!r} needs a number, got {args[i + 1]!r}") from None
            if not (eps >= 0 and math.isfinite(eps)):
                raise ProblemError(f"{where}: flag {a!r} needs a non-negative number, got {args[i + 1]!r}")
            flags[a] = eps
            i += 2
        else:
            raise ProblemError(f"{where}: unknown flag {a!r} (known: {', '.join(KNOWN_FLAGS)})")
    return flags


def _tolerances(flags: dict) -> tuple[float | None, float | None]:
    t = flags.get("float_tolerance")
    return flags.get("float_absolute_tolerance", t), flags.get("float_relative_tolerance", t)


def _show(tok: bytes) -> str:
    s = tok[:40].decode("utf-8", "replace")
    return repr(s + ("…" if len(tok) > 40 else ""))


CHUNK = 1 << 16  # bytes read at a time by the streaming comparisons
_TOKEN_RUN = re.compile(rb"[^ \t\n\r\f\v]*")
_SPACE_RUN = re.compile(rb"[ \t\n\r\f\v]*")


def _chunks(source) -> Iterator[bytes]:
    """The bytes of ``source`` (bytes, or the path of a file read CHUNK bytes at a time)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield bytes(source)
        return
    with open(source, "rb") as f:
        while True:
            data = f.read(CHUNK)
            if not data:
                return
            yield data


def pieces(source, keep_space: bool = True) -> Iterator[bytes]:
    """What ``re.split(rb"([ \t\n\r\f\v]+)", data)`` returns — tokens (possibly empty at the
    ends) alternating with whitespace runs — produced while reading ``source`` (bytes or a file
    path), so that memory stays bounded by the longest piece plus one chunk, never by the whole
    text. With ``keep_space=False`` every whitespace run is yielded as ``b" "`` (not accumulated).
    """
    cur = bytearray()
    in_space = False
    for data in _chunks(source):
        pos, n = 0, len(data)
        while pos < n:
            end = (_SPACE_RUN if in_space else _TOKEN_RUN).match(data, pos).end()
            if keep_space or not in_space:
                cur += data[pos:end]
            pos = end
            if pos < n:  # the class changes here: the current piece is complete
                yield bytes(cur) if (keep_space or not in_space) else b" "
                cur = bytearray()
                in_space = not in_space
    if in_space:
        yield bytes(cur) if keep_space else b" "
        yield b""
    else:
        yield bytes(cur)


def token_batches(source) -> Iterator[list[bytes]]:
    """The tokens of ``source`` (bytes or a file path) — ``data.split()`` — in lists of at most
    one chunk's worth: each chunk is split in C, a token cut by the chunk's end is carried over."""
    carry = b""
    for data in _chunks(source):
        data = carry + data
        batch = data.split()
        carry = b""
        if batch and data[-1:] not in (b" ", b"\t", b"\n", b"\r", b"\f", b"\v"):
            carry = batch.pop()  # may continue in the next chunk
        if batch:
            yield batch
    if carry:
        yield [carry]


def tokens(source) -> Iterator[bytes]:
    """The tokens of ``source`` (bytes or a file path), streamed: ``data.split()``."""
    return (t for batch in token_batches(source) for t in batch)


def compare(output, answer, flags: dict | None = None) -> tuple[bool, str]:
    """Compare a contestant's output with the answer file under the default-validator flags.
    ``output`` and ``answer`` are bytes or file paths; both are streamed (:func:`pieces`), so the
    memory used is a small multiple of the longest token, whatever the size of the output."""
    flags = flags or {}
    abs_tol, rel_tol = _tolerances(flags)
    use_float = abs_tol is not None or rel_tol is not None
    case = flags.get("case_sensitive", False)
    sensitive = flags.get("space_change_sensitive")
    if sensitive:
        out_parts, ans_parts = pieces(output), pieces(answer)
    else:
        out_parts, ans_parts = tokens(output), tokens(answer)
    n = 0
    for a in ans_parts:
        o = next(out_parts, None)
        if o is None:
            return False, f"output ended after {n} tokens; expected more"
        is_space = a.strip(_WS) == b"" and a != b""
        if a == b"" or is_space:
            if o != a:
                return False, f"whitespace differs after token {n}"
            continue
        n += 1
        if use_float and _FLOAT.match(a):
            if not _FLOAT.match(o):
                return False, f"token {n}: expected a number like {_show(a)}, got {_show(o)}"
            s, v = float(o), float(a)
            ok = (abs_tol is not None and abs(s - v) <= abs_tol) or (rel_tol is not None and abs(s - v) <= rel_tol * abs(v))
            if not ok:
                return False, f"token {n}: {_show(o)} is too far from {_show(a)}"
            continue
        if o == a or (not case and o.lower() == a.lower()):
            continue
        return False, f"token {n}: expected {_show(a)}, got {_show(o)}"
    first = next(out_parts, None)
    if first is None:
        return True, ""
    extra = first if first.strip(_WS) else next((t for t in out_parts if t.strip(_WS)), None)
    if extra is None and not sensitive:
        return True, ""
    return False, f"extra output after token {n}: {_show(extra or b' ')}"
