#!/usr/bin/env bash
# Instructions per operation, counted by callgrind, for the table in
# docs/benchmarks.md ("Where the instructions go"). Noise-free: it counts
# instructions, it does not time anything.
#
#   benches/count_instructions.sh                 # every row
#   benches/count_instructions.sh yield_many      # one workload, every runtime
#
# Each row runs `benches/instructions.rs` once under callgrind, which counts
# only inside its `measured` function (the second run of the workload; the
# first warms caches and pools up).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(cargo bench -p evloop-benches --bench instructions --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "instructions" and m.get("executable"):
        print(m["executable"])')

scheduling="spawn_many yield_many chained_spawn ping_pong"
rows=()
for w in ${1:-$scheduling timeout sleep}; do
    case $w in
        timeout|sleep) runtimes="evloop tokio" ;;
        *) runtimes="evloop reference tokio async_executor futures" ;;
    esac
    for r in $runtimes; do rows+=("$w $r"); done
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '| workload | runtime | instructions per operation |\n|---|---|---:|\n'
for row in "${rows[@]}"; do
    set -- $row
    ops=$(valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*instructions*measured*' \
        --callgrind-out-file="$out/cg" "$bin" "$1" "$2" 2>/dev/null | sed -n 's/^operations: //p')
    total=$(sed -n 's/^summary: //p' "$out/cg" | cut -d' ' -f1)
    printf '| %s | %s | %d |\n' "$1" "$2" $((total / ops))
done
