#!/usr/bin/env bash
# Build the judge image from sandbox/.
#
# Tags: REPO:<hash> (hash = first 12 hex digits of the sha256 over every file of sandbox/, path
# and content, in sorted order) and REPO:latest. REPO is $JUDGE_IMAGE_REPO, else the repository part
# of $JUDGE_IMAGE (the image the code and tests use), else tinhoctre-judge: a checkout that tests
# its own image under another name never retags the shared one.
# Does nothing when the hash tag already exists.
#
# The base image debian:bookworm-slim comes from scripts/ensure_base_image.sh (pulled, or made with
# debootstrap from the Debian mirror in apt's sources when no registry answers).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SANDBOX="$ROOT/sandbox"
IMAGE_REPO="${JUDGE_IMAGE:-}"
IMAGE_REPO="${IMAGE_REPO%:*}"
REPO="${JUDGE_IMAGE_REPO:-${IMAGE_REPO:-tinhoctre-judge}}"

sandbox_hash() {
    (cd "$SANDBOX" && find . -type f -not -path '*/node_modules/*' -print0 | LC_ALL=C sort -z |
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
