"""`modelexport report RUN`: render a run folder into a static site, optionally serve it."""

from __future__ import annotations

from pathlib import Path

import typer

from modelexport.cli._common import fail, run_guarded, stderr_console, stdout_console


def _split(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def report(
    run: Path = typer.Argument(..., help="The run folder (model.run/) or the .onnx beside it."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Report folder (default: <stem>.report/ beside the run)."
    ),
    modules: str | None = typer.Option(
        None, "--modules", help="Only these modules, comma-separated (e.g. summary,ops)."
    ),
    skip_modules: str | None = typer.Option(
        None, "--skip-modules", help="Leave out these modules, comma-separated."
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace the report folder if it is not empty."
    ),
    serve: bool = typer.Option(False, "--serve", help="Serve the report on 127.0.0.1 until Ctrl-C."),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="Port for --serve (0: any free port)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="With --serve, do not open a browser."),
) -> None:
    """Build the HTML report of a run: summary, module hierarchy, op statistics, resources.

    The report opens straight from disk (file://) or, with --serve, over a
    loopback HTTP server.
    """
    from modelexport.report import build_report, resolve_run_dir

    run_dir = run_guarded(resolve_run_dir, run)
    result = run_guarded(
        build_report,
        run_dir,
        output,
        modules=_split(modules),
        skip_modules=_split(skip_modules),
        overwrite=overwrite,
    )
    out = stdout_console()
    err = stderr_console()
    for m in result.failed:
        err.print(f"[yellow]warning:[/] module {m.id} failed: {m.detail}", markup=True, highlight=False)
    for name, count in result.bad_lines.items():
        err.print(
            f"[yellow]warning:[/] {name}: {count} corrupt line(s) skipped", markup=True, highlight=False
        )
    out.print(f"report: {result.index}", markup=False)
    if serve:
        _serve(run_dir, result.index, port, open_browser=not no_browser)


def _serve(run_dir: Path, index: Path, port: int, *, open_browser: bool) -> None:
    import webbrowser

    from modelexport.report.serve import make_server, serve_root, url_for

    root = serve_root(index.parent, run_dir)
    try:
        server = make_server(root, port)
    except OSError as exc:
        raise fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}", 2) from None
    url = url_for(server, root, index)
    print(f"serving {url} (Ctrl-C to stop)", flush=True)
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        server.server_close()


def register(app: typer.Typer) -> None:
    app.command("report")(report)
