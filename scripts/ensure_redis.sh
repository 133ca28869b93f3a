#!/usr/bin/env bash
# Make sure a Redis server answers on 127.0.0.1:6379 (Debian's redis-server, started in the background).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/ensure_apt.sh" redis-server
if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then exit 0; fi
echo ">> starting redis-server on 127.0.0.1:6379"
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no \
  --logfile /var/log/redis-tinhoctre.log >/dev/null
for _ in $(seq 1 100); do
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0
  sleep 0.1
done
echo "redis-server did not answer on 127.0.0.1:6379 (see /var/log/redis-tinhoctre.log)" >&2
exit 1
