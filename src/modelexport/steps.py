"""The pipeline's steps and the typed data each one reports.

Every stage of modelexport (the six HTP export steps, then verify, bench and
publish) reports what it did as a dataclass, never as a loose dict, so that
writers (console, metadata, report, event log, progress store) can render it
without guessing keys. `ExportData` is the union: one object that grows as the
run goes on, handed whole to each writer together with the step that changed.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any


class Step(StrEnum):
    """One stage of the pipeline, in the order a full run goes through them."""

    MODEL_PREP = "model_preparation"
    INPUT_GEN = "input_generation"
    HIERARCHY = "hierarchy_building"
    ONNX_EXPORT = "onnx_export"
    NODE_TAGGING = "node_tagging"
    TAG_INJECTION = "tag_injection"
    VERIFY = "verify"
    BENCH = "bench"
    PUBLISH = "publish"

    @property
    def title(self) -> str:
        """A short human title: 'Model preparation'."""
        return self.value.replace("_", " ").capitalize()

    @property
    def number(self) -> int:
        """1-based position in the pipeline, for 'step 3/6' displays."""
        return list(Step).index(self) + 1


#: The six steps of `modelexport export`, in order.
EXPORT_STEPS: tuple[Step, ...] = (
    Step.MODEL_PREP,
    Step.INPUT_GEN,
    Step.HIERARCHY,
    Step.ONNX_EXPORT,
    Step.NODE_TAGGING,
    Step.TAG_INJECTION,
)


class StepStatus(StrEnum):
    """Where one step stands."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


class RunStatus(StrEnum):
    """Where the whole run stands; `cancelled` is a Ctrl-C or SIGTERM."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class StepRecord:
    """Timing and state of one step, kept for every step the run touched."""

    step: Step
    status: StepStatus = StepStatus.PENDING
    started_at: float | None = None
    """Wall-clock start (epoch seconds)."""
    duration_s: float | None = None
    """Seconds from start to end; None while running."""
    completed: int = 0
    """Units done inside the step (nodes tagged, modules hooked, ...)."""
    total: int | None = None
    """Units expected inside the step, when known."""
    message: str | None = None
    """What the step is doing now, for a live display."""
    error: str | None = None


@dataclass
class ModelPrepData:
    """Step 1: the loaded model."""

    model_name: str
    """What the user asked for (folder, hub id, registered name, factory)."""
    source: str
    """How it was resolved: hf_folder, hf_cache, registered, factory."""
    model_class: str
    total_modules: int
    total_parameters: int
    model_type: str | None = None
    """`config.model_type` for Hugging Face models."""
    location: str | None = None
    """The folder the weights came from, when there is one."""


@dataclass
class TensorSpec:
    """One model input or output: name, shape, dtype, and which axes are dynamic."""

    name: str
    shape: list[int]
    dtype: str
    dynamic_axes: dict[int, str] = field(default_factory=dict)
    """Axis index -> symbolic name (`batch`, `sequence`)."""
    low: float | None = None
    high: float | None = None


@dataclass
class InputGenData:
    """Step 2: the example inputs the export runs on."""

    method: str
    """`specs` (from --input-specs), `generated` (from config and signature) or `factory`."""
    inputs: list[TensorSpec] = field(default_factory=list)
    modality: str | None = None
    """text, vision, audio, or None for a plain module."""


def parent_path(path: str) -> str | None:
    """`encoder.layer.0` -> `encoder.layer`; the root ('') has no parent."""
    if path == "":
        return None
    return path.rpartition(".")[0]


@dataclass
class ModuleInfo:
    """One module of the model's tree."""

    path: str
    """Dotted module path as the user types it (`encoder.layer.0`); '' is the root."""
    class_name: str
    tag: str
    """Hierarchy tag, `/BertModel/BertEncoder/BertLayer.0`."""
    parent: str | None
    parameter_count: int
    """Parameters owned directly by this module (not its children)."""
    execution_order: int | None = None
    """Order of first forward call; None when the module never ran."""
    call_count: int = 0
    """Forward calls of this module itself (0 for a ModuleList that is only iterated)."""
    executed: bool = False
    """It ran, or something inside it ran (a ModuleList whose layers were called)."""


@dataclass
class HierarchyData:
    """Step 3: the module tree from one hooked forward pass."""

    modules: list[ModuleInfo]
    execution_steps: int
    """Total forward calls observed (a reused module counts each call)."""

    @property
    def executed_count(self) -> int:
        return sum(1 for m in self.modules if m.executed)


@dataclass
class OnnxExportData:
    """Step 4: what the exporter produced."""

    exporter: str
    """`dynamo` or `torchscript` (after a fallback)."""
    opset: int
    dynamic: bool
    input_names: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)
    outputs: list[TensorSpec] = field(default_factory=list)
    fallback_reason: str | None = None
    """Why the dynamo exporter failed, when the TorchScript one took over."""
    external_data: bool = False
    node_count: int = 0
    trace_dir: str | None = None
    """Where the TORCH_TRACE log of the export was kept (`--trace`)."""


@dataclass
class NodeTag:
    """One ONNX node and the module it belongs to."""

    name: str
    op_type: str
    module_path: str
    tag: str
    source: str
    """`direct` (exporter metadata), `inferred` (graph neighbours) or `root`."""
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


@dataclass
class NodeTaggingData:
    """Step 5: every node mapped to a module, and how honestly."""

    total_nodes: int
    direct: int
    inferred: int
    root: int
    nodes: list[NodeTag] = field(default_factory=list)
    op_counts: dict[str, int] = field(default_factory=dict)
    scope_disagreements: int = 0
    """Direct tags whose module differs from the exporter's innermost name scope."""

    @property
    def coverage(self) -> float:
        """Share of nodes placed below the root (direct + inferred)."""
        return (self.direct + self.inferred) / self.total_nodes if self.total_nodes else 1.0

    @property
    def direct_ratio(self) -> float:
        return self.direct / self.total_nodes if self.total_nodes else 1.0


@dataclass
class TagInjectionData:
    """Step 6: the final file."""

    mode: str
    """`tags` (hierarchy_tag + module_path), `clean` (no node metadata) or `keep` (plus torch's)."""
    nodes_tagged: int
    torch_keys_removed: int
    checker_passed: bool
    output_path: str
    output_bytes: int
    sha256: str


STEP_DATA_FIELDS: dict[Step, str] = {
    Step.MODEL_PREP: "model_prep",
    Step.INPUT_GEN: "input_gen",
    Step.HIERARCHY: "hierarchy",
    Step.ONNX_EXPORT: "onnx_export",
    Step.NODE_TAGGING: "node_tagging",
    Step.TAG_INJECTION: "tag_injection",
    Step.VERIFY: "verify",
    Step.BENCH: "bench",
    Step.PUBLISH: "publish",
}

STEP_DATA_TYPES: dict[Step, type] = {
    Step.MODEL_PREP: ModelPrepData,
    Step.INPUT_GEN: InputGenData,
    Step.HIERARCHY: HierarchyData,
    Step.ONNX_EXPORT: OnnxExportData,
    Step.NODE_TAGGING: NodeTaggingData,
    Step.TAG_INJECTION: TagInjectionData,
}


@dataclass
class ExportData:
    """Everything known about one run, shared by all writers."""

    run_id: str
    model_name: str
    output_path: str
    command: str = "export"
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    status: RunStatus = RunStatus.RUNNING
    error: str | None = None
    error_type: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    """The options the run was started with (opset, static, clean, ...)."""
    environment: dict[str, str] = field(default_factory=dict)
    """Versions of python, torch, onnx, onnxruntime, modelexport; host."""
    records: dict[Step, StepRecord] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """Things that went wrong without stopping the run (a writer that raised, a fallback)."""
    artifacts: dict[str, str] = field(default_factory=dict)
    """Files the run wrote: kind (`onnx`, `metadata`, `report`, `run_dir`, `html_report`) -> path."""

    model_prep: ModelPrepData | None = None
    input_gen: InputGenData | None = None
    hierarchy: HierarchyData | None = None
    onnx_export: OnnxExportData | None = None
    node_tagging: NodeTaggingData | None = None
    tag_injection: TagInjectionData | None = None
    verify: Any = None
    bench: Any = None
    publish: Any = None

    def record(self, step: Step) -> StepRecord:
        """The step's record, created pending on first use."""
        if step not in self.records:
            self.records[step] = StepRecord(step)
        return self.records[step]

    @property
    def elapsed_s(self) -> float:
        end = self.finished_at if self.finished_at is not None else time.time()
        return end - self.started_at

    def step_data(self, step: Step) -> Any:
        return getattr(self, STEP_DATA_FIELDS[step])


def to_jsonable(value: Any) -> Any:
    """Dataclasses, enums and containers as plain JSON values (dict keys as strings)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {(k.value if isinstance(k, Enum) else str(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value
