#!/usr/bin/env bash
# Build the judge image from sandbox/.
#
# Tags: tinhoctre-judge:<hash> (hash = first 12 hex digits of the sha256 over every file of
# sandbox/, path and content, in sorted order) and tinhoctre-judge:latest.
# Does nothing when the hash tag already exists.
#
# The base image debian:bookworm-slim comes from scripts/ensure_base_image.sh (pulled, or made with
# debootstrap from the Debian mirror in apt's sources when no registry answers).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SANDBOX="$ROOT/sandbox"
REPO="${JUDGE_IMAGE_REPO:-tinhoctre-judge}"

sandbox_hash() {
    (cd "$SANDBOX" && find . -type f -print0 | LC_ALL=C sort -z |
        while IFS= read -r -d '' f; do printf '%s\0' "$f"; cat "$f"; done) |
        sha256sum | cut -c1-12
}

ensure_base() {
    "$ROOT/scripts/ensure_base_image.sh"
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
