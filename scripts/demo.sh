#!/usr/bin/env bash
# The demo: a real local Kafka + Connect with healthy, failing and DLQ-producing connectors, and
# connect-sentinel watching them. Runs until Ctrl-C, then stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/preflight.sh
exec npx tsx scripts/demo.ts "$@"
