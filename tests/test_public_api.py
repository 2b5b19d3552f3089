"""The package's public surface is exactly what `__all__` names, and it loads lazily."""

from __future__ import annotations

import subprocess
import sys

import modelexport

INTENDED = {
    "ExportData",
    "ExportMonitor",
    "ExportResult",
    "Step",
    "StepAwareWriter",
    "__version__",
    "export",
    "step",
}


def test_all_names_exactly_the_intended_public_api() -> None:
    """`__all__` lists the intended names, no more, no fewer."""
    assert set(modelexport.__all__) == INTENDED


def test_every_public_name_resolves() -> None:
    """Each name in `__all__` is importable from the package."""
    for name in modelexport.__all__:
        assert getattr(modelexport, name) is not None


def test_importing_the_package_does_not_import_torch() -> None:
    """`import modelexport` is cheap; torch loads only when export is used."""
    code = "import sys, modelexport; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
