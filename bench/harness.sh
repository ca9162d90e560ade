#!/usr/bin/env bash
# The whole performance table (issue #9, README "Performance"), in one command:
#   1. bench/run.sh 100000 1000000: `turnout run` end to end and per stage (wall, CPU, peak RSS),
#      medians of 3 (BENCH_RUNS), on a year of each campaign with everyday group chatter (about
#      27 events a person: 27M at 1M people), with the ingest floor (polars' plain read of the
#      same exports);
#   2. bench/funnel.sh at 100k and 1M people (30 events each): turnout's ordered funnel and its
#      metrics against DuckDB (installed from PyPI) on the same Parquet timeline, with the ratio.
# Datasets are generated once and kept under $CARGO_TARGET_DIR (delete them to regenerate).
# Usage: bench/harness.sh [PEOPLE ...]   (default: 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/turnout/target}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
start=$(date +%s)
echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GB, $(uname -sr); $(date -u +%F)"
echo
echo "== turnout run, end to end"
BENCH_RUNS="${BENCH_RUNS:-3}" bench/run.sh "${sizes[@]}"
for n in "${sizes[@]}"; do
  echo
  echo "== the funnel against DuckDB, $n people"
  bench/funnel.sh "$n" 30 2>&1 | grep -v "^funnel metrics" | tail -5
done
echo
echo "harness: $(($(date +%s) - start)) s in all"
