#!/usr/bin/env bash
# A real Ballista cluster on loopback (issue #10, docs/scale-out.md): one scheduler and two
# executors from crates.io (pinned to Ballista 55.0.0), each its own process with its own ports
# and work folder on 127.0.0.1. Through them:
#   1. the demo: `turnout run --engine ballista://…`, compared file by file with the default
#      engine's report (run.json aside, which records the engine and the timings);
#   2. the benchmark timeline (PEOPLE people, 30 events each; bench/funnel.sh's generator): an
#      ordered and an unordered funnel, every fill checked against turnout's own engine
#      (--check), timed against DataFusion embedded on the same file;
#   3. the same job again with one executor killed (SIGKILL) while it runs: the outcome is
#      printed, whichever it is (the job survives on the other executor, or fails clearly).
# Everything is stopped at the end, also on error or Ctrl-C; the logs are kept in
# ~/.cache/turnout/cluster-logs.
#
# Usage: bench/cluster.sh [PEOPLE]    (default 1000000; 0 skips parts 2 and 3)
# From nothing: installs ballista-scheduler and ballista-executor into ~/.cache/turnout/ballista
# (cargo install --locked, ~25 minutes on 2 cores), builds turnout and turnout-scale-out in
# release. Ports: BALLISTA_PORT (default 50150) and the nine after it.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
people="${1:-1000000}"
version=55.0.0
cache="${TURNOUT_CACHE:-$HOME/.cache/turnout}"
port="${BALLISTA_PORT:-50150}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
so_target="${CARGO_TARGET_DIR_SCALE_OUT:-$cache/scale-out-target}"
bin="$cache/ballista/bin"

say() { printf '\n== %s\n' "$*"; }

if [ ! -x "$bin/ballista-scheduler" ] || [ ! -x "$bin/ballista-executor" ] ||
  ! "$bin/ballista-scheduler" --version | grep -q "$version"; then
  say "installing ballista-scheduler and ballista-executor $version (once)"
  cargo install --locked --root "$cache/ballista" --target-dir "$cache/ballista-target" \
    "ballista-scheduler@$version" "ballista-executor@$version"
fi
say "building turnout and turnout-scale-out (release)"
cargo build --release --locked --quiet
(cd scale-out && CARGO_TARGET_DIR="$so_target" cargo build --release --locked --quiet)
turnout="$CARGO_TARGET_DIR/release/turnout"
scale_out="$so_target/release/turnout-scale-out"

work="$(mktemp -d)"
pids=()
logs="$cache/cluster-logs"
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # The processes' logs outlive the run (work folders do not): what happened is in there.
  rm -rf "$logs" && mkdir -p "$logs" && cp "$work"/*.log "$logs/" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT

wait_port() { # port, what
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "$2 did not open port $1: see $work/*.log" >&2
  tail -20 "$work"/*.log >&2
  exit 1
}

say "starting a scheduler and two executors on 127.0.0.1 (logs and work folders in $work)"
# A dead executor is noticed within ~20 s (the default is 180 s); executors say they are alive
# every 5 s (the default, 60 s, is longer than that timeout).
"$bin/ballista-scheduler" --bind-host 127.0.0.1 --external-host 127.0.0.1 --bind-port "$port" \
  --executor-timeout-seconds 20 --expire-dead-executor-interval-seconds 5 \
  >"$work/scheduler.log" 2>&1 &
pids+=($!)
wait_port "$port" scheduler
executor() { # n: starts executor n (1 or 2) and prints its pid
  local base=$((port + 10 * $1 - 9)) # 1: 50151..50153, 2: 50161..50163
  mkdir -p "$work/executor-$1"
  "$bin/ballista-executor" --scheduler-host 127.0.0.1 --scheduler-port "$port" \
    --bind-host 127.0.0.1 --external-host 127.0.0.1 --id "executor-$1" \
    --bind-port "$base" --bind-grpc-port $((base + 1)) --bind-health-port $((base + 2)) \
    --work-dir "$work/executor-$1" --vcores 2 --scheduler-connect-timeout-seconds 30 \
    --executor-heartbeat-interval-seconds 5 \
    >"$work/executor-$1.log" 2>&1 &
  echo $!
}
e1=$(executor 1)
e2=$(executor 2)
pids+=("$e1" "$e2")
wait_port $((port + 1)) "executor 1"
wait_port $((port + 11)) "executor 2"
sleep 2 # registration
url="ballista://127.0.0.1:$port"
echo "scheduler $url, executors pid $e1 and $e2"

say "1. the demo through the cluster: turnout run --engine $url"
mkdir -p "$work/demo"
cp -r pipelines "$work/demo/"
mkdir -p "$work/demo/data"
cp -r data/demo "$work/demo/data/"
export TURNOUT_KEY="${TURNOUT_KEY:-cluster-demo-key-0123456789}"
(cd "$work/demo" && "$turnout" run --quiet --engine turnout && cp -r reports reports-turnout && cp -r restricted restricted-turnout)
start=$(date +%s.%N)
(cd "$work/demo" && TURNOUT_SCALE_OUT="$scale_out" "$turnout" run --quiet --engine "$url")
printf 'turnout run --engine %s: %.1f s\n' "$url" "$(echo "$(date +%s.%N) - $start" | bc)"
grep -o '"engine": "[^"]*"' "$work/demo/reports/demo/latest/run.json"
if diff -r -x run.json "$work/demo/reports-turnout" "$work/demo/reports" >/dev/null &&
  diff -r "$work/demo/restricted-turnout" "$work/demo/restricted" >/dev/null; then
  echo "report: IDENTICAL to the default engine ($(find "$work/demo/reports" -type f ! -name run.json | wc -l) files; metrics.json $(sha256sum "$work/demo/reports/demo/latest/metrics.json" | cut -c1-16))"
else
  echo "report: DIFFERENT from the default engine" >&2
  diff -r -x run.json "$work/demo/reports-turnout" "$work/demo/reports" | head -20 >&2
  exit 1
fi

if [ "$people" = 0 ]; then exit 0; fi

dir="$CARGO_TARGET_DIR/bench-funnel-$people-30"
if [ ! -f "$dir/timeline.parquet" ]; then
  say "generating the benchmark timeline ($people people, 30 events each)"
  cargo build --release --locked --quiet --example bench_funnel
  "$CARGO_TARGET_DIR/release/examples/bench_funnel" gen --people "$people" --events 30 --out "$dir"
fi
mkdir -p "$work/bench/pipelines" "$work/bench/data"
echo "a,b" >"$work/bench/data/unused.csv"
cat >"$work/bench/pipelines/bench.toml" <<TOML
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
name = "ordered"
window = "30d"
stages = [
  { name = "In a group", when = { action = ["group_joined", "group_added"] } },
  { name = "Spoke up", when = { action = "message_sent" } },
  { name = "RSVP'd", when = { action = ["rsvp", "rsvp_confirmed"] } },
  { name = "Came", when = { action = "attended" } },
]

[[funnel]]
name = "unordered"
window = "30d"
order = "unordered"
stages = [
  { name = "In a group", when = { action = ["group_joined", "group_added"] } },
  { name = "Spoke up", when = { action = "message_sent" } },
  { name = "Came", when = { action = "attended" } },
]
TOML
# A stalled step fails after this long instead of holding the script (docs/scale-out.md).
export TURNOUT_SCALE_OUT_STEP_TIMEOUT="${TURNOUT_SCALE_OUT_STEP_TIMEOUT:-900}"
# Each step's rows and time go to the output too (the kill below waits for the first step).
export TURNOUT_SCALE_OUT_TRACE=1
timed() { # label, engine, output file: runs both funnels with --check
  local status
  echo "-- $1"
  set +e
  /usr/bin/time -f "   wall %e s, CPU %U+%S s, peak RSS %M KB (this process)" \
    "$scale_out" "$work/bench/pipelines/bench.toml" --engine "$2" --timeline "$dir/timeline.parquet" --check \
    >"$3" 2>&1
  status=$?
  set -e
  sed 's/^/   /' "$3"
  echo "   exit status $status"
  return 0
}
say "2. $people people, $(du -h "$dir/timeline.parquet" | cut -f1) timeline: cluster against DataFusion embedded"
timed "DataFusion embedded, 2 partitions" datafusion "$work/out.txt"
timed "Ballista cluster, 2 executors" "$url" "$work/out.txt"

say "3. the same job with executor 2 killed (SIGKILL) once the first step is done"
# The kill lands in the second step, the longest of the ordered funnel, whatever the size.
: >"$work/kill.txt"
timed "Ballista cluster, executor 2 killed" "$url" "$work/kill.txt" >"$work/kill-report.txt" &
job=$!
until grep -q "^stage 1 of" "$work/kill.txt" || ! kill -0 "$job" 2>/dev/null; do sleep 0.2; done
if kill -0 "$job" 2>/dev/null; then
  kill -9 "$e2" && echo "   killed executor 2 (pid $e2) at $(date +%T), after: $(grep "^stage 1 of" "$work/kill.txt")"
else
  echo "   the job ended before its first step did: no executor was killed" >&2
fi
wait "$job" || true
cat "$work/kill-report.txt"
echo "-- scheduler log about the lost executor:"
grep -iE "executor-2|lost|dead|expired|fail|resubmit|rerun|retry" "$work/scheduler.log" | grep -v "^$" | tail -12 | cut -c1-220 | sed 's/^/   /'
