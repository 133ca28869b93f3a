"""Benchmark of the judge: fixed cost per submission and marginal cost per test.

    python bench/judge_bench.py [--repeat N] [--write docs/benchmarks.md]

Judges an a+b problem with 101 tests and with 1 test, the same C++ solution, ``--repeat`` times
each (median taken), and reports:

* marginal cost per test = (T101 − T1) / 100, where T is the wall time of judge_submission; and,
  less sensitive to the noise of container start-up on a loaded machine, the same difference of
  the "tests" phase only (running + checking, as timed by judge_submission itself);
* fixed cost per submission, excluding compilation = T1 − compile − one test
  (container start + stop, writing the source, reading results);
* the bare cost of fork + exec + wait4 of the same binary on the host, on the same input,
  measured in the same run by a small C harness (bench/bare_exec.c, compiled with the host's gcc);
* the CPU-time stability of a fixed amount of work (20 runs in one container), for reference.

Targets (docs/benchmarks.md): marginal ≤ 2 × bare; fixed ≤ 0.7 s.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from judge.judging import judge_submission  # noqa: E402
from judge.problem import Grading, Problem, TestCase, TestGroup  # noqa: E402

SOLUTION = r"""#include <cstdio>
int main() { long long a, b; if (scanf("%lld %lld", &a, &b) != 2) return 1;
             printf("%lld\n", a + b); return 0; }
"""

BARE_EXEC_C = r"""
/* fork + exec + wait4 of argv[3] with stdin from argv[2], stdout to /dev/null, argv[1] times;
   prints the mean wall time per run in milliseconds. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int n = atoi(argv[1]);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0) {
            int in = open(argv[2], O_RDONLY), out = open("/dev/null", O_WRONLY);
            dup2(in, 0); dup2(out, 1);
            execv(argv[3], argv + 3);
            _exit(127);
        }
        int st; struct rusage ru;
        wait4(p, &st, 0, &ru);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.4f\n", ((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6) / n);
    return 0;
}
"""


def make_problem(root: Path, n: int) -> Problem:
    d = root / f"aplusb{n}"
    d.mkdir()
    rng = random.Random(n)
    tests = []
    for i in range(n):
        a, b = rng.randint(-10**9, 10**9), rng.randint(-10**9, 10**9)
        (d / f"{i:03d}.in").write_text(f"{a} {b}\n")
        (d / f"{i:03d}.ans").write_text(f"{a + b}\n")
        tests.append(TestCase(name=f"{i:03d}", input_path=d / f"{i:03d}.in",
                              answer_path=d / f"{i:03d}.ans"))
    return Problem(code=f"AB{n}", path=d, format="bench",
                   root=TestGroup(name="", tests=tests, grading=Grading(on_reject="continue")))


def timed_judge(problem: Problem) -> tuple[float, dict]:
    t = time.perf_counter()
    res = judge_submission(problem, SOLUTION, "cpp")
    elapsed = time.perf_counter() - t
    assert res.verdict == "AC", res.to_dict()
    return elapsed, res.timings


def bare_exec_ms(root: Path, problem: Problem, runs: int = 300) -> float:
    src, harness = root / "sol.cpp", root / "bare_exec"
    src.write_text(SOLUTION)
    (root / "bare_exec.c").write_text(BARE_EXEC_C)
    subprocess.run(["g++", "-std=c++17", "-O2", "-o", str(root / "sol"), str(src)], check=True)
    subprocess.run(["gcc", "-O2", "-o", str(harness), str(root / "bare_exec.c")], check=True)
    out = subprocess.run([str(harness), str(runs), str(problem.tests()[0].input_path),
                          str(root / "sol")], check=True, capture_output=True, text=True)
    return float(out.stdout)


def stability(root: Path) -> tuple[float, float]:
    """Mean and CV of the reported CPU time of a fixed amount of work, 20 tests in one container."""
    d = root / "burn"
    d.mkdir()
    (d / "in").write_text("100000\n")
    (d / "ans").write_text("done\n")
    tests = [TestCase(name=f"{i:02d}", input_path=d / "in", answer_path=d / "ans") for i in range(20)]
    problem = Problem(code="BURN", path=d, format="bench",
                      root=TestGroup(name="", tests=tests, grading=Grading(on_reject="continue")))
    src = r"""#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void) { long n; scanf("%ld", &n); static char buf[1 << 16]; int fd = open("/dev/zero", O_RDONLY);
  volatile unsigned long x = 0;
  for (long i = 0; i < n; i++) { if (read(fd, buf, sizeof buf) < 0) return 1; for (int j = 0; j < 1000; j++) x++; }
  puts("done"); return 0; }"""
    res = judge_submission(problem, src, "c", time_limit=5)
    times = [t.time for t in res.tests]
    mean = statistics.mean(times)
    return mean, statistics.stdev(times) / mean


def machine() -> str:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return (f"{cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB RAM, Linux {platform.release()}, "
            f"Python {platform.python_version()}, load average {load:.2f} at start")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--write", help="append the figures to this markdown file")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        p1, p101 = make_problem(root, 1), make_problem(root, 101)
        timed_judge(p1)  # warm the page cache and the image
        t1, t101, fixed, parts = [], [], [], []
        for _ in range(args.repeat):
            e1, tm1 = timed_judge(p1)
            e101, tm101 = timed_judge(p101)
            t1.append(e1)
            t101.append(e101)
            # one test's share of T1 is taken out with the measured marginal below
            fixed.append((e1 - tm1["compile"], tm1))
            parts.append(tm101)
        T1, T101 = statistics.median(t1), statistics.median(t101)
        marginal = (T101 - T1) / 100
        phase_marginal = (statistics.median(tm["tests"] for tm in parts)
                          - statistics.median(tm["tests"] for _, tm in fixed)) / 100
        fixed_cost = statistics.median(f for f, _ in fixed) - marginal
        start = statistics.median(tm["start"] for _, tm in fixed)
        stop = statistics.median(tm["stop"] for _, tm in fixed)
        compile_s = statistics.median(tm["compile"] for _, tm in fixed)
        bare = bare_exec_ms(root, p1)
        mean, cv = stability(root)
    lines = [
        f"machine: {machine()}",
        f"T1 (1 test)      median {T1:.3f} s over {args.repeat} runs",
        f"T101 (101 tests) median {T101:.3f} s",
        f"compile (g++ -O2, in the container) median {compile_s:.3f} s",
        f"marginal cost per test  (T101 - T1) / 100 = {marginal * 1000:.2f} ms",
        f"marginal cost per test, tests phase only   = {phase_marginal * 1000:.2f} ms",
        f"bare fork+exec+wait4 of the same binary    = {bare:.2f} ms  "
        f"(marginal / bare = {marginal * 1000 / bare:.2f}; tests phase: "
        f"{phase_marginal * 1000 / bare:.2f})",
        f"fixed cost per submission excl. compile    = {fixed_cost:.3f} s  "
        f"(container start {start:.3f} s, stop {stop:.3f} s)",
        f"fixed-work CPU time, 20 runs in one container: mean {mean:.3f} s, CV {cv * 100:.1f} %",
    ]
    print("\n".join(lines))
    if args.write:
        with open(args.write, "a") as f:
            f.write(f"\n### Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n```\n")
            f.write("\n".join(lines) + "\n```\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
