"""`export()`: the six HTP steps under one monitor.

This module is the orchestrator: each step is a call into its own module
(models, inputs, hierarchy, exporter, tagging, injection), bracketed by
monitor events, and nothing here formats output. Paths are fixed up front
(`<stem>.onnx`, `<stem>_htp_metadata.json`, `<stem>_htp_export_report.txt`,
`<stem>.run/`) so every writer knows where its file goes before step 1.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import socket
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from modelexport.errors import ForwardError, ModelExportError, OutputPathError, UsageError
from modelexport.monitor.monitor import Cancelled, ExportMonitor
from modelexport.monitor.writer import StepAwareWriter
from modelexport.steps import (
    ExportData,
    ModelPrepData,
    OnnxExportData,
    Step,
    TagInjectionData,
    TensorSpec,
)


@dataclass
class ExportPaths:
    """Where one export writes, derived from the ONNX path."""

    onnx: Path
    metadata: Path
    report: Path
    run_dir: Path
    html_report: Path

    @classmethod
    def for_output(cls, output: str | os.PathLike[str]) -> ExportPaths:
        onnx_path = Path(output).expanduser().absolute()
        stem = onnx_path.name.removesuffix(".onnx")
        folder = onnx_path.parent
        return cls(
            onnx_path,
            folder / f"{stem}_htp_metadata.json",
            folder / f"{stem}_htp_export_report.txt",
            folder / f"{stem}.run",
            folder / f"{stem}.report",
        )


@dataclass
class ExportResult:
    """What `export()` produced; `data` is the full record the writers saw."""

    paths: ExportPaths
    data: ExportData
    html_report: Path | None = None

    @property
    def onnx_path(self) -> Path:
        return self.paths.onnx


def environment() -> dict[str, str]:
    """Versions that decide what the exporter does, recorded with every run."""
    import onnx
    import onnxruntime
    import torch

    from modelexport import __version__

    return {
        "modelexport": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "platform": platform.platform(),
        "host": socket.gethostname(),
    }


def check_output_path(path: Path) -> None:
    """Fail before any work when the output cannot be written."""
    if path.suffix != ".onnx":
        raise OutputPathError(f"output {path} must end in .onnx")
    if path.is_dir():
        raise OutputPathError(f"output {path} is a folder; give a file name ending in .onnx")
    folder = path.parent
    probe = folder
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OutputPathError(
            f"cannot create {folder}: {probe} is a file, not a folder", hint="choose another -o location"
        )
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputPathError(
            f"cannot write to {folder}: permission denied", hint="choose another -o location"
        )


@contextlib.contextmanager
def _sigterm_cancels() -> Iterator[None]:
    """Turn SIGTERM into `Cancelled` so the run ends as cancelled, with its files written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Cancelled("terminated by SIGTERM")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _model_name(model: Any) -> str:
    return model if isinstance(model, str) else type(model).__name__


def default_writers(
    data: ExportData, *, quiet: bool, console: Any, store: str | None, progress: bool, run_name: str | None
) -> list[StepAwareWriter]:
    """Console, progress store, event log, metadata and text report, in that order."""
    from modelexport.monitor.defaults import build_writers

    extra: list[StepAwareWriter] = []
    if progress:
        from modelexport.monitor.progress_writer import progress_writer_from_options

        writer = progress_writer_from_options(store, run_name or data.model_name)
        if writer is not None:
            extra.append(writer)
    return build_writers(data, console=console, quiet=quiet, extra=extra)


def export(
    model: Any,
    output: str | os.PathLike[str],
    *,
    input_specs: str | os.PathLike[str] | None = None,
    example_inputs: dict[str, Any] | tuple[Any, ...] | None = None,
    opset: int = 18,
    static: bool = False,
    trace: bool = False,
    clean: bool = False,
    keep_torch_metadata: bool = False,
    report: bool = False,
    quiet: bool = False,
    console: Any = None,
    store: str | None = None,
    progress: bool = True,
    run_name: str | None = None,
    writers: Sequence[StepAwareWriter] | None = None,
) -> ExportResult:
    """Export `model` (a name MODEL resolves, or an nn.Module) to a hierarchy-tagged ONNX file.

    `writers` replaces the default writer list (console, progress, event log,
    metadata, text report); pass `[]` for none. Raises a UsageError subclass
    for bad input (exit 2) and ModelExportError for failures (exit 1); the
    metadata and run folder record the failure either way.
    """
    if clean and keep_torch_metadata:
        raise UsageError("--clean and --keep-torch-metadata contradict each other; pick one")
    paths = ExportPaths.for_output(output)
    check_output_path(paths.onnx)
    mode = "clean" if clean else "keep" if keep_torch_metadata else "tags"
    data = ExportData(
        run_id=uuid.uuid4().hex,
        model_name=_model_name(model),
        output_path=str(paths.onnx),
        options={
            "opset": opset,
            "static": static,
            "trace": trace,
            "mode": mode,
            "input_specs": str(input_specs) if input_specs else None,
        },
        environment=environment(),
        artifacts={
            "onnx": str(paths.onnx),
            "metadata": str(paths.metadata),
            "report": str(paths.report),
            "run_dir": str(paths.run_dir),
        },
    )
    if writers is None:
        writers = default_writers(
            data, quiet=quiet, console=console, store=store, progress=progress, run_name=run_name
        )
    # The run folder holds one run: what an earlier export to the same path left there
    # (its resource samples, torch's log, its trace) would be read as this run's.
    shutil.rmtree(paths.run_dir, ignore_errors=True)
    result = ExportResult(paths, data)
    try:
        with _sigterm_cancels(), ExportMonitor(data, writers) as monitor:
            _run_steps(
                monitor,
                model,
                paths,
                input_specs=input_specs,
                example_inputs=example_inputs,
                opset=opset,
                static=static,
                trace=trace,
                mode=mode,
            )
    except BaseException:
        if report:  # a failed run's report shows where it stopped; never mask the real error
            with contextlib.suppress(Exception):
                result.html_report = _build_html_report(paths)
        raise
    if report:
        try:
            result.html_report = _build_html_report(paths)
        except Exception as exc:
            raise ModelExportError(
                f"the export succeeded ({paths.onnx}) but its HTML report failed: {type(exc).__name__}: {exc}"
            ) from exc
        data.artifacts["html_report"] = str(result.html_report)
    return result


def _build_html_report(paths: ExportPaths) -> Path:
    from modelexport.report import build_report

    return build_report(paths.run_dir, paths.html_report, overwrite=True).index


def _run_steps(
    monitor: ExportMonitor,
    model: Any,
    paths: ExportPaths,
    *,
    input_specs: Any,
    example_inputs: Any,
    opset: int,
    static: bool,
    trace: bool,
    mode: str,
) -> None:
    import torch

    from modelexport.htp import exporter, hierarchy, injection, inputs, models, tagging

    # 1. Model preparation
    with monitor.stage(Step.MODEL_PREP, message="loading model"):
        if isinstance(model, torch.nn.Module):
            loaded = models.LoadedModel(
                model.eval(),
                type(model).__name__,
                "module",
                config=getattr(model, "config", None),
                example_inputs=example_inputs,
            )
        else:
            loaded = models.load_model(str(model))
            if example_inputs is not None:
                loaded.example_inputs = example_inputs
        module = loaded.module
        if loaded.config is not None and hasattr(loaded.config, "use_cache"):
            loaded.config.use_cache = False  # a KV cache output is not part of a static graph
        monitor.update(
            Step.MODEL_PREP,
            ModelPrepData(
                model_name=monitor.data.model_name,
                source=loaded.source,
                model_class=type(module).__name__,
                total_modules=sum(1 for _ in module.modules()),
                total_parameters=sum(p.numel() for p in module.parameters()),
                model_type=getattr(loaded.config, "model_type", None),
                location=loaded.location,
            ),
        )

    # 2. Input generation
    with monitor.stage(Step.INPUT_GEN):
        if input_specs is not None:
            example = inputs.from_specs(inputs.load_input_specs(input_specs), module)
        elif loaded.example_inputs is not None:
            example = inputs.from_example(loaded.example_inputs, module)
        else:
            example = inputs.generate_inputs(module, loaded.config)
        monitor.update(Step.INPUT_GEN, example.data())

    # 3. Hierarchy building (also proves the forward runs on these inputs)
    with monitor.stage(Step.HIERARCHY, message="hooking modules"):
        captured: list[Any] = []

        def run_forward() -> Any:
            try:
                captured.append(example.call(module))
                return captured[-1]
            except Exception as exc:
                raise ForwardError(
                    f"{type(module).__name__}.forward failed on the {example.method} inputs: "
                    f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                    hint="pass --input-specs FILE with inputs the model accepts",
                ) from exc

        tree = hierarchy.build_hierarchy(
            module,
            run_forward,
            on_module=lambda done, total: monitor.advance(Step.HIERARCHY, 1, total=total),
        )
        monitor.update(Step.HIERARCHY, tree)

    # 4. ONNX export
    with monitor.stage(Step.ONNX_EXPORT, message="torch.onnx.export (dynamo)"):
        trace_dir = paths.run_dir / "torch_trace" if trace else None
        outcome = exporter.export_onnx(
            module,
            example,
            opset=opset,
            dynamic=not static,
            trace_dir=trace_dir,
            log_path=paths.run_dir / "torch_export.log",
        )
        for note in outcome.notes:
            monitor.warn(note)
        if outcome.fallback_reason:
            monitor.warn(f"dynamo export failed, used TorchScript: {outcome.fallback_reason}")
        graph = outcome.model.graph
        exporter.name_outputs(graph, captured[0] if captured else None)
        monitor.update(
            Step.ONNX_EXPORT,
            OnnxExportData(
                exporter=outcome.exporter,
                opset=outcome.opset,
                dynamic=outcome.dynamic,
                input_names=[v.name or "" for v in graph.inputs],
                output_names=[v.name or "" for v in graph.outputs],
                outputs=[_value_spec(v) for v in graph.outputs],
                fallback_reason=outcome.fallback_reason,
                node_count=len(graph),
                trace_dir=str(trace_dir) if trace_dir else None,
            ),
        )

    # 5. Node tagging
    with monitor.stage(Step.NODE_TAGGING, total=len(graph)):
        tagging.ensure_unique_names(graph)
        tagged = tagging.tag_nodes(graph, tree)
        monitor.update(Step.NODE_TAGGING, tagged)

    # 6. Tag injection and save
    with monitor.stage(Step.TAG_INJECTION, message="writing ONNX"):
        injected = injection.inject_tags(outcome.model, tagged, mode)
        external, checked = injection.save_model(outcome.model, paths.onnx)
        monitor.data.onnx_export.external_data = external
        monitor.update(
            Step.TAG_INJECTION,
            TagInjectionData(
                mode=mode,
                nodes_tagged=injected.nodes_tagged,
                torch_keys_removed=injected.torch_keys_removed,
                checker_passed=checked,
                output_path=str(paths.onnx),
                output_bytes=paths.onnx.stat().st_size,
                sha256=injection.sha256_file(paths.onnx),
            ),
        )


def _value_spec(value: Any) -> TensorSpec:
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
