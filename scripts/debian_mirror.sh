#!/usr/bin/env bash
# Print the first Debian bookworm mirror URI configured in apt's sources, in either format:
# deb822 files (sources.list.d/*.sources, Debian 12's default in containers) or classic one-line
# files (/etc/apt/sources.list, the installer's default, and sources.list.d/*.list).
# Security suites (bookworm-security) and other suites are skipped. Exit 1 when none is found.
# APT_DIR (default /etc/apt) lets tests point it at a fake tree.
set -uo pipefail
APT_DIR="${APT_DIR:-/etc/apt}"

from_deb822() {
    local f
    for f in "$APT_DIR"/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # Stanzas are separated by blank lines; keep the URIs of a stanza whose Suites has bookworm.
        awk '
            BEGIN { RS=""; FS="\n" }
            {
                uri=""; ok=0
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/)   { split($i, a, /[ \t]+/); uri = a[2] }
                    if ($i ~ /^Suites:/ && $i ~ /[ \t]bookworm([ \t]|$)/) ok = 1
                    if ($i ~ /^Enabled:[ \t]*no/) { ok = 0; break }
                }
                if (ok && uri != "") { print uri; exit }
            }' "$f"
    done
}

from_one_line() {
    local f
    for f in "$APT_DIR"/sources.list "$APT_DIR"/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        # deb [options] URI SUITE COMPONENTS...; the options may contain spaces, so drop them first.
        awk '{ sub(/#.*/, ""); gsub(/\[[^]]*\]/, "") }
             $1 == "deb" && $3 == "bookworm" { print $2; exit }' "$f"
    done
}

mirror="$( { from_deb822; from_one_line; } | head -n1)"
[ -n "$mirror" ] || exit 1
printf '%s\n' "$mirror"
