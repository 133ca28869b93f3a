"""Containers kept between submissions vs one container per submission, side by side in one run.

    python bench/reuse_bench.py [--submissions 30] [--write docs/benchmarks.md]

For each mode -- ``old`` (``JUDGE_REUSE_SUBMISSIONS=0``: a fresh container per submission) and
``reuse`` (the default: the worker's container is reset and reused) -- on a 6-test Python a+b:

* sandbox overhead per submission, excluding compilation and tests = the ``start`` + ``stop``
  phases timed by judge_submission (container create/start or reset, memory cap, io dir, removal
  or release), median of ``--submissions`` sequential submissions in this process;
* submissions judged per second with 1 and 2 judging processes (process i pinned to CPU i with
  JUDGE_CPUS, as ``make up`` does), each judging ``--submissions`` after one warm-up, all
  released at the same moment; rate = all submissions / (last end − first start).

The machine's 1-minute load average is printed before and after (the machine may be shared).
Targets (issue 14): overhead ≤ 30 ms; ≥ 10 submissions/s with the default workers; 2 workers ≥
1.7 × one.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PY_AC = "a, b = map(int, input().split())\nprint(a + b)\n"
MODES = {"old": "0", "reuse": ""}  # value of JUDGE_REUSE_SUBMISSIONS ("" = the default)


def make_problem(root: Path, tests: int = 6):
    from judge.problem import Grading, Problem, TestCase, TestGroup

    cases = []
    for i in range(1, tests + 1):
        ip, ap = root / f"{i:02d}.in", root / f"{i:02d}.ans"
        ip.write_text(f"{i} {i * 10}\n")
        ap.write_text(f"{i * 11}\n")
        cases.append(TestCase(name=f"t{i:02d}", input_path=ip, answer_path=ap, dir=root))
    return Problem(path=root, format="test", code="TONG", time_limit=2, memory_limit=128,
                   root=TestGroup(name="", tests=cases, grading=Grading(on_reject="continue")))


def set_mode(mode: str) -> None:
    os.environ.pop("JUDGE_CONTAINER_REUSE", None)
    if MODES[mode]:
        os.environ["JUDGE_REUSE_SUBMISSIONS"] = MODES[mode]
    else:
        os.environ.pop("JUDGE_REUSE_SUBMISSIONS", None)


def judge_once(problem) -> dict:
    from judge.judging import judge_submission

    res = judge_submission(problem, PY_AC, "python3")
    if res.verdict != "AC":
        raise SystemExit(f"expected AC, got {res.verdict}: {res.message}")
    return res.timings


def overhead(mode: str, n: int) -> dict:
    from judge import sandbox

    set_mode(mode)
    with tempfile.TemporaryDirectory() as tmp:
        problem = make_problem(Path(tmp))
        judge_once(problem)  # warm-up (image in cache; in reuse mode: the kept container)
        rows = [judge_once(problem) for _ in range(n)]
    sandbox.drain()
    over = [(r["start"] + r.get("stop", 0.0)) * 1000 for r in rows]
    total = [sum(r.values()) * 1000 for r in rows]
    return {"overhead_ms": statistics.median(over), "submission_ms": statistics.median(total),
            "tests_ms": statistics.median(r["tests"] * 1000 for r in rows)}


def child(n: int) -> None:
    """One judging process: warm up, say ready, wait for 'go', judge n, print the times."""
    with tempfile.TemporaryDirectory() as tmp:
        problem = make_problem(Path(tmp))
        judge_once(problem)
        print("ready", flush=True)
        sys.stdin.readline()
        start = time.time()
        for _ in range(n):
            judge_once(problem)
        print(json.dumps({"start": start, "end": time.time()}), flush=True)


def throughput(mode: str, workers: int, n: int) -> float:
    procs = []
    for i in range(workers):
        env = dict(os.environ, JUDGE_CPUS=str(i % (os.cpu_count() or 1)))
        env.pop("JUDGE_CONTAINER_REUSE", None)
        env.pop("JUDGE_REUSE_SUBMISSIONS", None)
        if MODES[mode]:
            env["JUDGE_REUSE_SUBMISSIONS"] = MODES[mode]
        procs.append(subprocess.Popen([sys.executable, __file__, "--child", str(n)], env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
    for p in procs:
        if p.stdout.readline().strip() != "ready":
            raise SystemExit("a judging process failed to start")
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    spans = []
    for p in procs:
        spans.append(json.loads(p.stdout.readline()))
        p.stdin.close()
        p.wait()
    wall = max(s["end"] for s in spans) - min(s["start"] for s in spans)
    return workers * n / wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--submissions", type=int, default=30)
    ap.add_argument("--child", type=int, default=0)
    ap.add_argument("--write", default="")
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    load_before = os.getloadavg()[0]
    results = {}
    for mode in MODES:
        results[mode] = overhead(mode, args.submissions)
        for w in (1, 2):
            results[mode][f"rate{w}"] = throughput(mode, w, args.submissions)
        print(mode, {k: round(v, 2) for k, v in results[mode].items()}, flush=True)
    load_after = os.getloadavg()[0]
    lines = [
        "| mode | sandbox overhead / submission (ms) | tests phase (ms) | whole submission (ms) "
        "| subs/s, 1 worker | subs/s, 2 workers | 2 ÷ 1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, r in results.items():
        lines.append(f"| {mode} | {r['overhead_ms']:.1f} | {r['tests_ms']:.0f} | {r['submission_ms']:.0f} "
                     f"| {r['rate1']:.2f} | {r['rate2']:.2f} | {r['rate2'] / r['rate1']:.2f} |")
    lines.append("")
    lines.append(f"{args.submissions} submissions per measurement, 6-test Python a+b; "
                 f"1-minute load average {load_before:.2f} before, {load_after:.2f} after "
                 f"({os.cpu_count()} CPUs).")
    text = "\n".join(lines)
    print(text)
    if args.write:
        path = Path(args.write)
        doc = path.read_text(encoding="utf-8")
        begin, end = "<!-- reuse_bench:begin -->", "<!-- reuse_bench:end -->"
        block = f"{begin}\n{text}\n{end}"
        if begin in doc:
            doc = doc[:doc.index(begin)] + block + doc[doc.index(end) + len(end):]
        else:
            doc += "\n" + block + "\n"
        path.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    main()
