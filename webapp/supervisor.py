"""`python -m webapp.supervisor` (what `make up` / scripts/run.sh run): start the system's processes in
the foreground and keep them running.

Programs: `redis` (only when REDIS_URL is on this host, nobody answers there and START_REDIS is not 0),
`worker-0` … `worker-(N-1)` (N = WORKERS, default one per CPU; worker i pins its sandboxes to CPU
i mod ncpu through JUDGE_CPUS unless JUDGE_CPUS is set), `sweeper`, and `web` (gunicorn).

Rules:
- a program that exits (crash, SIGKILL, OOM) is logged and started again after a backoff: 1 s, doubling
  up to 30 s; the backoff is reset when the program had run for at least STABLE_SECONDS (30 s);
- programs are independent: a dying worker never stops the web, nor anything else;
- SIGINT (Ctrl-C) or SIGTERM stops everything: SIGTERM to every program's process group (rq finishes
  or abandons its job, gunicorn stops gracefully), SIGKILL to what is still there after GRACE_SECONDS.
  Each program runs in a process group of its own, so that a terminal's Ctrl-C reaches the supervisor
  only and the stop happens once, in order; each also gets SIGTERM if the supervisor itself dies.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

from .worker import Backoff

STABLE_SECONDS = 30.0
GRACE_SECONDS = 20.0
POLL_SECONDS = 0.2
log = logging.getLogger("webapp.supervisor")


@dataclass
class Program:
    """One supervised process: how to start it and its restart state."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    backoff: Backoff = field(default_factory=lambda: Backoff(first=1.0, cap=30.0))
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    start_after: float = 0.0  # monotonic time of the next (re)start
    restarts: int = 0


def _die_with_parent() -> None:  # runs in the child between fork and exec
    os.setpgid(0, 0)
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: SIGTERM when the supervisor dies
    except OSError:
        pass


class Supervisor:
    def __init__(self, programs: list[Program], stable_seconds: float = STABLE_SECONDS,
                 grace_seconds: float = GRACE_SECONDS):
        self.programs = programs
        self.stable_seconds = stable_seconds
        self.grace_seconds = grace_seconds
        self.stopping = False

    def start(self, p: Program) -> None:
        env = {**os.environ, **p.env}
        try:
            p.proc = subprocess.Popen(p.argv, env=env, preexec_fn=_die_with_parent)
        except OSError as exc:  # e.g. the program is not installed: retried like a crash
            p.proc = None
            delay = p.backoff.next()
            p.start_after = time.monotonic() + delay
            log.error("cannot start %s (%s); retry in %.0f s", p.name, exc, delay)
            return
        p.started_at = time.monotonic()
        log.info("started %s (pid %s)", p.name, p.proc.pid)

    def check(self, p: Program, now: float) -> None:
        """Notice a death and schedule the restart; start what is due."""
        if p.proc is not None:
            code = p.proc.poll()
            if code is None:
                return
            ran = now - p.started_at
            if ran >= self.stable_seconds:
                p.backoff.reset()
            delay = p.backoff.next()
            p.restarts += 1
            how = f"signal {-code}" if code < 0 else f"code {code}"
            log.warning("%s (pid %s) exited with %s after %.1f s; restart #%s in %.0f s",
                        p.name, p.proc.pid, how, ran, p.restarts, delay)
            try:  # what it started (gunicorn's workers still holding the port…) goes with it
                os.killpg(p.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            p.proc = None
            p.start_after = now + delay
        if p.proc is None and now >= p.start_after:
            self.start(p)

    def _on_signal(self, signum, frame) -> None:
        if not self.stopping:
            log.info("got %s: stopping everything", signal.Signals(signum).name)
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        for p in self.programs:
            self.start(p)
        while not self.stopping:
            now = time.monotonic()
            for p in self.programs:
                if self.stopping:
                    break
                self.check(p, now)
            time.sleep(POLL_SECONDS)
        self.stop()
        return 0

    def stop(self) -> None:
        running = [p for p in self.programs if p.proc is not None and p.proc.poll() is None]
        for p in running:
            try:
                os.killpg(p.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + self.grace_seconds
        for p in running:
            try:
                p.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s (pid %s) did not stop in %.0f s: killed", p.name, p.proc.pid, self.grace_seconds)
                p.proc.kill()
                p.proc.wait()
            try:  # what the program started (gunicorn's workers…) goes with it
                os.killpg(p.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        log.info("stopped")


def _redis_answers(url: str) -> bool:
    from redis import Redis

    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except Exception:
        return False


def programs_from_env(env: dict[str, str] | None = None) -> list[Program]:
    """The programs of `make up`, from the environment (see README, "Running on contest day")."""
    env = dict(os.environ if env is None else env)
    py = env.get("PYTHON") or sys.executable
    ncpu = os.cpu_count() or 1
    workers = int(env.get("WORKERS") or ncpu)
    programs: list[Program] = []
    redis_url = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    u = urlparse(redis_url)
    if (env.get("START_REDIS", "1") != "0" and u.hostname in ("127.0.0.1", "localhost")
            and not _redis_answers(redis_url)):
        programs.append(Program("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(u.port or 6379),
                                          "--save", "", "--appendonly", "no"]))
    for i in range(workers):
        wenv = {"JUDGE_WORKER_INDEX": str(i)}
        if not env.get("JUDGE_CPUS"):
            wenv["JUDGE_CPUS"] = str(i % ncpu)
        programs.append(Program(f"worker-{i}", [py, "-m", "webapp.worker"], wenv))
    programs.append(Program("sweeper", [py, "-m", "flask", "--app", "webapp", "sweeper"]))
    programs.append(Program("web", [py, "-m", "gunicorn", *gunicorn_args(env, ncpu), "webapp:create_app()"]))
    return programs


def gunicorn_args(env: dict[str, str], ncpu: int) -> list[str]:
    """Gunicorn for a contest start: 2·ncpu+1 processes × 8 threads (requests wait on the database and
    Redis more than on the CPU), a listen backlog of 2048 so that a burst of connections waits in the
    kernel rather than being reset, and a worker timeout well above the slowest request."""
    return [
        "--workers", env.get("WEB_WORKERS") or str(2 * ncpu + 1),
        "--threads", env.get("WEB_THREADS") or "8",
        "--backlog", env.get("WEB_BACKLOG") or "2048",
        "--timeout", "120", "--graceful-timeout", "20", "--keep-alive", "5",
        "--bind", env.get("BIND") or "127.0.0.1:5000",
        "--access-logfile", env.get("ACCESS_LOG", "-"),
    ]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s supervisor %(levelname)s %(message)s",
                        stream=sys.stderr)
    programs = programs_from_env()
    log.info("site on http://%s (Ctrl-C stops everything)", os.environ.get("BIND") or "127.0.0.1:5000")
    return Supervisor(programs).run()


if __name__ == "__main__":
    sys.exit(main())
