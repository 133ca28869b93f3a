#!/usr/bin/env bash
# Run the whole system in the foreground: RQ judge worker(s), the sweeper, the site under gunicorn.
# Ctrl-C (or any of them dying) stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
export FLASK_APP=webapp
VENV=.venv/bin
WORKERS=${WORKERS:-1}
BIND=${BIND:-127.0.0.1:5000}
pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo ">> stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

ncpu=$(nproc)
for i in $(seq 0 $((WORKERS - 1))); do
  # each worker's sandboxes are pinned to their own CPU (round robin over the machine's CPUs)
  JUDGE_CPUS=$(( (ncpu - 1 - i % ncpu + ncpu) % ncpu )) $VENV/python -m webapp.worker &
  pids+=($!)
done
$VENV/flask sweeper &
pids+=($!)
$VENV/gunicorn --workers "${WEB_WORKERS:-3}" --threads 4 --timeout 300 --bind "$BIND" --access-logfile - 'webapp:create_app()' &
pids+=($!)
echo ">> site on http://$BIND  (Ctrl-C stops everything)"
wait -n "${pids[@]}"
