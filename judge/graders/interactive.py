"""Interactive problems: the output validator and the submission talk through two pipes.

Both programs are sandboxed, each in **its own container**: the submission in the submission's
container (it never sees the input, answer or validator), the validator in the checker container
of :mod:`judge.program_checkers`.  The pipes are two FIFOs created in the checker container's io
folder and hard-linked into the submission's io folder (both live on the same host filesystem):

    validator stdout ──to_prog──▶ submission stdin
    submission stdout ──from_prog──▶ validator stdin

The validator does not open the pipes itself: a small harness of ours (``HARNESS_C``, compiled in
the checker container next to the validator) opens ``to_prog`` for writing and ``from_prog`` for
reading — in the order the runner opens the submission's stdin and stdout, so the blocking FIFO
opens pair up — plus a spare non-blocking reader of ``from_prog``, then runs the validator on
them.  While the harness lives it keeps a writer on ``to_prog`` and a reader on ``from_prog``, so
when the validator exits the submission can neither see EOF nor die of SIGPIPE yet: the harness
then asks, without any race, "does the submission still hold its end of ``from_prog``?" (a
non-blocking read: EAGAIN = yes, EOF = no), writes the answer and exits, which releases the
submission.  The two runs go on concurrently (one thread each); a submission that never flushes
or stops reading is stopped by its own CPU / wall limit.

Verdict: the rules of :mod:`judge.graders.base` (the same as a standard run), after one rule of
its own: the validator rejected (exit 43) while the submission was still running → WA (whatever
the submission does once its pipes close is not held against it). When no limit rule applies, the
validator decides: exit 42 → AC (``score.txt`` is kept for scoring problems), 43 → WA, anything
else → judge error (``CheckerError``). A request the runner's protocol cannot carry
(:class:`~judge.sandbox.RequestRefused`) is raised before either program starts; the judging turns
it into CE like a standard run's.
"""
from __future__ import annotations

import os
import threading

from judge import result as R
from judge.checkers import CheckerError
from judge.graders.base import RUN_ENV, BaseGrader, wall_limit
from judge.program_checkers import (CHECK_WALL, ENV as CHECK_ENV, _program_checker, build_key,
                                    kattis_outcome, restore_binary, save_binary)
from judge.result import TestResult
from judge.sandbox import COMPILER_UID, CONTESTANT_UID, RunLimits, SandboxError

VALIDATOR_CPU = 30.0


HARNESS_C = r"""
/* Interactive harness: harness REPORT FROM_PROG TO_PROG validator args...  (see judge/graders/interactive.py) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc < 5) return 2;
    signal(SIGPIPE, SIG_IGN);
    int w = open(argv[3], O_WRONLY);             /* pairs with the submission's stdin */
    int r = open(argv[2], O_RDONLY);             /* pairs with the submission's stdout */
    int probe = open(argv[2], O_RDONLY | O_NONBLOCK);
    if (w < 0 || r < 0 || probe < 0) { perror("harness: open"); return 2; }
    pid_t pid = fork();
    if (pid < 0) { perror("harness: fork"); return 2; }
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        if (dup2(r, 0) < 0 || dup2(w, 1) < 0) _exit(2);
        close(r); close(w); close(probe);
        execv(argv[4], argv + 4);
        perror("harness: exec");
        _exit(2);
    }
    close(r);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    /* Is the submission still holding the write end of FROM_PROG? */
    char buf[65536];
    int alive = 0;
    for (;;) {
        ssize_t n = read(probe, buf, sizeof buf);
        if (n > 0) continue;
        if (n == 0) { alive = 0; break; }
        if (errno == EINTR) continue;
        alive = (errno == EAGAIN);
        break;
    }
    FILE *rep = fopen(argv[1], "w");
    if (rep) {
        fprintf(rep, "%d %d %d\n", alive, WIFEXITED(st) ? WEXITSTATUS(st) : -1, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
        fclose(rep);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
"""


def _ensure_harness(checker) -> str:
    """Compile the harness once per checker container; returns its path in the container."""
    if getattr(checker, "harness", None):
        return checker.harness
    src = checker.box.path("src") / "judge_harness.c"
    src.write_text(HARNESS_C)
    os.chmod(src, 0o644)
    argv = ["/usr/bin/gcc", "-O2", "-o", "/prog/judge_harness", "/io/src/judge_harness.c"]
    key = build_key(argv, [src])
    if restore_binary(checker.box, key, "judge_harness"):
        checker.harness = "/prog/judge_harness"
        return checker.harness
    out = checker.box.execute(
        argv,
        uid=COMPILER_UID, cwd="/prog", limits=RunLimits(cpu=30, wall=30, stack_mib=64, nofile=64),
        stdout="pipe", pipe_to="harness_message", pipe_cap=8192, env=CHECK_ENV,
    )
    if out.exec_error or out.exit_code != 0 or out.signal:
        msg = checker.box.read_file("harness_message", 8192).decode("utf-8", "replace")
        raise SandboxError(f"cannot build the interactive harness: {out.exec_error or msg}")
    save_binary(checker.box, key, "judge_harness")
    checker.harness = "/prog/judge_harness"
    return checker.harness


class InteractiveGrader(BaseGrader):
    wall_message = "wall time over {wall:g} s (waiting for the validator? flush your output)"

    def grade(self, test) -> TestResult:
        return _run_interactive_test(self, self.job, test)


def _run_interactive_test(grader: InteractiveGrader, job, test) -> TestResult:
    """Run one test of an interactive problem: validator and program connected by two pipes."""
    job.context.test = test
    checker = _program_checker(job.context)
    vbox = checker.box
    box = job.box
    assert box is not None and vbox.io is not None and box.io is not None
    t = checker._fresh_test_dir()
    checker._put(t / "input", test.input_path)
    checker._put(t / "answer", test.answer_path)
    fb = t / "feedback"
    fb.mkdir()
    os.chmod(fb, 0o777)
    (t / "h").mkdir()
    os.chmod(t / "h", 0o777)  # the harness writes its report there
    for name in ("to_prog", "from_prog"):
        fifo = t / name
        os.mkfifo(fifo)
        os.chmod(fifo, 0o666)
        link = box.path(name)
        try:
            link.unlink()
        except FileNotFoundError:
            pass
        os.link(fifo, link)

    cpu = job.cpu_limit
    wall = wall_limit(cpu)
    args = list(test.validator_args or checker.spec.args)
    harness = _ensure_harness(checker)
    argv0 = list(checker.argv0)
    if argv0 and not argv0[0].startswith("/"):
        argv0[0] = "/usr/bin/" + argv0[0]
    vargv = [harness, "/io/t/h/report", "/io/t/from_prog", "/io/t/to_prog",
             *argv0, "/io/t/input", "/io/t/answer", "/io/t/feedback/", *args]
    vresult: dict = {}
    # Both requests are built (and may be refused: RequestRefused) before either program starts:
    # a validator left alone would block on its pipes until the join times out.
    vlimits = RunLimits(cpu=VALIDATOR_CPU, wall=wall + CHECK_WALL, stack_mib=256, nofile=64)
    vline = vbox.request(vargv, uid=CONTESTANT_UID, cwd="/box", limits=vlimits, stdin=None,
                         stdout="t/harness_out", stderr="t/val_err", wipe="/box", env=CHECK_ENV)
    lim = grader.run_limits(0)
    pline = box.request(job.lang.run(job.src_name, job.memory_limit), uid=CONTESTANT_UID,
                        cwd="/box", limits=lim, stdin="to_prog", stdout="from_prog",
                        stderr="stderr", wipe="/box", env=RUN_ENV)

    def run_validator() -> None:
        try:
            vresult["out"] = vbox.send(vline, vlimits.wall)
        except BaseException as exc:  # reported by the main thread
            vresult["error"] = exc

    th = threading.Thread(target=run_validator, name=f"validator-{test.name}", daemon=True)
    th.start()
    box.remove_file("stderr")
    try:
        out = box.send(pline, lim.wall)
    finally:
        th.join(wall + CHECK_WALL + 15)
        for name in ("to_prog", "from_prog"):
            box.remove_file(name)
    if th.is_alive():
        raise SandboxError("the interactive validator did not finish")
    if "error" in vresult:
        raise vresult["error"]
    vout = vresult["out"]
    if out.exec_error:
        raise SandboxError(f"cannot start the program: {out.exec_error}")
    if vout.exec_error:
        raise CheckerError(f"cannot start the output validator: {vout.exec_error}")

    res = grader.result(test, out)
    vtext = vbox.read_file("t/val_err", 4096).decode("utf-8", "replace")
    if vout.limit:
        raise CheckerError(f"the output validator ran out of time: {vtext[:300]}")
    report = vbox.read_file("t/h/report", 100).decode("ascii", "replace").split()
    if len(report) != 3 or not all(x.lstrip("-").isdigit() for x in report):
        raise CheckerError(f"the interactive harness failed: {vtext[:300]}")
    prog_alive, vcode, vsig = report[0] == "1", int(report[1]), int(report[2])
    if vsig == 13:  # the validator wrote to a program that had left (SIGPIPE): a rejection
        vcode, vsig = 43, 0
    check, score = kattis_outcome(vcode, vsig, vtext, fb)
    decided = None
    if not check.accepted and prog_alive:  # the validator rejected first
        decided = R.WA, check.message
    else:
        decided = grader.limit_verdict(out, lambda: grader.read_text("stderr"))
    if decided is None:
        decided = (R.AC if check.accepted else R.WA), check.message
    res.verdict, res.message = decided
    res.score = 1.0 if res.verdict == R.AC else 0.0
    res.validator_score = score if res.verdict == R.AC else None
    return res
