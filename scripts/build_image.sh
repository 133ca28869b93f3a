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
    (cd "$SANDBOX" && find . -type f -print0 | LC_ALL=C sort -z |
        while IFS= read -r -d '' f; do printf '%s\0' "$f"; cat "$f"; done) |
        sha256sum | cut -c1-12
}

# Print the first Debian mirror URI found in apt's sources (deb822 *.sources or one-line *.list).
debian_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # Stanzas are separated by blank lines; keep the URIs of a stanza whose Suites has bookworm
        # (and is not the security suite).
        awk '
            BEGIN { RS=""; FS="\n" }
            {
                uri=""; ok=0
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/)   { split($i, a, /[ \t]+/); uri = a[2] }
                    if ($i ~ /^Suites:/ && $i ~ /[ \t]bookworm([ \t]|$)/) ok = 1
                }
                if (ok && uri != "") { print uri; exit }
            }' "$f"
    done | head -n1 | grep . && return 0
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" { u = ($2 ~ /^\[/) ? $3 : $2; s = ($2 ~ /^\[/) ? $4 : $3;
                           if (s == "bookworm") { print u; exit } }' | grep .
}

ensure_base() {
    if docker image inspect "$BASE" >/dev/null 2>&1; then return 0; fi
    if timeout 120 docker pull "$BASE" >/dev/null 2>&1; then return 0; fi
    echo "no registry: building $BASE with debootstrap"
    if ! command -v debootstrap >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap
    fi
    local mirror dir
    mirror="$(debian_mirror)" || { echo "no Debian bookworm mirror in apt sources" >&2; exit 1; }
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
    docker build -t "$tag" -t "$REPO:latest" "$SANDBOX"
    echo "built $tag"
}

main "$@"
