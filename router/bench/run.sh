#!/usr/bin/env bash
# Load benchmark for the router, shaped like the public federation gateways
# benchmark: four in-memory subgraphs (accounts, inventory, products, reviews)
# and one nested query that crosses all four.
#
# Reports requests/s, p50/p99 latency and the router's peak memory with
# subgraph-request deduplication on and off, and the same load sent straight to
# one subgraph vs through the router (the router's overhead). Every router line
# also reports the router's CPU per request (utime+stime from /proc/PID/stat)
# and the subgraph fetches per client request (from the subgraphs' own request
# counters, GET /counts); both are read right before and right after the load
# run and divided by all its requests, warm-up included (`total_requests`).
# Before any load, the nested query is sent once through Tessera (and Hive
# Router) and the script stops unless the responses carry no errors and, with
# Hive Router, the same data.
#
# Output, one line each, `label` then fields (the load generator's JSON line
# first, then key=value pairs):
#   # tessera router bench: concurrency=.. duration=..s warmup=..s cores=.. subgraph_http=http1.1|h2c
#   data-check       status=passed routers=tessera[,hive] data_bytes=N
#   router-dedup-on  {"requests":..,"rps":..,"p50_ms":..,"total_requests":..}
#                    peak_rss_kib=N cpu_ms_per_request=X fetches_per_request=Y subgraph_fetches=N
#   (router-dedup-off, router-single, hive-*: the same fields;
#    direct-subgraph: the JSON and fetches_per_request, 1.000 by construction)
#
#   bash router/bench/run.sh            # CONC=32 SECS=20 WARM=3 by default
#   HIVE_ROUTER=/path/to/hive_router bash router/bench/run.sh
#                                       # also runs Hive Router on the same
#                                       # supergraph and load (see README.md)
#   H2C=1 ...                           # routers speak h2c to the subgraphs
#
# Needs curl and python3 (standard library only). Loopback only; every process
# it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
CONC=${CONC:-32}
SECS=${SECS:-20}
WARM=${WARM:-3}
BASE=${BASE:-4201}
ROUTER_PORT=${ROUTER_PORT:-4200}
# H2C=1: both routers speak HTTP/2 over cleartext (prior knowledge) to the
# subgraphs instead of HTTP/1.1 (Tessera `subgraphs.http2_prior_knowledge`,
# Hive Router `traffic_shaping.all.allow_only_http2`).
case "${H2C:-0}" in 1 | true) H2C_ON=true ;; *) H2C_ON=false ;; esac

command -v python3 >/dev/null || { echo "run.sh needs python3 (reads counters, compares responses)" >&2; exit 2; }
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
# utime+stime (fields 14 and 15 of /proc/PID/stat, all threads) in clock ticks;
# the fields are counted after the `(comm)` field, which may hold spaces.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
HZ=$(getconf CLK_TCK)
# GraphQL POSTs the four subgraphs have received since they started.
subgraph_fetches() {
  curl -sf "http://127.0.0.1:$BASE/counts" | python3 -c 'import json, sys; print(sum(json.load(sys.stdin).values()))'
}
json_field() { # json key: one field of the load generator's output line
  python3 -c 'import json, sys
line = json.loads(sys.argv[1])
if sys.argv[2] not in line:
    sys.exit(f"load printed no {sys.argv[2]!r} (stale build?): {sys.argv[1]}")
print(line[sys.argv[2]])' "$1" "$2"
}
per_request() { # amount requests [unit]: amount / unit / requests, 3 decimals
  awk -v a="$1" -v n="$2" -v u="${3:-1}" 'BEGIN { if (n > 0) printf "%.3f", a / u / n; else printf "nan" }'
}

ROUTER_PID=
start_tessera() { # dedup(true|false): serve on ROUTER_PORT, wait until it answers
  cat >"$W/router.yaml" <<YAML
listen: 127.0.0.1:$ROUTER_PORT
subgraphs:
  deduplicate_requests: $1
  http2_prior_knowledge: $H2C_ON
YAML
  "$T/tessera" serve --supergraph "$W/supergraph.graphql" --config "$W/router.yaml" >"$W/router.log" 2>&1 &
  ROUTER_PID=$!
  PIDS+=($ROUTER_PID)
  wait_http "http://127.0.0.1:$ROUTER_PORT/graphql"
}

start_hive() { # dedupe(true|false)
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
    allow_only_http2: $H2C_ON
YAML
  ROUTER_CONFIG_FILE_PATH="$W/hive.yaml" "$HIVE_ROUTER" >"$W/hive.log" 2>&1 &
  ROUTER_PID=$!
  PIDS+=($ROUTER_PID)
  wait_http "http://127.0.0.1:$ROUTER_PORT/graphql"
}

stop_router() { kill "$ROUTER_PID"; wait "$ROUTER_PID" 2>/dev/null || true; }

measure() { # query label: load the router just started, then stop it
  local pid=$ROUTER_PID result f0 f1 t0 t1 n cpu fetches
  # Counters right around the load: wait_http's requests are not in them.
  f0=$(subgraph_fetches); t0=$(cpu_ticks "$pid")
  result=$("$T/examples/load" "http://127.0.0.1:$ROUTER_PORT/graphql" "$1" "$CONC" "$SECS" "$WARM")
  t1=$(cpu_ticks "$pid"); f1=$(subgraph_fetches)
  n=$(json_field "$result" total_requests)
  cpu=$(per_request "$((t1 - t0))" "$n" "$(awk -v hz="$HZ" 'BEGIN { print hz / 1000 }')")
  fetches=$(per_request "$((f1 - f0))" "$n")
  echo "$2 $result peak_rss_kib=$(peak_kib "$pid") cpu_ms_per_request=$cpu" \
    "fetches_per_request=$fetches subgraph_fetches=$((f1 - f0))"
  stop_router
}

run_router() { start_tessera "$1"; measure "$2" "$3"; }
run_hive() { start_hive "$1"; measure "$2" "$3"; }

echo "# tessera router bench: concurrency=$CONC duration=${SECS}s warmup=${WARM}s cores=$(nproc) subgraph_http=$([ "$H2C_ON" = true ] && echo h2c || echo http1.1)"

# The nested query once through each router, before any load: no errors, and
# the same data from both.
python3 -c 'import json, sys; json.dump({"query": open(sys.argv[1]).read()}, sys.stdout)' "$Q" >"$W/nested.json"
fetch_nested() { # out name: send the nested query to the router just started, then stop it
  local status
  status=$(curl -sS -o "$1" -w '%{http_code}' -X POST -H 'content-type: application/json' \
    --data-binary @"$W/nested.json" "http://127.0.0.1:$ROUTER_PORT/graphql")
  stop_router
  [ "$status" = 200 ] || { echo "data-check failed: HTTP $status for the nested query ($2)" >&2; exit 1; }
}
checked=(tessera="$W/nested-tessera.json")
start_tessera true; fetch_nested "$W/nested-tessera.json" tessera
if [ -n "${HIVE_ROUTER:-}" ]; then
  checked+=(hive="$W/nested-hive.json")
  start_hive true; fetch_nested "$W/nested-hive.json" "hive router"
fi
python3 - "${checked[@]}" <<'PY'
import json, sys

def fail(msg):
    sys.exit(f"data-check failed: {msg}")

def first_difference(a, b, path="data"):
    if type(a) is not type(b):
        return f"{path}: {json.dumps(a)[:80]} vs {json.dumps(b)[:80]}"
    if isinstance(a, dict):
        if list(a) != list(b):
            order = " (same keys, another order)" if set(a) == set(b) else ""
            return f"{path}: keys {list(a)} vs {list(b)}{order}"
        for k in a:
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
    elif isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
    elif a != b:
        return f"{path}: {json.dumps(a)[:80]} vs {json.dumps(b)[:80]}"
    return None

datas = []
for arg in sys.argv[1:]:
    name, path = arg.split("=", 1)
    try:
        with open(path, encoding="utf-8") as f:
            response = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{name} did not answer the nested query with JSON: {e}")
    if not isinstance(response, dict):
        fail(f"{name} answered the nested query with a JSON {type(response).__name__}")
    if "errors" in response:
        fail(f"{name} answered the nested query with errors: {json.dumps(response['errors'])[:300]}")
    if not response.get("data"):
        fail(f"{name} answered the nested query without data")
    datas.append((name, response["data"]))

(first, data), rest = datas[0], datas[1:]
for name, other in rest:
    d = first_difference(data, other)
    if d:
        fail(f"{first} and {name} return different data for the nested query, first at {d}")
size = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
names = ",".join(n for n, _ in datas)
print(f"data-check       status=passed routers={names} data_bytes={size}")
PY

run_router true "$Q" "router-dedup-on "
run_router false "$Q" "router-dedup-off"
f0=$(subgraph_fetches)
result=$("$T/examples/load" "http://127.0.0.1:$BASE/graphql" "$W/single.graphql" "$CONC" "$SECS" "$WARM")
f1=$(subgraph_fetches)
n=$(json_field "$result" total_requests)
echo "direct-subgraph  $result fetches_per_request=$(per_request "$((f1 - f0))" "$n")"
# Sharing off: identical concurrent requests would otherwise collapse into one
# subgraph call and hide the per-request overhead this line measures.
run_router false "$W/single.graphql" "router-single   "

if [ -n "${HIVE_ROUTER:-}" ]; then
  echo "# hive router: $HIVE_ROUTER"
  run_hive true "$Q" "hive-dedup-on   "
  run_hive false "$Q" "hive-dedup-off  "
  run_hive false "$W/single.graphql" "hive-single     "
fi
