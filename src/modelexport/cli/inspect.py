"""`analyze`, `extract` and `compare`: looking at an export from the command line.

Thin by design: each command parses its options, calls `modelexport.analysis`
through `run_guarded` (so bad input is one line and exit 2), and prints.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from modelexport.cli._common import run_guarded, stdout_console


class TreeFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


class DiffFormat(StrEnum):
    text = "text"
    json = "json"


def analyze(
    model: Path = typer.Argument(..., help="An ONNX file exported by modelexport."),
    fmt: TreeFormat = typer.Option(
        TreeFormat.text, "--format", "-f", help="text (a tree), json or csv (one row per module)."
    ),
    max_depth: int | None = typer.Option(
        None, "--max-depth", "-d", min=0, help="Show modules down to this depth (root is 0)."
    ),
    metadata: Path | None = typer.Option(
        None,
        "--metadata",
        "-m",
        help="Sidecar JSON to read tags from (default: <stem>_htp_metadata.json beside MODEL).",
    ),
) -> None:
    """Show the module tree with direct and subtree node counts and op types."""
    from modelexport.analysis import load_tree, render

    tree = run_guarded(load_tree, model, metadata)
    if fmt is TreeFormat.json:
        sys.stdout.write(render.to_json(tree, max_depth))
    elif fmt is TreeFormat.csv:
        sys.stdout.write(render.to_csv(tree, max_depth))
    else:
        console = stdout_console()
        if not console.is_terminal:
            console.width = max(console.width, render.required_width(tree, max_depth))
        console.print(render.to_rich(tree, max_depth))


def extract(
    model: Path = typer.Argument(..., help="An ONNX file exported by modelexport."),
    module: str = typer.Option(
        ..., "--module", "-M", help="Dotted module path (encoder.layer.0) or hierarchy tag."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Where to write the part (default: <stem>.<module>.onnx beside MODEL)."
    ),
    metadata: Path | None = typer.Option(None, "--metadata", "-m", help="Sidecar JSON to read tags from."),
) -> None:
    """Write one module's subgraph as a standalone ONNX model."""
    from modelexport.analysis import extract_module

    target = output or model.with_name(f"{model.stem}.{_slug(module)}.onnx")
    result = run_guarded(extract_module, model, module, target, metadata=metadata)
    console = stdout_console()
    console.print(
        f"[bold]{result.module_path or '(root)'}[/]: {result.nodes} nodes, "
        f"{len(result.inputs)} inputs, {len(result.outputs)} outputs, "
        f"{result.initializers} initializers -> {result.output}",
        markup=True,
        soft_wrap=True,
    )
    console.print(f"  inputs:  {', '.join(result.inputs) or '-'}", soft_wrap=True)
    console.print(f"  outputs: {', '.join(result.outputs)}", soft_wrap=True)


def _slug(module: str) -> str:
    return module.strip("/").replace("/", ".") or "root"


def compare(
    a: Path = typer.Argument(..., help="The first exported ONNX file."),
    b: Path = typer.Argument(..., help="The second exported ONNX file."),
    fmt: DiffFormat = typer.Option(DiffFormat.text, "--format", "-f", help="text or json."),
) -> None:
    """Show per-module node count and op-type differences between two exports."""
    from modelexport.analysis import compare_models, render

    diff = run_guarded(compare_models, a, b)
    if fmt is DiffFormat.json:
        sys.stdout.write(render.diff_to_json(diff))
    else:
        console = stdout_console()
        if not console.is_terminal:
            console.width = max(console.width, 160)
        console.print(render.diff_to_rich(diff))


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
    app.command("extract")(extract)
    app.command("compare")(compare)
