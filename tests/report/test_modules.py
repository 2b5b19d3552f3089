"""The built-in modules, each on small fixtures, checked for what a reader sees."""

from __future__ import annotations

import json
import re
from pathlib import Path

from modelexport.report import ModuleContext, build_report
from modelexport.report.modules.downloads import DownloadsModule
from modelexport.report.modules.hierarchy import HierarchyModule
from modelexport.report.modules.ops import OpStatsModule
from modelexport.report.modules.resources import ResourcesModule
from modelexport.report.modules.summary import SummaryModule
from modelexport.runfiles import read_manifest
from tests.report.conftest import read_chunk


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def ctx_for(run: Path, out: Path | None = None, **config) -> ModuleContext:
    return ModuleContext(run, read_manifest(run), config, out_dir=out)


def html_of(output) -> str:
    return "".join(e.html for e in output.index_entries)


# -- summary -----------------------------------------------------------------------------------


def test_summary_shows_model_status_steps_and_coverage(sample_run: Path) -> None:
    """The real event log's run: model, completed badge, six steps, direct/inferred/root counts."""
    html = html_of(SummaryModule().render(ctx_for(sample_run)))
    assert "prajjwal1/bert-tiny" in html
    assert 'class="badge completed">completed' in html
    for step in ("Model preparation", "ONNX export", "Tag injection"):
        assert step in html
    nodes = jsonl(sample_run / "nodes.jsonl")
    direct = sum(n["source"] == "direct" for n in nodes)
    assert f"<td>tagged directly by their module</td><td>{direct:,}</td>" in html


def test_summary_of_failed_run_shows_the_error(sample_failed_run: Path) -> None:
    """A failed export says failed, names the step and shows its error."""
    out = SummaryModule().render(ctx_for(sample_failed_run))
    html = html_of(out)
    assert 'class="badge failed">failed' in html
    assert 'class="error"><strong>onnx_export failed:' in html
    assert out.summary.startswith("failed")


def test_summary_falls_back_to_run_finished_coverage(make_run) -> None:
    """Without nodes.jsonl, run_finished's coverage, elapsed time and warnings are shown."""
    run = make_run(
        files={
            "events": [
                {"kind": "run_started", "ts": 10.0},
                {
                    "kind": "run_finished",
                    "time": "1970-01-01T00:00:12.500Z",
                    "status": "completed",
                    "data": {
                        "coverage": {"total_nodes": 10, "direct": 7, "inferred": 2, "root": 1},
                        "warnings": ["torch: axis <batch> unused"],
                    },
                },
            ]
        }
    )
    html = html_of(SummaryModule().render(ctx_for(run)))
    assert "<td>tag inferred from neighbours</td><td>2</td><td>20.0%</td>" in html
    assert "2.50 s" in html
    assert "<li>torch: axis &lt;batch&gt; unused</li>" in html


# -- hierarchy ---------------------------------------------------------------------------------


def test_hierarchy_tree_has_counts_and_inferred_badges(sample_run: Path) -> None:
    """Each module row shows direct/subtree counts; modules with inferred tags get a badge."""
    out = HierarchyModule().render(ctx_for(sample_run))
    html = html_of(out)
    records = jsonl(sample_run / "hierarchy.jsonl")
    assert html.count('<span class="c">') == len(records)
    some = next(r for r in records if r["direct_nodes"])
    assert f"{some['direct_nodes']} / {some['subtree_nodes']}" in html
    nodes = jsonl(sample_run / "nodes.jsonl")
    if any(n["source"] == "inferred" for n in nodes):
        assert 'class="badge inferred"' in html


def test_opening_a_module_loads_its_own_nodes(synthetic_run: Path, tmp_path: Path) -> None:
    """The chunk of a module holds exactly the nodes tagged with its path."""
    result = build_report(synthetic_run, tmp_path / "out")
    page = result.index.read_text()
    nodes = jsonl(synthetic_run / "nodes.jsonl")
    mods = jsonl(synthetic_run / "hierarchy.jsonl")
    idx = next(i for i, m in enumerate(mods) if m["path"] == "encoder.layer.0.attention.self")
    key = f"hierarchy/m{idx}"
    assert f'data-chunk="{key}"' in page
    table = read_chunk(result.out_dir, key)["blocks"][0]["table"]
    expected = [n["name"] for n in nodes if n["module_path"] == mods[idx]["path"]]
    assert [row[1] for row in table["rows"]] == expected
    assert table["columns"][:3] == ["#", "name", "op type"]


def test_large_hierarchy_keeps_deep_levels_lazy(tmp_path: Path) -> None:
    """Past the eager budget, deeper modules are not in the page but in their parent's chunk."""
    from modelexport.report.synthetic import write_synthetic_run

    run = write_synthetic_run(tmp_path / "big.run", 3000)
    out = HierarchyModule().render(ctx_for(run, hierarchy_eager_modules=40))
    html = html_of(out)
    assert "load when their parent is opened" in html
    assert html.count('<span class="c">') <= 40
    assert any("html" in b for c in out.chunks.values() for b in c["blocks"])


# -- op statistics -----------------------------------------------------------------------------


def test_op_statistics_counts_each_op_type(make_run) -> None:
    """Counts overall are eager; the per-module breakdown is a lazy chunk."""
    nodes = [
        {"index": i, "op_type": op, "module_path": path, "source": "direct"}
        for i, (op, path) in enumerate([("MatMul", "a"), ("MatMul", "b"), ("Add", "a"), ("Softmax", "")])
    ]
    out = OpStatsModule().render(ctx_for(make_run(files={"nodes": nodes})))
    html = html_of(out)
    assert "4 nodes of 3 op types in 3 modules" in html
    assert re.search(r"<td>MatMul</td><td><span class=\"num\">2</span></td><td>50.0%</td>", html)
    rows = out.chunks["ops/per_module"]["blocks"][0]["table"]["rows"]
    assert rows[0] == ["a", 2, "MatMul×1, Add×1"]
    assert ["(root)", 1, "Softmax×1"] in rows


# -- resources ---------------------------------------------------------------------------------


def test_resources_chart_is_inline_svg_with_steps_marked(synthetic_run: Path) -> None:
    """The chart is an SVG in a lazy chunk, with CPU and memory lines and one mark per step."""
    out = ResourcesModule().render(ctx_for(synthetic_run))
    assert "peak memory" in html_of(out)
    svg = out.chunks["resources/chart"]["blocks"][0]["html"]
    assert svg.startswith("<svg") and svg.count("<polyline") == 3
    assert svg.count('class="step-mark"') == 6
    assert "ONNX export" in svg


def test_resources_module_absent_without_samples(sample_run: Path, tmp_path: Path) -> None:
    """A run without resources.jsonl has no Resources section."""
    page = build_report(sample_run, tmp_path / "out").index.read_text()
    assert 'id="m-resources"' not in page and "Resources (no resources.jsonl)" in page


# -- downloads ---------------------------------------------------------------------------------


def test_downloads_link_artifacts_and_run_files_relatively(synthetic_run: Path) -> None:
    """Links go from the report folder to the artifacts and JSONL files, which exist."""
    out_dir = synthetic_run.parent / "tiny.report"
    html = html_of(DownloadsModule().render(ctx_for(synthetic_run, out_dir)))
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert "../tiny.onnx" in hrefs and "../tiny.run/nodes.jsonl" in hrefs
    assert all((out_dir / h).resolve().exists() for h in hrefs)
    assert "ONNX model" in html and "Text report" in html


def test_downloads_mark_missing_artifacts(synthetic_run: Path) -> None:
    """An artifact the run names but that was deleted is listed as missing, not linked."""
    (synthetic_run.parent / "tiny.onnx").unlink()
    html = html_of(DownloadsModule().render(ctx_for(synthetic_run, synthetic_run.parent / "r")))
    assert 'ONNX model <span class="badge warn">missing</span>' in html


# -- a real run --------------------------------------------------------------------------------


def test_minilm_run_renders_every_module(minilm_run: Path) -> None:
    """The recorded MiniLM export: every module renders, its figures match the run's files."""
    result = build_report(minilm_run)
    assert {m.id: m.status for m in result.modules} == dict.fromkeys(
        ["summary", "hierarchy", "ops", "resources", "downloads"], "ok"
    )
    assert result.bad_lines == {}
    page = result.index.read_text()
    assert "312 nodes of" in page and "120 modules" in page
    assert "<td>fell back to the root module</td><td>3</td>" in page
    assert page.count('<span class="c">') == 120
    assert 'href="../all-MiniLM-L6-v2.onnx"' in page
