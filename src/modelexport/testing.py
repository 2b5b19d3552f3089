"""Test helpers shipped with the package: a realistic run, and a way to replay it.

Writers, report modules and the CLI all need an `ExportData` that looks like a
real export without paying for one. `sample_export_data` builds a complete run
of a tiny BERT-like model (two layers, ~40 ONNX nodes with direct, inferred
and root sources), or a run that failed at a chosen step. `drive_monitor`
replays such a run through a real `ExportMonitor` (begin, advance, update,
fail, end), so a writer is tested through the same calls an export makes.
`FakeClock` makes the replayed timings exact.

Nothing here imports torch or onnx, and nothing is written to disk.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from modelexport.errors import ExportFailedError, ForwardError, ModelExportError
from modelexport.steps import (
    EXPORT_STEPS,
    ExportData,
    HierarchyData,
    InputGenData,
    ModelPrepData,
    ModuleInfo,
    NodeTag,
    NodeTaggingData,
    OnnxExportData,
    RunStatus,
    Step,
    StepRecord,
    StepStatus,
    TagInjectionData,
    TensorSpec,
)

if TYPE_CHECKING:  # pragma: no cover
    from modelexport.monitor.monitor import ExportMonitor

__all__ = [
    "SAMPLE_RUN_ID",
    "SAMPLE_STARTED_AT",
    "FakeClock",
    "drive_monitor",
    "run_context",
    "sample_export_data",
    "sample_modules",
    "sample_nodes",
]

SAMPLE_RUN_ID = "20251123T060000Z-bert-tiny-3f9a"
SAMPLE_STARTED_AT = 1_763_877_600.0
"""2025-11-23T06:00:00Z, fixed so outputs are reproducible."""

SAMPLE_STEM = "bert-tiny"

#: Seconds each export step takes in the sample run.
SAMPLE_DURATIONS: dict[Step, float] = {
    Step.MODEL_PREP: 0.84,
    Step.INPUT_GEN: 0.03,
    Step.HIERARCHY: 0.21,
    Step.ONNX_EXPORT: 3.65,
    Step.NODE_TAGGING: 0.12,
    Step.TAG_INJECTION: 0.27,
}

#: The error each step fails with when `failed_at` picks it.
SAMPLE_ERRORS: dict[Step, ModelExportError] = {
    Step.MODEL_PREP: ModelExportError("could not load bert-tiny: config.json is not valid JSON"),
    Step.INPUT_GEN: ForwardError("forward failed on the generated inputs: shape mismatch"),
    Step.HIERARCHY: ForwardError("forward failed during the hooked pass: index out of range"),
    Step.ONNX_EXPORT: ExportFailedError(
        "both exporters failed: dynamo: unsupported op aten::foo; torchscript: unsupported op aten::foo"
    ),
    Step.NODE_TAGGING: ModelExportError("node tagging failed: graph has a cycle"),
    Step.TAG_INJECTION: ModelExportError("onnx.checker rejected the tagged model"),
}

_HIDDEN = 32
_INTERMEDIATE = 64
_VOCAB = 100
_MAX_POS = 64


def _linear(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


def _layer_modules(i: int) -> list[tuple[str, str, int]]:
    p = f"encoder.layer.{i}"
    return [
        (p, "BertLayer", 0),
        (f"{p}.attention", "BertAttention", 0),
        (f"{p}.attention.self", "BertSelfAttention", 0),
        (f"{p}.attention.self.query", "Linear", _linear(_HIDDEN, _HIDDEN)),
        (f"{p}.attention.self.key", "Linear", _linear(_HIDDEN, _HIDDEN)),
        (f"{p}.attention.self.value", "Linear", _linear(_HIDDEN, _HIDDEN)),
        (f"{p}.attention.output", "BertSelfOutput", 0),
        (f"{p}.attention.output.dense", "Linear", _linear(_HIDDEN, _HIDDEN)),
        (f"{p}.attention.output.LayerNorm", "LayerNorm", 2 * _HIDDEN),
        (f"{p}.intermediate", "BertIntermediate", 0),
        (f"{p}.intermediate.dense", "Linear", _linear(_HIDDEN, _INTERMEDIATE)),
        (f"{p}.intermediate.intermediate_act_fn", "GELUActivation", 0),
        (f"{p}.output", "BertOutput", 0),
        (f"{p}.output.dense", "Linear", _linear(_INTERMEDIATE, _HIDDEN)),
        (f"{p}.output.LayerNorm", "LayerNorm", 2 * _HIDDEN),
    ]


#: (path, class, own parameters) in `named_modules()` order, as the exporter lists them.
_MODULE_TABLE: list[tuple[str, str, int]] = [
    ("", "BertModel", 0),
    ("embeddings", "BertEmbeddings", 0),
    ("embeddings.word_embeddings", "Embedding", _VOCAB * _HIDDEN),
    ("embeddings.position_embeddings", "Embedding", _MAX_POS * _HIDDEN),
    ("embeddings.token_type_embeddings", "Embedding", 2 * _HIDDEN),
    ("embeddings.LayerNorm", "LayerNorm", 2 * _HIDDEN),
    ("embeddings.dropout", "Dropout", 0),
    ("encoder", "BertEncoder", 0),
    ("encoder.layer", "ModuleList", 0),
    *_layer_modules(0),
    *_layer_modules(1),
    ("pooler", "BertPooler", 0),
    ("pooler.dense", "Linear", _linear(_HIDDEN, _HIDDEN)),
    ("pooler.activation", "Tanh", 0),
]

#: The module the sample's forward never calls (kept in the tree, marked not executed).
UNEXECUTED_MODULE = "embeddings.dropout"

#: Containers that are iterated, never called: no calls of their own, yet executed
#: because their children ran (as the exporter marks them).
_ITERATED = ("encoder.layer",)

#: BertEmbeddings.forward looks up token types before positions: first-call order
#: differs from definition order, as in the real model.
_CALLED_EARLY = ("embeddings.token_type_embeddings", "embeddings.position_embeddings")


def _parent(path: str, known: set[str]) -> str | None:
    """The nearest listed ancestor (the dotted parent, for every module listed here)."""
    if path == "":
        return None
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        candidate = ".".join(parts[:cut])
        if candidate in known:
            return candidate
    return ""


_CONTAINERS = frozenset({"ModuleList", "ModuleDict"})


def sample_modules() -> list[ModuleInfo]:
    """The sample model's module tree, tagged by the rule in ARCHITECTURE.md.

    A tag segment is the class name alone when no sibling shares the class and
    `Class.<attribute>` when one does (`BertLayer.0`, `Linear.query`).
    """
    known = {path for path, _, _ in _MODULE_TABLE}
    parents = {path: _parent(path, known) for path in known}
    classes = {path: cls for path, cls, _ in _MODULE_TABLE}
    siblings: dict[str | None, Counter[str]] = {}
    for path, cls, _ in _MODULE_TABLE:
        siblings.setdefault(parents[path], Counter())[cls] += 1

    tags: dict[str, str] = {}
    for path, cls, _ in _MODULE_TABLE:  # parents come before children
        parent = parents[path]
        if parent is None:
            tags[path] = f"/{cls}"
            continue
        if cls in _CONTAINERS:  # containers add no segment, as in the exporter
            tags[path] = tags[parent]
            continue
        shared = siblings[parent][classes[path]] > 1
        segment = f"{cls}.{path.rsplit('.', 1)[-1]}" if shared else cls
        tags[path] = f"{tags[parent]}/{segment}"

    called = [path for path, _, _ in _MODULE_TABLE if path != UNEXECUTED_MODULE and path not in _ITERATED]
    first, second = (called.index(p) for p in _CALLED_EARLY)
    called[first], called[second] = called[second], called[first]
    order = {path: i for i, path in enumerate(called)}
    return [
        ModuleInfo(
            path=path,
            class_name=cls,
            tag=tags[path],
            parent=parents[path],
            parameter_count=params,
            execution_order=order.get(path),
            call_count=1 if path in order else 0,
            executed=path != UNEXECUTED_MODULE,
        )
        for path, cls, params in _MODULE_TABLE
    ]


class _NodeBuilder:
    """Chains nodes the way an exporter would: each consumes the previous value."""

    def __init__(self, tags: dict[str, str]) -> None:
        self.tags = tags
        self.nodes: list[NodeTag] = []
        self.last = "input_ids"

    def add(self, op: str, module: str, source: str = "direct", extra_inputs: tuple[str, ...] = ()) -> str:
        index = len(self.nodes)
        out = f"val_{index}"
        inputs = [] if op == "Constant" else [self.last, *extra_inputs]
        self.nodes.append(
            NodeTag(
                name=f"node_{op}_{index}",
                op_type=op,
                module_path=module,
                tag=self.tags[module],
                source=source,
                inputs=inputs,
                outputs=[out],
            )
        )
        if op != "Constant":
            self.last = out
        return out


def sample_nodes(modules: list[ModuleInfo] | None = None) -> list[NodeTag]:
    """~40 ONNX nodes of the sample model: mostly direct, some inferred, two at the root."""
    tags = {m.path: m.tag for m in (modules or sample_modules())}
    b = _NodeBuilder(tags)
    b.add("Shape", "", "root")
    b.add("Cast", "", "root")
    b.last = "input_ids"
    b.add("Gather", "embeddings.word_embeddings", extra_inputs=("embeddings.word_embeddings.weight",))
    b.add(
        "Gather",
        "embeddings.token_type_embeddings",
        extra_inputs=("embeddings.token_type_embeddings.weight",),
    )
    b.add("Add", "embeddings")
    positions = b.add("Constant", "embeddings", "inferred")
    b.add("Gather", "embeddings.position_embeddings", extra_inputs=(positions,))
    b.add("Add", "embeddings")
    b.add("LayerNormalization", "embeddings.LayerNorm")
    for i in range(2):
        p = f"encoder.layer.{i}"
        hidden = b.last
        for proj in ("query", "key", "value"):
            b.last = hidden
            b.add("MatMul", f"{p}.attention.self.{proj}", extra_inputs=(f"{p}.attention.self.{proj}.weight",))
        b.add("Transpose", f"{p}.attention.self")
        b.add("MatMul", f"{p}.attention.self")
        scale = b.add("Constant", f"{p}.attention.self", "inferred")
        b.add("Mul", f"{p}.attention.self", extra_inputs=(scale,))
        b.add("Softmax", f"{p}.attention.self")
        b.add("MatMul", f"{p}.attention.self")
        b.add("MatMul", f"{p}.attention.output.dense")
        b.add("Add", f"{p}.attention.output", extra_inputs=(hidden,))
        b.add("LayerNormalization", f"{p}.attention.output.LayerNorm")
        residual = b.last
        b.add("MatMul", f"{p}.intermediate.dense")
        b.add("Gelu", f"{p}.intermediate.intermediate_act_fn")
        b.add("MatMul", f"{p}.output.dense")
        b.add("Add", f"{p}.output", extra_inputs=(residual,))
        b.add("LayerNormalization", f"{p}.output.LayerNorm")
    b.nodes[-1].outputs = ["last_hidden_state"]
    b.last = "last_hidden_state"
    b.add("Gather", "pooler")
    b.add("Gemm", "pooler.dense", extra_inputs=("pooler.dense.weight", "pooler.dense.bias"))
    b.add("Tanh", "pooler.activation")
    b.nodes[-1].outputs = ["pooler_output"]
    return b.nodes


def _artifacts(folder: Path) -> dict[str, str]:
    return {
        "onnx": str(folder / f"{SAMPLE_STEM}.onnx"),
        "metadata": str(folder / f"{SAMPLE_STEM}_htp_metadata.json"),
        "report": str(folder / f"{SAMPLE_STEM}_htp_export_report.txt"),
        "run_dir": str(folder / f"{SAMPLE_STEM}.run"),
    }


def _step_data(step: Step, modules: list[ModuleInfo], nodes: list[NodeTag], onnx_path: str) -> object:
    dyn = {0: "batch", 1: "sequence"}
    if step == Step.MODEL_PREP:
        return ModelPrepData(
            model_name="prajjwal1/bert-tiny",
            source="hf_cache",
            model_class="BertModel",
            total_modules=len(modules),
            total_parameters=sum(m.parameter_count for m in modules),
            model_type="bert",
            location="/cache/hub/models--prajjwal1--bert-tiny/snapshots/abc",
        )
    if step == Step.INPUT_GEN:
        return InputGenData(
            method="generated",
            modality="text",
            inputs=[
                TensorSpec("input_ids", [2, 16], "int64", dict(dyn), 0, _VOCAB - 1),
                TensorSpec("attention_mask", [2, 16], "int64", dict(dyn), 1, 1),
                TensorSpec("token_type_ids", [2, 16], "int64", dict(dyn), 0, 0),
            ],
        )
    if step == Step.HIERARCHY:
        return HierarchyData(modules=modules, execution_steps=sum(m.call_count for m in modules))
    if step == Step.ONNX_EXPORT:
        return OnnxExportData(
            exporter="dynamo",
            opset=18,
            dynamic=True,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state", "pooler_output"],
            outputs=[
                TensorSpec("last_hidden_state", [2, 16, _HIDDEN], "float32", dict(dyn)),
                TensorSpec("pooler_output", [2, _HIDDEN], "float32", {0: "batch"}),
            ],
            node_count=len(nodes),
        )
    if step == Step.NODE_TAGGING:
        sources = Counter(n.source for n in nodes)
        return NodeTaggingData(
            total_nodes=len(nodes),
            direct=sources["direct"],
            inferred=sources["inferred"],
            root=sources["root"],
            nodes=nodes,
            op_counts=dict(Counter(n.op_type for n in nodes).most_common()),
            scope_disagreements=1,
        )
    if step == Step.TAG_INJECTION:
        return TagInjectionData(
            mode="tags",
            nodes_tagged=len(nodes),
            torch_keys_removed=3 * len(nodes),
            checker_passed=True,
            output_path=onnx_path,
            output_bytes=97_314,
            sha256="5f2b0c8e7d4a9b1c3e6f8a0d2c4b6e8f1a3c5e7d9b0a2c4e6f8a1b3d5c7e9f0a",
        )
    raise ValueError(f"no sample data for {step.value}")


def sample_export_data(tmp_dir: Path | None = None, *, failed_at: Step | None = None) -> ExportData:
    """A complete export of a tiny BERT, or one that failed at `failed_at`.

    Artifacts point into `tmp_dir` (the current folder when None); nothing is
    written. With `failed_at`, the steps before it completed, that step failed
    with the error in `SAMPLE_ERRORS`, later steps are pending, and the run's
    status is `failed` with the error and its type set.
    """
    if failed_at is not None and failed_at not in EXPORT_STEPS:
        raise ValueError(f"failed_at must be one of the export steps, not {failed_at.value}")
    folder = Path(tmp_dir) if tmp_dir is not None else Path(".")
    artifacts = _artifacts(folder)
    modules = sample_modules()
    nodes = sample_nodes(modules)
    data = ExportData(
        run_id=SAMPLE_RUN_ID,
        model_name="prajjwal1/bert-tiny",
        output_path=artifacts["onnx"],
        command="export",
        started_at=SAMPLE_STARTED_AT,
        options={
            "opset": 18,
            "static": False,
            "clean": False,
            "keep_torch_metadata": False,
            "trace": False,
            "input_specs": None,
        },
        environment={
            "python": "3.11.9",
            "torch": "2.13.0",
            "onnx": "1.19.0",
            "onnxruntime": "1.23.0",
            "modelexport": "0.1.0",
            "host": "ci-runner",
        },
        artifacts=artifacts,
    )
    now = SAMPLE_STARTED_AT + 0.05
    failed = False
    for step in EXPORT_STEPS:
        record = data.record(step)
        if failed:
            continue  # pending
        duration = SAMPLE_DURATIONS[step]
        record.started_at = now
        record.duration_s = duration
        now += duration + 0.01
        if step == failed_at:
            record.status = StepStatus.FAILED
            record.error = str(SAMPLE_ERRORS[step])
            failed = True
            continue
        record.status = StepStatus.COMPLETED
        setattr(data, _field(step), _step_data(step, modules, nodes, artifacts["onnx"]))
        if step == Step.HIERARCHY:
            record.completed = record.total = len(modules)
        elif step == Step.NODE_TAGGING:
            record.completed = record.total = len(nodes)
    data.finished_at = now
    if failed_at is None:
        data.status = RunStatus.COMPLETED
    else:
        exc = SAMPLE_ERRORS[failed_at]
        data.status = RunStatus.FAILED
        data.error = str(exc)
        data.error_type = type(exc).__name__
    return data


def _field(step: Step) -> str:
    from modelexport.steps import STEP_DATA_FIELDS

    return STEP_DATA_FIELDS[step]


def run_context(data: ExportData) -> ExportData:
    """What the exporter knows before step 1: identity, options and artifact paths, no steps."""
    return ExportData(
        run_id=data.run_id,
        model_name=data.model_name,
        output_path=data.output_path,
        command=data.command,
        started_at=data.started_at,
        options=dict(data.options),
        environment=dict(data.environment),
        artifacts=dict(data.artifacts),
    )


class FakeClock:
    """A settable clock for `ExportMonitor(clock=...)`, so replayed timings are exact."""

    def __init__(self, now: float = SAMPLE_STARTED_AT) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def set(self, now: float) -> None:
        self.now = now

    def tick(self, seconds: float) -> None:
        self.now += seconds


def drive_monitor(monitor: ExportMonitor, data: ExportData, *, end: bool = True) -> ExportData:
    """Replay `data` through `monitor` as an export would; returns `monitor.data`.

    Starts the monitor if needed, then for each export step with a record:
    `begin` (with a total for hierarchy and tagging), a few `advance` calls,
    and `update` with the step's data, or `fail` for the failed step. With
    `end`, the monitor is ended as the run ended: completed, or with the run's
    error (a `ModelExportError` carrying `data.error`). When the monitor's clock
    is a `FakeClock`, it is moved to each recorded time so durations match.
    """
    # Snapshot first: when `data` is the monitor's own object, begin/update rewrite it.
    records = {s: dataclasses.replace(r) for s, r in data.records.items()}
    step_values = {s: data.step_data(s) for s in EXPORT_STEPS}
    status, error, started_at, finished_at = (data.status, data.error, data.started_at, data.finished_at)
    target = monitor.data
    if target is not data:
        for f in ("run_id", "model_name", "output_path", "command", "options", "environment", "artifacts"):
            setattr(target, f, _copy(getattr(data, f)))
    clock = getattr(monitor, "_clock", None)
    fake = clock if isinstance(clock, FakeClock) else None
    if fake is not None:
        fake.set(started_at)
    monitor.start()

    failure: BaseException | None = None
    for step in EXPORT_STEPS:
        record = records.get(step)
        if record is None or record.status == StepStatus.PENDING:
            continue
        start = record.started_at if record.started_at is not None else started_at
        duration = record.duration_s or 0.0
        if fake is not None:
            fake.set(start)
        if record.status == StepStatus.SKIPPED:
            monitor.skip(step, record.message or "skipped")
            continue
        monitor.begin(step, total=record.total, message=f"{step.title}…")
        _replay_progress(monitor, record, start, duration, fake)
        if fake is not None:
            fake.set(start + duration)
        if record.status == StepStatus.FAILED:
            failure = _error_for(status, error, record)
            monitor.fail(step, failure)
            break
        monitor.update(step, step_values[step])
    if end:
        if fake is not None and finished_at is not None:
            fake.set(finished_at)
        if failure is None and status in (RunStatus.FAILED, RunStatus.CANCELLED):
            failure = (
                KeyboardInterrupt() if status == RunStatus.CANCELLED else ModelExportError(error or "failed")
            )
        monitor.end(failure)
    return target


def _replay_progress(
    monitor: ExportMonitor, record: StepRecord, start: float, duration: float, fake: FakeClock | None
) -> None:
    if not record.total:
        return
    chunks = 4
    done = record.completed if record.status == StepStatus.COMPLETED else record.total // 2
    for i in range(chunks):
        n = done // chunks + (1 if i < done % chunks else 0)
        if fake is not None:
            fake.set(start + duration * (i + 1) / (chunks + 1))
        if n:
            monitor.advance(
                step=record.step,
                n=n,
                message=f"{record.step.title}: {min(done, (i + 1) * done // chunks)}/{record.total}",
            )


def _error_for(status: RunStatus, error: str | None, record: StepRecord) -> BaseException:
    message = record.error or error or "failed"
    if status == RunStatus.CANCELLED:
        return KeyboardInterrupt(message)
    for exc in SAMPLE_ERRORS.values():
        if str(exc) == message:
            return type(exc)(message)
    return ModelExportError(message)


def _copy(value: object) -> object:
    if isinstance(value, dict):
        return dict(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value)
    return value
