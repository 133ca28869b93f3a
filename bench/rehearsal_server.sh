#!/usr/bin/env bash
# An isolated site for bench/rehearsal.py: fresh SQLite db, problem and creative folders under $OUT,
# Redis db 11, queue judge-reh, gunicorn on :5077 and one judge worker. `stop` ends both.
set -euo pipefail
OUT=${OUT:-/tmp/reh}
PORT=${PORT:-5077}
VENV=${VENV:-/work/main/.venv}
cd "$(dirname "$0")/.."
if [ "${1:-start}" = stop ]; then
  for f in "$OUT/gunicorn.pid" "$OUT/worker.pid"; do [ -f "$f" ] && kill -- "-$(cat "$f")" 2>/dev/null || true; rm -f "$f"; done
  exit 0
fi
rm -rf "$OUT"; mkdir -p "$OUT/shots"
cat > "$OUT/env.sh" <<ENV
export DATABASE_URL=sqlite:///$OUT/db.sqlite PROBLEMS_DIR=$OUT/problems CREATIVE_DIR=$OUT/creative
export REDIS_URL=redis://127.0.0.1:6379/11 JUDGE_QUEUE=judge-reh SECRET_KEY=rehearsal-only
ENV
. "$OUT/env.sh"
redis-cli -n 11 flushdb >/dev/null
"$VENV/bin/flask" --app webapp db upgrade >/dev/null
"$VENV/bin/flask" --app webapp demo >/dev/null
setsid "$VENV/bin/gunicorn" -w 2 --threads 4 --timeout 300 -b "127.0.0.1:$PORT" 'webapp:create_app()' >"$OUT/gunicorn.log" 2>&1 &
echo $! >"$OUT/gunicorn.pid"
setsid "$VENV/bin/python" -m webapp.worker >"$OUT/worker.log" 2>&1 &
echo $! >"$OUT/worker.pid"
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 1; done
echo "site on http://127.0.0.1:$PORT (env: $OUT/env.sh)"
