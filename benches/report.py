#!/usr/bin/env python3
"""Turns criterion's results into the tables and the plot of docs/benchmarks.md.

    cargo bench -p evloop-benches --bench scheduling --bench timers --bench sync --bench compose --bench monitor
    python3 benches/report.py                      # Markdown tables
    python3 benches/report.py --svg docs/img/ratios.svg
    python3 benches/python/compare.py                  # then, for the uvloop chart:
    python3 benches/report.py --python-svg docs/img/python_ratios.svg

In every criterion group, the entries whose name starts with `evloop` are
evloop's; the others are its peers. A ratio is evloop's mean time over the
best peer's mean time in the same run (lower is better; under 1.0 evloop is
faster). The `monitor_*` groups compare evloop with itself: measuring on over
measuring off.

If `target/python_compare.json` exists (written by
`python3 benches/python/compare.py`), a last table puts evloop beside
CPython asyncio and uvloop on the scheduling and timer workloads.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
PYTHON_COMPARE = ROOT / "target" / "python_compare.json"

SUITES = {
    "Scheduling and timers (`benches/scheduling.rs`, `benches/timers.rs`)": [
        "spawn_many", "yield_many", "chained_spawn", "ping_pong", "timer_churn", "sleep_many"],
    "Primitives (`benches/sync.rs`)": [
        "lock_uncontended", "lock_handoff_100_tasks", "semaphore_1000_tasks", "queue_1p_1c", "queue_10p_10c",
        "oneshot_create_send_recv", "event_broadcast_1000"],
    "Composition (`benches/compose.rs`)": [
        "gather_10k_ready", "gather_10k_once_pending", "task_group_10k_ready", "task_group_10k_once_pending"],
}


def mean_ns(group, bench):
    path = CRITERION / group / bench / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["mean"]["point_estimate"]


def benches_of(group):
    d = CRITERION / group
    if not d.is_dir():
        return {}
    out = {}
    for sub in sorted(d.iterdir()):
        v = mean_ns(group, sub.name)
        if v is not None:
            out[sub.name] = v
    return out


def fmt(ns):
    if ns is None:
        return "—"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def rows(groups):
    """(group, evloop entry, its time, best peer, its time, ratio) per evloop entry."""
    for group in groups:
        results = benches_of(group)
        ours = {k: v for k, v in results.items() if k.startswith("evloop")}
        peers = {k: v for k, v in results.items() if not k.startswith("evloop")}
        if not ours or not peers:
            continue
        best = min(peers, key=peers.get)
        for name, ns in ours.items():
            yield group, name, ns, best, peers[best], ns / peers[best], results


def markdown():
    out = []
    for title, groups in SUITES.items():
        data = list(rows(groups))
        if not data:
            continue
        out.append(f"### {title}\n")
        out.append("| workload | evloop | every peer (mean time) | best peer | **evloop / best** |")
        out.append("|---|---:|---|---|---:|")
        for group, name, ns, best, best_ns, ratio, results in data:
            label = group if name == "evloop" else f"{group} ({name.removeprefix('evloop_')})"
            peers = ", ".join(f"{k} {fmt(v)}" for k, v in results.items() if not k.startswith("evloop"))
            out.append(f"| {label} | {fmt(ns)} | {peers} | {best} | **{ratio:.2f}** |")
        out.append("")
    monitor = [(g, benches_of(g)) for g in ("monitor_spawn_many", "monitor_yield_many")]
    monitor = [(g, r) for g, r in monitor if "monitor_on" in r and "monitor_off" in r]
    if monitor:
        out.append("### What measuring costs (`benches/monitor.rs`)\n")
        out.append("| workload | monitoring off | on (slow-poll threshold set) | **on / off** |")
        out.append("|---|---:|---:|---:|")
        for g, r in monitor:
            out.append(f"| {g.removeprefix('monitor_')} | {fmt(r['monitor_off'])} | {fmt(r['monitor_on'])} | "
                       f"**{r['monitor_on'] / r['monitor_off']:.2f}** |")
        out.append("")
    if PYTHON_COMPARE.exists():
        out.append(python_markdown(json.loads(PYTHON_COMPARE.read_text())))
    return "\n".join(out)


def python_markdown(data):
    """The table of benches/python/compare.py: evloop beside uvloop and asyncio (mean time per iteration)."""
    target = data["target_ratio"]
    gc = "on" if data["gc_during_timing"] else "off"
    out = [f"### evloop beside CPython asyncio and uvloop (`benches/python/`)\n",
           f"CPython {data['python']}, uvloop {data['uvloop']}, cyclic GC {gc} while timing; "
           f"mean time per iteration; target: evloop at least {target}× faster than uvloop.\n",
           f"| workload | evloop | uvloop | asyncio | **uvloop / evloop** | asyncio / evloop | ≥ {target}× |",
           "|---|---:|---:|---:|---:|---:|:---:|"]
    for name, w in data["workloads"].items():
        ev, uv, aio = (w.get(k, {}).get("mean_ns") for k in ("evloop", "uvloop", "asyncio"))
        r_uv = f"{uv / ev:.1f}×" if ev and uv else "—"
        r_aio = f"{aio / ev:.1f}×" if ev and aio else "—"
        met = ("yes" if uv / ev >= target else "**no**") if ev and uv else "—"
        out.append(f"| {name} | {fmt(ev)} | {fmt(uv)} | {fmt(aio)} | **{r_uv}** | {r_aio} | {met} |")
    out.append("")
    return "\n".join(out)


# The issues' targets: evloop's time at most this share of the best peer's.
SCHEDULING_TARGET = 0.4
OTHER_TARGET = 0.5


def target_of(group):
    scheduling = ("spawn_many", "yield_many", "chained_spawn", "ping_pong")
    return SCHEDULING_TARGET if group in scheduling else OTHER_TARGET


def svg(path):
    data = [r for groups in SUITES.values() for r in rows(groups)]
    width, bar_h, gap, left, top = 860, 20, 7, 300, 44
    scale = 380  # pixels for ratio 1.0
    height = top + len(data) * (bar_h + gap) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="10" y="18" font-weight="bold">evloop time / best peer time, one run (lower is better)</text>',
             f'<text x="10" y="34" fill="#555">green: at or under its target (0.4 for the four scheduling '
             f'workloads, 0.5 for the rest); orange: over it, still faster than every peer</text>']
    for x_ratio, label in ((0.4, "0.4"), (0.5, "0.5"), (1.0, "1.0 = best peer")):
        x = left + x_ratio * scale
        parts.append(f'<line x1="{x}" y1="{top - 4}" x2="{x}" y2="{height - 30}" stroke="#999" '
                     f'stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{x}" y="{height - 14}" text-anchor="middle" fill="#555">{label}</text>')
    for i, (group, name, _, best, _, ratio, _) in enumerate(data):
        y = top + i * (bar_h + gap)
        w = min(ratio, 1.6) * scale
        color = "#2a7" if ratio <= target_of(group) else ("#e90" if ratio < 1 else "#d33")
        label = group if name == "evloop" else f"{group} ({name.removeprefix('evloop_')})"
        parts.append(f'<text x="{left - 8}" y="{y + bar_h * 0.72}" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
        parts.append(f'<text x="{left + w + 5:.1f}" y="{y + bar_h * 0.72}">{ratio:.2f} vs {best}</text>')
    parts.append("</svg>")
    pathlib.Path(path).write_text("\n".join(parts) + "\n")


def python_svg(path):
    """How many times faster than uvloop and than asyncio evloop is, per workload, with the 50x target."""
    data = json.loads(PYTHON_COMPARE.read_text())
    target = data["target_ratio"]
    rows_ = []
    for name, w in data["workloads"].items():
        ev = w["evloop"]["mean_ns"]
        rows_.append((name, w["uvloop"]["mean_ns"] / ev, w["asyncio"]["mean_ns"] / ev))
    width, bar_h, gap, left, top = 860, 14, 12, 130, 50
    scale = 560 / max(max(r[2] for r in rows_), target * 1.2)  # pixels per 1x
    height = top + len(rows_) * (2 * bar_h + gap) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             '<text x="10" y="18" font-weight="bold">How many times faster evloop is than uvloop and CPython '
             'asyncio (higher is better)</text>',
             f'<text x="10" y="34" fill="#555">dark: vs uvloop (green at or over the {target}x target, orange under); '
             'light: vs asyncio</text>']
    x = left + target * scale
    parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 30}" stroke="#999" '
                 f'stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{x:.1f}" y="{height - 14}" text-anchor="middle" fill="#555">{target}x target</text>')
    for i, (name, vs_uv, vs_aio) in enumerate(rows_):
        y = top + i * (2 * bar_h + gap)
        parts.append(f'<text x="{left - 8}" y="{y + bar_h * 1.3}" text-anchor="end">{name}</text>')
        color = "#2a7" if vs_uv >= target else "#e90"
        for j, (ratio, fill, what) in enumerate(((vs_uv, color, "uvloop"), (vs_aio, "#bbb", "asyncio"))):
            yy = y + j * bar_h
            w = ratio * scale
            parts.append(f'<rect x="{left}" y="{yy}" width="{w:.1f}" height="{bar_h - 2}" fill="{fill}"/>')
            parts.append(f'<text x="{left + w + 5:.1f}" y="{yy + bar_h * 0.75}" font-size="11">'
                         f'{ratio:.0f}x vs {what}</text>')
    parts.append("</svg>")
    pathlib.Path(path).write_text("\n".join(parts) + "\n")


if __name__ == "__main__":
    if "--svg" in sys.argv:
        svg(sys.argv[sys.argv.index("--svg") + 1])
    if "--python-svg" in sys.argv:
        python_svg(sys.argv[sys.argv.index("--python-svg") + 1])
    print(markdown())
