#!/usr/bin/env bash
# `make compose`: run the whole system with Docker Compose, no container registry needed.
#
#   scripts/compose.sh build   build the images: debian:bookworm-slim (scripts/ensure_base_image.sh),
#                              the judge image (scripts/build_image.sh), tinhoctre-web (./Dockerfile,
#                              Python packages from build/wheels, made here with the host's pip),
#                              tinhoctre-redis and tinhoctre-postgres (deploy/*, Debian packages)
#   scripts/compose.sh up      build, give .env the secrets it lacks (random SECRET_KEY, POSTGRES_PASSWORD,
#                              REDIS_PASSWORD),
#                              start web, $WORKERS workers, sweeper, redis, postgres in the background
#                              and wait until web and every worker are healthy
#   scripts/compose.sh down    stop and remove the containers (the data volumes stay; `down -v` drops them)
#   scripts/compose.sh ARGS    any other compose command (ps, logs -f worker, exec web flask ...)
#
# Compose: `docker compose` when the plugin exists, else Debian's `docker-compose` package (installed
# here when missing). Settings come from .env (see .env.example) or the environment; REMOTE_WORKERS=1 adds
# deploy/compose.remote-workers.yml (Redis and PostgreSQL published for workers on other hosts).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

compose_cmd() {
    if docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
    else
        "$ROOT/scripts/ensure_apt.sh" docker-compose
        COMPOSE=(docker-compose)
    fi
    if [ "$(setting REMOTE_WORKERS 0)" = 1 ]; then  # publish Redis and PostgreSQL for other hosts
        COMPOSE+=(-f docker-compose.yml -f deploy/compose.remote-workers.yml)
    fi
}

build_wheels() {
    # The wheels of the site's dependencies (pyproject.toml), fetched by pip on the host (its index,
    # caches and find-links): the image build never reaches a package index. Debian's /usr/bin/python3 is
    # the image's Python (same release), so environment markers resolve the same way. Remade only when
    # pyproject.toml changes, so the image layer that installs them stays cached.
    local stamp
    stamp="$(sha256sum pyproject.toml | cut -c1-16)"
    [ "$(cat build/wheels/.pyproject 2>/dev/null)" = "$stamp" ] && return 0
    "$ROOT/scripts/ensure_apt.sh" python3-venv
    [ -x build/wheel-venv/bin/pip ] || /usr/bin/python3 -m venv build/wheel-venv
    rm -rf build/wheels
    mkdir -p build/wheels
    /usr/bin/python3 -c 'import tomllib, sys; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        >build/wheels/requirements.txt
    build/wheel-venv/bin/pip wheel -q --wheel-dir build/wheels -r build/wheels/requirements.txt >build/wheels.log 2>&1 ||
        { cat build/wheels.log >&2; echo "cannot make the wheels of the site's Python packages" >&2; exit 1; }
    echo "$stamp" >build/wheels/.pyproject
}

image() {  # NAME CONTEXT: build NAME:latest, its output shown only when it fails
    docker build -t "$1:latest" "$2" >"build/$1.log" 2>&1 || { cat "build/$1.log" >&2; echo "cannot build $1" >&2; exit 1; }
}

build() {
    local t0=$SECONDS
    "$ROOT/scripts/ensure_docker.sh" >/dev/null
    "$ROOT/scripts/ensure_base_image.sh"
    "$ROOT/scripts/build_image.sh" | tail -n 1
    mkdir -p build
    build_wheels
    echo ">> building tinhoctre-redis, tinhoctre-postgres, tinhoctre-web"
    image tinhoctre-redis deploy/redis
    image tinhoctre-postgres deploy/postgres
    image tinhoctre-web .
    echo ">> images ready in $((SECONDS - t0)) s"
}

ensure_env() {
    # .env gets a random value for each secret it lacks (and is created if missing)
    local name value added=()
    umask 077
    [ -f .env ] || echo "# made by scripts/compose.sh; see .env.example for every setting" >.env
    for name in SECRET_KEY POSTGRES_PASSWORD REDIS_PASSWORD; do
        grep -q "^$name=" .env && continue
        value="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
        echo "$name=$value" >>.env
        added+=("$name")
    done
    if [ ${#added[@]} -gt 0 ]; then echo ">> wrote ${added[*]} to .env"; fi
}

# The value of a setting: the environment first, then .env, then the default.
setting() {
    local name=$1 default=$2 value
    value="${!name:-}"
    if [ -z "$value" ] && [ -f .env ]; then
        value="$(sed -n "s/^$name=//p" .env | tail -n 1)"
    fi
    echo "${value:-$default}"
}

up() {
    build
    ensure_env
    local data workers port t0=$SECONDS
    data="$(setting TINHOCTRE_DATA /srv/tinhoctre)"
    workers="$(setting WORKERS 2)"
    port="$(setting WEB_PORT 5000)"
    mkdir -p "$data/problems" "$data/io"
    "${COMPOSE[@]}" up -d --no-build --scale worker="$workers"
    wait_healthy "$workers"
    echo ">> site on http://127.0.0.1:$port (up in $((SECONDS - t0)) s; $workers worker(s); data in $data)"
}

# Wait until web and every worker container report healthy (COMPOSE_WAIT_SECONDS, default 300).
wait_healthy() {
    local want=$1 deadline=$((SECONDS + ${COMPOSE_WAIT_SECONDS:-300})) ids healthy states
    while :; do
        ids="$("${COMPOSE[@]}" ps -q web worker)"
        states="$( [ -n "$ids" ] && docker inspect -f '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' $ids)"
        healthy="$(grep -c ' healthy$' <<<"$states" || true)"
        [ "$healthy" -ge $((want + 1)) ] && return 0
        if [ $SECONDS -ge $deadline ]; then
            echo "not healthy after ${COMPOSE_WAIT_SECONDS:-300} s:" >&2
            echo "$states" >&2
            return 1
        fi
        sleep 2
    done
}

# sourced (scripts/compose_check.sh): the functions only
if [ "${BASH_SOURCE[0]}" != "$0" ]; then return 0; fi
compose_cmd
case "${1:-up}" in
    build) build ;;
    up) up ;;
    down) shift; "${COMPOSE[@]}" down --remove-orphans "$@" ;;
    *) "${COMPOSE[@]}" "$@" ;;
esac
