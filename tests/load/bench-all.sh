#!/usr/bin/env bash
# The side-by-side figures of BENCHMARKS.md ("Scale: one run"), on inputs generated here:
#   1. `il2care import` of the bulk-export Bundle (2,000 Patients, 100,000 Observations, 51.9 MB) into a fresh
#      SQLite database, then the same file again (everything matched, nothing stored), then `audit verify`;
#   2. fhir.resources 8.3.0 (Python) validating the same file (`Bundle.model_validate`), in the venv the test
#      suite makes under target/tmp (made here with pip when missing; skip with SKIP_PYTHON=1);
#   3. `il2care triage|assess|screen --jsonl` over 10,000 generated documents each.
# Each measurement runs REPEAT times (default 3) under /usr/bin/time -v; the wall time and peak RSS of each run
# are printed with the load average before it, so the spread and the machine's load are on record.
# Usage: tests/load/bench-all.sh [WORKDIR]   (release build; WORKDIR default target/bench-all)
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${CARGO_TARGET_DIR:-target}
work=${1:-$target/bench-all}
repeat=${REPEAT:-3}
mkdir -p "$work"

cargo build --release -p il2care_cli
cargo build --release -p il2care_wire --example bulk_bundle
cargo build --release -p il2care_cli --example jsonl_inputs
bin=$target/release/il2care

[ -s "$work/bulk.json" ] || "$target/release/examples/bulk_bundle" "$work/bulk.json"
[ -s "$work/data/checkins.jsonl" ] || "$target/release/examples/jsonl_inputs" "$work/data" 10000

# One measured run: NAME then the command; prints "NAME: wall S, max RSS KiB (load L)".
measure() {
  local name=$1
  shift
  local load
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  /usr/bin/time -v "$@" > "$work/out.txt" 2> "$work/time.txt" || true
  local wall rss status
  wall=$(grep 'Elapsed (wall clock)' "$work/time.txt" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$work/time.txt" | awk '{print $NF}')
  status=$(grep 'Exit status' "$work/time.txt" | awk '{print $NF}')
  echo "$name: wall $wall, max RSS $rss KiB, exit $status (load average before: $load)"
}

echo "file: $(stat -c %s "$work/bulk.json") bytes; $(nproc) cores"
for run in $(seq 1 "$repeat"); do
  rm -f "$work/bulk.db" "$work/bulk.db-wal" "$work/bulk.db-shm"
  measure "import, empty database (run $run)" "$bin" import "$work/bulk.json" --database "sqlite://$work/bulk.db"
  grep -c '"informational"' "$work/out.txt" | sed 's/^/  information issues in the outcome: /'
  measure "import again, nothing new (run $run)" "$bin" import "$work/bulk.json" --database "sqlite://$work/bulk.db"
  grep -c 'nothing changed' "$work/out.txt" | sed 's/^/  entries matched: /'
done
"$bin" audit verify --database "sqlite://$work/bulk.db"

if [ "${SKIP_PYTHON:-0}" != 1 ]; then
  venv=$target/tmp/fhir-validator-fhir.resources-8.3.0
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check fhir.resources==8.3.0
  fi
  for run in $(seq 1 "$repeat"); do
    measure "fhir.resources Bundle.model_validate (run $run)" "$venv/bin/python" -c \
      'import json,sys; from fhir.resources.R4B.bundle import Bundle; Bundle.model_validate(json.load(open(sys.argv[1])))' \
      "$work/bulk.json"
  done
fi

for run in $(seq 1 "$repeat"); do
  measure "triage --jsonl, 10,000 check-ins (run $run)" "$bin" triage --jsonl "$work/data/checkins.jsonl"
  measure "assess --jsonl, 10,000 assessments (run $run)" "$bin" assess --jsonl "$work/data/assessments.jsonl"
  measure "screen --jsonl, 10,000 screenings (run $run)" "$bin" screen --jsonl "$work/data/screenings.jsonl"
done
