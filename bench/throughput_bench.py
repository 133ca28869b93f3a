"""Judge throughput with 1 and with 2 workers: does a second worker (on its own CPU) double the rate?

    python bench/throughput_bench.py [--submissions 40] [--workers 1,2] [--write docs/benchmarks.md]

Builds a throw-away site (SQLite in a temp dir, a queue of its own on REDIS_URL), a Themis problem with
6 tests and a correct Python a+b; for each worker count N it starts N real `python -m webapp.worker`
processes (worker i: JUDGE_CPUS=i, as `make up` does), waits until they listen, submits the same
number of submissions through services.submissions.submit and measures the wall time from the first
submission until the last one is judged. Reports submissions/s per N and the ratio to N=1.
Target (issue 12): 2 workers ≥ 1.7 × the rate of 1.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PY_AC = "a, b = map(int, input().split())\nprint(a + b)\n"


def write_problem(root: Path, tests: int = 6, name: str = "TONG") -> Path:
    task = root / name
    for i in range(1, tests + 1):
        d = task / f"Test{i:02d}"
        d.mkdir(parents=True)
        (d / f"{name}.INP").write_text(f"{i} {i * 10}\n")
        (d / f"{name}.OUT").write_text(f"{i * 11}\n")
    (task / "limits.yaml").write_text("name: {vi: Tính tổng, en: Sum}\ntime_limit: 2\nmemory_limit: 128\n")
    return task


def private_redis() -> tuple[subprocess.Popen, str]:
    """A redis-server of our own on a free port (nothing else can flush or read our queue)."""
    import socket

    from redis import Redis

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while True:
        try:
            Redis.from_url(url).ping()
            return proc, url
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by one process; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def engine_pids() -> list[int]:
    """The Docker engine's long-lived processes (dockerd, containerd), found by name in /proc."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() in ("dockerd", "containerd"):
                    pids.append(int(d.name))
            except OSError:
                continue
    return pids


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all CPUs, every process)."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICK


def machine_line() -> str:
    from bench.judge_bench import machine

    return machine()


def run(n_workers: int, n_subs: int, tmp: Path, redis_url: str, usage: dict) -> float:
    """Judge n_subs submissions with n_workers workers; returns submissions per second. Fills `usage`
    with CPUs in use on average: the workers' own processes, the Docker engine, the whole machine."""
    from sqlalchemy import func, select

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Contest, Division, Participation, Submission, utcnow
    from webapp.services.problem_import import import_problem
    from webapp.services.submissions import submit
    from webapp.services.users import create_user

    work = tmp / f"w{n_workers}"
    work.mkdir()
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.db'}", "PROBLEMS_DIR": str(work / "problems"),
        "SECRET_KEY": "bench", "REDIS_URL": redis_url, "JUDGE_QUEUE": f"judge-bench-{uuid.uuid4().hex[:8]}",
        "TASKS_QUEUE": f"tasks-bench-{uuid.uuid4().hex[:8]}", "SUBMIT_RATE_COUNT": 10**6,
        "PASSWORD_METHOD": "pbkdf2:sha256:1000",
    }
    app = create_app(settings)
    procs = []
    with app.app_context():
        db.create_all()
        now = utcnow()
        contest = Contest(name="Bench", year=now.year, start_at=now - timedelta(hours=1), end_at=now + timedelta(hours=5))
        contest.divisions.append(Division(code="B", name="Bảng B", levels="lower_secondary", content="programming"))
        db.session.add(contest)
        db.session.commit()
        division = contest.divisions[0]
        problem = import_problem(division, write_problem(work / "pkg"), publish=True)
        user = create_user("bench", "bench12345", "student", full_name="Bench", school_level="lower_secondary", grade=7)
        db.session.commit()
        db.session.add(Participation(contest_id=contest.id, division_id=division.id, user_id=user.id))
        db.session.commit()
        env = {**os.environ, "DATABASE_URL": settings["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": redis_url,
               "JUDGE_QUEUE": settings["JUDGE_QUEUE"], "TASKS_QUEUE": settings["TASKS_QUEUE"],
               "SECRET_KEY": "bench", "PROBLEMS_DIR": settings["PROBLEMS_DIR"]}
        try:
            for i in range(n_workers):
                log = open(work / f"worker{i}.log", "wb")
                procs.append(subprocess.Popen([sys.executable, "-m", "webapp.worker"], cwd=ROOT,
                                              env={**env, "JUDGE_WORKER_INDEX": str(i), "JUDGE_CPUS": str(i % (os.cpu_count() or 1))},
                                              stdout=log, stderr=subprocess.STDOUT))
                log.close()
            from rq import Worker
            from redis import Redis

            conn = Redis.from_url(redis_url)
            deadline = time.monotonic() + 120
            while sum(settings["JUDGE_QUEUE"] in w.queue_names() for w in Worker.all(connection=conn)) < n_workers:
                if time.monotonic() > deadline:
                    raise RuntimeError("workers did not start")
                time.sleep(0.1)
            def wait_done(count: int, since: float) -> None:
                while True:
                    db.session.expire_all()
                    if db.session.scalar(select(func.count(Submission.id)).where(Submission.status == "done")) >= count:
                        return
                    if time.monotonic() - since > 1800:
                        raise RuntimeError("judging did not finish")
                    time.sleep(0.05)

            for _ in range(n_workers):  # warm-up, not timed: first imports, page cache
                submit(user, problem, "python3", PY_AC)
            wait_done(n_workers, time.monotonic())
            engines = engine_pids()
            before = ([proc_cpu(p.pid) for p in procs], [proc_cpu(e) for e in engines], machine_busy())
            t0 = time.monotonic()
            for _ in range(n_subs):
                submit(user, problem, "python3", PY_AC)
            wait_done(n_workers + n_subs, t0)
            elapsed_ = time.monotonic() - t0
            usage["workers"] = (sum(proc_cpu(p.pid) for p in procs) - sum(before[0])) / elapsed_
            usage["engine"] = (sum(proc_cpu(e) for e in engines) - sum(before[1])) / elapsed_
            usage["machine"] = (machine_busy() - before[2]) / elapsed_
            elapsed = time.monotonic() - t0
            wrong = db.session.scalar(select(func.count(Submission.id)).where(Submission.verdict != "AC"))
            if wrong:
                raise RuntimeError(f"{wrong} submissions were not AC")
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=60)
            db.session.remove()
    return n_subs / elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--submissions", type=int, default=40)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--redis-url", help="default: a private redis-server on a free port, stopped at the end")
    ap.add_argument("--write", help="append the figures to this markdown file")
    args = ap.parse_args()
    counts = [int(x) for x in args.workers.split(",")]
    lines = [f"machine: {machine_line()}",
             f"{args.submissions} correct Python submissions to a 6-test Themis problem, per worker count"]
    rates = {}
    server = None
    if not args.redis_url:
        server, args.redis_url = private_redis()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in counts:
                usage: dict = {}
                rates[n] = run(n, args.submissions, Path(tmp), args.redis_url, usage)
                lines.append(f"{n} worker(s): {rates[n]:.2f} submissions/s ({args.submissions / rates[n]:.1f} s)"
                             + (f", {rates[n] / rates[counts[0]]:.2f} x the rate of {counts[0]}" if n != counts[0] else "")
                             + f"; CPUs busy on average: worker processes {usage['workers']:.2f}, docker engine "
                               f"{usage['engine']:.2f}, whole machine {usage['machine']:.2f} of {os.cpu_count()}")
                print(lines[-1], flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    lines.append(f"load average after: {os.getloadavg()[0]:.2f}")
    print("\n".join(lines))
    if args.write:
        with open(args.write, "a") as f:
            f.write(f"\n### Throughput run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n```\n")
            f.write("\n".join(lines) + "\n```\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
