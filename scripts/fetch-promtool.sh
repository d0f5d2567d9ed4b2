#!/usr/bin/env bash
# Puts Prometheus' own `promtool` at .cache/promtool/promtool for the test that validates nfdoctor's
# Prometheus output (`promtool check metrics`: the expfmt text parser node_exporter uses, plus its lint).
# Debian's prometheus package is only downloaded and unpacked, never installed: installing it would start a
# Prometheus server. The package comes from the apt sources configured on this machine (apt-get download).
# Idempotent; does nothing when promtool is already on PATH or in the cache.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$REPO/.cache/promtool"
if command -v promtool >/dev/null || [[ -x $OUT/promtool ]]; then exit 0; fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || { echo "fetch-promtool: needs apt-get and dpkg-deb" >&2; exit 1; }
WORK=$(mktemp -d -t nfdoctor-promtool.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
(cd "$WORK" && apt-get download -q prometheus >/dev/null)
dpkg-deb -x "$WORK"/prometheus_*.deb "$WORK/x"
mkdir -p "$OUT"
cp "$WORK/x/usr/bin/promtool" "$OUT/promtool"
"$OUT/promtool" --version | head -1
