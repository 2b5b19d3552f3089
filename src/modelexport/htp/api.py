"""`export()`: the six HTP steps under one monitor.

This module sets a run up and tears it down: paths, the run's data, the
writers, SIGTERM, the HTML report. The steps themselves are the pass objects
of `htp.passes`, each a call into its own module (models, inputs, hierarchy,
exporter, tagging, injection); nothing here formats output. Paths are fixed up front
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

from modelexport.errors import ModelExportError, OutputPathError, UsageError
from modelexport.htp.passes import ExportContext, ExportOptions, run_passes
from modelexport.monitor.monitor import Cancelled, ExportMonitor
from modelexport.monitor.writer import StepAwareWriter
from modelexport.steps import (
    ExportData,
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
    options = ExportOptions(
        onnx_path=paths.onnx,
        run_dir=paths.run_dir,
        input_specs=input_specs,
        example_inputs=example_inputs,
        opset=opset,
        static=static,
        trace=trace,
        mode=mode,
    )
    result = ExportResult(paths, data)
    try:
        with _sigterm_cancels(), ExportMonitor(data, writers) as monitor:
            run_passes(monitor, ExportContext(model, options))
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
