"""Benchmark of the bulk student import and of the password hash.

    python bench/import_bench.py [--students 1000] [--redis-url redis://127.0.0.1:6379/14] [--write docs/benchmarks.md]

Through the real code: an organiser uploads an XLSX of N students to /auth/import (validation in the
request), then the real RQ job runs (rq SimpleWorker, burst, on TASKS_QUEUE, in this process) against a
fresh SQLite file with the production settings (WAL, busy timeout, PASSWORD_METHOD). Reports:

* validation (the request), the job (usernames + hashing + the write), and the write transaction alone
  (how long the database's write lock is held);
* the cost of one student password hash (PASSWORD_METHOD) and of one staff hash (STAFF_PASSWORD_METHOD),
  median of 40, CPU and wall time;
* how many password checks per second two threads do (a bound on logins/s from hashing alone).

Target (issue 12): 1,000 students in ≤ 30 s, end to end.
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def workbook(n: int) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Họ và tên", "Ngày sinh", "Cấp học", "Lớp", "Trường", "Đơn vị"])
    levels = [("Tiểu học", 4), ("THCS", 8), ("THPT", 11)]
    for i in range(n):
        level, grade = levels[i % 3]
        ws.append([f"Nguyễn Văn Học Sinh {i}", date(2026 - 6 - grade, 1 + i % 12, 1 + i % 28), level, grade,
                   f"Trường số {i % 40}", f"Quận {i % 12 + 1}"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def hash_costs(method: str, n: int = 40) -> tuple[float, float]:
    """(median wall ms, median CPU ms) of one generate_password_hash with `method`."""
    from werkzeug.security import generate_password_hash

    from webapp.services.accounts import generate_password

    walls, cpus = [], []
    for _ in range(n):
        pw = generate_password()
        w, c = time.perf_counter(), time.process_time()
        generate_password_hash(pw, method=method)
        walls.append((time.perf_counter() - w) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def checks_per_second(method: str, threads: int = 2, n: int = 200) -> float:
    from werkzeug.security import check_password_hash, generate_password_hash

    stored = generate_password_hash("abcdefgh", method=method)
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        assert all(pool.map(lambda _: check_password_hash(stored, "abcdefgh"), range(n)))
    return n / (time.perf_counter() - start)


def run(students: int, redis_url: str) -> list[str]:
    from redis import Redis
    from rq import Queue, SimpleWorker

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import User
    from webapp.services import student_import
    from webapp.services.users import create_user

    tmp = Path(tempfile.mkdtemp(prefix="import-bench-"))
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}", "REDIS_URL": redis_url, "SECRET_KEY": "bench",
        "TASKS_QUEUE": f"tasks-bench-{uuid.uuid4().hex[:8]}", "WTF_CSRF_ENABLED": False, "PROBLEMS_DIR": str(tmp / "p"),
    })
    lines = []
    with app.app_context():
        db.create_all()
        create_user("btc", "btc12345", "organiser")
        db.session.commit()
        client = app.test_client()
        assert client.post("/auth/login", data={"username": "btc", "password": "btc12345"}).status_code == 302
        payload = workbook(students)

        write_times = []
        real_store = student_import.store_students

        def timed_store(*args, **kwargs):  # the write transaction alone
            t, c = time.perf_counter(), time.process_time()
            try:
                return real_store(*args, **kwargs)
            finally:
                write_times.append((time.perf_counter() - t, time.process_time() - c))

        student_import.store_students = timed_store
        try:
            t0 = time.perf_counter()
            resp = client.post("/auth/import", data={"file": (io.BytesIO(payload), "ds.xlsx")},
                               content_type="multipart/form-data")
            t1 = time.perf_counter()
            assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
            c1 = time.process_time()  # CPU of every thread of this process
            conn = Redis.from_url(redis_url)
            SimpleWorker([Queue(app.config["TASKS_QUEUE"], connection=conn)], connection=conn).work(
                burst=True, with_scheduler=False, logging_level="WARNING")
            t2 = time.perf_counter()
            job_cpu = time.process_time() - c1
        finally:
            student_import.store_students = real_store
        status = client.get(resp.headers["Location"] + "/status").get_json()
        assert status["state"] == "done", status
        result = client.get(resp.headers["Location"] + "/result")
        assert result.get_data(as_text=True).count("<code>") == 2 * students
        t3 = time.perf_counter()
        stored = db.session.query(User).filter(User.role == "student").count()
        assert stored == students, stored
        method, staff = app.config["PASSWORD_METHOD"], app.config["STAFF_PASSWORD_METHOD"]
        lines += [
            f"students: {students}, stored {stored}; SQLite WAL, busy timeout {app.config['DB_LOCK_TIMEOUT']:g} s",
            f"validation (POST /auth/import)      {t1 - t0:6.2f} s",
            f"job (usernames + hashing + write)   {t2 - t1:6.2f} s   ({job_cpu:.2f} s of CPU over "
            f"{min(4, os.cpu_count() or 1)} hashing threads: {job_cpu / min(2, os.cpu_count() or 1):.2f} s on 2 idle CPUs)",
            f"  of which the write transaction    {write_times[0][0]:6.3f} s  ({write_times[0][1]:.3f} s of CPU; "
            "the write lock is held at most this long)",
            f"credentials page                    {t3 - t2:6.2f} s",
            f"end to end                          {t3 - t0:6.2f} s   (target <= 30 s)",
        ]
        for label, m in (("student", method), ("staff", staff)):
            wall, cpu = hash_costs(m)
            lines.append(f"one {label} hash {m}: median {wall:.1f} ms wall, {cpu:.1f} ms CPU")
        lines.append(f"password checks/s on 2 threads ({method}): {checks_per_second(method):.0f}")
        db.session.remove()
        db.drop_all()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--write", help="append the run to this Markdown file")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    lines = run(args.students, args.redis_url)
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    head = f"machine: {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load average {load:.2f} at start"
    report = [head, *lines]
    print("\n".join(report))
    if args.write:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        with open(args.write, "a", encoding="utf-8") as f:
            f.write(f"\n### Import run of {stamp}\n\n```\n" + "\n".join(report) + "\n```\n")


if __name__ == "__main__":
    main()
