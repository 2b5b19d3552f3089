"""What `modelexport monitor` shows: rich renderables and their `--json` twins.

Pure functions of store rows and a `now`, so the CLI stays a thin loop and
tests can check a rendering without a terminal. Every status shown is the
effective one (liveness.effective_status): a run whose process vanished shows
`crashed`, not the `running` its row still says.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from modelexport.progress.liveness import effective_status
from modelexport.progress.records import EventRecord, MetricSample, NodeRecord, RunRecord

STATE_STYLE = {
    "pending": "dim",
    "running": "cyan",
    "completed": "green",
    "failed": "bold red",
    "cancelled": "yellow",
    "crashed": "bold magenta",
    "skipped": "dim",
}
_SPARKS = "▁▂▃▄▅▆▇█"


def duration(seconds: float | None) -> str:
    """`1h02m`, `3m05s`, `4.2s`; '-' for unknown."""
    if seconds is None or seconds < 0:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def stamp(epoch: float | None, *, short: bool = False) -> str:
    pattern = "%m-%d %H:%M:%S" if short else "%Y-%m-%d %H:%M:%S"
    return "-" if epoch is None else time.strftime(pattern, time.localtime(epoch))


def _elapsed(start: float | None, end: float | None, now: float) -> float | None:
    return None if start is None else (end if end is not None else now) - start


def eta(node: NodeRecord, now: float) -> float | None:
    """Seconds left at the node's average pace so far; None when unknowable."""
    if node.status != "running" or node.started_at is None or node.percent <= 0:
        return None
    spent = now - node.started_at
    return spent * (100.0 - node.percent) / node.percent


# ---------------------------------------------------------------------- json
def run_json(run: RunRecord, now: float, root: NodeRecord | None = None) -> dict[str, Any]:
    data = run.to_dict()
    data["stored_status"] = run.status
    data["status"] = effective_status(run, now)
    data["elapsed_s"] = _elapsed(run.started_at, run.finished_at, now)
    data["heartbeat_age_s"] = now - run.heartbeat_at
    if root is not None:
        data["percent"] = root.percent
    return data


def status_json(run: RunRecord, nodes: Sequence[NodeRecord], now: float) -> dict[str, Any]:
    root = next((n for n in nodes if n.node_id == ""), None)
    data = run_json(run, now, root)
    crashed = data["status"] == "crashed"
    data["nodes"] = [
        {
            **n.to_dict(),
            "status": "crashed" if crashed and n.status == "running" else n.status,
            "elapsed_s": _elapsed(n.started_at, n.finished_at, now),
            "eta_s": None if crashed else eta(n, now),
        }
        for n in nodes
    ]
    return data


# --------------------------------------------------------------------- rich
def bar(percent: float, width: int = 10) -> Text:
    filled = max(0, min(width, round(percent / 100.0 * width)))
    return Text("█" * filled + "░" * (width - filled), style="cyan")


def runs_table(runs: Sequence[RunRecord], now: float) -> RenderableType:
    if not runs:
        return Text("no runs recorded", style="dim")
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("ID", no_wrap=True, min_width=12)
    table.add_column("NAME", overflow="fold", min_width=16, ratio=1)
    for column in ("COMMAND", "STATUS", "STARTED", "ELAPSED", "HOST", "PID"):
        table.add_column(column, no_wrap=True, overflow="ellipsis")
    for run in runs:
        status = effective_status(run, now)
        table.add_row(
            run.id[:12],
            run.name,
            run.command,
            Text(status, style=STATE_STYLE.get(status, "")),
            stamp(run.started_at, short=True),
            duration(_elapsed(run.started_at, run.finished_at, now)),
            run.host,
            str(run.pid),
        )
    return table


def status_view(run: RunRecord, nodes: Sequence[NodeRecord], now: float) -> RenderableType:
    data = status_json(run, nodes, now)
    status = data["status"]
    head = Text.assemble(
        (run.name, "bold"),
        f"  {run.id[:12]}  ",
        (status, STATE_STYLE.get(status, "")),
        f"  {run.command} on {run.host} pid {run.pid}  elapsed {duration(data['elapsed_s'])}",
        f"  heartbeat {duration(data['heartbeat_age_s'])} ago",
    )
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("NODE", ratio=2, overflow="fold", min_width=22)
    table.add_column("PROGRESS", no_wrap=True, min_width=10)
    table.add_column("%", no_wrap=True, justify="right", min_width=5)
    table.add_column("STATE", no_wrap=True, min_width=9)
    table.add_column("ELAPSED", no_wrap=True, min_width=7)
    table.add_column("ETA", no_wrap=True, min_width=6)
    table.add_column("DETAIL", ratio=1, overflow="fold")
    depth = {"pipeline": 0, "phase": 1, "step": 2, "substep": 3}
    for node in data["nodes"]:
        label = "  " * depth.get(node["level"], 0) + (node["name"] if node["level"] != "pipeline" else "run")
        units = ""
        if node["total"]:
            units = f"{node['completed']:g}/{node['total']:g} "
        detail = node["error"] or node["message"] or ""
        table.add_row(
            label,
            bar(node["percent"]),
            f"{node['percent']:5.1f}",
            Text(node["status"], style=STATE_STYLE.get(node["status"], "")),
            duration(node["elapsed_s"]),
            duration(node["eta_s"]),
            units + detail,
        )
    parts: list[RenderableType] = [head, table]
    if run.error:
        parts.append(Text(f"error: {run.error}", style="red"))
    return Group(*parts)


def history_table(events: Sequence[EventRecord], started_at: float) -> RenderableType:
    if not events:
        return Text("no events", style="dim")
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("SEQ", "TIME", "+", "EVENT"):
        table.add_column(column, no_wrap=True)
    table.add_column("NODE", overflow="fold")
    table.add_column("%", no_wrap=True, justify="right", min_width=5)
    table.add_column("DETAIL", overflow="fold")
    for e in events:
        table.add_row(
            str(e.seq),
            time.strftime("%H:%M:%S", time.localtime(e.at)),
            duration(e.at - started_at),
            Text(e.kind, style=STATE_STYLE.get(e.status, "")),
            e.node_id or "(run)",
            f"{e.percent:5.1f}",
            e.message or "",
        )
    return table


def sparkline(values: Sequence[float | None], width: int = 60) -> str:
    """The values as block characters, resampled to at most `width` columns."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    if len(values) > width:
        step = len(values) / width
        values = [values[int(i * step)] for i in range(width)]
    low, high = min(present), max(present)
    span = (high - low) or 1.0
    return "".join(" " if v is None else _SPARKS[int((v - low) / span * (len(_SPARKS) - 1))] for v in values)


def resources_view(samples: Sequence[MetricSample], rows: int = 20) -> RenderableType:
    if not samples:
        return Text("no resource samples", style="dim")
    cpu = [s.cpu_percent for s in samples]
    rss = [s.rss_bytes / 2**20 if s.rss_bytes is not None else None for s in samples]
    peak_rss = max((v for v in rss if v is not None), default=0.0)
    peak_cpu = max((v for v in cpu if v is not None), default=0.0)
    lines = Text.assemble(
        ("CPU %  ", "bold"),
        sparkline(cpu),
        f"  peak {peak_cpu:.0f}%\n",
        ("RSS MB ", "bold"),
        sparkline(rss),
        f"  peak {peak_rss:.0f} MB",
    )
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("TIME", no_wrap=True)
    table.add_column("STEP", overflow="fold")
    for column in ("CPU%", "RSS MB", "SYS CPU%", "SYS MEM%", "READ MB", "WRITE MB"):
        table.add_column(column, no_wrap=True, justify="right")
    shown = samples if len(samples) <= rows else samples[-rows:]
    for s in shown:
        table.add_row(
            time.strftime("%H:%M:%S", time.localtime(s.at)),
            s.step or "-",
            _num(s.cpu_percent),
            _num(s.rss_bytes, 2**20),
            _num(s.system_cpu_percent),
            _num(s.system_memory_percent),
            _num(s.io_read_bytes, 2**20),
            _num(s.io_write_bytes, 2**20),
        )
    return Group(lines, table)


def _num(value: float | None, scale: float = 1.0) -> str:
    return "-" if value is None else f"{value / scale:.1f}"
