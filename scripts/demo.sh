#!/usr/bin/env bash
# The demo: a real local Kafka + Connect with healthy, failing and DLQ-producing connectors, and
# connect-sentinel watching them. Runs until Ctrl-C, SIGINT or SIGTERM, then stops everything it started.
#   npm run demo -- [--port N] [--restart]     (scripts/demo-options.ts has the reference)
set -euo pipefail
cd "$(dirname "$0")/.."
# A signal during the checks ends them here; without a trap, bash would wait for the check's command and go on.
trap 'exit 130' INT
trap 'exit 143' TERM

listening() { (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The common clash (something already listens on the port) is answered here, before npm packages, Java
# or even Node start: under a second. scripts/demo.ts checks the port again by binding it, which also
# catches a port it may not use, before Kafka and Connect start.
port=9840
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --port) port="${args[i + 1]:-}" ;;
    --port=*) port="${args[i]#--port=}" ;;
  esac
done
if [[ "$port" =~ ^[0-9]{1,5}$ ]] && ((port >= 1 && port <= 65535)) && listening "$port"; then
  free=N
  for ((p = port + 1; p <= port + 20 && p <= 65535; p++)); do
    if ! listening "$p"; then free=$p; break; fi
  done
  echo "demo: port $port on 127.0.0.1 is taken, so connect-sentinel could not listen there; nothing was started. Choose another port: npm run demo -- --port $free" >&2
  exit 2
fi

bash scripts/preflight.sh
# exec, and node itself (not npx, not tsx's launcher, which add a process each): the signals that npm
# forwards to its script reach the demo, which then stops Kafka and Connect.
exec node --import tsx scripts/demo.ts "$@"
