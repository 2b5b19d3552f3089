"""Loading an ONNX file for inspection, with the user's mistakes reported as UsageError.

Inspection reads only the graph, so weights stored as external data are left
on disk (`load_external_data=False`); `extract` loads the few it copies.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from modelexport.errors import UsageError

if TYPE_CHECKING:
    import onnx


def load_graph(path: str | Path) -> onnx.ModelProto:
    """Load a model's graph without its external weights; a bad path is a UsageError."""
    import onnx
    from google.protobuf.message import DecodeError

    path = Path(path)
    if not path.exists():
        raise UsageError(f"no such file: {path}")
    if not path.is_file():
        raise UsageError(f"not a file: {path}")
    try:
        return onnx.load(str(path), load_external_data=False)
    except (DecodeError, onnx.onnx_cpp2py_export.checker.ValidationError, ValueError, RuntimeError) as exc:
        raise UsageError(f"{path} is not a readable ONNX model: {exc}") from None
