"""The verdict rules of one test, written once for every kind of run.

A grader belongs to one submission's judging (``job``: :class:`judge.judging._Judging`, which owns
the container, the language, the limits and the checker context) and turns one test into a
:class:`~judge.result.TestResult` with :meth:`BaseGrader.grade`. The subclasses only differ in how
the program is run and who decides the answer: :class:`~judge.graders.standard.StandardGrader`
(input file, output checked on the host) and
:class:`~judge.graders.interactive.InteractiveGrader` (a validator talks to the program).

Per test, with ``T = time_limit × language.time_multiplier`` and ``M`` the memory limit (MiB), the
verdict is the first that applies (:meth:`BaseGrader.limit_verdict`, then the subclass):

1. **MLE** — the container's memory cgroup killed something, or the runner killed the program at the
   memory limit (resident memory, or the polled container figure), or the memory figure
   (:func:`memory_kib`) is over ``M + language allowance`` MiB, or (native languages) ``ru_maxrss``
   is over ``M``;
2. **TLE** — the runner stopped the program at the CPU limit, or the CPU time (:func:`cpu_time`:
   user + system of every process, threads and children included) is over ``T``; or it was stopped
   at the wall limit ``2·T + 1`` s;
3. **MLE** — the program failed and printed the language's out-of-memory marker (Java's
   ``OutOfMemoryError``, Python's ``MemoryError``);
4. **OLE** — ``SIGXFSZ`` or an output file at the output limit;
5. **RE** — killed by a signal, or a non-zero exit code;
6. otherwise the answer: the checker (standard) or the validator (interactive) gives AC or WA.

So a program over both limits is MLE (memory is checked first: a program stopped at the memory
limit may also have run long). The interactive grader adds one rule before all of these: a
validator that rejected while the program was still running makes the test WA (what the program
does once its pipes close is not held against it).
"""
from __future__ import annotations

import os
import signal as signal_module

from judge import result as R
from judge.languages import Language
from judge.result import TestResult
from judge.sandbox import RunLimits

BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
RUN_ENV = {**BASE_ENV, "HOME": "/box", "TMPDIR": "/tmp", "ONLINE_JUDGE": "1"}
STDERR_HEAD = 4096  # bytes of a program's stderr read back (for out-of-memory markers)


def wall_limit(cpu_limit: float) -> float:
    """Wall-clock limit of a test: ``2 × cpu_limit + 1`` seconds (catches sleeping programs)."""
    return 2 * cpu_limit + 1


def cpu_time(out) -> float:
    """CPU seconds charged to a test: ``max(ru_utime + ru_stime of the program, tree_cpu)``, where
    tree_cpu (the container cgroup's CPU during the run, minus the runner's own) also covers
    processes the program started but never waited for."""
    return max(out.cpu, out.tree_cpu)


def output_allowance_kib(answer_bytes: int, output_limit: int) -> int:
    """How much of a test's output files is not counted as memory (they are tmpfs pages charged
    to the container): ``min(output_limit, 2 × answer + 1 MiB)``, KiB. Output far beyond the answer
    (e.g. megabytes of trailing blanks written after a memory peak) counts."""
    return min(output_limit, 2 * answer_bytes + (1 << 20)) // 1024


def memory_kib(lang: Language, out) -> int:
    """The memory figure of a run (KiB), the one its verdict uses: the container's memory cgroup
    peak during the run minus its baseline (every process, memfd and SysV shm pages, files in the
    tmpfs — see docs/sandbox.md), and for native languages at least the program's ``ru_maxrss``."""
    if out.cgroup_kib < 0:
        return out.memory_kib
    return max(out.cgroup_kib, out.memory_kib) if lang.rss_limited else out.cgroup_kib


def memory_exceeded(lang: Language, out, memory_limit: int) -> bool:
    """``memory_kib > (memory_limit + language allowance) × 1024``, where ``ru_maxrss`` is held to
    the limit alone (the allowance is the JVM's, whose ``ru_maxrss`` is not used)."""
    if lang.rss_limited and out.memory_kib > memory_limit * 1024:
        return True
    return out.cgroup_kib > (memory_limit + lang.memory_allowance_mib) * 1024


def signal_name(sig: int) -> str:
    try:
        return signal_module.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


class BaseGrader:
    """Runs one test of a submission and decides its verdict (rules in the module docstring)."""

    wall_message = "wall time over {wall:g} s"

    def __init__(self, job):
        self.job = job
        self.lang: Language = job.lang
        self.cpu_limit: float = job.cpu_limit
        self.memory_limit: int = job.memory_limit  # MiB
        self.output_limit: int = job.output_limit  # bytes

    @property
    def box(self):
        return self.job.box

    def grade(self, test) -> TestResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def run_limits(self, answer_bytes: int) -> RunLimits:
        """The limits of one run of the program."""
        lang, mem = self.lang, self.memory_limit
        return RunLimits(
            cpu=self.cpu_limit, wall=wall_limit(self.cpu_limit),
            stack_mib=mem if lang.stack_limited else 0,
            rss_mib=mem if lang.rss_limited else 0,
            memory_mib=mem + lang.memory_allowance_mib,
            output_allowance_kib=output_allowance_kib(answer_bytes, self.output_limit),
            file_size=self.output_limit, nofile=lang.nofile,
        )

    def result(self, test, out) -> TestResult:
        """The measurements of a run as a test result (verdict still to be set)."""
        return TestResult(name=test.name, group=test.group, time=cpu_time(out), wall_time=out.wall,
                          memory=memory_kib(self.lang, out),
                          exit_code=out.exit_code if out.exited else None,
                          signal=out.signal or None)

    def read_text(self, name: str) -> str:
        """The head of a file the program wrote in /io (for out-of-memory markers)."""
        return self.box.read_file(name, STDERR_HEAD).decode("utf-8", "replace")

    def output_size(self, out) -> int:
        """Bytes of the program's output (0 when it goes to a pipe)."""
        return 0

    def limit_verdict(self, out, oom_text=None) -> tuple[str, str] | None:
        """Rules 1-5 of the module docstring: (verdict, message), or None when the program ran
        within every limit and exited normally. ``oom_text()`` gives what the program printed
        (read only when needed)."""
        lang = self.lang
        if out.oom or out.limit == "memory":
            return R.MLE, "killed at the memory limit"
        if memory_exceeded(lang, out, self.memory_limit):
            return R.MLE, f"peak memory {memory_kib(lang, out)} KiB"
        if out.limit == "cpu" or cpu_time(out) > self.cpu_limit:
            return R.TLE, f"CPU time over {self.cpu_limit:g} s"
        if out.limit == "wall":
            return R.TLE, self.wall_message.format(wall=wall_limit(self.cpu_limit))
        failed = out.signal != 0 or out.exit_code != 0
        if failed and lang.mle_markers and oom_text is not None:
            text = oom_text()
            if any(m in text for m in lang.mle_markers):
                return R.MLE, "out of memory"
        if out.signal == signal_module.SIGXFSZ or self.output_size(out) >= self.output_limit:
            return R.OLE, f"output over {self.output_limit / (1 << 20):g} MiB"
        if out.signal:
            return R.RE, f"killed by {signal_name(out.signal)}"
        if out.exit_code != 0:
            return R.RE, f"exit code {out.exit_code}"
        return None
