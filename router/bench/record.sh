#!/usr/bin/env bash
# Records the subgraph traffic of the bench workload for the in-process
# benchmarks (`cargo bench -p tessera-router --bench stages`): starts the four
# bench subgraphs, puts a recording proxy (`record.py`) in front of each,
# sends the nested query and the single-subgraph query through the router
# once (sharing off), and writes
#
#   router/benches/recorded/supergraph.graphql   (composed by `tessera compose`)
#   router/benches/recorded/fetches.jsonl        (one line per subgraph call:
#                                                 subgraph, request, response)
#
# Rerun it when the subgraphs, the query or the plan shape change:
#   bash router/bench/record.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=${BASE:-4451}
PORT=${ROUTER_PORT:-4450}
OUT=router/benches/recorded
cargo build --release -q -p tessera-cli --bin tessera && cargo build --release -q -p tessera-router --example bench_subgraphs
T=target/release
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
"$T/examples/bench_subgraphs" "$BASE" >"$W/subgraphs.log" 2>&1 &
PIDS+=($!)
names=(accounts inventory products reviews)
for i in 0 1 2 3; do wait_http "http://127.0.0.1:$((BASE + i))/graphql"; done
mkdir -p "$OUT"
"$T/tessera" compose \
  --subgraph "accounts=http://127.0.0.1:$BASE/graphql" \
  --subgraph "inventory=http://127.0.0.1:$((BASE + 1))/graphql" \
  --subgraph "products=http://127.0.0.1:$((BASE + 2))/graphql" \
  --subgraph "reviews=http://127.0.0.1:$((BASE + 3))/graphql" \
  --out "$OUT/supergraph.graphql" >/dev/null
{
  printf 'listen: 127.0.0.1:%s\nsubgraphs:\n  deduplicate_requests: false\n  overrides:\n' "$PORT"
  for i in 0 1 2 3; do
    printf '    %s:\n      url: http://127.0.0.1:%s/graphql\n' "${names[$i]}" "$((BASE + 10 + i))"
  done
} >"$W/router.yaml"
for i in 0 1 2 3; do
  python3 router/bench/record.py "$((BASE + 10 + i))" "http://127.0.0.1:$((BASE + i))/graphql" "$W/fetches.jsonl" "${names[$i]}" &
  PIDS+=($!)
done
for i in 0 1 2 3; do wait_http "http://127.0.0.1:$((BASE + 10 + i))/graphql"; done
"$T/tessera" serve --supergraph "$OUT/supergraph.graphql" --config "$W/router.yaml" >"$W/router.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/graphql"
: >"$W/fetches.jsonl"   # drop the readiness probes' calls
for q in router/bench/query.graphql; do
  python3 -c 'import json,sys; print(json.dumps({"query": open(sys.argv[1]).read()}))' "$q" |
    curl -sf -X POST -H 'content-type: application/json' --data-binary @- "http://127.0.0.1:$PORT/graphql" >"$W/response.json"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert "errors" not in r and r.get("data"), r' "$W/response.json"
done
curl -sf -X POST -H 'content-type: application/json' -d '{"query":"{ users { id username name } }"}' "http://127.0.0.1:$PORT/graphql" >/dev/null
cp "$W/fetches.jsonl" "$OUT/fetches.jsonl"
echo "recorded $(wc -l <"$OUT/fetches.jsonl") subgraph calls into $OUT"
