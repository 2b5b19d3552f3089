"""Every command answers --help, and --help loads none of the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

from modelexport.cli import app

COMMAND = typer.main.get_command(app)
PATHS = [[name] for name in COMMAND.commands] + [
    ["monitor", sub] for sub in COMMAND.commands["monitor"].commands
]


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_every_command_has_help(path: list[str]) -> None:
    """`modelexport <command> --help` exits 0 and shows a usage line."""
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.stderr
    assert "Usage:" in result.stdout


def test_the_expected_commands_are_registered() -> None:
    """The CLI offers the export, inspection, schema, report and monitor commands."""
    assert {"export", "analyze", "extract", "compare", "schema", "report", "monitor"} <= set(COMMAND.commands)


def test_help_imports_no_heavy_library() -> None:
    """--help stays fast: torch, onnx, onnxruntime and transformers are not imported."""
    code = (
        "import sys; from modelexport.cli import main; sys.argv=['modelexport','export','--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch','onnx','onnxruntime','transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_unknown_command_is_a_usage_error() -> None:
    """A command that does not exist exits 2."""
    assert CliRunner().invoke(app, ["exprot"]).exit_code == 2
