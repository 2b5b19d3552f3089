"""Step 4: PyTorch to ONNX, dynamo first, TorchScript when dynamo cannot.

The dynamo exporter (`torch.onnx.export(..., dynamo=True)`) records, for every
node, the module stack it came from (`pkg.torch.onnx.name_scopes`), which is
what makes direct tagging possible. When it fails, the TorchScript exporter
takes over and the reason is kept; its node names carry the scope path
instead. Dynamic batch and sequence axes come from the input specs unless
`static`. `trace_dir` keeps the TORCH_TRACE structured log of the export.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import onnx_ir as ir
import torch

from modelexport.errors import ExportFailedError
from modelexport.htp.inputs import ExampleInputs

DEFAULT_OPSET = 18
#: The newest opset the TorchScript exporter writes.
TORCHSCRIPT_MAX_OPSET = 20


@dataclass
class ExportOutcome:
    """The exported model, in memory, and how it was made."""

    model: ir.Model
    exporter: str
    dynamic: bool
    opset: int
    fallback_reason: str | None = None
    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def torch_trace(directory: Path | None) -> Iterator[None]:
    """Route torch's structured trace log (what TORCH_TRACE enables) into `directory`."""
    if directory is None:
        yield
        return
    from torch._logging import _internal as torch_logging

    directory.mkdir(parents=True, exist_ok=True)
    handler = torch_logging.LazyTraceHandler(str(directory))
    handler.setFormatter(torch_logging.TorchLogsFormatter(trace=True))
    trace_log = torch_logging.trace_log
    previous_level = trace_log.level
    trace_log.addHandler(handler)
    trace_log.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        trace_log.removeHandler(handler)
        trace_log.setLevel(previous_level)
        handler.close()


@contextlib.contextmanager
def _recorded_warnings(notes: list[str]) -> Iterator[None]:
    """Keep the exporter's warnings off the terminal; its UserWarnings go (once each) to `notes`.

    The run records `notes` as warnings. Prints and log lines are handled by
    `export_onnx`, which sends them to torch's log of the attempt.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        if issubclass(warning.category, UserWarning) and not _is_benign(str(warning.message)):
            text = f"torch: {str(warning.message).strip().lstrip('# ')}"
            if text not in notes:
                notes.append(text)


#: Exporter warnings that say nothing about the result: naming every input's first axis
#: "batch" makes torch report that the shared name is used once.
_BENIGN_WARNINGS = ("will not be used, since it shares the same shape constraints",)


def _is_benign(message: str) -> bool:
    return any(text in message for text in _BENIGN_WARNINGS)


def _dynamic_shapes(inputs: ExampleInputs) -> dict[str, Any] | tuple[Any, ...] | None:
    by_name = {spec.name: spec.dynamic_axes for spec in inputs.specs}
    if not any(by_name.values()):
        return None
    if inputs.args:
        names = [spec.name for spec in inputs.specs]
        return tuple(
            (dict(by_name.get(names[i], {})) or None) if isinstance(arg, torch.Tensor) else None
            for i, arg in enumerate(inputs.args)
        )
    return {
        name: (dict(by_name.get(name, {})) or None) if isinstance(value, torch.Tensor) else None
        for name, value in inputs.kwargs.items()
    }


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in _ANSI.sub("", str(exc)).splitlines() if line.strip()]
    return lines[0][:300] if lines else ""


def _short(exc: BaseException) -> str:
    """`Outer: message (caused by Inner: message)`, the innermost cause being the useful part."""
    root = exc
    while root.__cause__ is not None and root.__cause__ is not root:
        root = root.__cause__
    text = f"{type(exc).__name__}: {_first_line(exc)}"
    if root is not exc:
        text += f" (caused by {type(root).__name__}: {_first_line(root)})"
    return text


def _export_dynamo(
    module: torch.nn.Module, inputs: ExampleInputs, opset: int, dynamic: bool, notes: list[str]
) -> ir.Model:
    shapes = _dynamic_shapes(inputs) if dynamic else None
    with _recorded_warnings(notes):
        program = torch.onnx.export(
            module,
            inputs.args,
            kwargs=inputs.kwargs or None,
            dynamo=True,
            opset_version=opset,
            dynamic_shapes=shapes,
            optimize=True,
            verbose=False,
        )
    if program is None:  # pragma: no cover - dynamo always returns a program
        raise RuntimeError("the dynamo exporter returned no program")
    return program.model


def _positional(module: torch.nn.Module, inputs: ExampleInputs) -> tuple[tuple[Any, ...], list[str]]:
    """The TorchScript exporter wants positional tensors in forward's order."""
    if inputs.args:
        return inputs.args, [spec.name for spec in inputs.specs]
    params = [
        n
        for n, p in inspect.signature(module.forward).parameters.items()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    wanted = [name for name in params if name in inputs.kwargs]
    last = max((params.index(n) for n in wanted), default=-1)
    args = tuple(inputs.kwargs.get(name) for name in params[: last + 1])
    return args, [name for name in params[: last + 1] if inputs.kwargs.get(name) is not None]


def _export_torchscript(
    module: torch.nn.Module, inputs: ExampleInputs, opset: int, dynamic: bool, workdir: Path, notes: list[str]
) -> ir.Model:
    args, names = _positional(module, inputs)
    axes = {s.name: dict(s.dynamic_axes) for s in inputs.specs if s.dynamic_axes} if dynamic else None
    target = workdir / "torchscript.onnx"
    with _recorded_warnings(notes):
        torch.onnx.export(
            module,
            args,
            str(target),
            dynamo=False,
            input_names=names,
            dynamic_axes=axes or None,
            opset_version=min(opset, TORCHSCRIPT_MAX_OPSET),
            do_constant_folding=True,
        )
    return ir.load(str(target))


@contextlib.contextmanager
def _captured_torch_log(sink: io.StringIO) -> Iterator[None]:
    """Send torch's log lines (graph dumps of a failed export, guard warnings) to `sink`.

    torch logs through handlers on the `torch` logger that write to stderr;
    while the export runs they are raised above CRITICAL and a handler of ours
    collects the same records, to be kept in the run folder when they matter.
    """
    # torch gives several of its loggers their own stderr handler (and no propagation).
    loggers = [
        logger
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
        and logger.handlers
        and (name == "torch" or name.startswith("torch."))
    ]
    saved = [(handler, handler.level) for logger in loggers for handler in logger.handlers]
    capture = logging.StreamHandler(sink)
    capture.setLevel(logging.WARNING)
    capture.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    for handler, _ in saved:
        handler.setLevel(logging.CRITICAL + 1)
    for logger in loggers:
        logger.addHandler(capture)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(capture)
        for handler, level in saved:
            handler.setLevel(level)


def export_onnx(
    module: torch.nn.Module,
    inputs: ExampleInputs,
    *,
    opset: int = DEFAULT_OPSET,
    dynamic: bool = True,
    trace_dir: Path | None = None,
    workdir: Path | None = None,
    log_path: Path | None = None,
) -> ExportOutcome:
    """Export with dynamo; on failure retry static (if dynamic), then fall back to TorchScript.

    torch's own log of the attempt is written to `log_path` when dynamo failed
    (that is where the reason is spelled out). Raises ExportFailedError naming
    both exporters' errors when neither works.
    """
    log = io.StringIO()
    try:
        with _captured_torch_log(log), contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            outcome = _export_with_fallback(module, inputs, opset, dynamic, trace_dir, workdir)
    except ExportFailedError as exc:
        if log_path is not None and _keep_log(log, log_path):
            exc.hint = f"torch's log of the attempts: {log_path}"
        raise
    fell_back = outcome.fallback_reason is not None or (dynamic and not outcome.dynamic)
    if fell_back and log_path is not None and _keep_log(log, log_path):
        outcome.notes.append(f"torch's log of the failed attempt: {log_path}")
    return outcome


def _keep_log(log: io.StringIO, path: Path) -> bool:
    text = log.getvalue()
    if not text.strip():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def _export_with_fallback(
    module: torch.nn.Module,
    inputs: ExampleInputs,
    opset: int,
    dynamic: bool,
    trace_dir: Path | None,
    workdir: Path | None,
) -> ExportOutcome:
    notes: list[str] = []
    with torch_trace(trace_dir):
        try:
            model = _export_dynamo(module, inputs, opset, dynamic, notes)
            return ExportOutcome(model, "dynamo", dynamic, opset, notes=notes)
        except Exception as exc:
            dynamo_error = _short(exc)
        has_dynamic_axes = any(spec.dynamic_axes for spec in inputs.specs)
        if dynamic and has_dynamic_axes:
            try:
                model = _export_dynamo(module, inputs, opset, False, notes)
                notes.append(f"dynamic shapes failed ({dynamo_error}); exported with static shapes")
                return ExportOutcome(model, "dynamo", False, opset, notes=notes)
            except Exception:
                pass
        own_workdir = workdir is None
        work = Path(tempfile.mkdtemp(prefix="modelexport-ts-")) if own_workdir else workdir
        try:
            model = _export_torchscript(module, inputs, opset, dynamic, work, notes)
            used = min(opset, TORCHSCRIPT_MAX_OPSET)
            return ExportOutcome(
                model, "torchscript", dynamic, used, fallback_reason=dynamo_error, notes=notes
            )
        except Exception as exc:
            ts_error = _short(exc)
        finally:
            if own_workdir:
                for child in work.iterdir():
                    child.unlink()
                os.rmdir(work)
    raise ExportFailedError(
        f"both exporters failed: dynamo: {dynamo_error}; torchscript: {ts_error}",
        hint="try --static or another --opset",
    )


def output_names(output: Any) -> list[str]:
    """Names for a forward's flattened outputs: dict keys (ModelOutput fields) or output_<i>."""
    if isinstance(output, torch.Tensor):
        return ["output"]
    if isinstance(output, dict):
        names: list[str] = []
        for key, value in output.items():
            inner = output_names(value)
            if inner == ["output"]:
                names.append(str(key))
            else:
                names.extend(f"{key}.{name}" for name in inner)
        return names
    if isinstance(output, list | tuple):
        names = []
        for index, value in enumerate(output):
            inner = output_names(value)
            names.extend(
                [f"output_{index}"] if inner == ["output"] else [f"output_{index}.{name}" for name in inner]
            )
        return names
    return []


def name_outputs(graph: ir.Graph, output: Any) -> None:
    """Rename the graph outputs after the forward's own names (`last_hidden_state`).

    Exporters name outputs after internal ops (`layer_norm_12`); users look
    them up by the names the model's output uses. Skipped when the counts
    differ or a name would clash.
    """
    names = output_names(output)
    outputs = list(graph.outputs)
    if len(names) != len(outputs) or len(set(names)) != len(names):
        return
    taken = {v.name for v in graph.inputs} | {v.name for v in graph.initializers.values()}
    if any(name in taken for name in names):
        return
    existing = {value.name for node in graph for value in node.outputs} - {v.name for v in outputs}
    if any(name in existing for name in names):
        return
    for value, name in zip(outputs, names, strict=True):
        value.name = name
