"""Resources (lazy): CPU and memory over the run as an inline SVG chart, steps marked.

Present only when the run has `resources.jsonl` (the progress sampler writes
it). The chart is plain SVG built here, so it needs no chart library and no
server; it ships in a chunk and is drawn only when the section is opened.
"""

from __future__ import annotations

from typing import Any

from modelexport.report.html import esc, fmt_bytes, fmt_seconds
from modelexport.report.module import IndexEntry, Loading, ModuleContext, ModuleOutput
from modelexport.report.modules._events import event_time, read_events
from modelexport.report.modules.summary import step_title

MAX_POINTS = 1500
"""Samples drawn per line; longer runs are thinned evenly."""

W, H = 960, 330
LEFT, RIGHT, TOP, BOTTOM = 52, 64, 50, 50
CHAR_W = 6.2
"""Approximate width of one label character, to keep step labels from overlapping."""
CPU_COLOR, RSS_COLOR, SYS_COLOR = "#3465a4", "#d9480f", "#8fa3bf"


class ResourcesModule:
    """Process CPU and resident memory over time."""

    id = "resources"
    name = "Resources"
    subscriptions: tuple[str, ...] = ("resources",)
    loading = Loading.LAZY
    order = 40

    def render(self, ctx: ModuleContext) -> ModuleOutput:
        samples = []
        for s in ctx.records("resources"):
            when = event_time(s)
            if when is not None:
                samples.append({**s, "time": when})
        if not samples:
            return ModuleOutput([IndexEntry(html='<p class="muted">No resource samples.</p>')])
        samples.sort(key=lambda s: s["time"])
        marks = _step_marks(ctx, samples)
        peak_rss = max((s.get("rss_bytes") or 0) for s in samples)
        peak_cpu = max((s.get("cpu_percent") or 0) for s in samples)
        span = samples[-1]["time"] - samples[0]["time"]
        line = (
            f"{len(samples):,} samples over {fmt_seconds(span)}; peak memory "
            f"{fmt_bytes(peak_rss)}, peak CPU {peak_cpu:.0f}%."
        )
        chunk = {"blocks": [{"html": chart_svg(samples, marks)}]}
        return ModuleOutput(
            index_entries=[
                IndexEntry(html=f"<p>{esc(line)}</p>"),
                IndexEntry(title="CPU and memory chart", chunk="resources/chart"),
            ],
            chunks={"resources/chart": chunk},
            summary=f"peak {fmt_bytes(peak_rss)}",
        )


def _step_marks(ctx: ModuleContext, samples: list[dict[str, Any]]) -> list[tuple[float, str]]:
    """(time, step) where each step began: from the event log, else from the samples."""
    run = read_events(ctx)
    marks = [(s.started, s.step) for s in run.steps.values() if s.started is not None]
    lo, hi = samples[0]["time"], samples[-1]["time"]
    if marks and any(lo <= t <= hi for t, _ in marks):
        return sorted(marks)
    found, last = [], None
    for s in samples:
        if s.get("step") and s["step"] != last:
            found.append((s["time"], str(s["step"])))
            last = s["step"]
    return found


def chart_svg(samples: list[dict[str, Any]], marks: list[tuple[float, str]]) -> str:
    """An SVG of CPU % (left axis) and RSS (right axis) against seconds since the first sample."""
    stride = max(1, len(samples) // MAX_POINTS)
    pts = samples[::stride]
    t0 = samples[0]["time"]
    span = max(samples[-1]["time"] - t0, 1e-6)
    cpu_max = max(100.0, *(float(s.get("cpu_percent") or 0) for s in pts))
    rss_max = max(1.0, *(float(s.get("rss_bytes") or 0) for s in pts)) * 1.1
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + pw * (t - t0) / span

    def y(frac: float) -> float:
        return TOP + ph * (1 - frac)

    def poly(key: str, top: float, color: str, extra: str = "") -> str:
        coords = " ".join(
            f"{x(s['time']):.1f},{y(float(s.get(key) or 0) / top):.1f}" for s in pts if s.get(key) is not None
        )
        return (
            (f'<polyline fill="none" stroke="{color}" stroke-width="1.5" {extra}points="{coords}"/>')
            if coords
            else ""
        )

    parts = [
        f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="CPU and memory over time" xmlns="http://www.w3.org/2000/svg">',
        f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="#fafbfc" stroke="#dde1e7"/>',
    ]
    for i in range(5):
        frac = i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y(frac):.1f}" y2="{y(frac):.1f}" stroke="#eef0f3"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(frac) + 4:.1f}" text-anchor="end">{cpu_max * frac:.0f}%</text>'
        )
        parts.append(
            f'<text x="{LEFT + pw + 6}" y="{y(frac) + 4:.1f}">{esc(fmt_bytes(rss_max * frac))}</text>'
        )
        parts.append(
            f'<text x="{x(t0 + span * frac):.1f}" y="{TOP + ph + 16}" '
            f'text-anchor="middle">{span * frac:.1f} s</text>'
        )
    parts.extend(_step_marks_svg(marks, t0, span, x, ph))
    parts.append(poly("system_cpu_percent", cpu_max, SYS_COLOR, 'stroke-dasharray="4,3" '))
    parts.append(poly("cpu_percent", cpu_max, CPU_COLOR))
    parts.append(poly("rss_bytes", rss_max, RSS_COLOR))
    legend = [(CPU_COLOR, "process CPU %"), (SYS_COLOR, "system CPU %"), (RSS_COLOR, "memory (RSS)")]
    for i, (color, label) in enumerate(legend):
        lx = LEFT + i * 130
        parts.append(
            f'<rect x="{lx}" y="{H - 18}" width="10" height="10" fill="{color}"/>'
            f'<text x="{lx + 14}" y="{H - 9}">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _step_marks_svg(marks: list[tuple[float, str]], t0: float, span: float, x, ph: float) -> list[str]:
    """A dashed line where each step began, labelled on the first of three rows with room."""
    parts: list[str] = []
    row_end = [float("-inf")] * 3
    for t, step in marks:
        if not t0 <= t <= t0 + span:
            continue
        xm = x(t)
        label = step_title(step)
        parts.append(
            f'<line class="step-mark" x1="{xm:.1f}" x2="{xm:.1f}" y1="{TOP}" '
            f'y2="{TOP + ph}" stroke="#9aa5b1" stroke-dasharray="3,3">'
            f"<title>{esc(label)}</title></line>"
        )
        width = CHAR_W * len(label)
        start = min(xm + 3, W - 4 - width)
        row = next((r for r in range(3) if row_end[r] < start), None)
        if row is None:
            continue
        row_end[row] = start + width + 4
        parts.append(f'<text x="{start:.1f}" y="{TOP - 6 - 13 * row}">{esc(label)}</text>')
    return parts
