#!/usr/bin/env bash
# redis-benchmark against redis-server and evloop's RESP server
# (examples/resp_server), both single-threaded, on loopback.
#
#   bash benches/run_redis_benchmark.sh
#
# Installs redis-server and redis-tools with apt-get if they are missing,
# builds the example in release mode, runs
#   redis-benchmark -t ping,set,get -n 200000 -c 50 -q        (plain)
#   redis-benchmark -t ping,set,get -n 200000 -c 50 -P 16 -q  (pipelined)
# against each server in turn and prints requests/s side by side.
# Both servers are killed on exit. Ports: REDIS_PORT (6390), EVLOOP_PORT (6391).
set -euo pipefail
cd "$(dirname "$0")/.."

REDIS_PORT=${REDIS_PORT:-6390}
EVLOOP_PORT=${EVLOOP_PORT:-6391}
REQUESTS=${REQUESTS:-200000}
CLIENTS=${CLIENTS:-50}

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
    echo "installing redis-server and redis-tools..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
fi

cargo build --release --example resp_server >&2
evloop_bin=target/release/examples/resp_server

pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT INT TERM

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --io-threads 1 --daemonize no --loglevel warning >/dev/null &
pids+=($!)
"$evloop_bin" --port "$EVLOOP_PORT" >/dev/null &
pids+=($!)

wait_for_port() {
    for _ in $(seq 1 100); do
        if redis-cli -p "$1" ping >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "nothing answers PING on port $1" >&2
    exit 1
}
wait_for_port "$REDIS_PORT"
wait_for_port "$EVLOOP_PORT"

# Prints "TEST rps" lines, e.g. "PING_INLINE 123456.79".
bench() {
    redis-benchmark -h 127.0.0.1 -p "$1" -t ping,set,get -n "$REQUESTS" -c "$CLIENTS" -q "${@:2}" 2>/dev/null |
        tr '\r' '\n' | awk -F': ' '/requests per second/ { split($2, a, " "); print $1, a[1] }'
}

printf '%-22s %16s %16s %8s\n' "test" "redis-server" "evloop" "ratio"
for mode in plain pipelined; do
    if [ "$mode" = plain ]; then extra=(); else extra=(-P 16); fi
    redis_out=$(bench "$REDIS_PORT" "${extra[@]}")
    evloop_out=$(bench "$EVLOOP_PORT" "${extra[@]}")
    while read -r test redis_rps; do
        evloop_rps=$(awk -v t="$test" '$1 == t { print $2 }' <<<"$evloop_out")
        ratio=$(awk -v a="$evloop_rps" -v b="$redis_rps" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
        label="$test"
        [ "$mode" = pipelined ] && label="$test -P 16"
        printf '%-22s %16s %16s %8s\n' "$label" "$redis_rps" "$evloop_rps" "$ratio"
    done <<<"$redis_out"
done
