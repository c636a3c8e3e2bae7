#!/usr/bin/env bash
# Starts the hub as a newcomer would (`npm start`, no DATABASE_URL, fresh data folder), waits for it,
# asks it one GraphQL question with the printed admin key, restarts it on the same data, and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d /tmp/ocop-hub-smoke.XXXXXX)
chmod 755 "$data"
port=$((20000 + RANDOM % 20000))
log="$data/hub.log"
export HUB_DATA_DIR="$data/.data" PORT="$port" SANDBOX_PORT=$((port + 1)) EMBEDDED_PG_PORT=$((port + 10))
unset DATABASE_URL

start_hub() {
  # Own process group, so stopping it reaches npm, node and nothing else.
  setsid env -u DATABASE_URL npm start >"$log" 2>&1 &
  hub_pid=$!
  for _ in $(seq 1 120); do
    grep -q "ocop-hub is up" "$log" && return 0
    kill -0 "$hub_pid" 2>/dev/null || { cat "$log"; echo "hub exited early"; return 1; }
    sleep 1
  done
  cat "$log"; echo "hub did not come up in 120 s"; return 1
}

stop_hub() {
  [ -n "${hub_pid:-}" ] || return 0
  kill -TERM -- "-$hub_pid" 2>/dev/null || true
  for _ in $(seq 1 30); do pgrep -g "$hub_pid" >/dev/null || break; sleep 0.5; done
  wait "$hub_pid" 2>/dev/null || true
  hub_pid=
}
trap 'stop_hub; pkill -f "$data" 2>/dev/null || true; rm -rf "$data"' EXIT

start_hub
key=$(cat "$HUB_DATA_DIR/admin-api-key")
curl -sf "http://127.0.0.1:$port/readyz"
answer=$(curl -sf "http://127.0.0.1:$port/graphql" -H "authorization: Bearer $key" -H 'content-type: application/json' \
  -d '{"query":"{ products(first: 1) { totalCount } ocopStats { totalProducts } }"}')
echo "$answer"
echo "$answer" | grep -q '"totalCount":112' || { echo "expected the 112 seeded products"; exit 1; }
stop_hub

# A second start reuses the data: no new seed, no new key.
start_hub
grep -q "seeded" "$log" && { echo "second start seeded again"; exit 1; }
curl -sf "http://127.0.0.1:$port/graphql" -H "authorization: Bearer $key" -H 'content-type: application/json' \
  -d '{"query":"{ products { totalCount } }"}' | grep -q '"totalCount":112'
stop_hub
echo "smoke test passed"
