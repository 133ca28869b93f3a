#!/usr/bin/env bash
# Make sure a Docker engine answers `docker info`.
#
# 1. If `docker info` already answers, do nothing.
# 2. If no engine binary is installed, install Debian's docker.io with apt.
# 3. Start dockerd in the background (logs: /var/log/dockerd.log) and poll
#    `docker info` until it answers or DOCKER_WAIT_SECONDS (default 60) pass.
set -euo pipefail

WAIT="${DOCKER_WAIT_SECONDS:-60}"

engine_answers() { docker info >/dev/null 2>&1; }

if engine_answers; then
    echo "docker engine already running"
    exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
    echo "installing docker.io with apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq docker.io
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
    echo "starting dockerd (log: /var/log/dockerd.log)"
    nohup dockerd >/var/log/dockerd.log 2>&1 </dev/null &
fi

deadline=$((SECONDS + WAIT))
until engine_answers; do
    if (( SECONDS >= deadline )); then
        echo "docker engine did not answer within ${WAIT}s; see /var/log/dockerd.log" >&2
        exit 1
    fi
    sleep 0.5
done
echo "docker engine ready"
