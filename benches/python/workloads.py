#!/usr/bin/env python3
"""The six workloads of benches/scheduling.rs and benches/timers.rs, on CPython asyncio or uvloop.

    python3 benches/python/workloads.py --loop asyncio
    target/python-venv/bin/python benches/python/workloads.py --loop uvloop --json out.json
    python3 benches/python/workloads.py --loop asyncio --only spawn_many,ping_pong --samples 5

Same parameters and shape as the Rust benches, written the way an asyncio user
would write them at their fastest: `loop.create_task`, `loop.create_future`,
`asyncio.sleep(0)` to yield, `asyncio.timeout` for a timeout. Like criterion,
every workload runs on one event loop: a warm-up, then `--samples` timed
iterations (one `run_until_complete` each); the mean and median per iteration
are reported, in nanoseconds, as JSON. As `timeit` does, the cyclic garbage
collector is off while timing (`gc.collect()` runs between samples, untimed):
it is Python's faster configuration here, so a ratio to evloop is never
inflated by collections. `--gc on` keeps Python's default, to see what the
collector costs.
"""
import argparse
import asyncio
import gc
import json
import platform
import statistics
import sys
import time

# benches/scheduling.rs
SPAWN_MANY = 100_000
YIELD_TASKS = 1_000
YIELDS = 100
CHAIN = 10_000
PAIRS = 1_000
ROUND_TRIPS = 100
# benches/timers.rs
TIMEOUT_TASKS = 1_000
TIMEOUTS_EACH = 100
TIMEOUT_S = 10
SLEEPERS = 100_000


def sleep_for(i):
    """(i % 1000) × 10 µs, in seconds: 0 to 9.99 ms, as `sleep_for` in timers.rs."""
    return (i % 1000) * 10e-6


async def _value(i):
    return i


async def spawn_many():
    """100,000 trivial tasks spawned, then awaited in order."""
    spawn = asyncio.get_running_loop().create_task
    tasks = [spawn(_value(i)) for i in range(SPAWN_MANY)]
    for t in tasks:
        await t


async def _yielder():
    for _ in range(YIELDS):
        await asyncio.sleep(0)


async def yield_many():
    """1,000 tasks × 100 yields (`asyncio.sleep(0)`, asyncio's yield)."""
    spawn = asyncio.get_running_loop().create_task
    tasks = [spawn(_yielder()) for _ in range(YIELD_TASKS)]
    for t in tasks:
        await t


async def _link(n, done):
    if n == 0:
        done.set_result(None)
    else:
        # Fire and forget, as the Rust drops the handle: the loop's ready
        # queue holds the task until it has run (and it never suspends).
        asyncio.get_running_loop().create_task(_link(n - 1, done))


async def chained_spawn():
    """A chain of 10,000 tasks, each spawning the next; the last completes a future main awaits."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.create_task(_link(CHAIN, done))
    await done


async def _pong(ping, pong):
    pong.set_result(await ping + 1)


async def _pinger():
    loop = asyncio.get_running_loop()
    for i in range(ROUND_TRIPS):
        ping = loop.create_future()
        pong = loop.create_future()
        loop.create_task(_pong(ping, pong))
        ping.set_result(i)
        assert await pong == i + 1


async def ping_pong():
    """1,000 tasks × 100 round trips; each makes two one-shot futures and spawns its peer."""
    spawn = asyncio.get_running_loop().create_task
    pairs = [spawn(_pinger()) for _ in range(PAIRS)]
    for p in pairs:
        await p


async def _churner():
    for _ in range(TIMEOUTS_EACH):
        async with asyncio.timeout(TIMEOUT_S):
            await asyncio.sleep(0)


async def timer_churn():
    """1,000 tasks × 100 yields, each inside a 10 s timeout (armed and cancelled every time)."""
    spawn = asyncio.get_running_loop().create_task
    tasks = [spawn(_churner()) for _ in range(TIMEOUT_TASKS)]
    for t in tasks:
        await t


async def sleep_many():
    """100,000 tasks sleeping (i % 1000) × 10 µs, awaited in order; the longest sleep is 9.99 ms."""
    spawn = asyncio.get_running_loop().create_task
    sleep = asyncio.sleep
    tasks = [spawn(sleep(sleep_for(i))) for i in range(SLEEPERS)]
    for t in tasks:
        await t


# Criterion's sample sizes: 20 (benches/src/lib.rs), 10 for sleep_many.
WORKLOADS = {
    "spawn_many": (spawn_many, 20),
    "yield_many": (yield_many, 20),
    "chained_spawn": (chained_spawn, 20),
    "ping_pong": (ping_pong, 20),
    "timer_churn": (timer_churn, 20),
    "sleep_many": (sleep_many, 10),
}


def new_loop(kind):
    if kind == "asyncio":
        return asyncio.new_event_loop(), None
    import uvloop  # noqa: PLC0415 (only needed, and only installed, for --loop uvloop)

    return uvloop.new_event_loop(), uvloop.__version__


def measure(loop, workload, samples, warm_up_s, gc_on):
    """Warm up for at least `warm_up_s` (and at least one run), then time `samples` runs."""
    end = time.perf_counter() + warm_up_s
    while True:
        loop.run_until_complete(workload())
        if time.perf_counter() >= end:
            break
    times = []
    for _ in range(samples):
        gc.collect()
        if not gc_on:
            gc.disable()
        t0 = time.perf_counter_ns()
        loop.run_until_complete(workload())
        t1 = time.perf_counter_ns()
        gc.enable()
        times.append(t1 - t0)
    return {
        "mean_ns": statistics.fmean(times),
        "median_ns": statistics.median(times),
        "min_ns": min(times),
        "stdev_ns": statistics.stdev(times) if len(times) > 1 else 0.0,
        "samples_ns": times,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    ap.add_argument("--only", help="comma-separated workloads (default: all six)")
    ap.add_argument("--samples", type=int, help="timed runs per workload (default: criterion's, 20 or 10)")
    ap.add_argument("--warm-up", type=float, default=0.5, help="warm-up seconds per workload (default 0.5)")
    ap.add_argument("--gc", choices=("off", "on"), default="off",
                    help="cyclic GC while timing (default off, as timeit; it is collected between samples)")
    ap.add_argument("--json", help="write the results here (default: stdout)")
    args = ap.parse_args()

    names = args.only.split(",") if args.only else list(WORKLOADS)
    for n in names:
        if n not in WORKLOADS:
            ap.error(f"unknown workload {n!r}; choose from {', '.join(WORKLOADS)}")

    loop, uvloop_version = new_loop(args.loop)
    asyncio.set_event_loop(loop)
    results = {}
    try:
        for n in names:
            workload, default_samples = WORKLOADS[n]
            r = measure(loop, workload, args.samples or default_samples, args.warm_up, args.gc == "on")
            results[n] = r
            print(f"{args.loop:>8} {n:<14} mean {r['mean_ns'] / 1e6:9.2f} ms   median {r['median_ns'] / 1e6:9.2f} ms",
                  file=sys.stderr)
    finally:
        loop.close()

    out = {
        "loop": args.loop,
        "uvloop_version": uvloop_version,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "gc_during_timing": args.gc == "on",
        "workloads": results,
    }
    text = json.dumps(out, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
