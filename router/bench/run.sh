#!/usr/bin/env bash
# Load benchmark for the router, shaped like the public federation gateways
# benchmark: four in-memory subgraphs (accounts, inventory, products, reviews)
# and one nested query that crosses all four.
#
# Reports requests/s, p50/p99 latency and the router's peak memory with
# subgraph-request deduplication on and off, and the same load sent straight to
# one subgraph vs through the router (the router's overhead).
#
#   bash router/bench/run.sh            # CONC=32 SECS=20 WARM=3 by default
#   HIVE_ROUTER=/path/to/hive_router bash router/bench/run.sh
#                                       # also runs Hive Router on the same
#                                       # supergraph and load (see README.md)
#
# Loopback only; every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
CONC=${CONC:-32}
SECS=${SECS:-20}
WARM=${WARM:-3}
BASE=${BASE:-4201}
ROUTER_PORT=${ROUTER_PORT:-4200}

cargo build --release -q -p tessera-cli --bin tessera && cargo build --release -q -p tessera-router --example bench_subgraphs --example load
T=target/release
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT

wait_http() { # url
  for _ in $(seq 1 100); do
    if curl -sf -o /dev/null -X POST -H 'content-type: application/json' -d '{"query":"{__typename}"}' "$1"; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2; return 1
}

"$T/examples/bench_subgraphs" "$BASE" >"$W/subgraphs.log" 2>&1 &
PIDS+=($!)
for i in 0 1 2 3; do wait_http "http://127.0.0.1:$((BASE + i))/graphql"; done

"$T/tessera" compose \
  --subgraph "accounts=http://127.0.0.1:$BASE/graphql" \
  --subgraph "inventory=http://127.0.0.1:$((BASE + 1))/graphql" \
  --subgraph "products=http://127.0.0.1:$((BASE + 2))/graphql" \
  --subgraph "reviews=http://127.0.0.1:$((BASE + 3))/graphql" \
  --out "$W/supergraph.graphql"

echo '{ users { id username name } }' >"$W/single.graphql"
Q=router/bench/query.graphql

peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

measure() { # pid query label: load the router just started as pid, then stop it
  local pid=$1
  PIDS+=($pid)
  wait_http "http://127.0.0.1:$ROUTER_PORT/graphql"
  local result
  result=$("$T/examples/load" "http://127.0.0.1:$ROUTER_PORT/graphql" "$2" "$CONC" "$SECS" "$WARM")
  echo "$3 $result peak_rss_kib=$(peak_kib "$pid")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run_router() { # dedup(true|false) query label
  cat >"$W/router.yaml" <<YAML
listen: 127.0.0.1:$ROUTER_PORT
subgraphs:
  deduplicate_requests: $1
YAML
  "$T/tessera" serve --supergraph "$W/supergraph.graphql" --config "$W/router.yaml" >"$W/router.log" 2>&1 &
  measure $! "$2" "$3"
}

echo "# tessera router bench: concurrency=$CONC duration=${SECS}s warmup=${WARM}s cores=$(nproc)"
run_router true "$Q" "router-dedup-on "
run_router false "$Q" "router-dedup-off"
echo "direct-subgraph  $("$T/examples/load" "http://127.0.0.1:$BASE/graphql" "$W/single.graphql" "$CONC" "$SECS" "$WARM")"
# Sharing off: identical concurrent requests would otherwise collapse into one
# subgraph call and hide the per-request overhead this line measures.
run_router false "$W/single.graphql" "router-single   "

if [ -n "${HIVE_ROUTER:-}" ]; then
  run_hive() { # dedupe(true|false) query label
    cat >"$W/hive.yaml" <<YAML
supergraph:
  source: file
  path: $W/supergraph.graphql
http:
  host: 127.0.0.1
  port: $ROUTER_PORT
log:
  level: error
traffic_shaping:
  all:
    dedupe_enabled: $1
YAML
    ROUTER_CONFIG_FILE_PATH="$W/hive.yaml" "$HIVE_ROUTER" >"$W/hive.log" 2>&1 &
    measure $! "$2" "$3"
  }
  echo "# hive router: $HIVE_ROUTER"
  run_hive true "$Q" "hive-dedup-on   "
  run_hive false "$Q" "hive-dedup-off  "
  run_hive false "$W/single.graphql" "hive-single     "
fi
