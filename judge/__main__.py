"""Command line of the judge: ``python -m judge <command> ...``.

Commands live in the ``COMMANDS`` registry: ``name -> (setup(subparser), handler(args) -> int)``.
Another module adds one with :func:`command`::

    @command("verify", "check a problem package", setup=lambda p: p.add_argument("PATH"))
    def verify(args) -> int: ...

``run``: ``python -m judge run PROBLEM_DIR SOURCE [--language L] [--time-limit S] [--memory-limit MB]
[--json]`` judges one source. Exit status 0 whenever the source was judged (whatever the verdict);
2 with a one-line reason on bad input (missing folder, unknown language, unreadable file).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Handler]] = {}


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


def command(name: str, help: str, setup: Callable[[argparse.ArgumentParser], None] = lambda p: None):
    def deco(handler: Handler) -> Handler:
        COMMANDS[name] = (help, setup, handler)
        return handler

    return deco


def _setup_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("problem_dir", metavar="PROBLEM_DIR", help="problem package (Themis folder, Kattis...)")
    p.add_argument("source", metavar="SOURCE", help="the program to judge")
    p.add_argument("--language", "-l", help="language key (default: from the file extension)")
    p.add_argument("--time-limit", type=float, help="seconds of CPU per test (default: the problem's, 1)")
    p.add_argument("--memory-limit", type=int, help="MiB (default: the problem's, 256)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


@command("run", "judge a source file on a problem", _setup_run)
def run(args: argparse.Namespace) -> int:
    from judge.formats import load_problem
    from judge.judging import judge_submission
    from judge.languages import get_language, language_for_file, source_of_file
    from judge.problem import ProblemError
    from judge.result import CE, JudgeResult

    if not Path(args.problem_dir).exists():
        raise UsageError(f"{args.problem_dir}: no such problem folder")
    try:
        data = Path(args.source).read_bytes()
    except OSError as exc:
        raise UsageError(f"{args.source}: cannot read ({exc.strerror})")
    try:
        lang = get_language(args.language) if args.language else language_for_file(args.source)
    except KeyError as exc:
        raise UsageError(exc.args[0])
    try:
        source = source_of_file(lang, data)  # a Scratch .sb3 -> its project.json
    except ValueError as exc:
        source, refused = "", str(exc)
    else:
        refused = ""
    if args.time_limit is not None and args.time_limit <= 0:
        raise UsageError("--time-limit must be positive")
    if args.memory_limit is not None and args.memory_limit <= 0:
        raise UsageError("--memory-limit must be positive")
    try:
        problem = load_problem(args.problem_dir)
    except ProblemError as exc:
        raise UsageError(str(exc))

    def progress(res, index, total):
        if not args.json:
            print(f"  {res.name:<20} {res.verdict:<4} {res.time:6.3f} s {res.memory:>8} KiB  {res.message}",
                  flush=True)

    if refused:  # the file cannot be a submission of this language: a compile error
        result = JudgeResult(CE, 0.0, problem.max_score, compile_output=refused)
    else:
        result = judge_submission(problem, source, lang.key, on_progress=progress,
                                  time_limit=args.time_limit, memory_limit=args.memory_limit)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        if result.compile_output.strip():
            print(result.compile_output.rstrip())
        print(f"{result.verdict}  score {result.score:g}/{result.max_score:g}  "
              f"time {result.time:.3f} s  memory {result.memory} KiB"
              + (f"  ({result.message})" if result.message else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m judge", description="Tin học trẻ judge")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help, setup, handler) in COMMANDS.items():
        p = sub.add_parser(name, help=help)
        setup(p)
        p.set_defaults(handler=handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    # optional commands from other modules register themselves on import
    for module in ("judge.verify",):
        try:
            __import__(module)
        except ImportError:
            pass
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
