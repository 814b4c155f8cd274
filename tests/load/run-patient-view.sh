#!/usr/bin/env bash
# Load test of CDS Hooks patient-view from a second process on loopback: starts the release build with the demo
# ward on a fresh SQLite database (or DATABASE=postgres://...) and runs wrk. AUTH=jwt (default) trusts the
# TEST-ONLY Ed25519 EHR key of crates/il2care_web/tests/keys through --cds-issuers and mints one token per call
# beforehand (il2care refuses a replayed jti; the server verifies every token's signature); AUTH=staff signs in
# the demo nurse and sends her session token instead.
# Usage: cargo build --release -p il2care_cli -p il2care_web --examples &&
#        tests/load/run-patient-view.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
connections=${2:-16}
auth=${AUTH:-jwt}
port=18481
data=$(mktemp -d)
database=${DATABASE:-sqlite://$data/il2care.db}
keys=crates/il2care_web/tests/keys
python3 - "$keys/ehr-ed25519.pub" "http://127.0.0.1:$port" > "$data/issuers.json" <<'PY'
import json, sys
pem = open(sys.argv[1]).read()
print(json.dumps({"audience": sys.argv[2], "issuers": [{"iss": "https://ehr.load-test", "public_key_pem": pem}]}))
PY
IL2CARE_LOG=warn target/release/il2care serve --demo --demo-password load-test --database "$database" \
  --listen 127.0.0.1:$port --cds-issuers "$data/issuers.json" > "$data/out.txt" 2> "$data/err.txt" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 50); do grep -q "listening" "$data/out.txt" 2>/dev/null && break; sleep 0.2; done
if [ "$auth" = jwt ]; then
  # Enough one-use tokens for 12,000 calls a second; a run that uses them up reports "tokens-exhausted" answers.
  target/release/examples/mint_ehr_tokens "$keys/ehr-ed25519.key" https://ehr.load-test \
    "http://127.0.0.1:$port/cds-services/il2care-patient-view" $((seconds * 12000)) > "$data/tokens.txt"
  export TOKENS="$data/tokens.txt" THREADS=2
else
  export TOKEN=$(curl -s -X POST http://127.0.0.1:$port/api/v1/session -H 'content-type: application/json' \
    -d '{"username":"nurse","password":"load-test"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
fi
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s tests/load/patient-view.lua http://127.0.0.1:$port
echo "resident memory after the run: $(ps -o rss= -p $server) KiB"
