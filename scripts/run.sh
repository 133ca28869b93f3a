#!/usr/bin/env bash
# Run the whole system in the foreground under a supervisor (webapp/supervisor.py): Redis (when none
# answers), one RQ worker per CPU (WORKERS), the sweeper and the site under gunicorn (BIND). What dies
# is logged and restarted with a backoff; a dying worker never takes the web down; Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
export FLASK_APP=webapp
PYTHON=${PYTHON:-.venv/bin/python}
export PYTHON
exec "$PYTHON" -m webapp.supervisor
