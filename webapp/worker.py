"""`python -m webapp.worker`: one RQ worker (queues TASKS_QUEUE, then JUDGE_QUEUE) with an app context
for its whole life.

Jobs run in the worker process itself (rq SimpleWorker): no fork per job, so the Docker client is
reused. The sandbox bounds every run, so a job cannot hang the worker.

Redis may go away (restarted, network cut): rq's work loop then logs "found an unhandled exception,
quitting" and returns. `serve()` wraps it: it waits for Redis with an exponential backoff (logging every
retry) and starts a fresh rq worker; only SIGINT/SIGTERM end it. What was being judged when Redis went
away is safe in the database and re-queued by the sweeper.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import time

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker

from . import create_app


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_orphans() -> int:
    """Remove judge containers (and their io dirs) whose judge process on this host is dead: a worker
    killed mid-judging leaves its container behind. Containers of live workers are left alone."""
    try:
        from judge import sandbox
    except ImportError:
        return 0
    owner_label = getattr(sandbox, "OWNER_LABEL", None)
    if owner_label is None:
        return 0
    host = os.uname().nodename
    removed = 0
    try:
        # sparse: no inspect per container (one may vanish meanwhile: they are auto-removed)
        containers = sandbox.docker_client().containers.list(all=True, sparse=True, filters={"label": sandbox.LABEL})
    except Exception as exc:  # no engine: nothing to clean, judging will report it
        logging.getLogger(__name__).warning("cannot list judge containers: %s", exc)
        return 0
    for c in containers:
        owner_host, _, pid = ((c.attrs.get("Labels") or {}).get(owner_label) or "").rpartition(":")
        if owner_host != host or not pid.isdigit() or _pid_alive(int(pid)):
            continue
        io_dirs = [m.get("Source") for m in c.attrs.get("Mounts", []) if m.get("Destination") == "/io"]
        try:
            c.remove(force=True)
            removed += 1
        except Exception:
            continue
        for d in io_dirs:
            if d and os.path.basename(d).startswith("judge-"):  # made by Sandbox.start()
                shutil.rmtree(d, ignore_errors=True)
    return removed


class Backoff:
    """Delays for retries: first, first*2, first*4 … capped at `cap` seconds; reset() after a success."""

    def __init__(self, first: float = 0.5, cap: float = 30.0):
        self.first, self.cap, self.attempt = first, cap, 0

    def next(self) -> float:
        delay = min(self.cap, self.first * (2 ** self.attempt))
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0


class StoppableWorker(SimpleWorker):
    """SimpleWorker that remembers a stop request (SIGINT/SIGTERM), so that serve() can tell a stop
    from a work loop that ended on an error."""

    stop_asked = False

    def request_stop(self, signum, frame):
        StoppableWorker.stop_asked = True
        super().request_stop(signum, frame)

    def request_force_stop(self, signum, frame):
        StoppableWorker.stop_asked = True
        super().request_force_stop(signum, frame)


def _stop_between_workers(signum, frame):
    """While no rq worker runs (waiting for Redis), a stop signal ends the process at once."""
    StoppableWorker.stop_asked = True
    raise SystemExit(0)


def serve(redis_url: str, queue_names: list[str], backoff: Backoff | None = None, sleep=time.sleep,
          log: logging.Logger | None = None) -> None:
    """Run rq workers on `queue_names` (in priority order) until SIGINT/SIGTERM; survive Redis outages.

    Each round pings Redis and runs one rq work loop; a Redis error (at start, while dequeuing, while
    reporting a job's end), any other error of rq, or a loop that ended by itself is logged and followed by a retry after
    backoff.next() seconds (0.5 s doubling to 30 s; reset once a loop has run). Never returns but on a
    stop request.
    """
    log = log or logging.getLogger("webapp.worker")
    backoff = backoff or Backoff()
    StoppableWorker.stop_asked = False
    while True:
        signal.signal(signal.SIGINT, _stop_between_workers)
        signal.signal(signal.SIGTERM, _stop_between_workers)
        reason = None
        try:
            conn = Redis.from_url(redis_url, health_check_interval=10, socket_keepalive=True)
            conn.ping()
            if backoff.attempt:
                log.info("redis is back after %s retr%s", backoff.attempt, "y" if backoff.attempt == 1 else "ies")
            backoff.reset()
            worker = StoppableWorker([Queue(n, connection=conn) for n in queue_names], connection=conn)
            worker.work(with_scheduler=False)
            reason = "the rq work loop ended"
        except RedisError as exc:
            reason = f"redis error: {exc}"
        except Exception as exc:  # anything else from rq's bookkeeping: same rule, never quit
            log.exception("rq worker failed")
            reason = f"unexpected error: {exc!r}"
        if StoppableWorker.stop_asked:
            return
        delay = backoff.next()
        log.warning("%s; retry %s in %.1f s", reason, backoff.attempt, delay)
        sleep(delay)


def queue_names(config) -> list[str]:
    """The queues a worker listens on, in the order it serves them: background tasks (an import holds a
    worker for a few seconds; behind a judging backlog it would wait minutes), then judging."""
    names = [config["JUDGE_QUEUE"]]
    if config.get("TASKS_QUEUE") and config["TASKS_QUEUE"] not in names:
        names.insert(0, config["TASKS_QUEUE"])
    return names


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    app = create_app()
    with app.app_context():
        try:
            from judge.sandbox import cleanup_orphans
        except ImportError:
            cleanup_orphans = remove_orphans
        n = cleanup_orphans()
        if n:
            logging.info("removed %s judge container(s) left by dead workers", n)
        serve(app.config["REDIS_URL"], queue_names(app.config))


if __name__ == "__main__":
    main()
