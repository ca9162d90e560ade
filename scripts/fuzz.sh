#!/usr/bin/env bash
# Runs every parser's libFuzzer target (fuzz/fuzz_targets/) for a while, seeded from the test
# fixtures and the hostile-input corpus, and prints what each found.
#
#   scripts/fuzz.sh [seconds-per-target] [target ...]
#
# Needs the nightly toolchain (`rustup toolchain install nightly`) and cargo-fuzz
# (`cargo install cargo-fuzz`). turnout is built without polars here (fuzz/Cargo.toml), so the
# first build takes minutes, not twenty. New corpus entries go to fuzz/corpus/<target>/ and
# crashes to fuzz/artifacts/<target>/ (both ignored by git: a crash worth keeping is minimised
# and added to tests/hostile/ with a test).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-120}"
shift || true
all=(whatsapp telegram signal slack discord spoke mailchimp action_network mobilize van zoom eventbrite csv)
targets=("${@:-${all[@]}}")
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR_FUZZ:-$HOME/.cache/turnout/fuzz-target}"

seeds=fuzz/seeds
rm -rf "$seeds"
mkdir -p "$seeds"
for t in "${all[@]}"; do
  mkdir -p "$seeds/$t"
  if [ -d "tests/fixtures/$t" ]; then
    find "tests/fixtures/$t" -type f -size -1M | while read -r f; do
      cp "$f" "$seeds/$t/$(echo "$f" | tr '/ ' '__')"
    done
  fi
  find tests/hostile -maxdepth 1 -type f -size -256k ! -name README.md -exec cp {} "$seeds/$t/" \;
done
# Slack exports arrive as one zip: seed with the fixture workspace zipped.
python3 - <<'PY'
import os, zipfile
root = "tests/fixtures/slack/export"
with zipfile.ZipFile("fuzz/seeds/slack/export.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            z.write(p, os.path.relpath(p, root))
PY

cargo +nightly fuzz build --release -s none --fuzz-dir fuzz 2>&1 | tail -3
printf '%-16s %8s %10s %8s  %s\n' target seconds execs corpus found
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  log="fuzz/artifacts/$t.log"
  set +e
  cargo +nightly fuzz run --release -s none --fuzz-dir fuzz "$t" "fuzz/corpus/$t" "$seeds/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=3072 -max_len=262144 -timeout=20 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  found=$(ls "fuzz/artifacts/$t" | tr '\n' ' ')
  printf '%-16s %8s %10s %8s  %s\n' "$t" "$secs" "${execs:-?}" "$(ls "fuzz/corpus/$t" | wc -l)" "${found:-nothing (exit $rc)}"
done
