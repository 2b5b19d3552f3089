"""build_report: the site's layout, atomic writing, and what happens with bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from modelexport.errors import OutputPathError, RunNotFoundError
from modelexport.report import (
    IndexEntry,
    Loading,
    ModuleOutput,
    ModuleRegistry,
    ReportInputError,
    build_report,
)
from tests.report.conftest import corrupt, read_chunk


class _Exploding:
    id = "exploding"
    name = "Exploding"
    subscriptions = ("events",)
    loading = Loading.EAGER
    order = 15

    def render(self, ctx):
        raise RuntimeError("kaboom in the module")


def test_default_output_is_stem_report_beside_the_run(synthetic_run: Path) -> None:
    """`tiny.run/` gets `tiny.report/index.html` next to it, with assets and data chunks."""
    result = build_report(synthetic_run)
    assert result.out_dir == synthetic_run.parent / "tiny.report"
    assert result.index.is_file()
    assert (result.out_dir / "assets" / "report.js").is_file()
    assert (result.out_dir / "assets" / "report.css").is_file()
    assert result.chunk_count > 0
    assert [m.status for m in result.modules] == ["ok"] * 5


def test_onnx_path_resolves_to_its_run_folder(synthetic_run: Path) -> None:
    """Passing `tiny.onnx` reports on `tiny.run/` beside it."""
    result = build_report(synthetic_run.parent / "tiny.onnx")
    assert result.out_dir.name == "tiny.report"


def test_page_makes_no_external_requests(synthetic_run: Path) -> None:
    """Every src and href in the page and its assets stays inside the output folder."""
    result = build_report(synthetic_run)
    texts = [p.read_text() for p in result.out_dir.rglob("*") if p.suffix in (".html", ".js", ".css")]
    for text in texts:
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
        assert "@import" not in text and "url(http" not in text


def test_chunks_are_scripts_that_register_their_data(synthetic_run: Path) -> None:
    """Each lazy chunk is a script calling ModelExportReport.chunk with its own key."""
    result = build_report(synthetic_run)
    page = result.index.read_text()
    keys = set(re.findall(r'data-chunk="([^"]+)"', page))
    assert keys
    for key in keys:
        assert isinstance(read_chunk(result.out_dir, key), dict)


def test_refuses_non_empty_output_without_overwrite(synthetic_run: Path, tmp_path: Path) -> None:
    """An existing non-empty folder is kept unless overwrite is asked for."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(OutputPathError, match="not empty"):
        build_report(synthetic_run, out)
    assert (out / "keep.txt").read_text() == "mine"
    build_report(synthetic_run, out, overwrite=True)
    assert not (out / "keep.txt").exists() and (out / "index.html").exists()


def test_empty_existing_output_folder_is_used(synthetic_run: Path, tmp_path: Path) -> None:
    """An empty folder is not 'in the way'."""
    (tmp_path / "empty").mkdir()
    assert build_report(synthetic_run, tmp_path / "empty").index.exists()


def test_not_a_run_is_a_usage_error(tmp_path: Path) -> None:
    """A folder without a manifest is refused with a message that says what to pass."""
    with pytest.raises(ReportInputError, match="not a modelexport run folder"):
        build_report(tmp_path)
    with pytest.raises(RunNotFoundError):
        build_report(tmp_path / "missing.run")


def test_newer_manifest_version_is_a_usage_error(synthetic_run: Path) -> None:
    """A manifest written by a newer modelexport asks for an upgrade instead of misreading."""
    manifest = synthetic_run / "manifest.json"
    raw = json.loads(manifest.read_text())
    raw["format_version"] = 99
    manifest.write_text(json.dumps(raw))
    with pytest.raises(ReportInputError, match="upgrade modelexport"):
        build_report(synthetic_run)
    assert not (synthetic_run.parent / "tiny.report").exists()


def test_corrupt_lines_are_skipped_counted_and_shown(synthetic_run: Path) -> None:
    """Truncated JSONL lines do not stop the report; the page says how many were skipped."""
    corrupt(synthetic_run / "nodes.jsonl", after_line=3)
    corrupt(synthetic_run / "nodes.jsonl", after_line=10, garbage="not json at all")
    corrupt(synthetic_run / "events.jsonl", after_line=2, garbage="[1, 2]")
    result = build_report(synthetic_run)
    assert result.bad_lines == {"nodes.jsonl": 2, "events.jsonl": 1}
    page = result.index.read_text()
    assert 'id="bad-lines"' in page
    assert "<code>nodes.jsonl</code>: 2 lines skipped" in page
    assert all(m.status == "ok" for m in result.modules)


def test_a_failing_module_shows_its_error_and_the_rest_renders(
    synthetic_run: Path, builtins: ModuleRegistry
) -> None:
    """A module that raises gets an error box in its own section; the others are intact."""
    builtins.register("exploding", _Exploding)
    result = build_report(synthetic_run, registry=builtins)
    assert [m.id for m in result.failed] == ["exploding"]
    page = result.index.read_text()
    section = page.split('id="m-exploding"')[1].split("</section>")[0]
    assert "The Exploding module failed" in section and "kaboom in the module" in section
    assert 'id="m-hierarchy"' in page and 'id="m-summary"' in page


def test_modules_whose_files_are_missing_are_skipped_and_named(failed_run: Path) -> None:
    """Op statistics needs nodes.jsonl; a run that failed before tagging lists it as not shown."""
    result = build_report(failed_run)
    status = {m.id: m.status for m in result.modules}
    assert status["ops"] == "skipped" and status["summary"] == "ok"
    assert "Op statistics (no nodes.jsonl)" in result.index.read_text()


def test_modules_and_skip_modules_choose_sections(synthetic_run: Path) -> None:
    """Only the chosen modules appear on the page."""
    page = build_report(synthetic_run, modules=["summary", "ops"]).index.read_text()
    assert 'id="m-summary"' in page and 'id="m-ops"' in page and 'id="m-hierarchy"' not in page
    page = build_report(synthetic_run, skip_modules=["resources"], overwrite=True).index.read_text()
    assert 'id="m-resources"' not in page and 'id="m-hierarchy"' in page
    with pytest.raises(ReportInputError, match="unknown report module"):
        build_report(synthetic_run, modules=["nope"], overwrite=True)


def test_module_chunk_keys_must_be_namespaced(synthetic_run: Path) -> None:
    """A module cannot write chunks outside its own `<id>/` namespace."""

    class Sneaky:
        id = "sneaky"
        name = "Sneaky"
        subscriptions = ()
        loading = Loading.LAZY

        def render(self, ctx):
            return ModuleOutput([IndexEntry(html="x")], chunks={"hierarchy/m0": {}})

    registry = ModuleRegistry()
    registry.register("sneaky", Sneaky)
    result = build_report(synthetic_run, registry=registry)
    assert result.failed[0].detail.startswith("ValueError: chunk key")


def test_live_run_is_flagged(synthetic_run: Path) -> None:
    """A manifest with complete=false (a run still going) gets a notice."""
    manifest = synthetic_run / "manifest.json"
    raw = json.loads(manifest.read_text())
    raw["complete"] = False
    manifest.write_text(json.dumps(raw))
    assert "still being written" in build_report(synthetic_run).index.read_text()


def test_directory_entries_and_module_scripts_are_written(synthetic_run: Path) -> None:
    """Per-item directory entries get a Directory section; module scripts load after the core."""
    from modelexport.report import DirectoryEntry

    class PerItem:
        id = "peritem"
        name = "Per item"
        subscriptions = ()
        loading = Loading.LAZY

        def render(self, ctx):
            return ModuleOutput(
                [IndexEntry(html="<p>see the directory</p>")],
                chunks={"peritem/a": {"renderer": "peritem.box", "text": "A"}},
                scripts={
                    "render": "ModelExportReport.renderers['peritem.box'] = "
                    "function (el, p) { el.textContent = p.text; };"
                },
                directory_entries=[
                    DirectoryEntry("0/0", "graphs", chunk="peritem/a", suffix="✅"),
                    DirectoryEntry("0/1", "log", url="x.txt"),
                ],
            )

    registry = ModuleRegistry()
    registry.register("peritem", PerItem)
    result = build_report(synthetic_run, registry=registry)
    page = result.index.read_text()
    directory = page.split('id="directory"')[1]
    assert "<strong>0/0</strong>" in directory and 'data-chunk="peritem/a"' in directory
    assert "graphs ✅" in directory and 'href="x.txt"' in directory
    core = page.index('src="assets/report.js"')
    assert page.index('src="assets/modules/peritem.render.js"') > core
    assert (result.out_dir / "assets" / "modules" / "peritem.render.js").is_file()
