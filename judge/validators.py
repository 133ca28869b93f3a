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


def compare(output: bytes, answer: bytes, flags: dict | None = None) -> tuple[bool, str]:
    """Compare a contestant's output with the answer file under the default-validator flags."""
    flags = flags or {}
    abs_tol, rel_tol = _tolerances(flags)
    use_float = abs_tol is not None or rel_tol is not None
    case = flags.get("case_sensitive", False)
    if flags.get("space_change_sensitive"):
        out_parts = _SPLIT.split(output)
        ans_parts = _SPLIT.split(answer)
    else:
        out_parts = [t for t in _SPLIT.split(output) if t and not t.strip(_WS) == b""]
        ans_parts = [t for t in _SPLIT.split(answer) if t and not t.strip(_WS) == b""]
    n = 0
    for o, a in zip(out_parts, ans_parts):
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
    if len(out_parts) != len(ans_parts):
        if len(out_parts) > len(ans_parts):
            extra = next((t for t in out_parts[len(ans_parts):] if t.strip(_WS)), None)
            if extra is None and not flags.get("space_change_sensitive"):
                return True, ""
            return False, f"extra output after token {n}: {_show(extra or b' ')}"
        return False, f"output ended after {n} tokens; expected more"
    return True, ""
