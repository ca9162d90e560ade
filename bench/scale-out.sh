#!/usr/bin/env bash
# The ordered funnel of bench/funnel.sh (the same 30M-row timeline of 1M people) run by
# scale-out/ on DataFusion embedded (2 partitions) and on Ballista in process, each checked
# against turnout's own engine on the same file (--check: every fill identical).
# Usage: bench/scale-out.sh [PEOPLE] [EVENTS_PER_PERSON]   (default 1000000 30)
# Generates the timeline with bench/funnel.sh's generator if missing; builds scale-out in release
# (a cold build of DataFusion + Ballista takes ~25 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
people="${1:-1000000}"
events="${2:-30}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/turnout/target}"
dir="${BENCH_DIR:-$CARGO_TARGET_DIR/bench-funnel-$people-$events}"
if [ ! -f "$dir/timeline.parquet" ]; then
  cargo build --release --quiet --example bench_funnel
  "$CARGO_TARGET_DIR/release/examples/bench_funnel" gen --people "$people" --events "$events" --out "$dir"
fi
so_target="${CARGO_TARGET_DIR_SCALE_OUT:-$HOME/.cache/turnout/scale-out-target}"
(cd scale-out && CARGO_TARGET_DIR="$so_target" cargo build --release --quiet)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/pipelines" "$work/data"
echo "a,b" > "$work/data/unused.csv"
cat > "$work/pipelines/bench.toml" <<TOML
[pipeline]
name = "bench"
timezone = "UTC"

[[source]]
name = "unused"
tool = "csv"
path = "data/unused.csv"
columns = { ts = "a", name = "b" }
action = "attended"

[[funnel]]
name = "bench"
window = "30d"
stages = [
  { name = "In a group", when = { action = ["group_joined", "group_added"] } },
  { name = "Spoke up", when = { action = "message_sent" } },
  { name = "RSVP'd", when = { action = ["rsvp", "rsvp_confirmed"] } },
  { name = "Came", when = { action = "attended" } },
]
TOML
for engine in datafusion ballista; do
  /usr/bin/time -f "  wall %e s, CPU %U+%S s, peak RSS %M KB" \
    "$so_target/release/turnout-scale-out" "$work/pipelines/bench.toml" --engine "$engine" \
    --timeline "$dir/timeline.parquet" --check
done
