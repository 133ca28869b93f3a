"""`python -m webapp.worker`: one RQ judge worker with an app context for its whole life.

Jobs run in the worker process itself (rq SimpleWorker): no fork per job, so database connections and
the Docker client are reused. The sandbox bounds every run, so a job cannot hang the worker.
"""
from __future__ import annotations

import logging
import os
import shutil

from redis import Redis
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
        conn = Redis.from_url(app.config["REDIS_URL"])
        queue = Queue(app.config["JUDGE_QUEUE"], connection=conn)
        SimpleWorker([queue], connection=conn).work(with_scheduler=False)


if __name__ == "__main__":
    main()
