"""`modelexport schema`: prints or saves the metadata JSON schema."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from modelexport.cli import app
from modelexport.monitor.metadata import metadata_schema

runner = CliRunner()


def test_schema_prints_the_shipped_schema() -> None:
    """With no option the schema goes to stdout as JSON, exactly the shipped one."""
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == metadata_schema()


def test_schema_output_option_writes_the_file(tmp_path: Path) -> None:
    """-o FILE writes the schema there and prints nothing on stdout."""
    target = tmp_path / "sub" / "htp_metadata.schema.json"
    result = runner.invoke(app, ["schema", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text()) == metadata_schema()
    assert result.stdout == ""


def test_schema_unwritable_output_is_a_usage_error(tmp_path: Path) -> None:
    """An output path inside a file cannot be written: exit 2 and one error line."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(app, ["schema", "-o", str(blocker / "schema.json")])
    assert result.exit_code == 2
    assert "cannot write" in result.stderr
    assert "Traceback" not in result.output


def test_schema_help() -> None:
    """--help describes the command and the -o option."""
    result = runner.invoke(app, ["schema", "--help"])
    assert result.exit_code == 0
    assert "JSON Schema" in result.stdout and "--output" in result.stdout
