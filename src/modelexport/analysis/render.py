"""Output formats for a module tree and a comparison: rich for people, JSON and CSV for programs.

The machine formats have one row per module with the same columns, so a CSV
row and a JSON entry can be compared field by field.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from modelexport.analysis.compare import TreeDiff
from modelexport.analysis.tree import ModuleStats, ModuleTree

#: Columns of the CSV output, and keys of each JSON module entry.
COLUMNS: tuple[str, ...] = (
    "path",
    "tag",
    "class_name",
    "parent",
    "depth",
    "direct_nodes",
    "subtree_nodes",
    "direct_ops",
    "subtree_ops",
    "parameter_count",
)

_GUIDE = 4  # characters rich's Tree indents per level
TOP_OPS = 4


def module_row(module: ModuleStats) -> dict[str, Any]:
    """One module as plain data (ops as an op -> count map, most frequent first)."""
    return {
        "path": module.path,
        "tag": module.tag,
        "class_name": module.class_name,
        "parent": module.parent,
        "depth": module.depth,
        "direct_nodes": module.direct_nodes,
        "subtree_nodes": module.subtree_nodes,
        "direct_ops": _ops(module.direct_ops),
        "subtree_ops": _ops(module.subtree_ops),
        "parameter_count": module.parameter_count,
    }


def to_json(tree: ModuleTree, max_depth: int | None = None) -> str:
    document = {
        "model": str(tree.model_path),
        "source": tree.source,
        "total_nodes": tree.total_nodes,
        "untagged_nodes": tree.untagged_nodes,
        "tag_sources": tree.tag_sources,
        "modules": [module_row(m) for m in tree.walk(max_depth)],
    }
    return json.dumps(document, indent=2) + "\n"


def to_csv(tree: ModuleTree, max_depth: int | None = None) -> str:
    """CSV with op maps flattened to `Op:count;Op:count`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for module in tree.walk(max_depth):
        row = module_row(module)
        for key in ("direct_ops", "subtree_ops"):
            row[key] = ";".join(f"{op}:{count}" for op, count in row[key].items())
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def to_rich(tree: ModuleTree, max_depth: int | None = None) -> RenderableType:
    """A summary line, a header, and the module tree with aligned count and op columns."""
    shown = list(tree.walk(max_depth))
    width = _label_width(shown, max_depth)
    header = Text.assemble(
        ("module".ljust(width), "bold"),
        ("direct".rjust(7), "bold"),
        ("subtree".rjust(9), "bold"),
        ("   top ops (subtree)", "bold"),
    )
    branches: dict[str, Tree] = {}
    root: Tree | None = None
    for module in shown:
        line = _line(module, width - module.depth * _GUIDE, max_depth)
        if module.parent is None or module.parent not in branches:
            root = branches[module.path] = Tree(line, guide_style="dim")
        else:
            branches[module.path] = branches[module.parent].add(line)
    summary = Text(_summary(tree))
    parts: list[RenderableType] = [summary]
    if tree.untagged_nodes:
        parts.append(
            Text(
                f"{tree.untagged_nodes} nodes carry no tag and are not counted under any module",
                style="yellow",
            )
        )
    parts += [header, root] if root is not None else [header]
    return Group(*parts)


def required_width(tree: ModuleTree, max_depth: int | None = None) -> int:
    """Columns the text output needs so that no line wraps."""
    shown = list(tree.walk(max_depth))
    ops = max(len(_top_ops(m.subtree_ops)) for m in shown)
    return max(_label_width(shown, max_depth) + 16 + 3 + ops + 8, len(_summary(tree)) + 1)


def _summary(tree: ModuleTree) -> str:
    text = (
        f"{tree.model_path.name}: {tree.total_nodes} nodes, {len(tree.modules)} modules, "
        f"tags from {tree.source}"
    )
    if tree.tag_sources:
        order = {"direct": 0, "inferred": 1, "root": 2}
        ranked = sorted(tree.tag_sources.items(), key=lambda item: order.get(item[0], 3))
        text += " (exporter: " + ", ".join(f"{count} {how}" for how, count in ranked) + ")"
    return text


def _label_width(shown: list[ModuleStats], max_depth: int | None) -> int:
    return max(m.depth * _GUIDE + len(_label(m) + _hidden(m, max_depth)) for m in shown) + 2


def _label(module: ModuleStats) -> str:
    if not module.path:
        return module.class_name or "(root)"
    return f"{module.name} ({module.class_name})" if module.class_name else module.name


def _hidden(module: ModuleStats, max_depth: int | None) -> str:
    """` +N` when the depth limit hides this module's N children."""
    if module.children and max_depth is not None and module.depth >= max_depth:
        return f" +{len(module.children)}"
    return ""


def _line(module: ModuleStats, pad: int, max_depth: int | None) -> Text:
    label = _label(module)
    text = Text(label, style="bold" if module.depth == 0 else "")
    marker = _hidden(module, max_depth)
    text.append(marker, style="dim")
    label += marker
    text.append(" " * max(pad - len(label), 1))
    text.append(f"{module.direct_nodes:>7}", style="cyan" if module.direct_nodes else "dim")
    text.append(f"{module.subtree_nodes:>9}", style="green" if module.subtree_nodes else "dim")
    text.append("   " + _top_ops(module.subtree_ops), style="magenta")
    return text


def _top_ops(ops: Counter[str]) -> str:
    top = ops.most_common(TOP_OPS)
    rest = len(ops) - len(top)
    text = " ".join(f"{op}×{count}" for op, count in top)
    return text + (f" +{rest} more" if rest > 0 else "")


def _ops(ops: Counter[str]) -> dict[str, int]:
    return dict(sorted(ops.items(), key=lambda item: (-item[1], item[0])))


def diff_to_json(diff: TreeDiff) -> str:
    document = {
        "a": str(diff.a),
        "b": str(diff.b),
        "total_nodes_a": diff.total_a,
        "total_nodes_b": diff.total_b,
        "identical": diff.identical,
        "unchanged_modules": diff.unchanged,
        "modules": [
            {
                "path": m.path,
                "status": m.status,
                "direct_nodes_a": m.direct_a,
                "direct_nodes_b": m.direct_b,
                "subtree_nodes_a": m.subtree_a,
                "subtree_nodes_b": m.subtree_b,
                "ops": {op: {"a": a, "b": b} for op, (a, b) in m.ops.items()},
            }
            for m in diff.modules
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def diff_to_rich(diff: TreeDiff) -> RenderableType:
    """A summary line and, when anything differs, a table of the differing modules."""
    delta = diff.total_b - diff.total_a
    summary = Text(
        f"A {diff.a.name}: {diff.total_a} nodes   B {diff.b.name}: {diff.total_b} nodes ({delta:+d})   "
    )
    if diff.identical:
        summary.append("no per-module differences", style="green")
        return summary
    summary.append(
        f"{diff.count('added')} added, {diff.count('removed')} removed, "
        f"{diff.count('changed')} changed, {diff.unchanged} unchanged modules"
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("")
    table.add_column("module")
    table.add_column("direct A→B", justify="right")
    table.add_column("subtree A→B", justify="right")
    table.add_column("op changes (A→B)")
    marks = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow")}
    for m in diff.modules:
        mark, style = marks[m.status]
        ops = ", ".join(f"{op} {a}→{b}" for op, (a, b) in m.ops.items())
        table.add_row(
            Text(mark, style=style),
            m.path or "(root)",
            f"{m.direct_a}→{m.direct_b}",
            f"{m.subtree_a}→{m.subtree_b}",
            ops,
        )
    return Group(summary, table)
