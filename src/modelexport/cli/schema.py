"""`modelexport schema`: print or save the JSON Schema of the export metadata file.

Tools that read `<stem>_htp_metadata.json` validate against this schema; it
is the one shipped in the package, printed verbatim.
"""

from __future__ import annotations

from pathlib import Path

import typer

from modelexport.cli._common import fail


def schema(
    output: Path | None = typer.Option(
        None, "--output", "-o", dir_okay=False, help="Write the schema to this file instead of printing it."
    ),
) -> None:
    """Print the JSON Schema (draft 2020-12) of the export metadata file."""
    from modelexport._atomic import write_text_atomic
    from modelexport.monitor.metadata import metadata_schema_text

    text = metadata_schema_text()
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    try:
        write_text_atomic(output, text)
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}", 2) from None
    typer.echo(f"wrote {output}", err=True)


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)
