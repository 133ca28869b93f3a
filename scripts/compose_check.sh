#!/usr/bin/env bash
# `make compose-check`: prove that the compose stack works, on a throw-away project.
#
# Builds the images (scripts/compose.sh build; SKIP_BUILD=1 skips it), then starts the stack under a
# unique project name with its own env file, a free web port and a temporary data folder, and:
#   1. waits until web and every worker ($WORKERS, default 2) are healthy;
#   2. creates an organiser and a student (`flask create-user` in the web container) and loads the demo
#      contest (`flask demo` in a worker container, which has the Docker engine that compiles checkers:
#      contest, divisions, problems; students admitted to their level's division);
#   3. the student submits an accepted solution through the API (/api/v1/token, /api/v1/submissions);
#      it must be judged AC, and the organiser must see it judged AC too;
#   4. takes the stack down with its volumes and fails if any container, network or volume of the
#      project is left.
# Prints the time of each phase. Exit 0 = all good.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/compose.sh
source "$ROOT/scripts/compose.sh"  # build, compose_cmd, wait_healthy; cd to the repository

T0=$SECONDS
if [ -z "${SKIP_BUILD:-}" ]; then build; fi
T_BUILD=$((SECONDS - T0))
REMOTE_WORKERS=0 compose_cmd  # nothing published but the web port, whatever .env says

WORKERS="${WORKERS:-2}"
TMP="$(mktemp -d /tmp/tinhoctre-compose-check.XXXXXX)"
DATA="$TMP/data"
PROJECT="tinhoctre-check-$(basename "$TMP" | cut -d. -f2 | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$DATA/problems" "$DATA/io"
cat >"$TMP/env" <<EOF
SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
POSTGRES_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
REDIS_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
TINHOCTRE_DATA=$DATA
WEB_PORT=$PORT
WEB_WORKERS=2
EOF
COMPOSE+=(-p "$PROJECT" --env-file "$TMP/env")
echo ">> project $PROJECT, port $PORT, data $DATA, $WORKERS worker(s)"

leftovers() {
    local label="label=com.docker.compose.project=$PROJECT"
    {
        docker ps -aq --filter "$label" | sed 's/^/container /'
        docker network ls -q --filter "$label" | sed 's/^/network /'
        docker volume ls -q --filter "$label" | sed 's/^/volume /'
    }
}

DOWN_DONE=""
down() {
    local t=$SECONDS
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
T_UP=$((SECONDS - t))
echo ">> stack healthy in $T_UP s"

t=$SECONDS
flask_in_web() { "${COMPOSE[@]}" exec -T web flask "$@"; }
flask_in_web create-user check_org --password org-pass-1 --role organiser --full-name "Ban tổ chức (check)"
flask_in_web create-user check_hs --password hs-pass-1 --role student --level lower_secondary --grade 7 \
    --full-name "Thí sinh kiểm tra" --school "Trường kiểm tra"
# The demo's problems have checkers, compiled in the judge sandbox at import: today that needs the Docker
# engine, which only workers have (the web container has no Docker socket), so it runs in a worker.
demo="$("${COMPOSE[@]}" exec -T --index 1 worker flask demo)"
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

down
left="$(leftovers)"
if [ -n "$left" ]; then
    echo "left behind by $PROJECT:" >&2
    echo "$left" >&2
    exit 1
fi
echo ">> down clean in $T_DOWN s (no container, network or volume of $PROJECT left)"
echo ">> times: build ${T_BUILD} s, up ${T_UP} s, check ${T_CHECK} s, down ${T_DOWN} s, total $((SECONDS - T0)) s"
