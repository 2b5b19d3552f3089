"""Summary (eager): what was exported, how the run ended, each step's time, coverage.

Coverage is counted from `nodes.jsonl` when the run has one, because that is
what was measured: nodes tagged directly, tags inferred from neighbours, and
nodes that fell back to the root are shown apart, never summed into one
"tagged" figure.
"""

from __future__ import annotations

from typing import Any

from modelexport.report.html import Raw, badge, esc, fmt_bytes, fmt_seconds, pct, table
from modelexport.report.module import IndexEntry, Loading, ModuleContext, ModuleOutput
from modelexport.report.modules._events import RunEvents, read_events


class SummaryModule:
    """The top of the page: model, status, step timings, coverage, files."""

    id = "summary"
    name = "Summary"
    subscriptions: tuple[str, ...] = ("events",)
    loading = Loading.EAGER
    order = 10

    def render(self, ctx: ModuleContext) -> ModuleOutput:
        run = read_events(ctx)
        coverage = _coverage(ctx, run)
        parts = [
            _overview(ctx, run),
            _error(run),
            _warnings(run),
            _cards(run, coverage),
            _steps(run),
            _coverage_table(coverage),
            _files(ctx),
        ]
        status = run.status
        line = f"{status}" + (f" in {fmt_seconds(run.elapsed_s)}" if run.elapsed_s else "")
        return ModuleOutput(index_entries=[IndexEntry(html="".join(parts))], summary=line)


def _overview(ctx: ModuleContext, run: RunEvents) -> str:
    source = ctx.manifest.source
    model = run.model()
    params = model.get("total_parameters")
    rows = [
        ("Model", source.get("model") or model.get("model_name")),
        ("Status", Raw(str(badge(run.status, run.status)))),
        ("Run id", source.get("run_id")),
        ("Command", Raw(f"<code>{esc(source.get('command'))}</code>") if source.get("command") else None),
        ("Output", source.get("output")),
        ("Model class", model.get("model_class")),
        ("Parameters", f"{params:,}" if isinstance(params, int) else None),
        ("Elapsed", fmt_seconds(run.elapsed_s) if run.elapsed_s else None),
    ]
    items = "".join(
        f"<dt>{esc(k)}</dt><dd>{v if isinstance(v, Raw) else esc(v)}</dd>"
        for k, v in rows
        if v not in (None, "")
    )
    return f'<dl class="kv">{items}</dl>'


def _error(run: RunEvents) -> str:
    failed = [s for s in run.steps.values() if s.status == "failed"]
    errors = [(s.step, s.error) for s in failed if s.error]
    if run.error and not any(run.error in (e or "") for _, e in errors):
        errors.append(("run", run.error))
    if not errors:
        return ""
    return "".join(
        f'<div class="error"><strong>{esc(step)} failed:</strong> <code>{esc(err)}</code></div>'
        for step, err in errors
    )


def _warnings(run: RunEvents) -> str:
    warnings = run.get("warnings", [])
    if not isinstance(warnings, list) or not warnings:
        return ""
    items = "".join(f"<li>{esc(w)}</li>" for w in warnings)
    return (
        f'<div class="notice"><strong>{len(warnings)} warning'
        f"{'s' * (len(warnings) != 1)}</strong><ul>{items}</ul></div>"
    )


def _coverage(ctx: ModuleContext, run: RunEvents) -> dict[str, int]:
    if ctx.has("nodes"):
        counts = {"total": 0, "direct": 0, "inferred": 0, "root": 0}
        for node in ctx.records("nodes"):
            counts["total"] += 1
            source = node.get("source") or "root"
            counts[source] = counts.get(source, 0) + 1
        return counts
    given = run.get("coverage")
    if not isinstance(given, dict) or given.get("total_nodes") is None:
        return {}
    return {
        "total": int(given["total_nodes"]),
        **{k: int(given[k]) for k in ("direct", "inferred", "root") if isinstance(given.get(k), int | float)},
    }


def _cards(run: RunEvents, coverage: dict[str, int]) -> str:
    modules = run.model().get("total_modules")
    cards: list[tuple[Any, str]] = [
        (fmt_seconds(run.elapsed_s) if run.elapsed_s else "–", "elapsed"),
        (f"{coverage.get('total', 0):,}" if coverage else "–", "ONNX nodes"),
        (pct(coverage.get("direct", 0), coverage.get("total", 0)) if coverage else "–", "tagged directly"),
    ]
    if isinstance(modules, int):
        cards.append((f"{modules:,}", "modules"))
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="v">{esc(v)}</div><div class="l">{esc(label)}</div></div>'
            for v, label in cards
        )
        + "</div>"
    )


def _steps(run: RunEvents) -> str:
    if not run.steps:
        return '<p class="muted">The event log records no steps.</p>'
    total = sum(s.duration_s or 0 for s in run.steps.values()) or 1
    rows = []
    for s in run.steps.values():
        width = int(200 * (s.duration_s or 0) / total)
        rows.append(
            (
                step_title(s.step),
                badge(s.status, s.status),
                Raw(f'<span class="num nowrap">{esc(fmt_seconds(s.duration_s))}</span>'),
                Raw(f'<span class="bar" style="width:{width}px"></span>'),
                Raw(f'<span class="detail">{esc(s.error or s.message or _data_line(s.data))}</span>'),
            )
        )
    return "<h3>Steps</h3>" + table(["step", "status", "time", "", "detail"], rows, "steps")


def step_title(step: str) -> str:
    """`onnx_export` -> `ONNX export`."""
    title = step.replace("_", " ").capitalize()
    return title.replace("Onnx", "ONNX").replace(" onnx", " ONNX")


def _data_line(data: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in data.items() if isinstance(v, str | int | float))


def _coverage_table(coverage: dict[str, int]) -> str:
    if not coverage or not coverage.get("total"):
        return ""
    total = coverage["total"]
    rows = [
        (label, f"{coverage.get(key, 0):,}", pct(coverage.get(key, 0), total))
        for key, label in (
            ("direct", "tagged directly by their module"),
            ("inferred", "tag inferred from neighbours"),
            ("root", "fell back to the root module"),
        )
    ]
    return "<h3>Tag coverage</h3>" + table(["nodes", "count", "share"], rows, "coverage")


def _files(ctx: ModuleContext) -> str:
    rows = [(f.path, f.type, f"{f.records:,}", fmt_bytes(f.bytes)) for f in ctx.manifest.files]
    return "<h3>Run files</h3>" + table(["file", "type", "records", "size"], rows, "files")
