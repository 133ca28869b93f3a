#!/usr/bin/env bash
# Build the judge image from sandbox/.
#
# Tags: REPO:<hash> (hash = first 12 hex digits of the sha256 over every file of sandbox/, path
# and content, in sorted order) and REPO:latest. REPO is $JUDGE_IMAGE_REPO, else the repository part
# of $JUDGE_IMAGE (the image the code and tests use), else tinhoctre-judge: a checkout that tests
# its own image under another name never retags the shared one.
# Does nothing when the hash tag already exists.
#
# The base image debian:bookworm-slim is pulled; when no registry answers, it is built with
# `debootstrap --variant=minbase bookworm` from the Debian mirror configured in apt's sources
# (never a hard-coded host) and imported with `docker import`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SANDBOX="$ROOT/sandbox"
IMAGE_REPO="${JUDGE_IMAGE:-}"
IMAGE_REPO="${IMAGE_REPO%:*}"
REPO="${JUDGE_IMAGE_REPO:-${IMAGE_REPO:-tinhoctre-judge}}"
BASE="debian:bookworm-slim"

sandbox_hash() {
    (cd "$SANDBOX" && find . -type f -not -path '*/node_modules/*' -print0 | LC_ALL=C sort -z |
        while IFS= read -r -d '' f; do printf '%s\0' "$f"; cat "$f"; done) |
        sha256sum | cut -c1-12
}

ensure_base() {
    if docker image inspect "$BASE" >/dev/null 2>&1; then return 0; fi
    if timeout 120 docker pull "$BASE" >/dev/null 2>&1; then return 0; fi
    echo "no registry: building $BASE with debootstrap"
    if ! command -v debootstrap >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap
    fi
    local mirror dir
    mirror="$("$ROOT/scripts/debian_mirror.sh")" || { echo "no Debian bookworm mirror in apt sources" >&2; exit 1; }
    echo "mirror: $mirror"
    dir="$(mktemp -d /tmp/bookworm-root.XXXXXX)"
    debootstrap --variant=minbase bookworm "$dir" "$mirror" >/tmp/debootstrap.log 2>&1 ||
        { echo "debootstrap failed, see /tmp/debootstrap.log" >&2; exit 1; }
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    tar -C "$dir" -c . | docker import - "$BASE" >/dev/null
    rm -rf "$dir"
}

main() {
    local hash tag
    hash="$(sandbox_hash)"
    tag="$REPO:$hash"
    if docker image inspect "$tag" >/dev/null 2>&1; then
        docker tag "$tag" "$REPO:latest"
        echo "$tag already built"
        return 0
    fi
    ensure_base
    # npm in the image build (Scratch) uses this host's npm registry and extra CA certificates
    local npm_args=()
    if command -v npm >/dev/null 2>&1; then
        npm_args+=(--build-arg "NPM_REGISTRY=$(npm config get registry 2>/dev/null || true)")
    fi
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        npm_args+=(--build-arg "EXTRA_CA_CERTS=$(cat /usr/local/share/ca-certificates/*.crt)")
    fi
    docker build "${npm_args[@]}" -t "$tag" -t "$REPO:latest" "$SANDBOX"
    echo "built $tag"
}

main "$@"
