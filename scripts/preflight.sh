#!/usr/bin/env bash
# Checks what the tests and the demo need; installs the npm packages; says in one line what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "connect-sentinel: $1 is missing: $2" >&2; exit 1; }; }
need node "install Node.js 20 or newer"
need java "install Java 17 or newer (Debian: apt-get install openjdk-17-jdk-headless)"
need mvn "install Maven (Debian: apt-get install maven); it fetches the Kafka jars from Maven Central"
# From `node --version` (v20.19.0): starting Node to ask costs half a second on a busy machine.
IFS=. read -r node_major node_minor _ <<<"$(node --version | sed 's/^v//')"
((node_major > 20 || (node_major == 20 && node_minor >= 19))) \
  || { echo "connect-sentinel: Node.js $(node --version) is too old: need 20.19 or newer" >&2; exit 1; }
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
[ "${java_major:-0}" -ge 17 ] || { echo "connect-sentinel: Java ${java_major:-?} is too old: Kafka 4 needs Java 17 or newer" >&2; exit 1; }
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
