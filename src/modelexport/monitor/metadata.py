"""`MetadataWriter`: the `<stem>_htp_metadata.json` sidecar of an export.

The sidecar is the machine-readable record of a run: the export context, the
model, its inputs and outputs, the whole module tree, every ONNX node's
module, per-step timings and the statistics. It follows the JSON Schema
shipped at `modelexport/schemas/htp_metadata.schema.json` (`metadata_schema()`,
`modelexport schema`). It is written once, atomically, when the run ends,
whether it completed, failed or was cancelled, so a failed run still tells
what it got to. `load_metadata` is the reader other tools use (`analyze`
reads the `nodes` map of an export made with `--clean`).
"""

from __future__ import annotations

import functools
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from modelexport._atomic import atomic_open
from modelexport._format import iso
from modelexport.errors import UsageError
from modelexport.monitor._summary import (
    module_counts,
    module_record,
    record_or_pending,
    statistics,
    step_record,
    steps_of,
)
from modelexport.monitor.writer import StepAwareWriter
from modelexport.steps import ExportData, Step, to_jsonable

METADATA_SCHEMA_VERSION = 1
SCHEMA_RESOURCE = "schemas/htp_metadata.schema.json"


class MetadataError(UsageError):
    """A file given as export metadata is missing, not JSON, or not a modelexport sidecar."""


@functools.cache
def _schema_text() -> str:
    return (resources.files("modelexport") / SCHEMA_RESOURCE).read_text(encoding="utf-8")


def metadata_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every metadata file follows; a fresh copy each call."""
    return json.loads(_schema_text())


def metadata_schema_text() -> str:
    """The schema as shipped, for printing."""
    return _schema_text()


def _generator_version() -> str:
    from modelexport import __version__

    return __version__


def build_metadata(data: ExportData) -> dict[str, Any]:
    """The metadata document for `data` as it stands (complete, failed or partial)."""
    input_gen = data.input_gen
    onnx_export = data.onnx_export
    export_section = None
    if onnx_export is not None:
        export_section = to_jsonable(onnx_export)
        export_section.pop("outputs", None)
    counts = module_counts(data)
    modules = data.hierarchy.modules if data.hierarchy else []
    nodes = data.node_tagging.nodes if data.node_tagging else []
    return {
        "schema_version": METADATA_SCHEMA_VERSION,
        "generator": {"name": "modelexport", "version": _generator_version()},
        "export_context": {
            "run_id": data.run_id,
            "command": data.command,
            "model_name": data.model_name,
            "output_path": data.output_path,
            "started_at": iso(data.started_at),
            "finished_at": iso(data.finished_at),
            "elapsed_s": round(max(data.elapsed_s, 0.0), 6),
            "status": data.status.value,
            "error": data.error,
            "error_type": data.error_type,
            "options": to_jsonable(data.options),
            "environment": {str(k): str(v) for k, v in data.environment.items()},
        },
        "model": to_jsonable(data.model_prep),
        "inputs": None
        if input_gen is None
        else {
            "method": input_gen.method,
            "modality": input_gen.modality,
            "tensors": to_jsonable(input_gen.inputs),
        },
        "outputs": to_jsonable(onnx_export.outputs) if onnx_export else [],
        "export": export_section,
        "tag_injection": to_jsonable(data.tag_injection),
        "modules": [module_record(m, counts[m.path]) for m in modules],
        "nodes": {
            n.name: {"op_type": n.op_type, "tag": n.tag, "module_path": n.module_path, "source": n.source}
            for n in nodes
        },
        "steps": {s.value: step_record(record_or_pending(data, s)) for s in steps_of(data)},
        "statistics": statistics(data),
        "artifacts": {str(k): str(v) for k, v in data.artifacts.items()},
        "warnings": [str(w) for w in data.warnings],
    }


def write_metadata(path: str | os.PathLike[str], data: ExportData) -> Path:
    """Write the metadata of `data` to `path` atomically: all of it or nothing."""
    target = Path(path)
    document = build_metadata(data)
    with atomic_open(target, "w") as handle:
        # Streamed: a value that cannot be serialized (NaN) fails mid-file, in the temporary
        # file. Objects such as paths in `options` are written as their str().
        json.dump(document, handle, indent=2, ensure_ascii=False, allow_nan=False, default=str)
        handle.write("\n")
    return target


def load_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a metadata file; raise MetadataError saying what is wrong and what to pass instead."""
    source = Path(path)
    if not source.is_file():
        raise MetadataError(
            f"{source} does not exist; pass the <stem>_htp_metadata.json an export wrote next to its .onnx"
        )
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MetadataError(f"{source} is not valid JSON ({exc})") from exc
    if not isinstance(document, dict) or "schema_version" not in document:
        raise MetadataError(f"{source} is not modelexport metadata (no schema_version)")
    version = document["schema_version"]
    if not isinstance(version, int) or version > METADATA_SCHEMA_VERSION:
        raise MetadataError(
            f"{source} has metadata schema version {version!r}; this "
            f"modelexport reads up to {METADATA_SCHEMA_VERSION}, upgrade it"
        )
    if not isinstance(document.get("nodes"), dict) or not isinstance(document.get("modules"), list):
        raise MetadataError(f"{source} is modelexport metadata without its nodes or modules")
    return document


def metadata_path_for(onnx_path: str | os.PathLike[str]) -> Path:
    """Where an export puts the sidecar of `onnx_path`: `<stem>_htp_metadata.json` beside it."""
    onnx = Path(onnx_path)
    return onnx.with_name(f"{onnx.stem}_htp_metadata.json")


class MetadataWriter(StepAwareWriter):
    """Writes the metadata sidecar when the run ends; step events only update its state."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        self._override = Path(path) if path is not None else None
        self.path: Path | None = self._override
        self.written = False

    def start(self, data: ExportData) -> None:
        self.path = self._target(data)

    def _target(self, data: ExportData) -> Path:
        if self._override is not None:
            return self._override
        if "metadata" in data.artifacts:
            return Path(data.artifacts["metadata"])
        return metadata_path_for(data.output_path)

    def _write_default(self, export_step: Step, data: ExportData) -> int:
        # Everything is read from `data` at the end; nothing to buffer per step.
        return 0

    def finish(self, data: ExportData) -> None:
        target = self._target(data)
        self.path = target
        write_metadata(target, data)
        self.written = True
