#!/usr/bin/env bash
# Renders a report's index.html to a PNG with headless Chromium (Debian package `chromium`),
# so you can look at what a strategist sees. Usage: scripts/screenshot-report.sh [HTML] [PNG] [HEIGHT]
set -euo pipefail
html="${1:-reports/demo/latest/index.html}"
png="${2:-docs/report.png}"
height="${3:-2600}"
command -v chromium >/dev/null || { echo "install chromium first: apt-get install -y chromium" >&2; exit 1; }
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size=1000,"$height" \
  --screenshot="$png" "file://$(realpath "$html")" 2>/dev/null
echo "wrote $png"
