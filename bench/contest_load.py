"""Load benchmark of a contest start: N contestants log in, open the problem list and a statement, submit.

    python bench/contest_load.py [--contestants 1000] [--db sqlite|postgres] [--submitters 200]
                                 [--login-rate 20] [--browse-rate 50] [--submit-rate 20] [--burst 32]
                                 [--import-during 300] [--write docs/benchmarks.md]

1. Setup (in this process, on a fresh database: SQLite in a temp dir, or a database `tinhoctre_bench`
   on Debian's PostgreSQL made like scripts/ensure_postgres.sh): migrations, an organiser, a running
   contest with a 6-test Themis problem, and N contestants through the real import
   (services.student_import.parse_students, then the accounts as the import page creates them).
2. The stack as `make up` runs it: `python -m webapp.supervisor` (gunicorn with its contest settings, one
   worker per CPU, the sweeper) on a free port, Redis from --redis-url (a queue of its own).
3. Phases, each OPEN-LOOP (requests start at a fixed arrival rate whatever the answers' latency, from a
   pool of threads; one HTTP session per contestant): login (GET form + POST) at --login-rate; the
   problem list, then a statement, at --browse-rate; submissions (POST) by --submitters contestants at
   --submit-rate; then --burst contestants submitting at the same instant (a barrier).
4. "Import during judging": while the queue is judged, the organiser imports --import-during more
   students through the web page; nothing may be lost: the students all exist at the end and every
   submission is judged with the right verdict (every 10th submitter sends a wrong answer), once.

Reports per phase: requests, errors, p50/p95/p99/max latency; judge throughput (submissions judged per
second from the first submission until the queue was empty) and the time from the last submission to an
empty queue. Targets (issue 12, 1,000 contestants): 0 errors; problem list and statement p95 < 300 ms at
50 requests/s; submission POST p95 < 300 ms; login p95 < 1 s at 20 logins/s.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PY_AC = "a, b = map(int, input().split())\nprint(a + b)\n"
PY_WA = "a, b = map(int, input().split())\nprint(a - b)\n"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
ORGANISER = ("btc_bench", "btc-bench-12345")
TESTS = 6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    if not m:
        raise RuntimeError("no CSRF token in the page")
    return m.group(1) or m.group(2)


def students_csv(first: int, count: int) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["Họ và tên", "Ngày sinh", "Cấp học", "Lớp", "Trường", "Đơn vị", "Tên đăng nhập"])
    for i in range(first, first + count):
        w.writerow([f"Thí sinh Số {i}", "01/01/2012", "THCS", "7", f"THCS Bench {i % 40}", "Quận 1", f"ts{i:05d}"])
    return buf.getvalue().encode("utf-8")


# -- setup ---------------------------------------------------------------------------------------------
def postgres_url() -> str:
    """A database of our own on Debian's PostgreSQL (the test role of scripts/ensure_postgres.sh)."""
    out = subprocess.run([str(ROOT / "scripts" / "ensure_postgres.sh")], check=True, capture_output=True, text=True)
    url = out.stdout.strip().splitlines()[-1]
    exists = subprocess.run(["su", "postgres", "-c", "psql -qtAc \"select 1 from pg_database where datname='tinhoctre_bench'\""],
                            capture_output=True, text=True).stdout.strip()
    if exists != "1":
        subprocess.run(["su", "postgres", "-c", "createdb -O tinhoctre_test tinhoctre_bench"], check=True)
    return url.rsplit("/", 1)[0] + "/tinhoctre_bench"


def import_students(csv_bytes: bytes, filename: str) -> list[tuple[str, str]]:
    """The import as the page does it: parse and validate every row (all or nothing), then accounts."""
    from flask import current_app

    from webapp.extensions import db
    from webapp.services.accounts import generate_password
    from webapp.services.student_import import parse_students
    from webapp.services.users import create_student, username_taken

    students, errors = parse_students(filename, csv_bytes, current_app.config["IMPORT_MAX_BYTES"],
                                      current_app.config["IMPORT_MAX_ROWS"], taken=username_taken)
    if errors:
        raise RuntimeError(f"import refused: {errors[:3]}")
    creds = []
    for s in students:
        password = generate_password()
        create_student(s, s.username, password)
        creds.append((s.username, password))
    db.session.commit()
    return creds


def setup_site(settings: dict, n: int) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Contest, Division, Participation, User, utcnow
    from webapp.services.problem_import import import_problem
    from webapp.services.users import create_user

    from bench.throughput_bench import write_problem

    app = create_app(settings)
    with app.app_context():
        if settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("drop schema public cascade"))
                conn.execute(text("create schema public"))
        upgrade()
        create_user(*ORGANISER, "organiser")
        now = utcnow()
        contest = Contest(name="Hội thi bench", year=now.year, start_at=now - timedelta(minutes=1),
                          end_at=now + timedelta(hours=5))
        contest.divisions.append(Division(code="B", name="Bảng B", levels="lower_secondary", content="programming"))
        db.session.add(contest)
        db.session.commit()
        division = contest.divisions[0]
        problem = import_problem(division, write_problem(Path(settings["PROBLEMS_DIR"]).parent / "pkg", tests=TESTS),
                                 publish=True)
        t = time.monotonic()
        creds = import_students(students_csv(0, n), "thi-sinh.csv")
        import_s = time.monotonic() - t
        ids = db.session.scalars(select(User.id).where(User.role == "student")).all()
        db.session.add_all(Participation(contest_id=contest.id, division_id=division.id, user_id=i) for i in ids)
        db.session.commit()
        info = {"contest": contest.id, "problem": problem.id, "creds": creds, "import_s": import_s}
        db.session.remove()
        db.engine.dispose()
    return info


# -- the stack -----------------------------------------------------------------------------------------
def start_stack(env: dict, log_path: Path, base: str) -> subprocess.Popen:
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "webapp.supervisor"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(f"{base}/auth/login", timeout=10).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError(f"the stack did not start; see {log_path}")
        time.sleep(0.2)


def stop_stack(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# -- load ----------------------------------------------------------------------------------------------
class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.data: dict[str, list[float]] = {}
        self.errors: dict[str, list[str]] = {}
        self.span: dict[str, tuple[float, float]] = {}

    def add(self, phase: str, seconds: float, error: str | None = None) -> None:
        with self.lock:
            self.data.setdefault(phase, []).append(seconds)
            if error:
                self.errors.setdefault(phase, []).append(error)

    def timed(self, phase: str, call, ok) -> requests.Response | None:
        t = time.monotonic()
        try:
            resp = call()
        except requests.RequestException as exc:
            self.add(phase, time.monotonic() - t, type(exc).__name__)
            return None
        self.add(phase, time.monotonic() - t, None if ok(resp) else f"HTTP {resp.status_code}")
        return resp

    def rows(self) -> list[str]:
        out = ["| phase | requests | errors | p50 ms | p95 ms | p99 ms | max ms | rate /s |", "|---|---|---|---|---|---|---|---|"]
        for phase, values in self.data.items():
            v = sorted(values)
            q = statistics.quantiles(v, n=100, method="inclusive") if len(v) > 1 else [v[0]] * 99
            a, b = self.span.get(phase, (0, 0))
            rate = f"{len(v) / (b - a):.1f}" if b > a else "-"
            errs = self.errors.get(phase, [])
            kinds = ", ".join(sorted({e for e in errs}))[:60]
            out.append(f"| {phase} | {len(v)} | {len(errs)}{' (' + kinds + ')' if errs else ''} | {q[49] * 1000:.0f} | "
                       f"{q[94] * 1000:.0f} | {q[98] * 1000:.0f} | {v[-1] * 1000:.0f} | {rate} |")
        return out


def open_loop(rec: Recorder, phase: str, tasks: list, rate: float, pool: ThreadPoolExecutor) -> None:
    """Start task i at t0 + i/rate (never later because earlier ones are slow); wait for all."""
    t0 = time.monotonic()
    futures = []
    for i, task in enumerate(tasks):
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        futures.append(pool.submit(task))
    for f in futures:
        f.result()
    rec.span[phase] = (t0, time.monotonic())


class Contestant:
    def __init__(self, base: str, username: str, password: str):
        self.base, self.username, self.password = base, username, password
        self.http = requests.Session()
        self.submit_token = None

    def login(self, rec: Recorder):
        resp = rec.timed("login form (GET)", lambda: self.http.get(f"{self.base}/auth/login", timeout=60),
                         lambda r: r.status_code == 200)
        if resp is None or resp.status_code != 200:
            return
        data = {"username": self.username, "password": self.password, "csrf_token": csrf_of(resp.text)}
        rec.timed("login (POST)", lambda: self.http.post(f"{self.base}/auth/login", data=data, allow_redirects=False, timeout=60),
                  lambda r: r.status_code == 302)

    def problem_list(self, rec: Recorder, contest_id: int):
        rec.timed("problem list", lambda: self.http.get(f"{self.base}/contests/{contest_id}/problems", timeout=60),
                  lambda r: r.status_code == 200 and "TONG" in r.text)

    def statement(self, rec: Recorder, problem_id: int):
        resp = rec.timed("statement", lambda: self.http.get(f"{self.base}/contests/problems/{problem_id}", timeout=60),
                         lambda r: r.status_code == 200)
        if resp is not None and resp.status_code == 200:
            self.submit_token = csrf_of(resp.text)

    def submit(self, rec: Recorder, phase: str, problem_id: int, source: str):
        data = {"language": "python3", "source": source, "csrf_token": self.submit_token or ""}
        rec.timed(phase, lambda: self.http.post(f"{self.base}/contests/problems/{problem_id}", data=data,
                                                allow_redirects=False, timeout=60),
                  lambda r: r.status_code == 302 and "/contests/submissions/" in r.headers.get("Location", ""))


def run(args) -> list[str]:
    from redis import Redis

    tmp = Path(tempfile.mkdtemp(prefix="contest-load-"))
    if not args.redis_url:
        args.redis_url = f"redis://127.0.0.1:{free_port()}/0"
    db_url = postgres_url() if args.db == "postgres" else f"sqlite:///{tmp / 'site.db'}"
    queue = f"judge-load-{uuid.uuid4().hex[:8]}"
    settings = {"SQLALCHEMY_DATABASE_URI": db_url, "PROBLEMS_DIR": str(tmp / "problems"), "SECRET_KEY": "bench-secret",
                "REDIS_URL": args.redis_url, "JUDGE_QUEUE": queue, "PASSWORD_METHOD": args.password_method}
    print(f"setting up {args.contestants} contestants on {args.db} …", flush=True)
    info = setup_site(settings, args.contestants)
    print(f"import of {args.contestants} students (service, one process): {info['import_s']:.1f} s", flush=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        redis_up = Redis.from_url(args.redis_url, socket_connect_timeout=1).ping()
    except Exception:
        redis_up = False
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": args.redis_url, "JUDGE_QUEUE": queue,
           "SECRET_KEY": "bench-secret", "PROBLEMS_DIR": settings["PROBLEMS_DIR"], "BIND": f"127.0.0.1:{port}",
           "ACCESS_LOG": str(tmp / "access.log"), "START_REDIS": "0" if redis_up else "1"}
    if args.workers:
        env["WORKERS"] = str(args.workers)
    stack = start_stack(env, tmp / "stack.log", base)
    rec = Recorder()
    people = [Contestant(base, u, p) for u, p in info["creds"]]
    pool = ThreadPoolExecutor(max_workers=max(64, args.burst * 2))
    out: list[str] = []
    try:
        open_loop(rec, "login (POST)", [lambda c=c: c.login(rec) for c in people], args.login_rate, pool)
        print("logins done", flush=True)
        open_loop(rec, "problem list", [lambda c=c: c.problem_list(rec, info["contest"]) for c in people], args.browse_rate, pool)
        open_loop(rec, "statement", [lambda c=c: c.statement(rec, info["problem"]) for c in people], args.browse_rate, pool)
        print("browsing done", flush=True)
        submitters = people[: args.submitters]
        expected = {}
        first_submit = time.monotonic()
        open_loop(rec, "submit (POST)", [lambda i=i, c=c: c.submit(rec, "submit (POST)", info["problem"], PY_WA if i % 10 == 9 else PY_AC)
                                         for i, c in enumerate(submitters)], args.submit_rate, pool)
        for i, c in enumerate(submitters):
            expected.setdefault(c.username, []).append("WA" if i % 10 == 9 else "AC")
        # a burst: `burst` contestants press "Nộp bài" at the same instant
        crowd = people[args.submitters: args.submitters + args.burst]
        for c in crowd:
            c.statement(rec, info["problem"])
        barrier = threading.Barrier(len(crowd))

        def burst_one(c):
            barrier.wait()
            c.submit(rec, f"submit burst of {len(crowd)} (POST)", info["problem"], PY_AC)

        t = time.monotonic()
        list(pool.map(burst_one, crowd))
        rec.span[f"submit burst of {len(crowd)} (POST)"] = (t, time.monotonic())
        for c in crowd:
            expected.setdefault(c.username, []).append("AC")
        last_submit = time.monotonic()
        print("submissions done; import during judging …", flush=True)
        # import during judging: the organiser uploads a late list through the web page
        org = requests.Session()
        page = org.get(f"{base}/auth/login", timeout=60)
        org.post(f"{base}/auth/login", data={"username": ORGANISER[0], "password": ORGANISER[1], "csrf_token": csrf_of(page.text)},
                 timeout=60)
        form = org.get(f"{base}/auth/import", timeout=60)
        extra = students_csv(args.contestants, args.import_during)
        t = time.monotonic()
        resp = org.post(f"{base}/auth/import", data={"csrf_token": csrf_of(form.text)},
                        files={"file": ("ds-muon.csv", extra, "text/csv")}, timeout=600)
        import_s = time.monotonic() - t
        import_status = resp.status_code
        # then until the queue is empty: every submission judged
        judged = wait_judged(settings, len(submitters) + len(crowd), timeout=args.judge_timeout)
        empty_at = time.monotonic()
        check = verify(settings, expected, args.contestants + args.import_during, timeout=600)
    except Exception:
        print("\n".join(rec.rows()), flush=True)
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        stop_stack(stack)
        if args.keep:
            print(f"logs and database kept in {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    total = len(expected) and sum(len(v) for v in expected.values())
    out += rec.rows()
    out += [
        "",
        f"- setup: import of {args.contestants} students through the import service: {info['import_s']:.1f} s",
        f"- judging: {total} submissions judged in {empty_at - first_submit:.1f} s from the first submission "
        f"({total / (empty_at - first_submit):.2f} /s); queue empty {empty_at - last_submit:.1f} s after the last one; "
        f"{judged} done",
        f"- import during judging ({args.import_during} students, web page): HTTP {import_status} in {import_s:.1f} s; {check}",
    ]
    return out


def wait_judged(settings: dict, count: int, timeout: float) -> int:
    from sqlalchemy import func, select
    from sqlalchemy.exc import OperationalError

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Submission

    app = create_app(settings)
    with app.app_context():
        deadline = time.monotonic() + timeout
        while True:
            try:
                done = db.session.scalar(select(func.count(Submission.id)).where(Submission.status == "done"))
            except OperationalError as exc:  # the database busy (e.g. locked by a long write): ask again
                print(f"(monitor: {exc.orig})", flush=True)
                done = -1
            db.session.rollback()
            if done >= count:
                db.session.remove()
                db.engine.dispose()
                return done
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {done} of {count} judged after {timeout} s")
            time.sleep(0.5)


def verify(settings: dict, expected: dict[str, list[str]], students: int, timeout: float) -> str:
    """Every submission judged with the expected verdict, its 6 test rows once; every student there."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import OperationalError

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Submission, SubmissionTest, User

    app = create_app(settings)
    with app.app_context():
        deadline = time.monotonic() + timeout
        while True:
            try:
                if db.session.scalar(select(func.count(User.id)).where(User.role == "student")) >= students:
                    break
            except OperationalError:
                pass
            db.session.rollback()
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        n_students = db.session.scalar(select(func.count(User.id)).where(User.role == "student"))
        rows = db.session.execute(select(User.username, Submission.id, Submission.status, Submission.verdict)
                                  .join(User, User.id == Submission.user_id).order_by(Submission.id)).all()
        got: dict[str, list[str]] = {}
        for r in rows:
            got.setdefault(r.username, []).append(r.verdict if r.status == "done" else r.status)
        wrong = [u for u in expected if sorted(got.get(u, [])) != sorted(expected[u])]
        per_test = db.session.execute(select(SubmissionTest.submission_id, func.count(SubmissionTest.id))
                                      .group_by(SubmissionTest.submission_id)).all()
        bad_rows = [sid for sid, n in per_test if n != TESTS]
        db.session.remove()
        db.engine.dispose()
    if wrong:
        print("wrong or missing verdicts, first 5:", [(u, expected[u], got.get(u)) for u in wrong[:5]], flush=True)
    ok = not wrong and not bad_rows and n_students == students and len(rows) == sum(len(v) for v in expected.values())
    return (f"{'nothing lost' if ok else 'PROBLEM'}: {n_students}/{students} students exist, {len(rows)} submissions, "
            f"{len(wrong)} with a wrong or missing verdict, {len(bad_rows)} with a wrong number of test rows")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contestants", type=int, default=1000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--redis-url", help="default: a free port, where the supervisor starts a redis-server of its own")
    ap.add_argument("--workers", type=int, default=0, help="judge workers (default: one per CPU)")
    ap.add_argument("--submitters", type=int, default=200)
    ap.add_argument("--login-rate", type=float, default=20)
    ap.add_argument("--browse-rate", type=float, default=50)
    ap.add_argument("--submit-rate", type=float, default=20)
    ap.add_argument("--burst", type=int, default=32)
    ap.add_argument("--import-during", type=int, default=300)
    ap.add_argument("--judge-timeout", type=float, default=1800)
    ap.add_argument("--password-method", default="scrypt:4096:8:1",
                    help="hash of the imported students' passwords (the students' hash of issue 12; a login "
                         "costs what the stored hash's parameters say)")
    ap.add_argument("--write", help="append the results to this markdown file")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (stack log, access log, SQLite file)")
    args = ap.parse_args()
    from bench.judge_bench import machine

    head = [f"machine: {machine()}",
            f"{args.contestants} contestants on {args.db}; login {args.login_rate:g}/s, problem list and statement "
            f"{args.browse_rate:g}/s, {args.submitters} submissions at {args.submit_rate:g}/s + a burst of {args.burst}, "
            f"import of {args.import_during} during judging; students' password hash {args.password_method}"]
    lines = run(args)
    text = "\n".join(head + [""] + lines)
    print(text)
    if args.write:
        with open(args.write, "a") as f:
            f.write(f"\n### Contest load, {args.db}, run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n")
            f.write("\n".join(f"{h}  " for h in head) + "\n\n" + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
