"""The report in a real browser: Debian's chromium driven by Playwright.

Opens the report from file:// and through `modelexport report --serve`,
expands a module of the hierarchy, waits for its nodes, and checks the console
stayed clean; the same for the report of a failed run. Screenshots land in the
test's tmp folder (and in $REPORT_SCREENSHOTS when set, to look at them).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelexport.report import build_report
from modelexport.report.synthetic import write_synthetic_run
from tests.conftest import in_ci
from tests.report.conftest import copy_minilm_run

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium (or `make browser`)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.errors = []  # console errors, page errors and failed requests
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("requestfailed", lambda r: pg.errors.append(f"request failed: {r.url}"))
    yield pg
    context.close()


def _shot(page, tmp: Path, name: str) -> Path:
    path = tmp / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("REPORT_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    return path


def _row(page, module_path: str):
    return page.locator(f'details.node:has(> summary > span.p[title^="{module_path} "])').first


def _expand(page, module_path: str):
    """Open the tree rows down to `module_path`, as a reader clicks through; return its row."""
    parts = module_path.split(".")
    for i in range(1, len(parts) + 1):
        row = _row(page, ".".join(parts[:i]))
        if row.count() and row.get_attribute("open") is None:
            row.locator("> summary").click()
    return _row(page, module_path)


def _expand_and_see_nodes(page, module_path: str) -> None:
    """Open the tree down to `module_path` and wait for its node table."""
    row = _expand(page, module_path)
    table = row.locator("> .lazy-body table.nodes")
    table.wait_for(state="visible", timeout=5000)
    assert table.locator("tbody tr").count() > 0
    assert row.get_attribute("data-state") == "loaded"


def _open_lazy_sections(page) -> None:
    for key in ("ops/per_module", "resources/chart"):
        block = page.locator(f'details[data-chunk="{key}"]')
        if block.count():
            block.locator("> summary").click()
            page.wait_for_selector(f'details[data-chunk="{key}"][data-state="loaded"]', timeout=5000)


def test_report_from_file_url(page, tmp_path: Path) -> None:
    """From file://: the tree expands, nodes load, lazy chart draws, console stays clean."""
    result = build_report(copy_minilm_run(tmp_path))
    page.goto(result.index.as_uri())
    assert page.locator("#m-summary dl.kv .badge").inner_text() == "completed"
    _expand_and_see_nodes(page, "encoder.layer.0.attention.self")
    _open_lazy_sections(page)
    assert page.locator("#m-resources svg.chart polyline").count() == 3
    shot = _shot(page, tmp_path, "report-file")
    assert shot.stat().st_size > 10_000
    assert page.errors == []


def test_report_from_serve(page, tmp_path: Path) -> None:
    """Through `modelexport report --serve --no-browser`: same page over http, Ctrl-C stops it."""
    run = copy_minilm_run(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelexport", "report", str(run), "--serve", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = None
        assert proc.stdout is not None
        for line in proc.stdout:
            found = re.search(r"serving (http://127\.0\.0\.1:\d+/\S+)", line)
            if found:
                url = found.group(1)
                break
        assert url, "the server never printed its URL"
        page.goto(url)
        _expand_and_see_nodes(page, "encoder.layer.0.attention.self")
        _open_lazy_sections(page)
        with page.expect_download(timeout=5000) as download:
            page.locator("#m-downloads a", has_text="manifest.json").click()
        assert download.value.suggested_filename == "manifest.json"
        _shot(page, tmp_path, "report-serve")
        assert page.errors == []
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "stopped" in out


def test_report_of_failed_run(page, tmp_path: Path) -> None:
    """A failed run's report shows the failure and still expands its hierarchy."""
    run = write_synthetic_run(tmp_path / "broken.run", 300, failed=True)
    result = build_report(run)
    page.goto(result.index.as_uri())
    assert page.locator("#m-summary dl.kv .badge").inner_text() == "failed"
    error = page.locator("#m-summary .error").first
    assert "onnx_export failed" in error.inner_text()
    row = _expand(page, "encoder.layer")
    assert row.locator("> ul > li").count() > 0
    assert page.locator("#m-ops").count() == 0
    _open_lazy_sections(page)
    _shot(page, tmp_path, "report-failed")
    assert page.errors == []


def test_missing_chunk_says_so_in_its_block(page, tmp_path: Path) -> None:
    """A chunk file deleted after the build turns into a message in its block, not a hang."""
    result = build_report(copy_minilm_run(tmp_path))
    (result.out_dir / "data" / "ops" / "per_module.js").unlink()
    page.goto(result.index.as_uri())
    block = page.locator('details[data-chunk="ops/per_module"]')
    block.locator("> summary").click()
    page.wait_for_selector('details[data-chunk="ops/per_module"][data-state="error"]', timeout=5000)
    assert "could not load data/ops/per_module.js" in block.inner_text()


def test_third_party_renderer_draws_its_chunk(page, tmp_path: Path) -> None:
    """A module's own script registers a renderer; its directory entry renders with it."""
    from modelexport.report import DirectoryEntry, IndexEntry, Loading, ModuleOutput
    from modelexport.report.registry import ModuleRegistry

    class Boxes:
        id = "boxes"
        name = "Boxes"
        subscriptions = ()
        loading = Loading.LAZY

        def render(self, ctx):
            return ModuleOutput(
                [IndexEntry(title="Box", chunk="boxes/one")],
                chunks={"boxes/one": {"renderer": "boxes.box", "text": "<b>drawn</b>"}},
                scripts={
                    "box": "ModelExportReport.renderers['boxes.box'] = function (el, p) {"
                    " var d = document.createElement('div'); d.className = 'box';"
                    " d.textContent = p.text; el.appendChild(d); };"
                },
                directory_entries=[DirectoryEntry("0/0", "box again", chunk="boxes/one")],
            )

    registry = ModuleRegistry()
    registry.register("boxes", Boxes)
    result = build_report(write_synthetic_run(tmp_path / "x.run", 50), registry=registry)
    page.goto(result.index.as_uri())
    for scope in ("#m-boxes", "#directory"):
        page.locator(f'{scope} details[data-chunk="boxes/one"] > summary').click()
        box = page.locator(f"{scope} .lazy-body .box")
        box.wait_for(timeout=5000)
        assert box.inner_text() == "<b>drawn</b>"
    assert page.errors == []
