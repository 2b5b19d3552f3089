"""`modelexport export MODEL -o OUT.onnx`: the HTP export from the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from modelexport.cli._common import run_guarded, stdout_console


def export_command(
    model: str = typer.Argument(
        ...,
        help="A Hugging Face folder, a cached hub id, a registered name "
        "(all-MiniLM-L6-v2), or package.module:factory / path.py:factory.",
    ),
    output: Path = typer.Option(..., "--output", "-o", help="The ONNX file to write."),
    input_specs: Path | None = typer.Option(
        None, "--input-specs", help="JSON file of inputs: name, shape, dtype, range, dynamic_axes."
    ),
    opset: int = typer.Option(18, "--opset", min=7, max=23, help="ONNX opset version."),
    static: bool = typer.Option(False, "--static", help="Freeze batch and sequence axes."),
    trace: bool = typer.Option(
        False, "--trace", help="Keep the TORCH_TRACE log of the export in the run folder."
    ),
    clean: bool = typer.Option(
        False, "--clean", help="Write no node metadata (tags stay in the sidecar JSON)."
    ),
    keep_torch_metadata: bool = typer.Option(
        False, "--keep-torch-metadata", help="Keep the exporter's own node metadata too."
    ),
    report: bool = typer.Option(False, "--report", help="Build the HTML report at the end."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    store: str | None = typer.Option(
        None,
        "--store",
        envvar="MODELEXPORT_STORE",
        help="Progress store URL (default: SQLite under $XDG_STATE_HOME/modelexport).",
    ),
    name: str | None = typer.Option(None, "--name", help="Run name shown by `modelexport monitor`."),
) -> None:
    """Export MODEL to ONNX with every node tagged with the module that produced it."""
    from modelexport.htp.api import export

    result = run_guarded(
        export,
        model,
        output,
        input_specs=input_specs,
        opset=opset,
        static=static,
        trace=trace,
        clean=clean,
        keep_torch_metadata=keep_torch_metadata,
        report=report,
        quiet=quiet,
        store=store,
        run_name=name,
    )
    if result.html_report is not None and not quiet:
        stdout_console().print(f"HTML report: {result.html_report}")


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
