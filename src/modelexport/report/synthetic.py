"""Synthetic export runs of any size, for tests, demos and the report benchmark.

The shape follows a BERT encoder (embeddings, N layers of attention and MLP,
a pooler) so the report looks like a real one; the node count is reached by
choosing the layer count (up to 48) and then padding the attention blocks with
extra reshape-like nodes. It writes through `RunFolder`, exactly as the
exporter's event log does, and imports nothing else from modelexport.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelexport._format import iso
from modelexport.runfiles import RunFolder

EXPORT_STEPS = (
    "model_preparation",
    "input_generation",
    "hierarchy_building",
    "onnx_export",
    "node_tagging",
    "tag_injection",
)

_LEAF_OPS = {
    "Linear": ["MatMul", "Add"],
    "Embedding": ["Gather"],
    "LayerNorm": ["LayerNormalization"],
    "Dropout": [],
    "GELUActivation": ["Div", "Erf", "Add", "Mul", "Mul"],
    "Tanh": ["Tanh"],
}
_SELF_ATTENTION_OPS = [
    "Shape",
    "Reshape",
    "Transpose",
    "Reshape",
    "Transpose",
    "Reshape",
    "Transpose",
    "MatMul",
    "Div",
    "Add",
    "Softmax",
    "MatMul",
    "Transpose",
    "Reshape",
]
_PAD_OPS = ["Reshape", "Unsqueeze", "Cast", "Mul", "Slice", "Concat", "Gather", "Shape"]


@dataclass
class _Module:
    path: str
    class_name: str
    tag: str
    parent: str | None
    ops: list[str] = field(default_factory=list)
    inferred_ops: list[str] = field(default_factory=list)


def _child(parent: _Module, attr: str, cls: str, siblings_share: bool = False) -> _Module:
    path = f"{parent.path}.{attr}" if parent.path else attr
    segment = f"{cls}.{attr.rsplit('.', 1)[-1]}" if siblings_share else cls
    return _Module(path, cls, f"{parent.tag}/{segment}", parent.path, list(_LEAF_OPS.get(cls, [])))


def _model(layers: int, pad_per_layer: int) -> list[_Module]:
    root = _Module("", "BertModel", "/BertModel", None, ["Unsqueeze", "Unsqueeze", "Cast", "Sub", "Mul"])
    mods = [root]
    emb = _child(root, "embeddings", "BertEmbeddings")
    emb.ops = ["Add", "Add"]
    mods += [emb] + [
        _child(emb, n, c, s)
        for n, c, s in (
            ("word_embeddings", "Embedding", True),
            ("position_embeddings", "Embedding", True),
            ("token_type_embeddings", "Embedding", True),
            ("LayerNorm", "LayerNorm", False),
            ("dropout", "Dropout", False),
        )
    ]
    enc = _child(root, "encoder", "BertEncoder")
    layer_list = _child(enc, "layer", "ModuleList")
    mods += [enc, layer_list]
    for i in range(layers):
        layer = _child(layer_list, str(i), "BertLayer", True)
        att = _child(layer, "attention", "BertAttention")
        sa = _child(att, "self", "BertSdpaSelfAttention")
        sa.ops = _SELF_ATTENTION_OPS + [_PAD_OPS[j % len(_PAD_OPS)] for j in range(pad_per_layer)]
        so = _child(att, "output", "BertSelfOutput")
        so.inferred_ops = ["Add"]
        inter = _child(layer, "intermediate", "BertIntermediate")
        out = _child(layer, "output", "BertOutput")
        out.inferred_ops = ["Add"]
        mods += [layer, att, sa]
        mods += [_child(sa, n, "Linear", True) for n in ("query", "key", "value")]
        mods += [
            _child(sa, "dropout", "Dropout"),
            so,
            _child(so, "dense", "Linear"),
            _child(so, "LayerNorm", "LayerNorm"),
            _child(so, "dropout", "Dropout"),
            inter,
            _child(inter, "dense", "Linear"),
            _child(inter, "intermediate_act_fn", "GELUActivation"),
            out,
            _child(out, "dense", "Linear"),
            _child(out, "LayerNorm", "LayerNorm"),
            _child(out, "dropout", "Dropout"),
        ]
    pooler = _child(root, "pooler", "BertPooler")
    pooler.ops = ["Gather"]
    mods += [pooler, _child(pooler, "dense", "Linear"), _child(pooler, "activation", "Tanh")]
    return mods


def _node_count(mods: list[_Module]) -> int:
    return sum(len(m.ops) + len(m.inferred_ops) for m in mods)


def write_synthetic_run(
    folder: str | os.PathLike[str],
    n_nodes: int = 300,
    *,
    failed: bool = False,
    resources: bool = True,
    artifacts: bool = True,
    seed: int = 0,
    model: str = "synthetic-bert",
) -> Path:
    """Write a complete export run folder of about `n_nodes` ONNX nodes and return its path.

    `failed=True` stops the run at the ONNX export step, as a real failure
    would: the hierarchy is written, the nodes are not, the events end in
    `step_failed` and `run_finished` with status `failed`.
    """
    folder = Path(folder)
    rng = random.Random(seed)
    base = _node_count(_model(0, 0))
    per_layer = _node_count(_model(1, 0)) - base
    layers = max(1, min(48, round((n_nodes - base) / per_layer)))
    pad = max(0, round((n_nodes - base) / layers) - per_layer)
    mods = _model(layers, pad)
    run_id = f"run-{seed:04d}-{n_nodes}"
    stem = folder.name[:-4] if folder.name.endswith(".run") else folder.name
    run = RunFolder(
        folder,
        {
            "kind": "export_run",
            "run_id": run_id,
            "model": model,
            "command": f"modelexport export {model} -o {stem}.onnx",
            "output": f"{stem}.onnx",
        },
        ids=[run_id],
    )

    nodes: list[dict[str, Any]] = []
    counts: dict[str, dict[str, int]] = {}
    for m in mods:
        for op, source in [
            *((o, "root" if m.path == "" else "direct") for o in m.ops),
            *((o, "inferred") for o in m.inferred_ops),
        ]:
            i = len(nodes)
            path = m.path.replace(".", "/")
            nodes.append(
                {
                    "index": i,
                    "name": f"/{path}/{op}_{i}" if path else f"/{op}_{i}",
                    "op_type": op,
                    "module_path": m.path,
                    "tag": m.tag,
                    "source": source,
                    "inputs": [f"t{i - 1}" if i else "input_ids", f"w{i}"][
                        : 1 + (op in ("MatMul", "Add", "Mul", "Div", "Sub", "Gather"))
                    ],
                    "outputs": [f"t{i}"],
                }
            )
            counts.setdefault(m.path, {})
            counts[m.path][op] = counts[m.path].get(op, 0) + 1

    t = 1_700_000_000.0
    events = run.appender("events")
    seq = 0

    def event(kind: str, **fields: Any) -> None:
        nonlocal seq
        seq += 1
        events.append(
            {
                "seq": seq,
                "time": iso(t),
                "ts": round(t, 6),
                "run_id": run_id,
                "kind": kind,
                "step": None,
                "status": None,
                "duration_s": None,
                "completed": None,
                "total": None,
                "message": None,
                "error": None,
                "data": {},
                **fields,
            }
        )

    samples: list[dict[str, Any]] = []
    rss = 350e6
    start = t
    event("run_started", status="running", message=f"exporting {model}")
    fail_at = "onnx_export" if failed else None
    step_status = "completed"
    for step in EXPORT_STEPS:
        if step_status == "skipped":
            event("step_skipped", step=step, status="skipped", message="an earlier step failed")
            continue
        event("step_started", step=step, status="running")
        duration = {"onnx_export": 2.4, "model_preparation": 0.8, "node_tagging": 0.5}.get(step, 0.15) * (
            1 + len(nodes) / 5000
        )
        for k in range(max(1, int(duration / 0.1))):
            rss += rng.uniform(-2e6, 12e6) if step == "onnx_export" else rng.uniform(-1e6, 3e6)
            samples.append(
                {
                    "time": round(t + k * 0.1, 3),
                    "step": step,
                    "rss_bytes": int(rss),
                    "cpu_percent": round(
                        rng.uniform(60, 190) if step == "onnx_export" else rng.uniform(5, 95), 1
                    ),
                    "system_cpu_percent": round(rng.uniform(20, 70), 1),
                    "system_memory_percent": round(40 + rss / 1e9, 1),
                }
            )
        t += duration
        if step == fail_at:
            event(
                "step_failed",
                step=step,
                status="failed",
                duration_s=round(duration, 3),
                error="RuntimeError: Failed to export the model with torch.export: "
                "aten::_native_multi_head_attention is not supported",
            )
            step_status = "skipped"
            continue
        data = {
            "hierarchy_building": {"modules": len(mods)},
            "onnx_export": {"nodes": len(nodes), "opset": 17},
            "node_tagging": {
                "direct": sum(n["source"] == "direct" for n in nodes),
                "inferred": sum(n["source"] == "inferred" for n in nodes),
                "root": sum(n["source"] == "root" for n in nodes),
            },
        }.get(step, {})
        event("step_completed", step=step, status="completed", duration_s=round(duration, 3), data=data)

    if artifacts and not failed:
        for name, text in (
            (f"{stem}.onnx", "placeholder onnx\n"),
            (f"{stem}_htp_metadata.json", "{}\n"),
            (f"{stem}_htp_export_report.txt", "report\n"),
        ):
            (folder.parent / name).write_text(text)
    coverage = {
        "total_nodes": len(nodes),
        "direct": sum(n["source"] == "direct" for n in nodes),
        "inferred": sum(n["source"] == "inferred" for n in nodes),
        "root": sum(n["source"] == "root" for n in nodes),
    }
    error = "RuntimeError: Failed to export the model with torch.export" if failed else None
    event(
        "run_finished",
        status="failed" if failed else "completed",
        error=error,
        duration_s=round(t - start, 6),
        data={
            "status": "failed" if failed else "completed",
            "error": error,
            "elapsed_s": round(t - start, 3),
            "artifacts": {}
            if failed
            else {
                "onnx": f"{stem}.onnx",
                "metadata": f"{stem}_htp_metadata.json",
                "report": f"{stem}_htp_export_report.txt",
            },
            "model": {
                "model_name": model,
                "model_class": "BertModel",
                "total_modules": len(mods),
                "total_parameters": 22_713_216,
            },
            "coverage": dict.fromkeys(coverage) if failed else coverage,
        },
    )

    executed = {m.path for m in mods if m.class_name != "Dropout"}
    subtree: dict[str, int] = {}
    for m in reversed(mods):
        subtree[m.path] = subtree.get(m.path, 0) + len(m.ops) + len(m.inferred_ops)
        if m.parent is not None:
            subtree[m.parent] = subtree.get(m.parent, 0) + subtree[m.path]
    run.write_records(
        "hierarchy",
        [
            {
                "path": m.path,
                "class_name": m.class_name,
                "tag": m.tag,
                "parent": m.parent,
                "parameter_count": 0 if m.class_name == "Dropout" else 1000 * (len(m.ops) + 1),
                "execution_order": i,
                "call_count": 1 if m.path in executed else 0,
                "executed": m.path in executed,
                "direct_nodes": 0 if failed else len(m.ops) + len(m.inferred_ops),
                "subtree_nodes": 0 if failed else subtree[m.path],
                "op_counts": {} if failed else counts.get(m.path, {}),
            }
            for i, m in enumerate(mods)
        ],
    )
    if not failed:
        run.write_records("nodes", nodes)
    if resources:
        run.write_records("resources", samples)
    run.close()
    return folder
