#!/usr/bin/env bash
# The whole path on the embedded local stack: install, start Kafka + registry, create topics from schemas/, run the
# worker and the API, post campaigns (one invalid), show them consumed and lag going to zero, then stop everything
# this script started. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/toolchain.sh
API_PORT="${API_PORT:-3000}"
API="http://127.0.0.1:${API_PORT}"
export KAFKA_BROKER="${KAFKA_BROKER:-127.0.0.1:${TOPIQ_KAFKA_PORT:-29092}}"
export TOPIQ_LOG_LEVEL="${TOPIQ_LOG_LEVEL:-info}"
work="$(mktemp -d)"
pids=()
started_stack=0

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
cleanup() {
  local code=$?
  step "stopping what the demo started"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$started_stack" = 1 ]; then pnpm -s stack down || true; else echo "local stack was already running: left running"; fi
  rm -rf "$work"
  exit "$code"
}
trap cleanup EXIT

step "installing dependencies (node $(node --version), pnpm $(pnpm --version))"
pnpm install --frozen-lockfile --reporter=silent

step "local stack: Apache Kafka (KRaft) + Apicurio registry"
if pnpm -s stack status >/dev/null 2>&1; then echo "already running"; else started_stack=1; pnpm -s stack up; fi

step "topiq topics create (every topic in schemas/ + dead-letter topics)"
pnpm -s topiq topics create

step "starting campaign-worker and campaign-api"
# METRICS_PORT=0: a free port for the worker's /metrics and /healthz (its first log line says which).
METRICS_PORT=0 KAFKA_LAG_INTERVAL_MS=1000 node --conditions=@topiq/source apps/campaign-worker/src/main.ts >"$work/worker.log" 2>&1 &
pids+=($!)
PORT="$API_PORT" node --conditions=@topiq/source apps/campaign-api/src/main.ts >"$work/api.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS "$API/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "$API/healthz" >/dev/null || { echo "API did not start:"; cat "$work/api.log"; exit 1; }

step "POST /campaigns (three valid, one invalid)"
ids=()
for name in "Summer Campaign" "Autumn Launch" "Winter Sale"; do
  body=$(curl -sS -X POST "$API/campaigns" -H 'content-type: application/json' -H "x-correlation-id: demo-$RANDOM" \
    -d "{\"name\": \"$name\", \"budget\": {\"amount\": 1000, \"currency\": \"EUR\"}}" -w '\n%{http_code}')
  echo "$body" | tail -n1 | sed 's/^/HTTP /'; echo "$body" | head -n1
  ids+=("$(echo "$body" | head -n1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).campaign.campaign_id))')")
done
echo "invalid (name missing, budget currency not ISO, unknown field):"
curl -sS -X POST "$API/campaigns" -H 'content-type: application/json' \
  -d '{"budget": {"amount": 10, "currency": "euro"}, "colour": "red"}' -w '\nHTTP %{http_code}\n'

step "PATCH /campaigns/${ids[0]} (campaign.updated.json)"
curl -sS -X PATCH "$API/campaigns/${ids[0]}" -d '{"status": "active"}' -w '\nHTTP %{http_code}\n'

step "worker log: events consumed"
for _ in $(seq 1 150); do [ "$(grep -c '"campaign \(created\|updated\)"' "$work/worker.log" || true)" -ge 4 ] && break; sleep 0.2; done
grep '"campaign \(created\|updated\)"' "$work/worker.log" || { echo "worker handled nothing:"; cat "$work/worker.log"; exit 1; }

step "consumer lag of group campaign-worker (must reach 0)"
for _ in $(seq 1 30); do
  if pnpm -s topiq lag --group campaign-worker --fail-above 0 >"$work/lag.txt" 2>/dev/null; then break; fi
  sleep 1
done
cat "$work/lag.txt"
grep -Eq '^total +0$' "$work/lag.txt" || { echo "lag did not reach 0"; exit 1; }

step "worker /metrics: consumer lag and handled events, as Prometheus scrapes them"
metrics_url=$(grep -o '"metrics":"[^"]*"' "$work/worker.log" | head -n1 | cut -d'"' -f4)
sleep 1.5 # one lag sample after the last commit
curl -fsS "$metrics_url" | grep -E '^topiq_(consumer_lag|consume_messages_total\{[^}]*outcome="handled"|consumer_in_group)' \
  || { echo "no topiq metrics at $metrics_url"; exit 1; }

step "stopping the worker with SIGTERM (commits, leaves the group, exits 0)"
kill -TERM "${pids[0]}"; wait "${pids[0]}" && echo "worker exited with code 0"
pids=("${pids[1]}")
echo; echo "demo finished: every valid event was published, consumed and committed; the invalid one was rejected with 400."
