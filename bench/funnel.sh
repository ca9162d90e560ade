#!/usr/bin/env bash
# The funnel stage against DuckDB on the same Parquet timeline, in one run.
# Usage: bench/funnel.sh [PEOPLE] [EVENTS_PER_PERSON]   (default 1000000 30: ~30M rows)
# Installs duckdb from PyPI (pinned) if missing. Runs each side 3 times and prints the medians,
# wall time and peak RSS (from /usr/bin/time), and checks that both give the same stage counts.
set -euo pipefail
cd "$(dirname "$0")/.."
people="${1:-1000000}"
events="${2:-30}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/turnout/target}"
python3 -c "import duckdb" 2>/dev/null || pip install --quiet "duckdb==1.4.2"
cargo build --release --quiet --example bench_funnel
bin="$CARGO_TARGET_DIR/release/examples/bench_funnel"
dir="${BENCH_DIR:-$CARGO_TARGET_DIR/bench-funnel-$people-$events}"
[ -f "$dir/timeline.parquet" ] || "$bin" gen --people "$people" --events "$events" --out "$dir"
median() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
tw=(); tr=(); dw=(); dr=()
for _ in 1 2 3; do
  /usr/bin/time -f "%e %M" -o /tmp/turnout-bench-t "$bin" run "$dir" > /tmp/turnout-bench-out
  read -r w r < /tmp/turnout-bench-t; tw+=("$w"); tr+=("$r")
  /usr/bin/time -f "%e %M" -o /tmp/turnout-bench-t python3 bench/duckdb_funnel.py "$dir/timeline.parquet" > /tmp/duckdb-bench-out
  read -r w r < /tmp/turnout-bench-t; dw+=("$w"); dr+=("$r")
done
echo "turnout: $(cat /tmp/turnout-bench-out)"
echo "duckdb:  $(cat /tmp/duckdb-bench-out)"
python3 - "$(median "${tw[@]}")" "$(median "${tr[@]}")" "$(median "${dw[@]}")" "$(median "${dr[@]}")" <<'PY'
import json, sys
t = json.load(open("/tmp/turnout-bench-out")); d = json.load(open("/tmp/duckdb-bench-out"))
tw, tr, dw, dr = map(float, sys.argv[1:])
same = t["counts"] == d["counts"]
print(f"rows {t['rows']:,}  people {t['people']:,}  counts {'identical' if same else 'DIFFER'}: {t['counts']}")
print(f"turnout  wall {tw:.2f} s (read {t['read_s']:.2f} s + {t['measured_s']:.2f} s: funnel {t['funnel_s']:.2f} s then its metrics {t['metrics_s']:.2f} s, beside the organizing measures {t['organizing_s']:.2f} s)  peak RSS {tr/1024:.0f} MB")
print(f"duckdb   wall {dw:.2f} s (query {d['query_s']:.2f} s)  peak RSS {dr/1024:.0f} MB")
print(f"ratio turnout/duckdb wall: {tw/dw:.2f}")
sys.exit(0 if same else 1)
PY
