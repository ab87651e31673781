#!/usr/bin/env bash
# Interleaved A/B of several `tessera` binaries on the nested bench query,
# with subgraph-request sharing on and off: each round runs every binary once
# per setting, so slow drifts of a shared 2-core machine hit all of them alike.
# Prints requests/s, p99 latency, the router's CPU per request
# (utime+stime from /proc over warm-up and measurement, divided by the
# requests of both), its peak RSS (`VmHWM`, start-up included) and the
# subgraph fetches per client request (the subgraphs' `GET /counts`, over the
# same requests). Needs curl and python3.
#
#   cargo build --release -p tessera-cli --bin tessera && cargo build --release -p tessera-router --example bench_subgraphs --example load
#   cp target/release/tessera /tmp/tessera-a    # ... check out / build the other side ...
#   bash router/bench/ab.sh a=/tmp/tessera-a b=/tmp/tessera-b   # ROUNDS=3 SECS=10 WARM=3 CONC=32
#
# A binary may carry `subgraphs:` settings of its own after commas, to A/B a
# setting rather than a build:
#   bash router/bench/ab.sh h1=target/release/tessera h2c=target/release/tessera,http2_prior_knowledge=true
#
# Loopback only; every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: $0 name=/path/to/tessera ..." >&2; exit 2; }
T=target/release/examples
BASE=${BASE:-4301}; PORT=${ROUTER_PORT:-4300}
CONC=${CONC:-32}; SECS=${SECS:-10}; WARM=${WARM:-3}; ROUNDS=${ROUNDS:-3}
W=$(mktemp -d); PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
wait_http() {
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null -X POST -H 'content-type: application/json' -d '{"query":"{__typename}"}' "$1" && return 0
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2; return 1
}
fetches() { # every GraphQL POST the four subgraphs have received
  curl -sf "http://127.0.0.1:$BASE/counts" | python3 -c 'import json, sys; print(sum(json.load(sys.stdin).values()))'
}
"$T/bench_subgraphs" "$BASE" >"$W/subgraphs.log" 2>&1 &
PIDS+=($!)
for i in 0 1 2 3; do wait_http "http://127.0.0.1:$((BASE + i))/graphql"; done
first=${1#*=}; first=${first%%,*}
"$first" compose \
  --subgraph "accounts=http://127.0.0.1:$BASE/graphql" \
  --subgraph "inventory=http://127.0.0.1:$((BASE + 1))/graphql" \
  --subgraph "products=http://127.0.0.1:$((BASE + 2))/graphql" \
  --subgraph "reviews=http://127.0.0.1:$((BASE + 3))/graphql" \
  --out "$W/supergraph.graphql" >/dev/null 2>&1
echo "# interleaved A/B: rounds=$ROUNDS concurrency=$CONC duration=${SECS}s warmup=${WARM}s cores=$(nproc)"
for round in $(seq 1 "$ROUNDS"); do
  for pair in "$@"; do
    name=${pair%%=*}; spec=${pair#*=}; bin=${spec%%,*}; extra=""
    if [[ "$spec" == *,* ]]; then
      IFS=',' read -ra settings <<<"${spec#*,}"
      for setting in "${settings[@]}"; do extra+="  ${setting%%=*}: ${setting#*=}"$'\n'; done
    fi
    for dedup in true false; do
      printf 'listen: 127.0.0.1:%s\nsubgraphs:\n  deduplicate_requests: %s\n%s' "$PORT" "$dedup" "$extra" >"$W/router.yaml"
      "$bin" serve --supergraph "$W/supergraph.graphql" --config "$W/router.yaml" >"$W/router.log" 2>&1 &
      pid=$!
      PIDS+=($pid)
      wait_http "http://127.0.0.1:$PORT/graphql"
      before=$(fetches)
      result=$("$T/load" "http://127.0.0.1:$PORT/graphql" router/bench/query.graphql "$CONC" "$SECS" "$WARM")
      ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
      after=$(fetches)
      peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
      requests=$(echo "$result" | sed 's/.*"requests":\([0-9]*\).*/\1/')
      rps=$(echo "$result" | sed 's/.*"rps":\([0-9.]*\).*/\1/')
      errors=$(echo "$result" | sed 's/.*"errors":\([0-9]*\).*/\1/')
      p99=$(echo "$result" | sed 's/.*"p99_ms":\([0-9.]*\).*/\1/')
      cpu=$(awk -v t="$ticks" -v n="$requests" -v s="$SECS" -v w="$WARM" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.3f", t * 1000 / hz / (n * (s + w) / s) }')
      per=$(awk -v f="$((after - before))" -v n="$requests" -v s="$SECS" -v w="$WARM" \
        'BEGIN { printf "%.3f", f / (n * (s + w) / s) }')
      echo "round=$round $name dedup=$dedup rps=$rps p99_ms=$p99 errors=$errors cpu_ms_per_request=$cpu peak_rss_kib=$peak fetches_per_request=$per"
      kill "$pid"; wait "$pid" 2>/dev/null || true
    done
  done
done
