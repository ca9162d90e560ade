#!/usr/bin/env bash
# End-to-end benchmark of `turnout run` on generated demo campaigns of several sizes.
# Usage: bench/run.sh [PEOPLE ...]   (default: 3000 30000 100000)
# The campaigns are a year with everyday group chatter (`turnout demo --weeks 52 --chatter 4`,
# about 27 events a person, the volume issue #9 asks for); BENCH_DEMO_ARGS overrides those
# options (BENCH_DEMO_ARGS="--weeks 16" is the shipped demo's shape). BENCH_RUNS (default 5)
# sets the runs per size.
# For each size: generates the demo once (turnout demo), runs `turnout run --rebuild` 5 times
# (every export parsed each time: the parsed-file cache would make later runs cheaper), and prints
# the median wall time, median CPU time (user+sys) and the peak RSS, plus input size and events;
# then, per stage (from run.json's `stages`, see src/meter.rs), the median wall and CPU time and
# the largest peak resident memory of the stage itself; and the floor for ingest, polars' plain
# read of the same exports (examples/bench_csv_floor.rs: CSVs as CSV, chat exports as lines),
# with the ratio.
# The campaigns are generated once into $BENCH_DATA (default $CARGO_TARGET_DIR/bench-demo/pN)
# and reused by later runs; delete that folder to generate them again.
# Results are from this machine; compare sizes within one run, not across machines.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/turnout/target}"
cargo build --release --quiet
cargo build --release --quiet --example bench_csv_floor
bin="$CARGO_TARGET_DIR/release/turnout"
floor="$CARGO_TARGET_DIR/release/examples/bench_csv_floor"
# The generated campaigns are kept between runs (delete the folder to generate them again).
data_root="${BENCH_DATA:-$CARGO_TARGET_DIR/bench-demo}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(3000 30000 100000)
runs="${BENCH_RUNS:-5}"
demo_args="${BENCH_DEMO_ARGS:---weeks 52 --chatter 4}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

printf "%-9s %-9s %-10s %-10s %-10s %-10s\n" people events input_MB wall_s cpu_s peak_MB
for n in "${sizes[@]}"; do
  dir="$data_root/p$n"
  mkdir -p "$dir/pipelines"
  cp pipelines/demo.toml pipelines/demo-same-person.csv "$dir/pipelines/"
  # .complete holds the options the campaign was generated with: other options, another campaign.
  if [ "$(cat "$dir/data/demo/.complete" 2>/dev/null)" != "$demo_args" ]; then
    rm -rf "$dir/data/demo" "$dir/work" "$dir/reports"
    # shellcheck disable=SC2086 # the options are words
    "$bin" demo --out "$dir/data/demo" --people "$n" $demo_args >/dev/null
    echo "$demo_args" > "$dir/data/demo/.complete"
  fi
  walls=(); cpus=(); peak=0
  : > "$work/stages-$n.jsonl"
  for _ in $(seq $runs); do
    /usr/bin/time -f "%e %U %S %M" -o "$work/t" env TURNOUT_KEY=bench-key-0123456789 "$bin" run "$dir/pipelines/demo.toml" --quiet --rebuild || true
    read -r wall user sys rss < "$work/t"
    walls+=("$wall"); cpus+=("$(awk "BEGIN {printf \"%.2f\", $user + $sys}")")
    # turnout resets the kernel's high-water mark at each stage (src/meter.rs), so the %M that
    # time reports is the peak of the last, unmetered stage (publishing); the run's peak is the
    # largest of all stages'.
    stages=$(python3 -c "import json;s=json.load(open('$dir/reports/demo/latest/run.json'))['stages'];s.append({'stage':'publish','wall_ms':$wall*1000-sum(x['wall_ms'] for x in s),'cpu_ms':($user+$sys)*1000-sum(x['cpu_ms'] for x in s),'peak_rss_mb':$rss//1024});print(json.dumps(s))")
    echo "$stages" >> "$work/stages-$n.jsonl"
    rss=$(python3 -c "import json,sys;print(max(x['peak_rss_mb'] for x in json.loads(sys.argv[1]))*1024)" "$stages")
    [ "$rss" -gt "$peak" ] && peak=$rss
  done
  median() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  events=$(python3 -c "import json;print(json.load(open('$dir/reports/demo/latest/run.json'))['counts']['events'])" 2>/dev/null || echo "?")
  # The exports only: the demo's answer key (ground_truth.csv) is not an input.
  mb=$(find "$dir/data/demo" -type f ! -name ground_truth.csv ! -name .complete -printf '%s\n' | awk '{s += $1} END {printf "%d", s / 1048576}')
  printf "%-9s %-9s %-10s %-10s %-10s %-10s\n" "$n" "$events" "$mb" "$(median "${walls[@]}")" "$(median "${cpus[@]}")" "$((peak / 1024))"
done
for n in "${sizes[@]}"; do
  echo
  echo "per stage, $n people (median of $runs runs; peak = the stage's own resident high-water mark):"
  python3 - "$work/stages-$n.jsonl" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"  {'stage':<13} {'wall_s':>8} {'cpu_s':>8} {'peak_MB':>8}")
for i, s in enumerate(runs[0]):
    col = [r[i] for r in runs]
    wall = statistics.median(c["wall_ms"] for c in col) / 1000
    cpu = statistics.median(c["cpu_ms"] for c in col) / 1000
    peak = max(c["peak_rss_mb"] for c in col)
    print(f"  {s['stage']:<13} {wall:>8.2f} {cpu:>8.2f} {peak:>8}")
print("  (publish = the run's wall/CPU time minus the stages above: the report's charts and files)")
PY
  # The floor for ingest: polars' plain read of the same exports (bench_csv_floor).
  "$floor" "$data_root/p$n/data/demo" >"$work/floor-$n.json" 2>"$work/floor-$n.err" || { cat "$work/floor-$n.err" >&2; exit 1; }
  python3 - "$work/stages-$n.jsonl" "$work/floor-$n.json" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
f = json.load(open(sys.argv[2]))
ingest = statistics.median(next(s["wall_ms"] for s in r if s["stage"] == "ingest") for r in runs) / 1000
floor = f['csv_s'] + f['txt_s'] + f['other_s']
print(f"  ingest floor: polars reads the same {f['csv_files']} CSV exports ({f['csv_mb']:.0f} MB, {f['csv_rows']:,} rows) in {f['csv_s']:.2f} s,"
      f" the {f['txt_files']} chat exports as lines ({f['txt_mb']:.0f} MB, {f['txt_rows']:,} lines) in {f['txt_s']:.2f} s"
      f" and the {f['other_files']} other files' bytes ({f['other_mb']:.0f} MB, zips) in {f['other_s']:.2f} s: {floor:.2f} s;"
      f" turnout's ingest stage {ingest:.2f} s = {ingest / floor:.1f}x the floor")
if f["unreadable_csv_files"]:
    print(f"  ({f['unreadable_csv_files']} CSV file(s) polars cannot read as plain CSV are left out of the floor)")
PY
done
