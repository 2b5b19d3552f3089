"""The six export steps as small pass objects, run in order by `run_passes`.

Each pass names its `Step`, checks what it needs (`requires`), does its work
(`run`, returning the step's typed data), and checks what it promises
(`ensures`): "every node carries a hierarchy tag" is a post-condition, not a
hope. The runner brackets each pass with monitor events, so a failure names
its step and the steps before it stay recorded as completed.

The passes share one `ExportContext`; none formats output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from modelexport.errors import ForwardError, ModelExportError
from modelexport.monitor.monitor import ExportMonitor
from modelexport.steps import (
    HierarchyData,
    InputGenData,
    ModelPrepData,
    NodeTaggingData,
    OnnxExportData,
    Step,
    TagInjectionData,
    TensorSpec,
)


@dataclass
class ExportOptions:
    """What the user asked for, as the passes need it."""

    onnx_path: Path
    run_dir: Path
    input_specs: Any = None
    example_inputs: Any = None
    opset: int = 18
    static: bool = False
    trace: bool = False
    mode: str = "tags"


@dataclass
class ExportContext:
    """What one pass hands to the next."""

    model: Any
    """What MODEL named, or an nn.Module given directly."""
    options: ExportOptions
    loaded: Any = None
    """htp.models.LoadedModel"""
    inputs: Any = None
    """htp.inputs.ExampleInputs"""
    forward_outputs: list[Any] = field(default_factory=list)
    hierarchy: HierarchyData | None = None
    outcome: Any = None
    """htp.exporter.ExportOutcome"""
    tagging: NodeTaggingData | None = None

    def need(self, attr: str, step: Step) -> Any:
        value = getattr(self, attr)
        if value is None:
            raise ModelExportError(f"internal error: {step.title.lower()} needs {attr}, which is missing")
        return value


class ExportPass:
    """One step: `requires`, `run`, `ensures`. Subclasses set `step` and `needs`."""

    step: ClassVar[Step]
    needs: ClassVar[tuple[str, ...]] = ()
    message: ClassVar[str | None] = None

    def requires(self, ctx: ExportContext) -> None:
        for attr in self.needs:
            ctx.need(attr, self.step)

    def run(self, ctx: ExportContext, monitor: ExportMonitor) -> Any:
        raise NotImplementedError

    def ensures(self, ctx: ExportContext, data: Any) -> None:
        """Post-conditions on the step's result; the default promises nothing more."""


class PrepareModel(ExportPass):
    step = Step.MODEL_PREP
    message = "loading model"

    def run(self, ctx: ExportContext, monitor: ExportMonitor) -> ModelPrepData:
        import torch

        from modelexport.htp import models

        model, example = ctx.model, ctx.options.example_inputs
        if isinstance(model, torch.nn.Module):
            loaded = models.LoadedModel(
                model.eval(), type(model).__name__, "module", config=getattr(model, "config", None)
            )
        else:
            loaded = models.load_model(str(model))
        if example is not None:
            loaded.example_inputs = example
        if loaded.config is not None and hasattr(loaded.config, "use_cache"):
            loaded.config.use_cache = False  # a KV cache output is not part of an inference graph
        ctx.loaded = loaded
        module = loaded.module
        return ModelPrepData(
            model_name=monitor.data.model_name,
            source=loaded.source,
            model_class=type(module).__name__,
            total_modules=sum(1 for _ in module.modules()),
            total_parameters=sum(p.numel() for p in module.parameters()),
            model_type=getattr(loaded.config, "model_type", None),
            location=loaded.location,
        )

    def ensures(self, ctx: ExportContext, data: ModelPrepData) -> None:
        if ctx.loaded.module.training:
            raise ModelExportError("internal check failed: the model is still in training mode")


class GenerateInputs(ExportPass):
    step = Step.INPUT_GEN
    needs = ("loaded",)

    def run(self, ctx: ExportContext, monitor: ExportMonitor) -> InputGenData:
        from modelexport.htp import inputs

        module, specs = ctx.loaded.module, ctx.options.input_specs
        if specs is not None:
            ctx.inputs = inputs.from_specs(inputs.load_input_specs(specs), module)
        elif ctx.loaded.example_inputs is not None:
            ctx.inputs = inputs.from_example(ctx.loaded.example_inputs, module)
        else:
            ctx.inputs = inputs.generate_inputs(module, ctx.loaded.config)
        return ctx.inputs.data()


class BuildHierarchy(ExportPass):
    """Hooks every module for one forward, which also proves the forward runs on the inputs."""

    step = Step.HIERARCHY
    needs = ("loaded", "inputs")
    message = "hooking modules"

    def run(self, ctx: ExportContext, monitor: ExportMonitor) -> HierarchyData:
        from modelexport.htp import hierarchy

        module, example = ctx.loaded.module, ctx.inputs

        def run_forward() -> Any:
            try:
                ctx.forward_outputs.append(example.call(module))
            except Exception as exc:
                first = str(exc).splitlines()[0] if str(exc) else ""
                raise ForwardError(
                    f"{type(module).__name__}.forward failed on the {example.method} inputs: "
                    f"{type(exc).__name__}: {first}",
                    hint="pass --input-specs FILE with inputs the model accepts",
                ) from exc
            return ctx.forward_outputs[-1]

        ctx.hierarchy = hierarchy.build_hierarchy(
            module,
            run_forward,
            on_module=lambda done, total: monitor.advance(self.step, 1, total=total),
        )
        return ctx.hierarchy

    def ensures(self, ctx: ExportContext, data: HierarchyData) -> None:
        if not data.modules or data.modules[0].path != "" or not data.modules[0].executed:
            raise ModelExportError("internal check failed: the hierarchy has no executed root module")


class ExportOnnx(ExportPass):
    step = Step.ONNX_EXPORT
    needs = ("loaded", "inputs")
    message = "torch.onnx.export (dynamo)"

    def run(self, ctx: ExportContext, monitor: ExportMonitor) -> OnnxExportData:
        from modelexport.htp import exporter

        options = ctx.options
        trace_dir = options.run_dir / "torch_trace" if options.trace else None
        outcome = exporter.export_onnx(
            ctx.loaded.module,
            ctx.inputs,
            opset=options.opset,
            dynamic=not options.static,
            trace_dir=trace_dir,
            log_path=options.run_dir / "torch_export.log",
        )
        for note in outcome.notes:
            monitor.warn(note)
        if outcome.fallback_reason:
            monitor.warn(f"dynamo export failed, used TorchScript: {outcome.fallback_reason}")
        graph = outcome.model.graph
        exporter.name_outputs(graph, ctx.forward_outputs[0] if ctx.forward_outputs else None)
        ctx.outcome = outcome
        return OnnxExportData(
            exporter=outcome.exporter,
            opset=outcome.opset,
            dynamic=outcome.dynamic,
            input_names=[v.name or "" for v in graph.inputs],
            output_names=[v.name or "" for v in graph.outputs],
            outputs=[value_spec(v) for v in graph.outputs],
            fallback_reason=outcome.fallback_reason,
            node_count=len(graph),
            trace_dir=str(trace_dir) if trace_dir else None,
        )

    def ensures(self, ctx: ExportContext, data: OnnxExportData) -> None:
        if not data.output_names:
            raise ModelExportError("internal check failed: the exported graph has no outputs")


class TagNodes(ExportPass):
    step = Step.NODE_TAGGING
    needs = ("outcome", "hierarchy")

    def run(self, ctx: ExportContext, monitor: ExportMonitor) -> NodeTaggingData:
        from modelexport.htp import tagging

        graph = ctx.outcome.model.graph
        monitor.advance(self.step, 0, total=len(graph))
        tagging.ensure_unique_names(graph)
        ctx.tagging = tagging.tag_nodes(graph, ctx.hierarchy)
        return ctx.tagging

    def ensures(self, ctx: ExportContext, data: NodeTaggingData) -> None:
        names = {node.name for node in data.nodes}
        if data.direct + data.inferred + data.root != data.total_nodes or len(names) != data.total_nodes:
            raise ModelExportError(
                "internal check failed: direct + inferred + root must be every node, once each"
            )


class InjectTags(ExportPass):
    step = Step.TAG_INJECTION
    needs = ("outcome", "tagging")
    message = "writing ONNX"

    def run(self, ctx: ExportContext, monitor: ExportMonitor) -> TagInjectionData:
        from modelexport.htp import injection

        options = ctx.options
        injected = injection.inject_tags(ctx.outcome.model, ctx.tagging, options.mode)
        external, checked = injection.save_model(ctx.outcome.model, options.onnx_path)
        if monitor.data.onnx_export is not None:
            monitor.data.onnx_export.external_data = external
        return TagInjectionData(
            mode=options.mode,
            nodes_tagged=injected.nodes_tagged,
            torch_keys_removed=injected.torch_keys_removed,
            checker_passed=checked,
            output_path=str(options.onnx_path),
            output_bytes=options.onnx_path.stat().st_size,
            sha256=injection.sha256_file(options.onnx_path),
        )

    def ensures(self, ctx: ExportContext, data: TagInjectionData) -> None:
        if not data.checker_passed:
            raise ModelExportError("internal check failed: the saved model was not checked")


#: The export, in order.
EXPORT_PASSES: tuple[ExportPass, ...] = (
    PrepareModel(),
    GenerateInputs(),
    BuildHierarchy(),
    ExportOnnx(),
    TagNodes(),
    InjectTags(),
)


def run_passes(
    monitor: ExportMonitor, ctx: ExportContext, passes: Sequence[ExportPass] = EXPORT_PASSES
) -> None:
    """Run each pass inside its monitor stage: requires, run, ensures, then report its data."""
    for export_pass in passes:
        with monitor.stage(export_pass.step, message=export_pass.message):
            export_pass.requires(ctx)
            data = export_pass.run(ctx, monitor)
            export_pass.ensures(ctx, data)
            monitor.update(export_pass.step, data)


def value_spec(value: Any) -> TensorSpec:
    """An ONNX graph value as a TensorSpec: -1 and a named axis for each symbolic dimension."""
    shape: list[int] = []
    axes: dict[int, str] = {}
    if value.shape is not None:
        for axis, dim in enumerate(value.shape):
            if isinstance(dim, int):
                shape.append(dim)
            else:
                shape.append(-1)
                axes[axis] = str(dim)
    dtype = "unknown"
    if value.dtype is not None:
        try:
            dtype = str(value.dtype.numpy())
        except (TypeError, ValueError, NotImplementedError):
            dtype = value.dtype.name.lower()
    return TensorSpec(value.name or "", shape, dtype, axes)
