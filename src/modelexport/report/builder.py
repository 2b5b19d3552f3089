"""Build the static site: run each module, then write index.html, assets and chunks.

The site must open from `file://`, where browsers refuse `fetch`, so lazy data
ships as `data/<key>.js` files that call `ModelExportReport.chunk(key, data)`
when a `<script>` tag loads them. Nothing on the page refers to anything outside
the output folder (and the run files it links for download). The folder is
built under a temporary name and swapped in, so a reader never sees half a report.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from modelexport._atomic import atomic_dir
from modelexport.errors import OutputPathError, RunNotFoundError, UsageError
from modelexport.report.html import esc
from modelexport.report.module import IndexEntry, Module, ModuleContext, ModuleOutput, valid_key
from modelexport.report.registry import ModuleRegistry, discover
from modelexport.runfiles import Manifest, RunFormatError, read_manifest

ASSETS = ("report.css", "report.js")


class ReportInputError(UsageError):
    """The folder is not a run this version can read, or the module choice is wrong."""


@dataclass
class ModuleResult:
    """How one module fared."""

    id: str
    name: str
    status: str
    """`ok`, `failed` (it raised; its section shows the error) or `skipped`."""
    detail: str = ""
    seconds: float = 0.0


@dataclass
class ReportResult:
    """What `build_report` wrote."""

    out_dir: Path
    index: Path
    modules: list[ModuleResult] = field(default_factory=list)
    bad_lines: dict[str, int] = field(default_factory=dict)
    """File name -> corrupt or truncated lines skipped."""
    index_bytes: int = 0
    chunk_count: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> list[ModuleResult]:
        return [m for m in self.modules if m.status == "failed"]


def default_out_dir(run_dir: Path) -> Path:
    """`model.run/` -> `model.report/` beside it."""
    stem = run_dir.name[:-4] if run_dir.name.endswith(".run") else run_dir.name
    return run_dir.parent / f"{stem}.report"


def resolve_run_dir(path: str | os.PathLike[str]) -> Path:
    """Accept the `.run` folder or the `.onnx` file whose sibling `<stem>.run/` exists."""
    p = Path(path)
    if p.suffix == ".onnx" or (p.is_file() and not p.is_dir()):
        run = p.with_name(p.stem + ".run")
        if run.is_dir():
            return run
        raise RunNotFoundError(
            f"{p} has no run folder beside it (looked for {run})",
            hint="export with modelexport export to record one",
        )
    if not p.exists():
        run = p.with_name(p.name + ".run")
        if run.is_dir():
            return run
        raise RunNotFoundError(f"{p} does not exist")
    return p


def build_report(
    run_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    modules: list[str] | None = None,
    skip_modules: list[str] | None = None,
    overwrite: bool = False,
    registry: ModuleRegistry | None = None,
    config: dict | None = None,
) -> ReportResult:
    """Render the report of one run folder into a static site and return what was written."""
    started = time.perf_counter()
    run_path = resolve_run_dir(run_dir)
    try:
        manifest = read_manifest(run_path)
    except RunFormatError as exc:
        raise ReportInputError(str(exc)) from None
    target = Path(out_dir) if out_dir is not None else default_out_dir(run_path)
    _check_target(target, overwrite)
    registry = registry if registry is not None else discover()
    try:
        chosen = registry.select(modules, skip_modules)
    except KeyError as exc:
        raise ReportInputError(
            f"unknown report module(s): {exc.args[0]}",
            hint=f"available: {', '.join(registry.modules) or 'none'}",
        ) from None

    ctx = ModuleContext(run_path, manifest, dict(config or {}), out_dir=target.resolve())
    results: list[ModuleResult] = []
    rendered: list[tuple[Module, ModuleOutput | None, str]] = []
    for module in chosen:
        missing = [s for s in module.subscriptions if not ctx.has(s)]
        if missing:
            results.append(
                ModuleResult(
                    module.id, module.name, "skipped", f"no {', '.join(m + '.jsonl' for m in missing)}"
                )
            )
            continue
        t0 = time.perf_counter()
        try:
            output = module.render(ctx)
            if not isinstance(output, ModuleOutput):
                raise TypeError(f"render returned {type(output).__name__}, not ModuleOutput")
            _check_output(module, output)
            rendered.append((module, output, ""))
            results.append(ModuleResult(module.id, module.name, "ok", seconds=time.perf_counter() - t0))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            rendered.append((module, None, error + "\n\n" + traceback.format_exc(limit=-3)))
            results.append(ModuleResult(module.id, module.name, "failed", error, time.perf_counter() - t0))

    bad = {name: s.bad_lines for name, s in ctx.read_stats.items() if s.bad_lines}
    first_errors = {name: s.first_error or "" for name, s in ctx.read_stats.items() if s.bad_lines}
    page = render_index(manifest, rendered, results, bad, first_errors)
    chunk_count = 0
    try:
        with atomic_dir(target) as tmp:
            _write_assets(tmp)
            for module, output, _ in rendered:
                if output is None:
                    continue
                for name, code in output.scripts.items():
                    _write(tmp / "assets" / "modules" / f"{module.id}.{name}.js", code)
                for rel, content in output.files.items():
                    _write(tmp / rel, content)
                for key, payload in output.chunks.items():
                    _write(tmp / "data" / f"{key}.js", chunk_script(key, payload))
                    chunk_count += 1
            _write(tmp / "index.html", page)
    except OSError as exc:
        raise OutputPathError(f"cannot write the report to {target}: {exc}") from None
    index = target / "index.html"
    return ReportResult(
        target, index, results, bad, index.stat().st_size, chunk_count, time.perf_counter() - started
    )


def chunk_script(key: str, payload: object) -> str:
    """The JS file for one lazy chunk: JSON wrapped in a registration call."""
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)
    # U+2028/9 are line terminators in old JS engines; escape them to stay a valid script.
    data = data.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"ModelExportReport.chunk({json.dumps(key)},{data});\n"


def _check_target(target: Path, overwrite: bool) -> None:
    if target.exists() and not target.is_dir():
        raise OutputPathError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise OutputPathError(
            f"{target} exists and is not empty", hint="pass --overwrite to replace it, or -o another folder"
        )


def _check_output(module: Module, output: ModuleOutput) -> None:
    for key in output.chunks:
        if not valid_key(key) or not key.startswith(module.id + "/"):
            raise ValueError(f"chunk key {key!r} must look like '{module.id}/<name>'")
    for rel in output.files:
        if not valid_key(rel) or rel in ("index.html",) or rel.split("/")[0] in ("data", "assets"):
            raise ValueError(f"file {rel!r} must be a relative path outside data/ and assets/")
    for name in output.scripts:
        if not valid_key(name) or "/" in name:
            raise ValueError(f"script name {name!r} must be a plain name")


def _write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def _write_assets(root: Path) -> None:
    source = resources.files("modelexport.report") / "assets"
    for name in ASSETS:
        _write(root / "assets" / name, (source / name).read_text(encoding="utf-8"))


# -- index.html -------------------------------------------------------------------------------


def render_index(
    manifest: Manifest,
    rendered: list[tuple[Module, ModuleOutput | None, str]],
    results: list[ModuleResult],
    bad: dict[str, int],
    first_errors: dict[str, str],
) -> str:
    """The eager page: a header, one section per module, the directory, a footer."""
    source = manifest.source or {}
    title = source.get("model") or source.get("path") or source.get("run_id") or "run"
    kind = str(source.get("kind", "run")).replace("_", " ")
    nav = "".join(f'<a href="#m-{esc(m.id)}">{esc(m.name)}</a>' for m, _, _ in rendered)
    summaries = "".join(
        f"<span>{esc(o.summary)}</span>" for _, o, _ in rendered if o is not None and o.summary
    )
    sections = "".join(_section(m, o, err) for m, o, err in rendered)
    scripts = "".join(
        f'<script src="assets/modules/{esc(m.id)}.{esc(n)}.js"></script>'
        for m, o, _ in rendered
        if o is not None
        for n in o.scripts
    )
    live = (
        ""
        if manifest.complete
        else (
            '<p class="notice">This run was still being written when the report was built; '
            "rebuild it for the final figures.</p>"
        )
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · modelexport report</title>"
        '<link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="assets/report.css"></head><body>'
        f'<header><h1>{esc(title)}</h1><p class="sub">{esc(kind)}'
        f"{' · ' + esc(source.get('run_id')) if source.get('run_id') else ''}"
        f" · {esc(manifest.created_at)}</p>"
        f'<p class="headline">{summaries}</p><nav>{nav}</nav></header><main>'
        f"{live}{_bad_lines(bad, first_errors)}{sections}{_directory(rendered)}</main>"
        f"{_footer(results)}"
        '<script src="assets/report.js"></script>'
        f"{scripts}</body></html>\n"
    )


def _section(module: Module, output: ModuleOutput | None, error: str) -> str:
    body = _error_box(module, error) if output is None else "".join(_entry(e) for e in output.index_entries)
    return (
        f'<section id="m-{esc(module.id)}" class="module" data-loading="'
        f'{esc(getattr(module.loading, "value", module.loading))}">'
        f"<h2>{esc(module.name)}</h2>{body}</section>"
    )


def _error_box(module: Module, error: str) -> str:
    first, _, rest = error.partition("\n\n")
    return (
        f'<div class="error"><strong>The {esc(module.name)} module failed:</strong> '
        f"{esc(first)}<details><summary>traceback</summary><pre>{esc(rest)}</pre>"
        "</details></div>"
    )


def _entry(entry: IndexEntry) -> str:
    parts = []
    if entry.html:
        parts.append(
            entry.html if entry.chunk or not entry.title else f"<h3>{esc(entry.title)}</h3>{entry.html}"
        )
    if entry.chunk:
        parts.append(lazy_block(entry.title or "Details", entry.chunk, entry.open))
    return f'<div class="entry">{"".join(parts)}</div>'


def lazy_block(title: str, chunk: str, open_: bool = False, cls: str = "lazy") -> str:
    """A collapsible block whose body is the chunk `chunk`, loaded when first opened."""
    return (
        f'<details class="{esc(cls)}" data-chunk="{esc(chunk)}"{" open" if open_ else ""}>'
        f'<summary>{esc(title)}</summary><div class="lazy-body"></div></details>'
    )


def _bad_lines(bad: dict[str, int], first_errors: dict[str, str]) -> str:
    if not bad:
        return ""
    items = "".join(
        f"<li><code>{esc(name)}</code>: {count} line{'s' if count != 1 else ''} "
        f"skipped <small>(first: {esc(first_errors.get(name, ''))})</small></li>"
        for name, count in sorted(bad.items())
    )
    return (
        f'<div class="warning" id="bad-lines"><strong>Some records could not be read.</strong> '
        f"Corrupt or truncated lines were skipped; figures below leave them out.<ul>{items}"
        "</ul></div>"
    )


def _directory(rendered: list[tuple[Module, ModuleOutput | None, str]]) -> str:
    by_item: dict[str, list[str]] = {}
    for _, output, _ in rendered:
        for d in output.directory_entries if output else []:
            if d.chunk:
                link = lazy_block(f"{d.title} {d.suffix}".strip(), d.chunk)
            else:
                link = f'<a href="{esc(d.url or "#")}">{esc(d.title)}</a> {esc(d.suffix)}'
            by_item.setdefault(d.item, []).append(f"<li>{link}</li>")
    if not by_item:
        return ""
    items = "".join(
        f"<li><strong>{esc(item)}</strong><ul>{''.join(links)}</ul></li>" for item, links in by_item.items()
    )
    return f'<section id="directory" class="module"><h2>Directory</h2><ul>{items}</ul></section>'


def _footer(results: list[ModuleResult]) -> str:
    skipped = [f"{esc(r.name)} ({esc(r.detail)})" for r in results if r.status == "skipped"]
    note = f" Not shown: {', '.join(skipped)}." if skipped else ""
    return f"<footer>Built by modelexport report from the run's intermediate files.{note}</footer>"
