"""Downloads (eager): links to the run's artifacts and its intermediate files.

Files are linked where they lie (relative to the report folder), never copied:
an ONNX model can be hundreds of megabytes. A file the run names but that is
gone is listed as missing rather than linked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from modelexport.report.html import esc, fmt_bytes
from modelexport.report.module import IndexEntry, Loading, ModuleContext, ModuleOutput
from modelexport.report.modules._events import read_events

_LABELS = {"onnx": "ONNX model", "metadata": "Metadata (JSON)", "report": "Text report"}
_NOT_FILES = {"run_dir", "html_report"}
"""Artifacts that are folders or this report itself: not offered for download."""


class DownloadsModule:
    """The run's output files and raw records, one click away."""

    id = "downloads"
    name = "Downloads"
    subscriptions: tuple[str, ...] = ()
    loading = Loading.EAGER
    order = 90

    def render(self, ctx: ModuleContext) -> ModuleOutput:
        artifacts = _artifacts(ctx)
        run_files = [("manifest.json", ctx.run_dir / "manifest.json")] + [
            (f"{f.type.capitalize()} ({f.records:,} records)", ctx.run_dir / f.path)
            for f in ctx.manifest.files
        ]
        html = ""
        if artifacts:
            html += "<h3>Artifacts</h3>" + _list(ctx, artifacts)
        html += "<h3>Run records</h3>" + _list(ctx, run_files)
        return ModuleOutput([IndexEntry(html=html)])


def _artifacts(ctx: ModuleContext) -> list[tuple[str, Path]]:
    found: dict[Path, str] = {}
    given: Any = read_events(ctx).get("artifacts") if ctx.has("events") else None
    items: list[tuple[str, str]] = []
    if isinstance(given, dict):
        items = [(str(k), str(v)) for k, v in given.items() if v and k not in _NOT_FILES]
    elif isinstance(given, list):
        items = [(Path(str(v)).name, str(v)) for v in given if v]
    output = ctx.manifest.source.get("output")
    if output and not items:
        items.append(("onnx", str(output)))
    for key, raw in items:
        path = _locate(ctx.run_dir, raw)
        if path not in found:
            found[path] = _LABELS.get(key, key)
    return [(label, path) for path, label in found.items()]


def _locate(run_dir: Path, raw: str) -> Path:
    p = Path(raw)
    if p.is_absolute():
        return p
    for base in (run_dir.parent, run_dir, Path.cwd()):
        if (base / p).exists():
            return (base / p).resolve()
    return (run_dir.parent / p).resolve()


def _list(ctx: ModuleContext, files: list[tuple[str, Path]]) -> str:
    items = []
    for label, path in files:
        if path.exists():
            href = _href(ctx, path)
            items.append(
                f'<li><a href="{esc(href)}" download>{esc(label)}</a> '
                f'<span class="muted">{esc(path.name)} · '
                f"{esc(fmt_bytes(path.stat().st_size))}</span></li>"
            )
        else:
            items.append(
                f'<li>{esc(label)} <span class="badge warn">missing</span> '
                f'<span class="muted">{esc(path)}</span></li>'
            )
    return '<ul class="files">' + "".join(items) + "</ul>"


def _href(ctx: ModuleContext, path: Path) -> str:
    if ctx.out_dir is None:
        return path.resolve().as_uri()
    rel = os.path.relpath(path.resolve(), ctx.out_dir)
    return Path(rel).as_posix()
