"""The `analyze`, `extract` and `compare` commands through the real Typer app."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from modelexport.analysis.tree import load_tree
from modelexport.cli import app


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


@pytest.mark.parametrize("command", ["analyze", "extract", "compare"])
def test_help(cli, command):
    """Every command's --help works and exits 0."""
    result = cli(command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_analyze_text(cli, models):
    """The default output is the tree with its summary line."""
    result = cli("analyze", models["tagged"], "--max-depth", "3")
    assert result.exit_code == 0, result.output
    total = load_tree(models["tagged"]).total_nodes
    assert f"tagged.onnx: {total} nodes" in result.stdout
    assert "attention (SelfAttention)" in result.stdout
    assert "query" not in result.stdout


def test_analyze_json_and_csv(cli, models):
    """--format json and csv are machine-readable with one row per module."""
    as_json = json.loads(cli("analyze", models["clean"], "--format", "json").stdout)
    rows = list(csv.DictReader(io.StringIO(cli("analyze", models["clean"], "-f", "csv").stdout)))
    assert len(rows) == len(as_json["modules"]) == len(load_tree(models["clean"]).modules)
    assert sum(int(r["direct_nodes"]) for r in rows) == as_json["total_nodes"]


def test_analyze_with_metadata_option(cli, models):
    """--metadata reads tags from a sidecar given explicitly."""
    sidecar = models["clean"].with_name("clean_htp_metadata.json")
    result = cli("analyze", models["untagged"], "--metadata", sidecar, "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["source"] == "sidecar"


def test_extract(cli, models, tmp_path):
    """extract writes the part and names its inputs and outputs."""
    part = tmp_path / "part.onnx"
    result = cli("extract", models["tagged"], "--module", "layer.0.attention", "-o", part)
    assert result.exit_code == 0, result.output
    assert part.is_file()
    assert "inputs:  embedding" in result.stdout


def test_extract_default_output_name(cli, models, tmp_path):
    """Without -o the part goes beside the model, named after the module."""
    import shutil

    model = tmp_path / "m.onnx"
    shutil.copy(models["tagged"], model)
    assert cli("extract", model, "--module", "head").exit_code == 0
    assert (tmp_path / "m.head.onnx").is_file()


def test_compare(cli, models):
    """compare exits 0 and shows the changed module, in text and JSON."""
    text = cli("compare", models["tagged"], models["changed"])
    assert text.exit_code == 0, text.output
    assert "head" in text.stdout and "Identity" in text.stdout
    document = json.loads(cli("compare", models["tagged"], models["changed"], "-f", "json").stdout)
    assert document["modules"][0]["ops"] == {"Identity": {"a": 0, "b": 1}}


@pytest.mark.parametrize(
    "args, message",
    [
        (("analyze", "{untagged}"), "no hierarchy tags"),
        (("analyze", "{missing}"), "no such file"),
        (("analyze", "{tagged}", "--metadata", "{missing}"), "does not exist"),
        (("extract", "{tagged}", "--module", "layer.0.atention", "-o", "{out}"), "did you mean"),
        (("extract", "{untagged}", "--module", "head", "-o", "{out}"), "no hierarchy tags"),
        (("extract", "{missing}", "--module", "head", "-o", "{out}"), "no such file"),
        (("compare", "{tagged}", "{untagged}"), "no hierarchy tags"),
        (("compare", "{missing}", "{tagged}"), "no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, models, tmp_path, args, message):
    """Every bad input gives exit 2 and a single error line, no traceback, no output file."""
    names = {
        **{k: str(v) for k, v in models.items()},
        "missing": str(tmp_path / "missing.onnx"),
        "out": str(tmp_path / "out.onnx"),
    }
    result = cli(*(a.format(**names) for a in args))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.onnx").exists()
