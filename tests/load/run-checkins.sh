#!/usr/bin/env bash
# Load test of durable check-in submission: starts the release build with the demo ward on a fresh SQLite
# database (or DATABASE=postgres://...), signs in as the demo patient, and runs wrk with 32 connections.
# Usage: cargo build --release -p il2care_cli && tests/load/run-checkins.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
data=$(mktemp -d)
database=${DATABASE:-sqlite://$data/il2care.db}
IL2CARE_LOG=warn IL2CARE_PATIENT_WRITES_PER_HOUR=0 target/release/il2care serve --demo --demo-password load-test --database "$database" \
  --listen 127.0.0.1:18480 > "$data/out.txt" 2> "$data/err.txt" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 50); do grep -q "listening" "$data/out.txt" 2>/dev/null && break; sleep 0.2; done
answer=$(curl -s -X POST http://127.0.0.1:18480/api/v1/session -H 'content-type: application/json' \
  -d '{"username":"patient","password":"load-test"}')
export TOKEN=$(echo "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
export PATIENT=$(echo "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["patient_id"])')
wrk -t2 -c32 -d"${seconds}s" --latency -s tests/load/checkins.lua http://127.0.0.1:18480
echo "resident memory after the run: $(ps -o rss= -p $server) KiB"
