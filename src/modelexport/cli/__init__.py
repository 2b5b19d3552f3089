"""The `modelexport` command line: a thin Typer app over the library.

Each command group lives in its own module and registers itself; none imports
torch at module level, so `modelexport --help` stays fast.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from modelexport.cli._common import State

app = typer.Typer(
    name="modelexport",
    help="Export PyTorch models to ONNX with their module hierarchy intact, and watch it live.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

#: Command modules, each with `register(app)`.
COMMAND_MODULES: tuple[str, ...] = (
    "modelexport.cli.export",
    "modelexport.cli.inspect",
    "modelexport.cli.schema",
    "modelexport.cli.monitor",
    "modelexport.cli.report",
)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show tracebacks on errors."),
) -> None:
    State.verbose = verbose


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register_all()


def main() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    app(prog_name="modelexport")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
