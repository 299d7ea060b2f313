#!/usr/bin/env bash
# redis-benchmark against redis-server and evloop's RESP server
# (examples/resp_server), both single-threaded, on loopback. The evloop
# server runs twice: as is, and with `--busy-poll-us 50` (its loop is built
# with `Builder::busy_poll(50 µs)`: it polls for I/O for up to 50 µs before
# sleeping in epoll_wait, while requests keep coming that soon; BUSY_POLL_US
# changes the window).
#
#   bash benches/run_redis_benchmark.sh
#
# Installs redis-server and redis-tools with apt-get if they are missing,
# builds the example in release mode, runs, for each of the tests
# ping_inline, ping_mbulk, set and get,
#   redis-benchmark -t TEST -n 200000 -c 50 -q          (plain)
#   redis-benchmark -t TEST -n 1000000 -c 50 -P 16 -q   (pipelined)
# against each server in turn, ROUNDS times (default 3), and prints the best
# requests/s of each side by side (every run goes to stderr): on a shared
# machine a single run mostly measures the neighbours, and alternating test
# by test keeps a change in load from favouring one server.
#
# Then two shards (examples/resp_server --shards 2: two loops on two
# threads, keys owned by hash, commands for the other shard's keys hop
# there and back) against `redis-server --io-threads 2`, with random keys
# (-r 100000, so about half the commands hop), same table shape.
#
# Last, CPU time per request: the server's utime+stime from
# /proc/PID/stat (all threads) over one fixed run of CPU_REQUESTS
# (default 1,000,000) SET and GET, for --shards 1 and --shards 2; the
# ratio is the price of the hops.
#
# SKIP_SHARDS=1 stops after the first table. The servers are killed on
# exit. Ports: REDIS_PORT (6390), EVLOOP_PORT (6391), EVLOOP_SPIN_PORT
# (6392), REDIS_IO2_PORT (6393), EVLOOP_SHARDS_PORT (6394).
set -euo pipefail
cd "$(dirname "$0")/.."

REDIS_PORT=${REDIS_PORT:-6390}
EVLOOP_PORT=${EVLOOP_PORT:-6391}
EVLOOP_SPIN_PORT=${EVLOOP_SPIN_PORT:-6392}
REQUESTS=${REQUESTS:-200000}
PIPELINED_REQUESTS=${PIPELINED_REQUESTS:-1000000}
CLIENTS=${CLIENTS:-50}
ROUNDS=${ROUNDS:-3}
REDIS_IO2_PORT=${REDIS_IO2_PORT:-6393}
EVLOOP_SHARDS_PORT=${EVLOOP_SHARDS_PORT:-6394}
CPU_REQUESTS=${CPU_REQUESTS:-1000000}
BUSY_POLL_US=${BUSY_POLL_US:-50}

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
    echo "installing redis-server and redis-tools..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
fi

cargo build --release --example resp_server >&2

# A server left over from an earlier run would share the port with the new
# one (resp_server binds with SO_REUSEPORT) and take half the connections.
for port in "$REDIS_PORT" "$EVLOOP_PORT" "$EVLOOP_SPIN_PORT" "$REDIS_IO2_PORT" "$EVLOOP_SHARDS_PORT"; do
    if redis-cli -p "$port" ping >/dev/null 2>&1; then
        echo "port $port already answers PING: stop that server first" >&2
        exit 1
    fi
done
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
"$evloop_bin" --port "$EVLOOP_SPIN_PORT" --busy-poll-us "$BUSY_POLL_US" >/dev/null &
pids+=($!)
redis-server --port "$REDIS_IO2_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --io-threads 2 --daemonize no --loglevel warning >/dev/null &
pids+=($!)
"$evloop_bin" --port "$EVLOOP_SHARDS_PORT" --shards 2 >/dev/null &
shards_pid=$!
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
wait_for_port "$EVLOOP_SPIN_PORT"
wait_for_port "$REDIS_IO2_PORT"
wait_for_port "$EVLOOP_SHARDS_PORT"

# Prints "TEST rps" lines, e.g. "PING_INLINE 123456.79": bench PORT TESTS
# REQUESTS [redis-benchmark options].
bench() {
    redis-benchmark -h 127.0.0.1 -p "$1" -t "$2" -n "$3" -c "$CLIENTS" -q "${@:4}" 2>/dev/null |
        tr '\r' '\n' | awk -F': ' '/requests per second/ { split($2, a, " "); print $1, a[1] }'
}

# Best of several "TEST rps" listings.
best() {
    awk 'NF == 2 { if (!($1 in max) || $2 > max[$1]) max[$1] = $2; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
         END { for (i = 0; i < n; i++) print order[i], max[order[i]] }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }

# One test at a time, the three servers in turn within each round, so a
# change in the machine's load touches all three alike. Every run goes to
# stderr; the table keeps each server's best.
printf '%-20s %13s %13s %7s %15s %7s\n' "best of $ROUNDS" "redis-server" "evloop" "ratio" "evloop busy$BUSY_POLL_US" "ratio"
for mode in plain pipelined; do
    if [ "$mode" = plain ]; then extra=(); n=$REQUESTS; else extra=(-P 16); n=$PIPELINED_REQUESTS; fi
    for test in ping_inline ping_mbulk set get; do
        redis_all=""
        evloop_all=""
        spin_all=""
        for round in $(seq 1 "$ROUNDS"); do
            redis_all+=$(bench "$REDIS_PORT" "$test" "$n" "${extra[@]}")$'\n'
            evloop_all+=$(bench "$EVLOOP_PORT" "$test" "$n" "${extra[@]}")$'\n'
            spin_all+=$(bench "$EVLOOP_SPIN_PORT" "$test" "$n" "${extra[@]}")$'\n'
            echo "$mode $test round $round: redis $(tail -2 <<<"$redis_all" | awk '{print $2}')" \
                "evloop $(tail -2 <<<"$evloop_all" | awk '{print $2}')" \
                "busy$BUSY_POLL_US $(tail -2 <<<"$spin_all" | awk '{print $2}')" >&2
        done
        read -r label redis_rps <<<"$(best <<<"$redis_all")"
        evloop_rps=$(best <<<"$evloop_all" | awk '{ print $2 }')
        spin_rps=$(best <<<"$spin_all" | awk '{ print $2 }')
        [ "$mode" = pipelined ] && label="$label -P 16"
        printf '%-20s %13s %13s %7s %15s %7s\n' "$label" "$redis_rps" "$evloop_rps" "$(ratio "$evloop_rps" "$redis_rps")" \
            "$spin_rps" "$(ratio "$spin_rps" "$redis_rps")"
    done
done

if [ -n "${SKIP_SHARDS:-}" ]; then
    exit 0
fi

echo
printf '%-20s %22s %20s %7s\n' "best of $ROUNDS, -r 100000" "redis --io-threads 2" "evloop --shards 2" "ratio"
for mode in plain pipelined; do
    if [ "$mode" = plain ]; then extra=(-r 100000); else extra=(-r 100000 -P 16); fi
    redis_all=""
    shards_all=""
    for _ in $(seq 1 "$ROUNDS"); do
        redis_all+=$(bench "$REDIS_IO2_PORT" ping,set,get "$REQUESTS" "${extra[@]}")$'\n'
        shards_all+=$(bench "$EVLOOP_SHARDS_PORT" ping,set,get "$REQUESTS" "${extra[@]}")$'\n'
    done
    redis_out=$(best <<<"$redis_all")
    shards_out=$(best <<<"$shards_all")
    while read -r test redis_rps; do
        shards_rps=$(awk -v t="$test" '$1 == t { print $2 }' <<<"$shards_out")
        label="$test"
        [ "$mode" = pipelined ] && label="$test -P 16"
        printf '%-20s %22s %20s %7s\n' "$label" "$redis_rps" "$shards_rps" "$(ratio "$shards_rps" "$redis_rps")"
    done <<<"$redis_out"
done

# utime + stime of a process (all its threads), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# CPU µs per request of server PID on PORT over one run of CPU_REQUESTS
# SET and GET (random keys) with the given extra redis-benchmark options.
cpu_per_request() {
    local pid=$1 port=$2
    shift 2
    local before after
    before=$(cpu_ticks "$pid")
    redis-benchmark -h 127.0.0.1 -p "$port" -t set,get -n "$CPU_REQUESTS" -c "$CLIENTS" -r 100000 -q "$@" >/dev/null 2>&1
    after=$(cpu_ticks "$pid")
    awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n=$((2 * CPU_REQUESTS)) \
        'BEGIN { printf "%.3f", t / hz * 1e6 / n }'
}

echo
printf '%-28s %12s %12s %7s\n' "CPU µs per request (SET+GET)" "--shards 1" "--shards 2" "ratio"
for mode in plain pipelined; do
    if [ "$mode" = plain ]; then extra=(); else extra=(-P 16); fi
    one=$(cpu_per_request "${pids[1]}" "$EVLOOP_PORT" "${extra[@]}")
    two=$(cpu_per_request "$shards_pid" "$EVLOOP_SHARDS_PORT" "${extra[@]}")
    printf '%-28s %12s %12s %7s\n' "$mode" "$one" "$two" "$(ratio "$two" "$one")"
done
