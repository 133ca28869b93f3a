"""Benchmark of Scratch judging: the snapshot way against the naive way, measured in the same run.

    JUDGE_IMAGE=... python bench/scratch_bench.py [--repeat N] [--write docs/benchmarks.md]

The same a+b project (two `ask`, one `say`) is judged through the real sandbox:

* **snapshot** (what the judge does): every test is ``node --snapshot-blob /opt/scratch/vm.blob
  project.json``, a fresh process whose heap already holds the loaded scratch-vm;
* **naive**: every test is ``node /opt/scratch/run.js project.json``, a fresh process that loads
  scratch-vm and its dependencies first (same runner script, same project, same sandbox).

For each way, with ``--repeat`` runs of each (median taken):

* marginal cost per test = (T10 − T1) / 9, T = wall time of judge_submission for 1 and 10 tests;
  also the mean wall and CPU time of one test as the runner measured it;
* a 10-test submission end to end (T10: container start, the check step, 10 tests, stop);
* reading 1,000 lines with `ask and wait` (one test): CPU time, against the 16.7 s that one
  frame (1/60 s) per `ask` would cost;
* the floor: one test of a plain Node.js a+b (`node -e`, no snapshot, no VM) in the same sandbox:
  what starting any Node process costs on this machine at this load.

Targets (issue 10): marginal ≤ 100 ms per test, 10-test submission ≤ 3 s.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from judge.judging import judge_submission  # noqa: E402
from judge.languages import LANGUAGES, PROG_DIR, SCRATCH_DIR, register  # noqa: E402
from judge.problem import Grading, Problem, TestCase, TestGroup  # noqa: E402
from tests.judge.sb3 import (Project, add, answer, ask, change_var, repeat, say,  # noqa: E402
                             set_var, when_flag)

NAIVE = "scratch-naive"


def register_naive() -> None:
    """The naive way as a language: the same runner script without the snapshot."""
    base = LANGUAGES["scratch"]
    register(replace(base, key=NAIVE, extensions=(),
                     compile=lambda src: ["/usr/bin/node", f"{SCRATCH_DIR}/run.js", src, "check"],
                     run=lambda src, mem: ["/usr/bin/node", f"{SCRATCH_DIR}/run.js", f"{PROG_DIR}/{src}"]))


BARE = "node-bare"
BARE_JS = ("const [a, b] = require('fs').readFileSync(0, 'utf8').split(/\\s+/).map(Number);"
           "process.stdout.write(`${a + b}\\n`);")


def register_bare() -> None:
    """The floor: a plain Node.js a+b (no snapshot, no VM) through the same sandbox."""
    base = LANGUAGES["scratch"]
    register(replace(base, key=BARE, extensions=(), compile=None, time_multiplier=1.0,
                     run=lambda src, mem: ["/usr/bin/node", "-e", BARE_JS]))


def sum_project() -> str:
    p = Project()
    a, b = p.variable("a"), p.variable("b")
    p.sprite.script(when_flag(), ask(), set_var(a, answer()), ask(), set_var(b, answer()), say(add(a, b)))
    return p.json()


def lines_project() -> str:
    p = Project()
    n, s = p.variable("n"), p.variable("s")
    p.sprite.script(when_flag(), ask(), set_var(n, answer()), set_var(s, 0),
                    repeat(n, ask(), change_var(s, answer())), say(s))
    return p.json()


def make_problem(root: Path, tests: list[tuple[str, str]], name: str) -> Problem:
    d = root / name
    d.mkdir()
    cases = []
    for i, (inp, ans) in enumerate(tests, 1):
        ip, ap = d / f"{i:03d}.in", d / f"{i:03d}.ans"
        ip.write_text(inp)
        ap.write_text(ans)
        cases.append(TestCase(name=f"{i:03d}", input_path=ip, answer_path=ap, dir=d))
    return Problem(path=d, format="bench", root=TestGroup(name="", tests=cases, grading=Grading(on_reject="continue")),
                   code="B", time_limit=2.0, memory_limit=256)


def timed(problem: Problem, source: str, language: str):
    t = time.perf_counter()
    res = judge_submission(problem, source, language)
    elapsed = time.perf_counter() - t
    if res.verdict != "AC":
        raise SystemExit(f"{language}: expected AC, got {res.verdict} {res.message} {res.compile_output[:300]}")
    return elapsed, res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--write", help="append the results to this markdown file")
    args = ap.parse_args()
    register_naive()
    register_bare()
    load = os.getloadavg()[0]
    lines = []

    def out(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    out(f"machine: {cpu}, {os.cpu_count()} CPUs, Linux {platform.release()}, image {os.environ.get('JUDGE_IMAGE', 'tinhoctre-judge:latest')}, "
        f"load average {load:.2f} at start")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        tests = [(f"{i}\n{2 * i}\n", f"{3 * i}\n") for i in range(1, 11)]
        p1, p10 = make_problem(root, tests[:1], "one"), make_problem(root, tests, "ten")
        big = "1000\n" + "".join(f"{i}\n" for i in range(1, 1001))
        plines = make_problem(root, [(big, "500500\n")], "lines")
        src, src_lines = sum_project(), lines_project()
        summary = {}
        walls, cpus = [], []
        for _ in range(args.repeat):
            r = timed(p10, "", BARE)[1]
            walls += [t.wall_time for t in r.tests]
            cpus += [t.time for t in r.tests]
        out(f"floor   : plain `node -e` a+b, one test as measured: wall {statistics.mean(walls) * 1000:.0f} ms, "
            f"CPU {statistics.mean(cpus) * 1000:.0f} ms")
        for lang in ("scratch", NAIVE):
            t1s, t10s, per_wall, per_cpu, checks, lines_cpu = [], [], [], [], [], []
            for _ in range(args.repeat):
                t1, _r = timed(p1, src, lang)
                t10, r10 = timed(p10, src, lang)
                _t, rl = timed(plines, src_lines, lang)
                t1s.append(t1)
                t10s.append(t10)
                per_wall += [t.wall_time for t in r10.tests]
                per_cpu += [t.time for t in r10.tests]
                checks.append(r10.timings.get("compile", 0.0))
                lines_cpu.append(rl.tests[0].time)
            T1, T10 = statistics.median(t1s), statistics.median(t10s)
            summary[lang] = (T1, T10, (T10 - T1) / 9)
            name = "snapshot" if lang == "scratch" else "naive   "
            out(f"{name}: T1 median {T1:.3f} s, T10 median {T10:.3f} s over {args.repeat} runs; "
                f"check step {statistics.median(checks):.3f} s")
            out(f"{name}: marginal per test (T10 - T1) / 9 = {summary[lang][2] * 1000:.0f} ms; "
                f"one test as measured: wall {statistics.mean(per_wall) * 1000:.0f} ms, "
                f"CPU {statistics.mean(per_cpu) * 1000:.0f} ms")
            out(f"{name}: 1,000 lines read with ask: CPU {statistics.median(lines_cpu):.3f} s "
                f"(one frame per ask would be 16.7 s)")
        snap, naive = summary["scratch"], summary[NAIVE]
        out(f"speed-up per test: {naive[2] / snap[2]:.1f}x; 10-test submission: {naive[1] / snap[1]:.1f}x")
        out(f"targets: marginal {snap[2] * 1000:.0f} ms (≤ 100 ms: {'met' if snap[2] <= 0.1 else 'MISSED'}), "
            f"10 tests end to end {snap[1]:.2f} s (≤ 3 s: {'met' if snap[1] <= 3 else 'MISSED'})")
        out(f"load average at end {os.getloadavg()[0]:.2f}")
    if args.write:
        with open(args.write, "a", encoding="utf-8") as f:
            f.write(f"\n### Scratch run of {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC\n\n```\n"
                    + "\n".join(lines) + "\n```\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
