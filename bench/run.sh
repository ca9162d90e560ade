#!/usr/bin/env bash
# End-to-end benchmark of `turnout run` on generated demo campaigns of several sizes.
# Usage: bench/run.sh [PEOPLE ...]   (default: 3000 30000 100000)
# For each size: generates the demo once (turnout demo), runs `turnout run` 5 times, and prints
# the median wall time, median CPU time (user+sys) and the peak RSS, plus input size and events.
# Results are from this machine; compare sizes within one run, not across machines.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/turnout/target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/turnout"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(3000 30000 100000)
runs=5
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

printf "%-9s %-9s %-10s %-10s %-10s %-10s\n" people events input_MB wall_s cpu_s peak_MB
for n in "${sizes[@]}"; do
  dir="$work/p$n"
  mkdir -p "$dir/pipelines"
  cp pipelines/demo.toml pipelines/demo-same-person.csv "$dir/pipelines/"
  "$bin" demo --out "$dir/data/demo" --people "$n" >/dev/null
  walls=(); cpus=(); peak=0
  for _ in $(seq $runs); do
    /usr/bin/time -f "%e %U %S %M" -o "$work/t" env TURNOUT_KEY=bench-key-0123456789 "$bin" run "$dir/pipelines/demo.toml" --quiet || true
    read -r wall user sys rss < "$work/t"
    walls+=("$wall"); cpus+=("$(echo "$user + $sys" | bc)")
    [ "$rss" -gt "$peak" ] && peak=$rss
  done
  median() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  events=$(python3 -c "import json;print(json.load(open('$dir/reports/demo/latest/run.json'))['counts']['events'])" 2>/dev/null || echo "?")
  mb=$(du -sm --apparent-size "$dir/data/demo" | cut -f1)
  printf "%-9s %-9s %-10s %-10s %-10s %-10s\n" "$n" "$events" "$mb" "$(median "${walls[@]}")" "$(median "${cpus[@]}")" "$((peak / 1024))"
done
