#!/usr/bin/env bash
# The test command: unit tests, then integration tests against a real Kafka broker and Connect workers
# started from Maven Central jars on 127.0.0.1. Prints "N passed, N failed, N skipped" at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/preflight.sh
command -v promtool >/dev/null 2>&1 || {
  echo "connect-sentinel: promtool is missing: apt-get install prometheus (the alert and metrics tests use it)" >&2
  exit 1
}
exec npx vitest run "$@"
