#!/usr/bin/env bash
# `make compose-check`: prove that the compose stack works, on a throw-away project.
#
# Builds the images (scripts/compose.sh build; SKIP_BUILD=1 skips it), then starts the stack under a
# unique project name with its own env file, a free web port and a temporary data folder, and:
#   1. waits until web and every worker ($WORKERS, default 2) are healthy, each worker pinning its
#      sandboxes to a CPU of its own (compose replica number mod CPUs);
#   2. creates an organiser and a student (`flask create-user` in the web container) and loads the demo
#      contest (`flask demo` in a worker container, which has the Docker engine that compiles checkers:
#      contest, divisions, problems; students admitted to their level's division);
#   3. the student submits an accepted solution through the API (/api/v1/token, /api/v1/submissions);
#      it must be judged AC, and the organiser must see it judged AC too;
#   4. takes the stack down with its volumes and fails if any container, network or volume of the
#      project is left.
# REMOTE_WORKER=1: no compose worker; instead one worker started like on another host (README, "Adding
# a worker host": `docker run` of tinhoctre-web, Redis and PostgreSQL reached through the ports that
# deploy/compose.remote-workers.yml publishes on the docker0 address, an empty PROBLEMS_DIR of its own,
# so it must fetch the package from the database, its own io folder), and the demo loaded by a one-off
# admin container; checks that the worker's cache holds the fetched package afterwards.
# Prints the time of each phase. Exit 0 = all good.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/compose.sh
source "$ROOT/scripts/compose.sh"  # build, compose_cmd, wait_healthy; cd to the repository

T0=$SECONDS
if [ -z "${SKIP_BUILD:-}" ]; then build; fi
T_BUILD=$((SECONDS - T0))
REMOTE_WORKER="${REMOTE_WORKER:-0}"
REMOTE_WORKERS="$REMOTE_WORKER" compose_cmd  # nothing else published unless asked, whatever .env says

WORKERS="${WORKERS:-2}"
[ "$REMOTE_WORKER" = 1 ] && WORKERS=0
TMP="$(mktemp -d /tmp/tinhoctre-compose-check.XXXXXX)"
DATA="$TMP/data"
PROJECT="tinhoctre-check-$(basename "$TMP" | cut -d. -f2 | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'; }
secret() { python3 -c 'import secrets; print(secrets.token_hex(16))'; }
PORT="$(free_port)"
SECRET_KEY="$(secret)" POSTGRES_PASSWORD="$(secret)" REDIS_PASSWORD="$(secret)"
REDIS_PORT="$(free_port)" POSTGRES_PORT="$(free_port)"
# the docker0 address: every container reaches the host there
DATA_BIND="$(docker network inspect bridge -f '{{(index .IPAM.Config 0).Gateway}}' 2>/dev/null || true)"
[ -n "$DATA_BIND" ] || DATA_BIND="$(ip -4 -o addr show docker0 2>/dev/null | awk '{ split($4, a, "/"); print a[1] }')"
[ -n "$DATA_BIND" ] || DATA_BIND=172.17.0.1
mkdir -p "$DATA/problems" "$DATA/io"
cat >"$TMP/env" <<EOF
SECRET_KEY=$SECRET_KEY
POSTGRES_PASSWORD=$POSTGRES_PASSWORD
REDIS_PASSWORD=$REDIS_PASSWORD
TINHOCTRE_DATA=$DATA
WEB_PORT=$PORT
WEB_WORKERS=2
DATA_BIND=$DATA_BIND
REDIS_PORT=$REDIS_PORT
POSTGRES_PORT=$POSTGRES_PORT
EOF
COMPOSE+=(-p "$PROJECT" --env-file "$TMP/env")
REMOTE_NAME="$PROJECT-remote-worker"
echo ">> project $PROJECT, port $PORT, data $DATA, $WORKERS worker(s)$([ "$REMOTE_WORKER" = 1 ] && echo ", 1 remote worker")"

# `docker run` of the site image as on a worker host (README): PROBLEMS_DIR is the host folder given
# (the main host's $DATA/problems for an admin tool; an empty folder of its own for the worker, which
# fetches packages from the database into its cache), an io folder of its own; then extra docker
# options and the command.
remote_run() {
    local problems_src=$1; shift
    mkdir -p "$TMP/remote-io" "$problems_src"
    docker run --init \
        -e DATABASE_URL="postgresql+psycopg://tinhoctre:$POSTGRES_PASSWORD@$DATA_BIND:$POSTGRES_PORT/tinhoctre" \
        -e REDIS_URL="redis://:$REDIS_PASSWORD@$DATA_BIND:$REDIS_PORT/0" -e SECRET_KEY="$SECRET_KEY" \
        -e PROBLEMS_DIR="$DATA/problems" -e JUDGE_IO_ROOT="$TMP/remote-io" \
        -v "$problems_src:$DATA/problems" -v "$TMP/remote-io:$TMP/remote-io" \
        -v /var/run/docker.sock:/var/run/docker.sock "$@"
}
REMOTE_PROBLEMS="$TMP/remote-problems"  # the worker host's own folder: starts empty

leftovers() {
    local label="label=com.docker.compose.project=$PROJECT"
    {
        docker ps -aq --filter "$label" | sed 's/^/container /'
        docker network ls -q --filter "$label" | sed 's/^/network /'
        docker volume ls -q --filter "$label" | sed 's/^/volume /'
        docker ps -aq --filter "name=^/$REMOTE_NAME\$" | sed 's/^/container /'
    }
}

DOWN_DONE=""
down() {
    local t=$SECONDS
    docker rm -f "$REMOTE_NAME" >/dev/null 2>&1 || true
    "${COMPOSE[@]}" down --volumes --remove-orphans --timeout 30 >/dev/null 2>&1 || true
    T_DOWN=$((SECONDS - t))
    DOWN_DONE=1
}

cleanup() {
    local rc=$?
    if [ -z "$DOWN_DONE" ]; then
        if [ $rc -ne 0 ]; then "${COMPOSE[@]}" logs --no-color --tail 40 >&2 2>/dev/null || true; fi
        down
    fi
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM  # interrupted: still take the stack down (cleanup)

t=$SECONDS
"${COMPOSE[@]}" up -d --no-build --scale worker="$WORKERS"
wait_healthy "$WORKERS"
if [ "$REMOTE_WORKER" = 1 ]; then
    remote_run "$REMOTE_PROBLEMS" -d --name "$REMOTE_NAME" tinhoctre-web:latest python -m webapp.worker >/dev/null
    registered() {
        docker exec "$REMOTE_NAME" python -c "import os, socket, redis, rq; c = redis.Redis.from_url(os.environ['REDIS_URL']); raise SystemExit(0 if any(w.hostname == socket.gethostname() for w in rq.Worker.all(connection=c)) else 1)" 2>/dev/null
    }
    for _ in $(seq 60); do registered && break; sleep 2; done
    registered || { docker logs --tail 30 "$REMOTE_NAME" >&2; echo "the remote worker did not register" >&2; exit 1; }
fi
T_UP=$((SECONDS - t))
echo ">> stack healthy in $T_UP s"

# every scaled worker pins its sandboxes to a CPU of its own (replica number mod CPUs), not all to one
if [ "$WORKERS" -ge 2 ]; then
    CPUS_SEEN=""
    for cid in $("${COMPOSE[@]}" ps -q worker); do
        CPUS_SEEN="$CPUS_SEEN $(docker exec "$cid" python -c 'from judge.sandbox import worker_cpus; print(worker_cpus())')"
    done
    NCPU="$(nproc)"
    WANT=$(( WORKERS < NCPU ? WORKERS : NCPU ))
    GOT="$(echo $CPUS_SEEN | tr ' ' '\n' | sort -u | wc -l)"
    echo ">> worker CPUs:$CPUS_SEEN"
    [ "$GOT" -eq "$WANT" ] || { echo "workers pinned to $GOT distinct CPU(s), expected $WANT:$CPUS_SEEN" >&2; exit 1; }
fi

t=$SECONDS
flask_in_web() { "${COMPOSE[@]}" exec -T web flask "$@"; }
flask_in_web create-user check_org --password org-pass-1 --role organiser --full-name "Ban tổ chức (check)"
flask_in_web create-user check_hs --password hs-pass-1 --role student --level lower_secondary --grade 7 \
    --full-name "Thí sinh kiểm tra" --school "Trường kiểm tra"
# The demo's problems have checkers, compiled in the judge sandbox at import: today that needs the Docker
# engine, which only workers have (the web container has no Docker socket), so it runs in a worker.
if [ "$REMOTE_WORKER" = 1 ]; then
    demo="$(remote_run "$DATA/problems" --rm tinhoctre-web:latest flask demo)"  # an admin tool on the main host
else
    demo="$("${COMPOSE[@]}" exec -T --index 1 worker flask demo)"
fi
echo "${demo%%$'\n'*}"

python3 - "http://127.0.0.1:$PORT" "$ROOT/problems/daycon/submissions/accepted/kadane.cpp" <<'PY'
import json, sys, time, urllib.error, urllib.request

base, source_path = sys.argv[1], sys.argv[2]


def call(method, path, token=None, body=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def token(username, password):
    status, body = call("POST", "/api/v1/token", body={"username": username, "password": password})
    assert status == 201, (username, status, body)
    return body["token"]


student, organiser = token("check_hs", "hs-pass-1"), token("check_org", "org-pass-1")
status, body = call("GET", "/api/v1/contests", student)
assert status == 200, (status, body)
problems = [p for c in body["contests"] for d in c["divisions"] for p in d["problems"] if p["code"] == "DAYCON"]
assert problems, f"the student sees no DAYCON problem: {body}"
status, body = call("POST", "/api/v1/submissions", student,
                    {"problem_id": problems[0]["id"], "language": "cpp", "source": open(source_path).read()})
assert status == 201, (status, body)
sid, deadline = body["id"], time.time() + 300
while True:
    status, sub = call("GET", f"/api/v1/submissions/{sid}", student)
    assert status == 200, (status, sub)
    if sub["status"] == "done" or time.time() > deadline:
        break
    time.sleep(1)  # polling a remote service: nothing to wait on but its answer
assert sub["status"] == "done", f"submission {sid} not judged in 300 s: {sub['status']}"
assert sub["verdict"] == "AC", f"submission {sid}: {sub['verdict']} {sub['compile_output']}"
status, seen = call("GET", f"/api/v1/submissions/{sid}", organiser)
assert status == 200 and seen["verdict"] == "AC", (status, seen)
print(f">> submission {sid} judged AC ({sub['score']}/{sub['max_score']}, {len(sub['tests'])} tests); the organiser sees it")
PY
T_CHECK=$((SECONDS - t))
if [ "$REMOTE_WORKER" = 1 ]; then
    # the worker judged from packages it fetched from the database into its own, initially empty, cache
    FETCHED="$(find "$REMOTE_PROBLEMS/cache" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{64}' 2>/dev/null | wc -l)"
    echo ">> remote worker fetched $FETCHED package(s) into its own cache ($(find "$REMOTE_PROBLEMS" -mindepth 1 -maxdepth 1 | wc -l) entries in its PROBLEMS_DIR)"
    [ "$FETCHED" -ge 1 ] || { find "$REMOTE_PROBLEMS" >&2; echo "the remote worker fetched no package" >&2; exit 1; }
fi

down
left="$(leftovers)"
if [ -n "$left" ]; then
    echo "left behind by $PROJECT:" >&2
    echo "$left" >&2
    exit 1
fi
echo ">> down clean in $T_DOWN s (no container, network or volume of $PROJECT left)"
echo ">> times: build ${T_BUILD} s, up ${T_UP} s, check ${T_CHECK} s, down ${T_DOWN} s, total $((SECONDS - T0)) s"
