"""Figures derived from `ExportData`, computed once and shared by every writer.

The console, the text report, the metadata file and the event log all show
the same numbers (nodes per module, coverage, a step's one-line summary). They
are computed here so the four outputs can never disagree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from modelexport._format import format_bytes, iso
from modelexport.steps import (
    EXPORT_STEPS,
    ExportData,
    ModuleInfo,
    Step,
    StepRecord,
    StepStatus,
    to_jsonable,
)


@dataclass
class ModuleCounts:
    """Nodes attributed to one module: its own, and its whole subtree's."""

    direct: int = 0
    subtree: int = 0
    op_counts: dict[str, int] = field(default_factory=dict)
    """Op types of the module's own nodes, most frequent first."""


def module_counts(data: ExportData) -> dict[str, ModuleCounts]:
    """Per module path: direct and subtree node counts (zeros before tagging)."""
    modules = data.hierarchy.modules if data.hierarchy else []
    nodes = data.node_tagging.nodes if data.node_tagging else []
    ops: dict[str, Counter[str]] = {}
    for node in nodes:
        ops.setdefault(node.module_path, Counter())[node.op_type] += 1
    counts = {m.path: ModuleCounts() for m in modules}
    for path, counter in ops.items():
        entry = counts.setdefault(path, ModuleCounts())
        entry.direct = sum(counter.values())
        entry.op_counts = dict(counter.most_common())
    parents = {m.path: m.parent for m in modules}
    for path, entry in counts.items():
        if not entry.direct:
            continue
        current: str | None = path
        seen: set[str] = set()
        while current is not None and current not in seen:
            seen.add(current)
            counts.setdefault(current, ModuleCounts()).subtree += entry.direct
            current = parents.get(current, "" if current != "" else None)
    return counts


def module_record(module: ModuleInfo, counts: ModuleCounts) -> dict[str, Any]:
    """One module as the metadata file and `hierarchy.jsonl` list it."""
    return {
        "path": module.path,
        "class_name": module.class_name,
        "tag": module.tag,
        "parent": module.parent,
        "parameter_count": module.parameter_count,
        "execution_order": module.execution_order,
        "call_count": module.call_count,
        "executed": module.executed,
        "direct_nodes": counts.direct,
        "subtree_nodes": counts.subtree,
    }


def statistics(data: ExportData) -> dict[str, Any]:
    """The run's headline figures; node figures are zero and ratios null before tagging."""
    tagging = data.node_tagging
    modules = data.hierarchy.modules if data.hierarchy else []
    stats: dict[str, Any] = {
        "total_modules": len(modules),
        "executed_modules": sum(1 for m in modules if m.executed),
        "total_nodes": tagging.total_nodes if tagging else 0,
        "direct_nodes": tagging.direct if tagging else 0,
        "inferred_nodes": tagging.inferred if tagging else 0,
        "root_nodes": tagging.root if tagging else 0,
        "coverage": round(tagging.coverage, 6) if tagging else None,
        "direct_ratio": round(tagging.direct_ratio, 6) if tagging else None,
        "scope_disagreements": tagging.scope_disagreements if tagging else 0,
        "op_counts": dict(tagging.op_counts) if tagging else {},
    }
    counts = module_counts(data)
    stats["module_nodes"] = {path: {"direct": c.direct, "subtree": c.subtree} for path, c in counts.items()}
    return stats


def model_summary(data: ExportData) -> dict[str, Any]:
    """The model in a few fields, for events and the final summary."""
    prep = data.model_prep
    return {
        "model_name": prep.model_name if prep else data.model_name,
        "model_class": prep.model_class if prep else None,
        "total_modules": prep.total_modules if prep else None,
        "total_parameters": prep.total_parameters if prep else None,
    }


def step_record(record: StepRecord) -> dict[str, Any]:
    """A step's state as the metadata file lists it."""
    return {
        "status": record.status.value,
        "started_at": iso(record.started_at),
        "duration_s": None if record.duration_s is None else round(record.duration_s, 6),
        "completed": record.completed,
        "total": record.total,
        "message": record.message,
        "error": record.error,
    }


def steps_of(data: ExportData) -> list[Step]:
    """The steps to show: all six export steps for an export, then any other step touched."""
    others = [s for s in Step if s in data.records and s not in EXPORT_STEPS]
    exporting = data.command == "export" or any(s in data.records for s in EXPORT_STEPS)
    return [*EXPORT_STEPS, *others] if exporting else others


def record_or_pending(data: ExportData, step: Step) -> StepRecord:
    """The step's record, or a pending one, without adding it to the data."""
    return data.records.get(step) or StepRecord(step)


def step_data_summary(step: Step, data: ExportData) -> dict[str, Any]:
    """A small, bounded summary of the step's data: never the full node or module list."""
    value = data.step_data(step)
    if value is None:
        return {}
    if step == Step.MODEL_PREP:
        return to_jsonable(value)
    if step == Step.INPUT_GEN:
        return {
            "method": value.method,
            "modality": value.modality,
            "inputs": [{"name": t.name, "shape": t.shape, "dtype": t.dtype} for t in value.inputs],
        }
    if step == Step.HIERARCHY:
        return {
            "modules": len(value.modules),
            "executed_modules": value.executed_count,
            "execution_steps": value.execution_steps,
        }
    if step == Step.ONNX_EXPORT:
        summary = to_jsonable(value)
        summary.pop("outputs", None)
        return summary
    if step == Step.NODE_TAGGING:
        top = dict(list(value.op_counts.items())[:10])
        return {
            "total_nodes": value.total_nodes,
            "direct": value.direct,
            "inferred": value.inferred,
            "root": value.root,
            "coverage": round(value.coverage, 6),
            "direct_ratio": round(value.direct_ratio, 6),
            "scope_disagreements": value.scope_disagreements,
            "top_op_types": top,
        }
    if step == Step.TAG_INJECTION:
        return to_jsonable(value)
    return {"type": type(value).__name__}


def one_line(step: Step, data: ExportData) -> str:
    """What the step produced, in one short line for the console and the report."""
    record = record_or_pending(data, step)
    if record.status == StepStatus.FAILED:
        return record.error or "failed"
    if record.status == StepStatus.SKIPPED:
        return record.message or "skipped"
    value = data.step_data(step)
    if value is None:
        return record.message or ""
    if step == Step.MODEL_PREP:
        return f"{value.model_class}: {value.total_modules} modules, {value.total_parameters:,} parameters"
    if step == Step.INPUT_GEN:
        shapes = ", ".join(f"{t.name} {list(t.shape)} {t.dtype}" for t in value.inputs)
        return f"{value.method}: {shapes}" if shapes else value.method
    if step == Step.HIERARCHY:
        return (
            f"{len(value.modules)} modules, {value.executed_count} executed, "
            f"{value.execution_steps} forward calls"
        )
    if step == Step.ONNX_EXPORT:
        line = f"{value.exporter} exporter, opset {value.opset}, {value.node_count} nodes"
        if value.fallback_reason:
            line += f" (fallback: {value.fallback_reason})"
        return line
    if step == Step.NODE_TAGGING:
        return (
            f"{value.total_nodes} nodes: {value.direct} direct, {value.inferred} inferred, "
            f"{value.root} root ({value.coverage:.1%} below the root)"
        )
    if step == Step.TAG_INJECTION:
        return (
            f"{value.mode}: {value.nodes_tagged} nodes tagged, "
            f"{format_bytes(value.output_bytes)}, checker "
            f"{'passed' if value.checker_passed else 'FAILED'}"
        )
    return type(value).__name__
