#!/usr/bin/env bash
# Runs every test on a fresh machine: brings Node 24 + pnpm (scripts/toolchain.sh), installs dependencies, lints,
# type-checks, then runs vitest: unit + type tests, and integration tests against the real local Kafka + registry
# (started by the integration project's global setup when not already running; see packages/local-stack).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/toolchain.sh
echo "node $(node --version), pnpm $(pnpm --version)"
pnpm install --frozen-lockfile
pnpm lint
pnpm typecheck
# Prometheus + promtool for the observability tests (Debian's package via apt, once; a no-op when installed).
prometheus_started=$SECONDS
prometheus="$(bash scripts/prometheus.sh)"
echo "prometheus: $prometheus ready in $((SECONDS - prometheus_started)) s"
pnpm test
