#!/usr/bin/env python3
"""evloop beside CPython asyncio and uvloop on the six scheduling and timer workloads.

    python3 benches/python/compare.py                 # venv + uvloop, cargo bench (evloop only), Python, table
    python3 benches/python/compare.py --skip-cargo    # reuse the evloop figures already in target/criterion

Steps: make a venv in target/python-venv and pip-install the pinned uvloop
into it (once); run the evloop entries of the criterion groups spawn_many,
yield_many, chained_spawn, ping_pong (benches/scheduling.rs), timer_churn and
sleep_many (benches/timers.rs), and read target/criterion/<group>/evloop/new/
estimates.json; run benches/python/workloads.py with the venv's Python, once
with asyncio's own loop and once with uvloop; print one Markdown table and
write every figure to target/python_compare.json (which benches/report.py
also prints, when it exists). Run from anywhere; paths are from this file.
"""
import argparse
import datetime
import json
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TARGET = ROOT / "target"
VENV = TARGET / "python-venv"
VENV_PY = VENV / "bin" / "python"
OUT = TARGET / "python_compare.json"

UVLOOP = "0.23.0"
TARGET_RATIO = 50
# Criterion group -> bench target that holds it.
GROUPS = {
    "spawn_many": "scheduling",
    "yield_many": "scheduling",
    "chained_spawn": "scheduling",
    "ping_pong": "scheduling",
    "timer_churn": "timers",
    "sleep_many": "timers",
}

sys.path.insert(0, str(HERE.parent))
import report  # noqa: E402  (benches/report.py: the table's format lives there)


def run(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, **kw)


def ensure_venv():
    """target/python-venv with uvloop==UVLOOP, made with the Python running this script."""
    if not VENV_PY.exists():
        run([sys.executable, "-m", "venv", str(VENV)])
    have = subprocess.run([str(VENV_PY), "-c", "import uvloop; print(uvloop.__version__)"],
                          capture_output=True, text=True)
    if have.returncode != 0 or have.stdout.strip() != UVLOOP:
        run([str(VENV_PY), "-m", "pip", "install", "--disable-pip-version-check", "-q", f"uvloop=={UVLOOP}"])


def run_evloop():
    """Only the evloop entry of each group: criterion's filter is a regex on `group/function`."""
    regex = "^(" + "|".join(GROUPS) + ")/evloop$"
    benches = [a for b in dict.fromkeys(GROUPS.values()) for a in ("--bench", b)]
    run(["cargo", "bench", "-p", "evloop-benches", *benches, "--", regex], cwd=ROOT)


def evloop_figures():
    out = {}
    for group in GROUPS:
        path = TARGET / "criterion" / group / "evloop" / "new" / "estimates.json"
        if not path.exists():
            sys.exit(f"{path} is missing: run without --skip-cargo")
        est = json.loads(path.read_text())
        out[group] = {
            "mean_ns": est["mean"]["point_estimate"],
            "median_ns": est["median"]["point_estimate"],
            "measured": datetime.datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds"),
        }
    return out


def python_figures(loop, args):
    path = TARGET / f"python_workloads_{loop}.json"
    cmd = [str(VENV_PY), str(HERE / "workloads.py"), "--loop", loop, "--gc", args.gc, "--json", str(path)]
    if args.samples:
        cmd += ["--samples", str(args.samples)]
    run(cmd)
    return json.loads(path.read_text())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skip-cargo", action="store_true", help="reuse target/criterion's last evloop figures")
    ap.add_argument("--samples", type=int, help="timed runs per Python workload (default: criterion's 20, or 10)")
    ap.add_argument("--gc", choices=("off", "on"), default="off",
                    help="Python's cyclic GC while timing (default off, its faster configuration)")
    args = ap.parse_args()

    ensure_venv()
    load_before = os.getloadavg()
    if not args.skip_cargo:
        run_evloop()
    evloop = evloop_figures()
    py = {loop: python_figures(loop, args) for loop in ("asyncio", "uvloop")}

    keep = ("mean_ns", "median_ns", "min_ns", "stdev_ns")
    data = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "python": py["asyncio"]["python"],
        "uvloop": py["uvloop"]["uvloop_version"],
        "gc_during_timing": py["asyncio"]["gc_during_timing"],
        "target_ratio": TARGET_RATIO,
        "workloads": {
            group: {
                "evloop": evloop[group],
                **{loop: {k: py[loop]["workloads"][group][k] for k in keep} for loop in py},
            }
            for group in GROUPS
        },
    }
    OUT.write_text(json.dumps(data, indent=2) + "\n")
    print()
    print(report.python_markdown(data))
    print(f"(load average {data['load_average_before']} before, {data['load_average_after']} after; "
          f"figures in {OUT.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
