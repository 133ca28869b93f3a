"""The supervisor of `make up` (webapp/supervisor.py, started by scripts/run.sh): what dies is restarted
with a backoff and logged, a dying worker never takes the web down, Ctrl-C stops everything."""
from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.helpers import wait_for
from webapp.supervisor import Program, Supervisor, gunicorn_args, programs_from_env
from webapp.worker import Backoff, queue_names

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead too (reaped by init later)
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def logs(caplog):
    """caplog for the supervisor's and the worker's loggers. Alembic's fileConfig (run by the migration
    tests) disables the loggers that exist at that moment; these two must speak here."""
    for name in ("webapp.supervisor", "webapp.worker"):
        logging.getLogger(name).disabled = False
        caplog.set_level(logging.INFO, logger=name)
    return caplog


def test_backoff_doubles_up_to_its_cap_and_resets():
    b = Backoff(first=1.0, cap=5.0)
    assert [b.next() for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    b.reset()
    assert b.next() == 1.0


def test_a_crashing_program_is_restarted_with_backoff_and_the_others_are_left_alone(logs):
    caplog = logs
    crasher = Program("crasher", [sys.executable, "-c", "import sys; sys.exit(3)"])
    sleeper = Program("sleeper", [sys.executable, "-c", "import time; time.sleep(300)"])
    sup = Supervisor([crasher, sleeper], stable_seconds=30)
    for p in (crasher, sleeper):
        sup.start(p)
    sleeper_pid = sleeper.proc.pid
    try:
        first = crasher.proc.pid
        wait_for(lambda: crasher.proc.poll() is not None, 30, "the crasher to exit")
        t0 = time.monotonic()
        sup.check(crasher, t0)  # noticed: restart scheduled in 1 s
        assert crasher.proc is None and crasher.restarts == 1
        assert f"crasher (pid {first}) exited with code 3" in caplog.text and "restart #1 in 1 s" in caplog.text
        sup.check(crasher, t0 + 0.5)
        assert crasher.proc is None  # not yet
        sup.check(crasher, t0 + 1.0)
        assert crasher.proc is not None and crasher.proc.pid != first
        wait_for(lambda: crasher.proc.poll() is not None, 30, "the crasher to exit again")
        sup.check(crasher, t0 + 1.1)  # it died at once again: the delay doubles
        assert "restart #2 in 2 s" in caplog.text
        sup.check(sleeper, t0 + 1.1)
        assert sleeper.proc.pid == sleeper_pid and sleeper.proc.poll() is None
        # a program that ran long enough before dying starts again from the first delay
        sup.check(crasher, t0 + 3.1)
        wait_for(lambda: crasher.proc.poll() is not None, 30, "the crasher to exit a third time")
        crasher.started_at -= 60
        sup.check(crasher, time.monotonic())
        assert "restart #3 in 1 s" in caplog.text
    finally:
        sup.stop()
    assert not alive(sleeper_pid)


def test_programs_one_worker_per_cpu_each_on_its_own_cpu(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    programs = programs_from_env({"REDIS_URL": "redis://10.0.0.9:6379/0", "BIND": "127.0.0.1:8123"})
    names = [p.name for p in programs]
    assert names == ["worker-0", "worker-1", "worker-2", "worker-3", "sweeper", "web"]  # remote Redis: not ours
    assert [p.env["JUDGE_CPUS"] for p in programs[:4]] == ["0", "1", "2", "3"]
    programs = programs_from_env({"REDIS_URL": "redis://10.0.0.9:6379/0", "WORKERS": "6", "JUDGE_CPUS": "1"})
    assert [p.name for p in programs].count("worker-5") == 1
    assert all("JUDGE_CPUS" not in p.env for p in programs)  # the operator's choice is kept
    args = gunicorn_args({"BIND": "0.0.0.0:80"}, 2)
    assert args[args.index("--workers") + 1] == "5" and args[args.index("--backlog") + 1] == "2048"
    assert queue_names({"JUDGE_QUEUE": "judge", "TASKS_QUEUE": "tasks"}) == ["tasks", "judge"]


def test_a_local_redis_that_does_not_answer_is_started_by_the_supervisor():
    port = free_port()
    programs = programs_from_env({"REDIS_URL": f"redis://127.0.0.1:{port}/0", "WORKERS": "1"})
    assert programs[0].name == "redis" and programs[0].argv[:5] == ["redis-server", "--bind", "127.0.0.1", "--port", str(port)]
    assert programs_from_env({"REDIS_URL": f"redis://127.0.0.1:{port}/0", "WORKERS": "1", "START_REDIS": "0"})[0].name == "worker-0"


@pytest.mark.docker
def test_run_sh_restarts_a_killed_worker_keeps_the_web_up_and_stops_on_ctrl_c(app, redis_conn, tmp_path, judge_image):
    port = free_port()
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "BIND": f"127.0.0.1:{port}",
        "WORKERS": "2",
        "WEB_WORKERS": "2",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "START_REDIS": "0",
        "JUDGE_QUEUE": f"judge-test-{uuid.uuid4().hex[:8]}",
        "SECRET_KEY": "test-secret",
        "PROBLEMS_DIR": str(tmp_path / "problems"),
        "ACCESS_LOG": str(tmp_path / "access.log"),
    }
    log_path = tmp_path / "run.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "run.sh")], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/auth/login"

    def web_ok():
        try:
            return requests.get(url, timeout=30).status_code == 200
        except requests.ConnectionError:  # refused: nothing listens
            return False

    def pids():
        return {m.group(1): int(m.group(2)) for m in re.finditer(r"started (\S+) \(pid (\d+)\)", log_path.read_text())}

    seen: set[int] = set()
    try:
        wait_for(web_ok, 60, "the site to answer")
        wait_for(lambda: {"worker-0", "worker-1", "sweeper", "web"} <= set(pids()), 30, "every program to start")
        # the workers are listening (rq registers them in Redis)
        wait_for(lambda: len(redis_conn.smembers("rq:workers")) >= 2, 60, "two rq workers")
        before = pids()
        seen.update(before.values())
        os.kill(before["worker-1"], signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(lambda: pids()["worker-1"] != before["worker-1"], 30, "worker-1 to be restarted")
        restarted_in = time.monotonic() - killed_at
        seen.update(pids().values())
        text = log_path.read_text()
        assert f"worker-1 (pid {before['worker-1']}) exited with signal 9" in text
        assert web_ok()  # the web never went down
        assert pids()["web"] == before["web"] and pids()["worker-0"] == before["worker-0"]
        print(f"worker restarted {restarted_in:.1f} s after SIGKILL")
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "got SIGINT: stopping everything" in log_path.read_text()
    assert not web_ok()
    wait_for(lambda: not any(alive(p) for p in seen), 10, "every child to be gone")


def test_a_worker_waits_for_redis_with_backoff_and_logs_each_retry(logs):
    caplog = logs
    from webapp.worker import serve

    delays = []

    def sleep(seconds):
        delays.append(seconds)
        if len(delays) == 4:
            raise SystemExit(0)  # as SIGTERM would end it

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}  # serve() installs its own
    try:
        with pytest.raises(SystemExit):
            serve(f"redis://127.0.0.1:{free_port()}/0", ["judge"], backoff=Backoff(first=0.5, cap=1.5), sleep=sleep)
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)
    assert delays == [0.5, 1.0, 1.5, 1.5]
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == 4 and retries[0].startswith("redis error:") and retries[-1].endswith("retry 4 in 1.5 s")
