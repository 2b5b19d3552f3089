"""modelexport: PyTorch to ONNX with the module hierarchy intact.

The public surface is exactly `__all__`; heavy parts (torch, onnx) load on
first use, so `import modelexport` and `modelexport --help` stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "ExportData",
    "ExportMonitor",
    "ExportResult",
    "Step",
    "StepAwareWriter",
    "__version__",
    "export",
    "step",
]

_LAZY: dict[str, str] = {
    "export": "modelexport.htp.api",
    "ExportResult": "modelexport.htp.api",
    "ExportMonitor": "modelexport.monitor.monitor",
    "StepAwareWriter": "modelexport.monitor.writer",
    "step": "modelexport.monitor.writer",
    "Step": "modelexport.steps",
    "ExportData": "modelexport.steps",
}

if TYPE_CHECKING:  # pragma: no cover
    from modelexport.htp.api import ExportResult, export
    from modelexport.monitor.monitor import ExportMonitor
    from modelexport.monitor.writer import StepAwareWriter, step
    from modelexport.steps import ExportData, Step


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'modelexport' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
