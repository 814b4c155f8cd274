#!/usr/bin/env bash
# The side-by-side figures of BENCHMARKS.md ("Scale: one run"), on inputs generated here:
#   1. `il2care import` of the bulk-export Bundle (2,000 Patients, 100,000 Observations, 51.9 MB) into a fresh
#      SQLite database, then the same file again (everything matched, nothing stored), then `audit verify`; then
#      the same entries with each Patient followed by its Observations;
#   2. fhir.resources 8.3.0 (Python) validating the same file (`Bundle.model_validate`), in the venv the test
#      suite makes under target/tmp (made here with pip when missing);
#   3. `il2care triage|assess|screen --jsonl` over 10,000 generated documents each, against one process per
#      document (SEPARATE documents, default all 10,000), every separate output compared with its batch line;
#   4. the worklist at 10,000 patients (`cargo bench -p il2care_web --bench worklist`, SQLite then PostgreSQL);
#   5. the audit page at 1,000,000 entries (`cargo bench -p il2care_web --bench audit`, SQLite then PostgreSQL).
# Each command measurement runs REPEAT times (default 3) under /usr/bin/time -v; the wall time, CPU time and peak
# RSS of each run are printed with the load average before it, so the spread and the machine's load are on record.
# Skip a part with SKIP_IMPORT=1, SKIP_PYTHON=1, SKIP_JSONL=1, SKIP_WORKLIST=1, SKIP_AUDIT=1; the PostgreSQL
# benches use IL2CARE_TEST_POSTGRES_URL's server (default postgres://postgres@127.0.0.1:5432/postgres), skip them
# with SKIP_POSTGRES=1.
# Usage: tests/load/bench-all.sh [WORKDIR]   (release build; WORKDIR default target/bench-all)
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${CARGO_TARGET_DIR:-target}
work=${1:-$target/bench-all}
repeat=${REPEAT:-3}
separate=${SEPARATE:-10000}
mkdir -p "$work"
work=$(cd "$work" && pwd)

cargo build --release -p il2care_cli
cargo build --release -p il2care_wire --example bulk_bundle
cargo build --release -p il2care_cli --example jsonl_inputs
bin=$target/release/il2care

[ -s "$work/bulk.json" ] || "$target/release/examples/bulk_bundle" "$work/bulk.json"
[ -s "$work/interleaved.json" ] || "$target/release/examples/bulk_bundle" "$work/interleaved.json" 2000 100000 interleaved
[ -s "$work/data/checkins.jsonl" ] || "$target/release/examples/jsonl_inputs" "$work/data" 10000

# One measured run: NAME then the command; prints "NAME: wall S, CPU S, max RSS KiB (load L)".
measure() {
  local name=$1
  shift
  local load
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  /usr/bin/time -v "$@" > "$work/out.txt" 2> "$work/time.txt" || true
  local wall user sys rss status
  wall=$(grep 'Elapsed (wall clock)' "$work/time.txt" | awk '{print $NF}')
  user=$(grep 'User time' "$work/time.txt" | awk '{print $NF}')
  sys=$(grep 'System time' "$work/time.txt" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$work/time.txt" | awk '{print $NF}')
  status=$(grep 'Exit status' "$work/time.txt" | awk '{print $NF}')
  echo "$name: wall $wall, CPU ${user}+${sys} s, max RSS $rss KiB, exit $status (load average before: $load)"
}

echo "== bench-all $(date -u +%FT%TZ), $(nproc) cores, commit $(git rev-parse --short HEAD)"

if [ "${SKIP_IMPORT:-0}" != 1 ]; then
  echo "== import: file $(stat -c %s "$work/bulk.json") bytes"
  for run in $(seq 1 "$repeat"); do
    rm -f "$work/bulk.db" "$work/bulk.db-wal" "$work/bulk.db-shm"
    measure "import, empty database (run $run)" "$bin" import "$work/bulk.json" --database "sqlite://$work/bulk.db"
    grep -c '"informational"' "$work/out.txt" | sed 's/^/  information issues in the outcome: /' || true
    measure "import again, nothing new (run $run)" "$bin" import "$work/bulk.json" --database "sqlite://$work/bulk.db"
    grep -c 'nothing changed' "$work/out.txt" | sed 's/^/  entries matched: /' || true
  done
  "$bin" audit verify --database "sqlite://$work/bulk.db"
  # The same entries with each Patient followed by its Observations, as an export written patient by patient.
  for run in $(seq 1 "$repeat"); do
    rm -f "$work/bulk.db" "$work/bulk.db-wal" "$work/bulk.db-shm"
    measure "import, Patients interleaved with their Observations (run $run)" "$bin" import "$work/interleaved.json" \
      --database "sqlite://$work/bulk.db"
  done
fi

if [ "${SKIP_IMPORT:-0}" != 1 ] && [ "${SKIP_PYTHON:-0}" != 1 ]; then
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

if [ "${SKIP_JSONL:-0}" != 1 ]; then
  echo "== --jsonl: 10,000 documents each; separate runs: the first $separate documents, one process each"
  for pair in triage:checkins assess:assessments screen:screenings; do
    command=${pair%%:*}
    input=$work/data/${pair#*:}.jsonl
    for run in $(seq 1 "$repeat"); do
      measure "$command --jsonl, $(wc -l < "$input") documents (run $run)" "$bin" "$command" --jsonl "$input"
    done
    cp "$work/out.txt" "$work/$command.batch.jsonl"
    # One process per document, as a caller without --jsonl would run it, each output kept for the comparison.
    rm -rf "$work/separate" && mkdir -p "$work/separate/in" "$work/separate/out"
    head -n "$separate" "$input" | split -l 1 -d -a 5 --additional-suffix=.json - "$work/separate/in/"
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    started=$(date +%s.%N)
    for file in "$work"/separate/in/*.json; do
      "$bin" "$command" "$file" --json > "$work/separate/out/${file##*/}" || true
    done
    ended=$(date +%s.%N)
    echo "$command, $separate separate runs: wall $(awk "BEGIN {print $ended - $started}") s (load average before: $load)"
    # Every separate output against its batch line, as JSON values.
    python3 - "$work/$command.batch.jsonl" "$work/separate/out" "$separate" <<'EOF'
import json, os, sys
batch = [json.loads(line) for line in open(sys.argv[1])]
count = int(sys.argv[3])
outputs = sorted(os.listdir(sys.argv[2]))
assert len(outputs) == min(count, len(batch)), (len(outputs), count, len(batch))
differ = [name for index, name in enumerate(outputs)
          if json.load(open(os.path.join(sys.argv[2], name))) != batch[index]]
print(f"  compared {len(outputs)} separate outputs with their batch lines: {len(differ)} differ {differ[:5]}")
sys.exit(1 if differ else 0)
EOF
  done
  rm -rf "$work/separate"
fi

if [ "${SKIP_WORKLIST:-0}" != 1 ]; then
  echo "== worklist, 10,000 patients (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  cargo bench -p il2care_web --bench worklist
  [ "${SKIP_POSTGRES:-0}" = 1 ] || cargo bench -p il2care_web --bench worklist -- --postgres
fi

if [ "${SKIP_AUDIT:-0}" != 1 ]; then
  echo "== audit page, 1,000,000 entries (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  cargo bench -p il2care_web --bench audit
  [ "${SKIP_POSTGRES:-0}" = 1 ] || cargo bench -p il2care_web --bench audit -- --postgres
fi
