#!/usr/bin/env bash
# Make sure the Debian base image debian:bookworm-slim exists on the local engine: the one base of the
# judge image (sandbox/Dockerfile), the site image (./Dockerfile) and the Redis and PostgreSQL images of
# `make compose` (deploy/*/Dockerfile).
#
# Already there: nothing to do. Else it is pulled; when no registry answers, it is built with
# `debootstrap --variant=minbase bookworm` from the Debian mirror configured in apt's sources
# (scripts/debian_mirror.sh, never a hard-coded host) and imported with `docker import`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="debian:bookworm-slim"

if docker image inspect "$BASE" >/dev/null 2>&1; then exit 0; fi
if timeout 120 docker pull "$BASE" >/dev/null 2>&1; then exit 0; fi
echo "no registry: building $BASE with debootstrap"
"$ROOT/scripts/ensure_apt.sh" debootstrap
mirror="$("$ROOT/scripts/debian_mirror.sh")" || { echo "no Debian bookworm mirror in apt sources" >&2; exit 1; }
echo "mirror: $mirror"
dir="$(mktemp -d /tmp/bookworm-root.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
debootstrap --variant=minbase bookworm "$dir" "$mirror" >/tmp/debootstrap.log 2>&1 ||
    { echo "debootstrap failed, see /tmp/debootstrap.log" >&2; exit 1; }
rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
tar -C "$dir" -c . | docker import - "$BASE" >/dev/null
echo "imported $BASE"
