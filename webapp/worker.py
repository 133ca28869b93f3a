"""`python -m webapp.worker`: one RQ judge worker with an app context for its whole life.

Jobs run in the worker process itself (rq SimpleWorker): no fork per job, so database connections and
the Docker client are reused. The sandbox bounds every run, so a job cannot hang the worker.
"""
from __future__ import annotations

import logging

from redis import Redis
from rq import Queue, SimpleWorker

from . import create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    app = create_app()
    with app.app_context():
        try:
            from judge.sandbox import cleanup_orphans
        except ImportError:
            cleanup_orphans = None
        if cleanup_orphans:
            cleanup_orphans()
        conn = Redis.from_url(app.config["REDIS_URL"])
        queue = Queue(app.config["JUDGE_QUEUE"], connection=conn)
        SimpleWorker([queue], connection=conn).work(with_scheduler=False)


if __name__ == "__main__":
    main()
