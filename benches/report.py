#!/usr/bin/env python3
"""Turns criterion's results into the tables and the plot of docs/benchmarks.md.

    cargo bench --bench scheduling --bench timers
    python3 benches/report.py            # prints Markdown tables
    python3 benches/report.py --svg docs/img/scheduling.svg

Ratios are evloop's mean time over the best peer's mean time in the same run
(lower is better; under 1.0 evloop is faster).
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
GROUPS = ["spawn_many", "yield_many", "chained_spawn", "ping_pong", "timer_churn", "sleep_many"]
PEERS = ["tokio_localset", "tokio_local_runtime", "async_executor", "futures_localpool"]


def mean_ns(group, bench):
    path = CRITERION / group / bench / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["mean"]["point_estimate"]


def fmt(ns):
    if ns is None:
        return "—"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.0f} ns"


def rows():
    for group in GROUPS:
        ev = mean_ns(group, "evloop")
        peers = {p: mean_ns(group, p) for p in PEERS}
        known = {p: v for p, v in peers.items() if v is not None}
        if ev is None or not known:
            continue
        best = min(known, key=known.get)
        yield group, ev, peers, best, ev / known[best]


def markdown():
    out = ["| workload | evloop | " + " | ".join(PEERS) + " | best peer | evloop / best |",
           "|---|---:|" + "---:|" * len(PEERS) + "---|---:|"]
    for group, ev, peers, best, ratio in rows():
        cells = " | ".join(fmt(peers[p]) for p in PEERS)
        out.append(f"| {group} | {fmt(ev)} | {cells} | {best} | **{ratio:.2f}** |")
    return "\n".join(out)


def svg(path):
    data = list(rows())
    width, bar_h, gap, left, top = 640, 26, 12, 130, 40
    scale = 360  # pixels for ratio 1.0
    height = top + len(data) * (bar_h + gap) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="13">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{left}" y="22" font-weight="bold">evloop time / best peer time (lower is better)</text>']
    for x_ratio, label in ((0.5, "0.5 target"), (1.0, "1.0 = peer")):
        x = left + x_ratio * scale
        parts.append(f'<line x1="{x}" y1="{top - 6}" x2="{x}" y2="{height - 30}" stroke="#999" '
                     f'stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{x}" y="{height - 14}" text-anchor="middle" fill="#555">{label}</text>')
    for i, (group, _, _, best, ratio) in enumerate(data):
        y = top + i * (bar_h + gap)
        w = min(ratio, 1.6) * scale
        color = "#2a7" if ratio <= 0.5 else ("#e90" if ratio < 1 else "#d33")
        parts.append(f'<text x="{left - 8}" y="{y + bar_h * 0.7}" text-anchor="end">{group}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + bar_h * 0.7}">{ratio:.2f} vs {best}</text>')
    parts.append("</svg>")
    pathlib.Path(path).write_text("\n".join(parts) + "\n")


if __name__ == "__main__":
    if "--svg" in sys.argv:
        svg(sys.argv[sys.argv.index("--svg") + 1])
    print(markdown())
