#!/usr/bin/env bash
# wrk against the hyper hello-world server on evloop (examples/http_server)
# and the same server on tokio's current_thread runtime
# (examples/http_server_tokio), both on loopback.
#
#   bash benches/run_wrk.sh
#
# Installs wrk with apt-get if it is missing, builds both examples in
# release mode, runs `wrk -t1 -c64 -d10s` against each, ROUNDS times
# (default 3, alternating), and prints every run and the best of each side
# by side. Both servers are killed on exit.
# Ports: EVLOOP_PORT (8090), TOKIO_PORT (8091); DURATION (10s).
set -euo pipefail
cd "$(dirname "$0")/.."

EVLOOP_PORT=${EVLOOP_PORT:-8090}
TOKIO_PORT=${TOKIO_PORT:-8091}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}

if ! command -v wrk >/dev/null; then
    echo "installing wrk..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

cargo build --release --features hyper --example http_server --example http_server_tokio >&2

pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT INT TERM

target/release/examples/http_server --port "$EVLOOP_PORT" >/dev/null &
pids+=($!)
target/release/examples/http_server_tokio --port "$TOKIO_PORT" >/dev/null &
pids+=($!)

wait_for_port() {
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    exit 1
}
wait_for_port "$EVLOOP_PORT"
wait_for_port "$TOKIO_PORT"

run() {
    wrk -t1 -c64 -d"$DURATION" "http://127.0.0.1:$1/" | awk '/Requests\/sec/ { print $2 }'
}

evloop_runs=()
tokio_runs=()
for round in $(seq 1 "$ROUNDS"); do
    evloop_runs+=("$(run "$EVLOOP_PORT")")
    tokio_runs+=("$(run "$TOKIO_PORT")")
    echo "round $round: evloop ${evloop_runs[-1]} req/s, tokio ${tokio_runs[-1]} req/s" >&2
done
max() { printf '%s\n' "$@" | sort -g | tail -1; }
evloop_rps=$(max "${evloop_runs[@]}")
tokio_rps=$(max "${tokio_runs[@]}")

printf '%-32s %14s   %s\n' "server (wrk -t1 -c64 -d$DURATION)" "best req/s" "all runs"
printf '%-32s %14s   %s\n' "hyper on evloop" "$evloop_rps" "${evloop_runs[*]}"
printf '%-32s %14s   %s\n' "hyper on tokio current_thread" "$tokio_rps" "${tokio_runs[*]}"
awk -v a="$evloop_rps" -v b="$tokio_rps" 'BEGIN { printf "%-32s %13.2fx\n", "evloop / tokio", a / b }'
