"""The orchestrator: compile a submission and run it on every test of a problem, in one container.

Public API (used by the web app's worker)::

    judge_submission(problem, source, language, *, on_progress=None, time_limit=None,
                     memory_limit=None) -> JudgeResult

``on_progress(test_result, index, total)`` is called after each test that ran, with ``index`` the
0-based position of the test in ``problem.tests()`` and ``total = len(problem.tests())``.

Per test (effective CPU limit ``T = time_limit × language.time_multiplier``):

* the verdict is decided by the problem's grader, with rules written once for standard and
  interactive runs (:mod:`judge.graders.base`): MLE (memory of the whole container, see
  docs/sandbox.md) → TLE → MLE (out-of-memory marker) → OLE → RE → the checker's AC / WA;
* the output checked is ``problem.output_file`` (Themis ``TASK.OUT``) if the program wrote it, else
  its stdout; the input is on stdin and, when ``problem.input_file`` is set, also in that file.

The submission's score and problemtools' aggregate verdict (``package_verdict``) come from
:func:`judge.grading.run_tree` (groups, subtasks, the ``break`` policy); without that module, flat
scoring: every test equal, ``score = max_score × accepted / total``. The verdict shown is
:func:`judge.result.overall_verdict`: AC only with full marks, else the first failed test's.

A submission runs in a container of :func:`judge.sandbox.acquire`: a fresh one, or (unless
``JUDGE_REUSE_SUBMISSIONS=0``) the one the previous submission of this worker used, reset and proven
clean first (docs/sandbox.md, "Containers kept between submissions").

A request the runner's protocol cannot carry (:class:`~judge.sandbox.RequestRefused`: over
``REQUEST_MAX`` bytes, a TAB, newline or NUL in a field), whether building the compilation or a
test's run, makes the submission CE with the refusal as its message ("cannot be compiled / run
here"), never SE.

A judge fault (:class:`~judge.sandbox.SandboxError`, :class:`~judge.checkers.CheckerError`) is
retried once in a fresh container (the faulty one is discarded), then reported as SE; it is never
blamed on the contestant.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from judge import result as R
from judge.checkers import CheckContext, CheckerError
from judge.graders import grader_for
from judge.graders.base import (BASE_ENV, RUN_ENV, cpu_time, memory_exceeded, memory_kib,  # noqa: F401
                                signal_name, wall_limit)
from judge.program_checkers import close_checkers
from judge.languages import PROG_DIR, Language, get_language
from judge.problem import Problem, TestCase
from judge.result import JudgeResult, TestResult
from judge import sandbox
from judge.sandbox import (COMPILER_UID, RequestRefused, RunLimits, Sandbox,  # noqa: F401
                           SandboxError)

try:  # group aggregation, owned by the packages side
    from judge import grading as _grading
except ImportError:  # pragma: no cover - flat scoring fallback
    _grading = None

COMPILE_MESSAGE_CAP = 64 * 1024  # bytes of compiler output kept
MAX_SOURCE_BYTES = 4 << 20  # a larger source is a CE without starting a container

ProgressCallback = Callable[[TestResult, int, int], None]


@dataclass
class CompileLimits:
    """Limits of the compilation step (it runs in the submission's own container)."""

    cpu: float = 30.0  # seconds
    wall: float = 30.0  # seconds
    memory_mib: int = 1024  # the container's memory while compiling (cgroup)
    file_size: int = 128 << 20  # largest file the compiler may write, bytes
    message_cap: int = COMPILE_MESSAGE_CAP


DEFAULT_COMPILE_LIMITS = CompileLimits()

COMPILE_ENV = {**BASE_ENV, "HOME": "/tmp", "TMPDIR": "/tmp"}


def container_memory_mib(memory_limit: int, output_limit: int, input_mib: int,
                         compile_mib: int) -> int:
    """The container's memory cgroup (= memory + swap) while compiling:
    ``max(compile_mib, memory_limit + output_limit + input_mib + 64)`` MiB (compilers need room);
    lowered to :func:`run_memory_mib` once the compilation succeeded."""
    return max(compile_mib, memory_limit + output_limit + input_mib + 64)


RUN_SLACK_MIB = 32  # the runner, the compiled program in /prog, kernel objects


def run_memory_mib(memory_limit: int, allowance_mib: int, output_limit_mib: int,
                   input_mib: int) -> int:
    """The container's hard cap while the tests run (set after the compilation):
    ``memory_limit + allowance + output_limit + input + 32`` MiB. The verdict comes from the
    measured figure (:func:`memory_kib`); this cap only stops what the 20 ms polling cannot."""
    return memory_limit + allowance_mib + output_limit_mib + input_mib + RUN_SLACK_MIB


class _Judging:
    """One attempt at judging one submission, in one container."""

    def __init__(self, problem: Problem, source: str, lang: Language, time_limit: float,
                 memory_limit: int, on_progress: ProgressCallback | None,
                 compile_limits: CompileLimits):
        self.problem = problem
        self.source = source
        self.lang = lang
        self.cpu_limit = time_limit * lang.time_multiplier
        self.memory_limit = int(memory_limit)  # MiB
        self.output_limit = int(problem.output_limit * (1 << 20))  # bytes
        self.output_limit_mib = -(-self.output_limit >> 20)  # rounded up
        self.on_progress = on_progress
        self.compile_limits = compile_limits
        self.tests = problem.tests()
        self.index = {t.name: i for i, t in enumerate(self.tests)}
        self.results: dict[str, TestResult] = {}
        self.context = CheckContext(problem=problem)
        self.src_name = lang.source_name(source)
        self.box: Sandbox | None = None
        self.grader = None

    # -- compile ------------------------------------------------------------------------------
    def compile(self) -> tuple[bool, str]:
        """Compile in /prog as the compiler uid. Returns (ok, compiler message)."""
        box = self.box
        assert box is not None
        box.put_file("source", self.source.encode("utf-8", "replace"))
        cl = self.compile_limits
        argv = self.lang.compile(self.src_name) if self.lang.compile else ["/bin/true"]
        out = box.execute(
            argv, uid=COMPILER_UID, cwd=PROG_DIR,
            limits=RunLimits(cpu=cl.cpu, wall=cl.wall, stack_mib=256, file_size=cl.file_size,
                             nofile=256),
            stdin="source", copy_as=self.src_name, stdout="pipe", pipe_to="message",
            pipe_cap=cl.message_cap, env=COMPILE_ENV,
        )
        box.remove_file("source")
        if out.exec_error:
            raise SandboxError(f"cannot start the compiler: {out.exec_error}")
        message = box.read_file("message", cl.message_cap).decode("utf-8", "replace")
        if out.pipe_bytes > cl.message_cap:
            message += f"\n[compiler output truncated at {cl.message_cap // 1024} KiB]"
        if out.limit or out.cpu > cl.cpu:
            return False, message + f"\nCompilation time limit exceeded ({cl.cpu:g} s)"
        if out.oom:
            return False, message + "\nThe compiler ran out of memory"
        if out.signal:
            return False, message + f"\nThe compiler was killed by {signal_name(out.signal)}"
        if out.exit_code != 0:
            return False, message
        return True, message

    # -- one test -----------------------------------------------------------------------------
    def run_test(self, test: TestCase) -> TestResult:
        """Run one test through the problem's grader (judge.graders: the verdict rules)."""
        if self.grader is None:
            self.grader = grader_for(self)
        return self.grader.grade(test)

    def _run_and_report(self, test: TestCase) -> TestResult:
        res = self.run_test(test)
        self.results[test.name] = res
        if self.on_progress is not None:
            self.on_progress(res, self.index[test.name], len(self.tests))
        return res

    # -- whole submission ---------------------------------------------------------------------
    def judge(self) -> JudgeResult:
        input_mib = max((os.path.getsize(t.input_path) for t in self.tests), default=0) >> 20
        mem = container_memory_mib(self.memory_limit, self.output_limit_mib, input_mib,
                                   self.compile_limits.memory_mib)
        box_mib = input_mib + self.output_limit_mib + 64
        timings: dict[str, float] = {}  # wall seconds per phase, for benchmarks and the logs
        t0 = time.perf_counter()
        try:
            box = sandbox.acquire(memory_mib=mem, box_mib=box_mib)
            try:
                self.box = box
                t1 = time.perf_counter()
                timings["start"] = t1 - t0
                try:
                    ok, message = self.compile()
                except RequestRefused as exc:  # built from the source (e.g. a class name)
                    ok, message = False, f"The source cannot be compiled here: {exc}"
                if ok:  # from here the cap is close to the limit (compilers need more)
                    box.set_memory(run_memory_mib(self.memory_limit, self.lang.memory_allowance_mib,
                                                  self.output_limit_mib, input_mib))
                t2 = time.perf_counter()
                timings["compile"] = t2 - t1
                if ok:
                    try:
                        package_verdict, score = self.grade()
                    except RequestRefused as exc:  # nothing was sent: the runner stays in step
                        ok, message = False, f"The source cannot be run here: {exc}"
                t3 = time.perf_counter()
                timings["tests"] = t3 - t2
            except BaseException:
                box.discard()  # a fault (or a bug): this container is never used again
                raise
            sandbox.release(box)
            timings["stop"] = time.perf_counter() - t3
        finally:
            close_checkers(self.context)  # checker containers started for this submission
        if not ok:
            return JudgeResult(R.CE, 0.0, self.problem.max_score, compile_output=message,
                               timings=timings)
        tests = [self.results.get(t.name) or TestResult(name=t.name, group=t.group, verdict=R.SK)
                 for t in self.tests]
        verdict = package_verdict
        if package_verdict not in (R.SE, R.CE):
            verdict = R.overall_verdict(tests, score, self.problem.max_score)
        return JudgeResult(verdict, score, self.problem.max_score, compile_output=message,
                           tests=tests, timings=timings, groups=getattr(self, "subtasks", []),
                           package_verdict=package_verdict)

    def grade(self) -> tuple[str, float]:
        if _grading is not None and hasattr(_grading, "run_tree"):
            g = _grading.run_tree(self.problem, self._run_and_report)
            self.subtasks = _grading.subtask_points(self.problem, g)
            return R.FROM_GRADING.get(g.verdict, g.verdict), g.points
        return self.flat_grade()

    def flat_grade(self) -> tuple[str, float]:
        """Every test equal: ``score = max_score × accepted / total``; first non-AC verdict."""
        results = [self._run_and_report(t) for t in self.tests]
        accepted = sum(r.verdict == R.AC for r in results)
        verdict = next((r.verdict for r in results if r.verdict != R.AC), R.AC)
        total = len(results)
        return verdict, (self.problem.max_score * accepted / total if total else 0.0)


def judge_submission(problem: Problem, source: str, language: str, *,
                     on_progress: ProgressCallback | None = None, time_limit: float | None = None,
                     memory_limit: int | None = None,
                     compile_limits: CompileLimits | None = None) -> JudgeResult:
    """Judge ``source`` written in ``language`` (a key of ``judge.languages.LANGUAGES``) on
    ``problem``. ``time_limit`` (seconds) and ``memory_limit`` (MiB) override the problem's."""
    lang = get_language(language)
    problem_message = lang.source_error(source) if lang.source_error else None
    if problem_message:
        return JudgeResult(R.CE, 0.0, problem.max_score, compile_output=problem_message)
    size = len(source.encode("utf-8", "replace"))
    if size > MAX_SOURCE_BYTES:
        return JudgeResult(R.CE, 0.0, problem.max_score,
                           compile_output=f"The source is {size} bytes, over the limit of "
                                          f"{MAX_SOURCE_BYTES // 1024} KiB")
    last: Exception | None = None
    for _attempt in range(2):  # a judge fault is retried once, in a fresh container
        job = _Judging(problem, source, lang,
                       time_limit if time_limit is not None else problem.time_limit,
                       memory_limit if memory_limit is not None else problem.memory_limit,
                       on_progress, compile_limits or DEFAULT_COMPILE_LIMITS)
        try:
            return job.judge()
        except (SandboxError, CheckerError, OSError) as exc:
            last = exc
        except Exception as exc:  # a bug of ours: the jury sees it, the worker stays up
            logging.getLogger(__name__).exception("judging failed")
            last = exc
            break
    return JudgeResult(R.SE, 0.0, problem.max_score, message=f"{type(last).__name__}: {last}")


def judge_file(problem: Problem, source_path: str | Path, language: str | None = None,
               **kwargs) -> JudgeResult:
    """Convenience: read a source file and pick the language from its extension if not given."""
    from judge.languages import language_for_file

    source = Path(source_path).read_text(encoding="utf-8", errors="replace")
    lang = language or language_for_file(source_path).key
    return judge_submission(problem, source, lang, **kwargs)
