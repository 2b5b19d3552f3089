"""`modelexport report` through the real Typer app, and the loopback server."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelexport.cli import app
from modelexport.report import build_report
from modelexport.report.serve import make_server, serve_root, start_in_thread, url_for


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args: object):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


def test_help_lists_the_options(cli) -> None:
    """`report --help` works and names every option."""
    result = cli("report", "--help")
    assert result.exit_code == 0, result.output
    for option in (
        "--output",
        "--modules",
        "--skip-modules",
        "--overwrite",
        "--serve",
        "--port",
        "--no-browser",
    ):
        assert option in result.output


def test_report_prints_the_index_path(cli, synthetic_run: Path) -> None:
    """A run folder gives exit 0 and the path of index.html."""
    result = cli("report", synthetic_run)
    assert result.exit_code == 0, result.output
    index = synthetic_run.parent / "tiny.report" / "index.html"
    assert f"report: {index}" in result.stdout.replace("\n", "")
    assert index.exists()


def test_report_accepts_the_onnx_path_and_output_dir(cli, synthetic_run: Path, tmp_path: Path) -> None:
    """`report tiny.onnx -o DIR --modules summary` writes only the summary into DIR."""
    out = tmp_path / "elsewhere"
    result = cli("report", synthetic_run.parent / "tiny.onnx", "-o", out, "--modules", "summary")
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text()
    assert 'id="m-summary"' in page and 'id="m-ops"' not in page


def test_existing_report_needs_overwrite(cli, synthetic_run: Path) -> None:
    """A second run without --overwrite exits 2 and says how to replace it."""
    assert cli("report", synthetic_run).exit_code == 0
    second = cli("report", synthetic_run)
    assert second.exit_code == 2
    assert "--overwrite" in second.output
    assert cli("report", synthetic_run, "--overwrite").exit_code == 0


@pytest.mark.parametrize("case", ["not-a-run", "newer-version", "missing", "bad-module"])
def test_bad_input_exits_2_with_one_line(cli, synthetic_run: Path, tmp_path: Path, case: str) -> None:
    """Not a run, a newer manifest, a missing path, an unknown module: exit 2, no traceback."""
    target: Path = synthetic_run
    extra: list[str] = []
    if case == "not-a-run":
        target = tmp_path / "plain"
        target.mkdir()
    elif case == "newer-version":
        manifest = synthetic_run / "manifest.json"
        manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format_version": 42}))
    elif case == "missing":
        target = tmp_path / "nowhere.run"
    else:
        extra = ["--modules", "summary,nope"]
    result = cli("report", target, *extra)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error:") and "Traceback" not in result.output


def test_corrupt_lines_are_reported_as_a_warning(cli, synthetic_run: Path) -> None:
    """Skipped lines are named on stderr; the report is still written."""
    with (synthetic_run / "events.jsonl").open("a") as handle:
        handle.write('{"kind": "step_st')
    result = cli("report", synthetic_run)
    assert result.exit_code == 0
    assert "events.jsonl: 1 corrupt line(s) skipped" in result.output


def test_server_serves_report_and_downloads(synthetic_run: Path) -> None:
    """The loopback server serves index.html, the chunks and the run's files."""
    built = build_report(synthetic_run)
    root = serve_root(built.out_dir, synthetic_run)
    server = make_server(root)
    start_in_thread(server)
    try:
        url = url_for(server, root, built.index)
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert b'id="m-hierarchy"' in resp.read()
        base = url.rsplit("/", 1)[0]
        with urllib.request.urlopen(f"{base}/data/ops/per_module.js", timeout=5) as resp:
            assert resp.read().startswith(b"ModelExportReport.chunk(")
        with urllib.request.urlopen(f"{base}/../tiny.run/manifest.json", timeout=5) as resp:
            assert json.loads(resp.read())["format"] == "modelexport-intermediate"
    finally:
        server.shutdown()
        server.server_close()


def test_server_root_never_widens_past_the_reports_parent(tmp_path: Path) -> None:
    """Beside the run, the shared parent is served; far from it, only the report folder."""
    run = tmp_path / "a" / "m.run"
    assert serve_root(tmp_path / "a" / "m.report", run) == tmp_path / "a"
    far = tmp_path / "b" / "c" / "m.report"
    assert serve_root(far, run) == far


def test_serve_on_a_busy_port_exits_2(cli, synthetic_run: Path) -> None:
    """A port already taken is a usage error naming the port, not a traceback."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("report", synthetic_run, "--serve", "--no-browser", "--port", port)
    assert result.exit_code == 2, result.output
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
