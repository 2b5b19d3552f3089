"""Rich renderables for a run, shared by the console and the text report.

The console shows them live; the text report renders the same ones, without
colour, at a fixed width, so the report holds exactly what the console showed.
Every function here reads `ExportData` and returns a renderable; none prints.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.console import RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from modelexport._format import format_bytes, format_seconds
from modelexport.monitor._summary import (
    one_line,
    record_or_pending,
    steps_of,
)
from modelexport.steps import EXPORT_STEPS, ExportData, ModuleInfo, RunStatus, Step, StepStatus

#: Lines of the module tree shown before it is cut with "… N more".
TREE_MAX_LINES = 40
#: Op types listed in the tag statistics.
TOP_OP_TYPES = 8

_MARKS = {
    StepStatus.COMPLETED: ("✓", "green"),
    StepStatus.FAILED: ("✗", "bold red"),
    StepStatus.SKIPPED: ("-", "yellow"),
    StepStatus.RUNNING: ("▶", "cyan"),
    StepStatus.PENDING: (" ", "dim"),
}


#: Titles `Step.title` cannot derive from the value.
_TITLES = {Step.ONNX_EXPORT: "ONNX export"}


def step_title(step: Step) -> str:
    return _TITLES.get(step, step.title)


def step_label(step: Step, data: ExportData) -> str:
    """`[3/6] Hierarchy building` for export steps, the title alone for the others."""
    steps = steps_of(data)
    if step in EXPORT_STEPS:
        return f"[{EXPORT_STEPS.index(step) + 1}/{len(EXPORT_STEPS)}] {step_title(step)}"
    if step in steps:
        return f"[{steps.index(step) + 1}/{len(steps)}] {step_title(step)}"
    return step_title(step)


def header(data: ExportData) -> Text:
    """The run's first line: what is exported to where."""
    text = Text()
    text.append("modelexport ", style="bold")
    text.append(data.command)
    text.append(f"  {data.model_name}", style="bold cyan")
    text.append(f" → {data.output_path}")
    text.append(f"  (run {data.run_id})", style="dim")
    return text


def step_started_line(step: Step, data: ExportData) -> Text:
    mark, style = _MARKS[StepStatus.RUNNING]
    record = record_or_pending(data, step)
    text = Text.assemble((f"{mark} ", style), (step_label(step, data), "bold"))
    if record.message and record.message.rstrip("…") not in (step.title, step_title(step)):
        text.append(f"  {record.message}", style="dim")
    return text


def step_ended_line(step: Step, data: ExportData) -> Text:
    """`✓ [3/6] Hierarchy building  210 ms  41 modules, …` (or ✗ with the error)."""
    record = record_or_pending(data, step)
    mark, style = _MARKS[record.status]
    text = Text.assemble((f"{mark} ", style), (step_label(step, data), "bold"))
    if record.duration_s is not None:
        text.append(f"  {format_seconds(record.duration_s)}", style="dim")
    if record.status == StepStatus.FAILED:
        # The error itself follows once, in the failure line that ends the run.
        text.append("  failed", style="red")
        return text
    summary = one_line(step, data)
    if summary:
        text.append(f"  {summary}")
    return text


def _segment(module: ModuleInfo) -> str:
    return module.tag.rsplit("/", 1)[-1] or module.class_name


def module_tree(data: ExportData, max_lines: int = TREE_MAX_LINES) -> RenderableType | None:
    """The module tree, depth first, cut after `max_lines` modules with '… N more'."""
    if data.hierarchy is None or not data.hierarchy.modules:
        return None
    modules = data.hierarchy.modules
    children: dict[str | None, list[ModuleInfo]] = {}
    for module in modules:
        children.setdefault(module.parent, []).append(module)
    roots = children.get(None) or [modules[0]]

    def label(module: ModuleInfo) -> Text:
        text = Text(_segment(module), style="bold" if module.parent is None else "")
        if module.path:
            text.append(f"  {module.path}", style="dim")
        if module.parameter_count:
            text.append(f"  {module.parameter_count:,} params", style="dim")
        if not module.executed:
            text.append("  (not executed)", style="yellow")
        return text

    root = roots[0]
    tree = Tree(label(root), guide_style="dim")
    too_long = len(modules) > max_lines
    budget = max_lines - 1 if too_long else len(modules)
    shown, summarised = 1, 0

    def visible(module: ModuleInfo) -> list[ModuleInfo | _Collapsed]:
        # Repeated layers are collapsed only when the whole tree would not fit.
        return _visible_children(module, children, collapse=too_long)

    stack: list[tuple[Tree, ModuleInfo | _Collapsed]] = [(tree, item) for item in reversed(visible(root))]
    while stack and shown < budget:
        parent_node, item = stack.pop()
        if isinstance(item, _Collapsed):
            parent_node.add(item.text)
            summarised += item.size
            continue
        node = parent_node.add(label(item))
        shown += 1
        stack.extend((node, child) for child in reversed(visible(item)))
    hidden = len(modules) - shown - summarised
    if hidden > 0:
        noun = "module" if hidden == 1 else "modules"
        tree.add(Text(f"… {hidden} more {noun} (the report lists all {len(modules)})", style="dim italic"))
    return tree


#: Repeated siblings (a ModuleList of layers) beyond this many are collapsed to one line.
COLLAPSE_REPEATS = 2


@dataclass
class _Collapsed:
    """One tree line standing for a run of repeated sibling subtrees."""

    text: Text
    size: int
    """Modules the line stands for."""


def _subtree_size(module: ModuleInfo, children: dict[str | None, list[ModuleInfo]]) -> int:
    return 1 + sum(_subtree_size(c, children) for c in children.get(module.path, []))


def _visible_children(
    module: ModuleInfo, children: dict[str | None, list[ModuleInfo]], collapse: bool = True
) -> list[ModuleInfo | _Collapsed]:
    """Children to draw: repeated containers of one class show the first, then one line.

    `BertLayer.0` … `BertLayer.11` draw as `BertLayer.0` (expanded) and
    `… 11 more BertLayer (encoder.layer.1 … encoder.layer.11)`. Leaves such as
    `Linear.query`/`Linear.key` are always drawn.
    """
    kids = children.get(module.path, [])
    if not collapse:
        return list(kids)
    groups: dict[str, list[ModuleInfo]] = {}
    for kid in kids:
        if children.get(kid.path):
            groups.setdefault(kid.class_name, []).append(kid)
    visible: list[ModuleInfo | _Collapsed] = []
    for kid in kids:
        group = groups.get(kid.class_name, [])
        if len(group) <= COLLAPSE_REPEATS or kid not in group[1:]:
            visible.append(kid)
        elif kid is group[1]:
            rest = group[1:]
            size = sum(_subtree_size(k, children) for k in rest)
            visible.append(
                _Collapsed(
                    Text(
                        f"… {len(rest)} more {kid.class_name} ({rest[0].path} … {rest[-1].path}, "
                        f"{size} modules)",
                        style="dim italic",
                    ),
                    size,
                )
            )
    return visible


def tag_statistics(data: ExportData, top: int = TOP_OP_TYPES) -> RenderableType | None:
    """Direct / inferred / root counts with shares, scope disagreements, top op types."""
    tagging = data.node_tagging
    if tagging is None:
        return None
    total = tagging.total_nodes

    def share(n: int) -> str:
        return f"{n / total:.1%}" if total else "-"

    sources = Table(
        title="Node tagging",
        title_justify="left",
        show_edge=False,
        caption=f"scope disagreements: {tagging.scope_disagreements}",
        caption_justify="left",
    )
    sources.add_column("source")
    sources.add_column("nodes", justify="right")
    sources.add_column("share", justify="right")
    sources.add_row("direct", str(tagging.direct), share(tagging.direct), style="green")
    sources.add_row("inferred", str(tagging.inferred), share(tagging.inferred))
    sources.add_row("root", str(tagging.root), share(tagging.root), style="yellow" if tagging.root else "")
    sources.add_row("total", str(total), share(total), style="bold", end_section=True)

    ops = Table(title="Top op types", title_justify="left", show_edge=False)
    ops.add_column("op type")
    ops.add_column("count", justify="right")
    items = sorted(tagging.op_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    for op, count in items[:top]:
        ops.add_row(op, str(count))
    if len(items) > top:
        ops.add_row(Text(f"… {len(items) - top} more", style="dim"), "")

    grid = Table.grid(padding=(0, 4))
    grid.add_row(sources, ops)
    return grid


def after_step(step: Step, data: ExportData) -> Iterator[RenderableType]:
    """What the console shows once a step completes, beyond its line."""
    record = record_or_pending(data, step)
    if record.status != StepStatus.COMPLETED:
        return
    if step == Step.HIERARCHY:
        tree = module_tree(data)
        if tree is not None:
            yield tree
    elif step == Step.NODE_TAGGING:
        stats = tag_statistics(data)
        if stats is not None:
            yield stats


def failed_step(data: ExportData) -> Step | None:
    return next((s for s in steps_of(data) if record_or_pending(data, s).status == StepStatus.FAILED), None)


def failure_line(data: ExportData) -> Text:
    """One red line: what failed, at which step, and why."""
    failed = failed_step(data)
    verb = "cancelled" if data.status == RunStatus.CANCELLED else "failed"
    where = f" at {step_label(failed, data)}" if failed is not None else ""
    error = data.error or (record_or_pending(data, failed).error if failed else None) or verb
    kind = f"{data.error_type}: " if data.error_type and data.error_type not in error else ""
    return Text(f"✗ {data.command.capitalize()} {verb}{where}: {kind}{error}", style="bold red")


def _written(data: ExportData) -> list[tuple[str, str]]:
    return [(kind, path) for kind, path in data.artifacts.items()]


def summary_panel(data: ExportData) -> Panel:
    """The end of a completed run: model, output, size, time, coverage, files, warnings."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    prep = data.model_prep
    model = data.model_name
    if prep is not None:
        model += f" ({prep.model_class}, {prep.total_parameters:,} parameters)"
    grid.add_row("Model", model)
    grid.add_row("Output", data.output_path)
    injection = data.tag_injection
    if injection is not None:
        grid.add_row("Size", f"{format_bytes(injection.output_bytes)} ({injection.output_bytes:,} bytes)")
    elif Path(data.output_path).is_file():
        grid.add_row("Size", format_bytes(Path(data.output_path).stat().st_size))
    grid.add_row("Time", format_seconds(data.elapsed_s))
    tagging = data.node_tagging
    if tagging is not None:
        grid.add_row(
            "Coverage",
            f"{tagging.coverage:.1%} of {tagging.total_nodes} nodes below "
            f"the root ({tagging.direct} direct, {tagging.inferred} "
            f"inferred, {tagging.root} root)",
        )
    files = _written(data)
    if files:
        grid.add_row("Files", Text("\n".join(f"{kind}: {path}" for kind, path in files)))
    if data.warnings:
        grid.add_row(Text("Warnings", style="bold yellow"), Text("\n".join(data.warnings), style="yellow"))
    return Panel(grid, title="Export complete", title_align="left", border_style="green", expand=False)


def ending(data: ExportData) -> Iterator[RenderableType]:
    """The run's last output: the summary panel, or the failure line and what was kept."""
    if data.status == RunStatus.COMPLETED:
        yield summary_panel(data)
        return
    yield failure_line(data)
    kept = [f"{kind}: {path}" for kind, path in _written(data) if kind != "onnx"]
    if kept:
        yield Text("  the run is recorded in " + ", ".join(kept), style="dim")
    for warning in data.warnings:
        yield Text(f"  warning: {warning}", style="yellow")


def transcript(data: ExportData) -> Iterator[RenderableType]:
    """Everything the console shows for a finished run, in order (for the text report)."""
    yield header(data)
    for step in steps_of(data):
        record = record_or_pending(data, step)
        if record.status == StepStatus.PENDING:
            continue
        if record.status != StepStatus.SKIPPED:
            yield step_started_line(step, data)
        if record.status != StepStatus.RUNNING:
            yield step_ended_line(step, data)
        yield from after_step(step, data)
    yield from ending(data)


def step_timings(data: ExportData) -> Table:
    """Each step with its status and time, for the report."""
    table = Table(title="Steps", title_justify="left", show_edge=False)
    for name, justify in (("step", "left"), ("status", "left"), ("time", "right"), ("detail", "left")):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for step in steps_of(data):
        record = record_or_pending(data, step)
        table.add_row(
            step_label(step, data),
            record.status.value,
            format_seconds(record.duration_s),
            one_line(step, data),
        )
    return table
