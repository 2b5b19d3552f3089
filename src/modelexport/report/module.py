"""The report module contract: what a module is, what it gets, what it returns.

A module is any object with `id`, `name`, `subscriptions`, `loading` and
`render(ctx)`; it need not inherit from anything (a runtime-checkable
`Protocol`, as rich does with `__rich_console__`), so a third-party package can
ship one without importing more than these dataclasses. A module reads the
intermediate files through its `ModuleContext` and returns a `ModuleOutput`:
the site builder, not the module, decides where and how things are written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from modelexport.runfiles import Manifest, ReadStats, iter_records

_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")


class Loading(StrEnum):
    """When a module's content is produced for the reader."""

    EAGER = "eager"
    """Rendered into index.html."""
    LAZY = "lazy"
    """Shipped as data chunks the page loads when the section is opened."""
    HYBRID = "hybrid"
    """A small eager summary plus lazy details."""


@dataclass
class IndexEntry:
    """One block in the module's section of index.html.

    `html` is shown as is (eager). With `chunk`, a collapsible block is added
    that loads that chunk when opened (lazy); with both, the entry is hybrid.
    """

    title: str = ""
    html: str = ""
    chunk: str | None = None
    """Key of a chunk in `ModuleOutput.chunks` (or another module's) to load on open."""
    open: bool = False
    """Start the lazy block opened (it then loads at page load)."""


@dataclass
class DirectoryEntry:
    """A per-item link (per run id, per compile id) shown in the site's directory."""

    item: str
    """The id the entry belongs to (a run id, a compile id)."""
    title: str
    chunk: str | None = None
    url: str | None = None
    suffix: str = ""
    """A short status marker shown after the title (✅, ❌, a count)."""


@dataclass
class ModuleOutput:
    """What a module hands back; the builder writes it into the site."""

    index_entries: list[IndexEntry] = field(default_factory=list)
    chunks: dict[str, Any] = field(default_factory=dict)
    """Lazy data: key (`<module id>/<name>`) -> JSON-able payload, written as `data/<key>.js`.

    The page renders a payload with `blocks` (a list of `{"html": ...}`,
    `{"table": {"columns": [...], "rows": [[...]]}}` or `{"pre": ...}`), or with
    a renderer a module script registered under `payload["renderer"]`.
    """
    files: dict[str, str | bytes] = field(default_factory=dict)
    """Extra files, relative to the output folder."""
    scripts: dict[str, str] = field(default_factory=dict)
    """JavaScript sources (name -> code) the page loads after the core script."""
    directory_entries: list[DirectoryEntry] = field(default_factory=list)
    summary: str = ""
    """One line for the top of the page (e.g. 'completed in 3.2 s'); optional."""


@dataclass
class ModuleContext:
    """What a module may read: the run folder through its manifest, and options.

    Modules stream records with `records()`; bad lines are skipped and counted
    here, so the page can say how many were lost instead of failing.
    """

    run_dir: Path
    manifest: Manifest
    config: dict[str, Any] = field(default_factory=dict)
    ids: list[str] | None = None
    """The ids to report on (None: all the folder covers)."""
    out_dir: Path | None = None
    """Where the site will be written, for modules that link to run files relatively."""
    read_stats: dict[str, ReadStats] = field(default_factory=dict)
    """Per file path: the most bad lines one full pass over it met."""

    def path_of(self, file_type: str) -> Path:
        entry = self.manifest.file(file_type)
        return self.run_dir / (entry.path if entry else f"{file_type}.jsonl")

    def has(self, file_type: str) -> bool:
        """Whether the folder holds records of this type (listed, or written but not yet listed)."""
        return self.manifest.has(file_type) or self.path_of(file_type).exists()

    def records(self, file_type: str, start: int = 0, stop: int | None = None) -> Iterator[dict[str, Any]]:
        """Stream records [start, stop) of one file type; count the lines that do not parse."""
        path = self.path_of(file_type)
        stats = ReadStats()
        try:
            yield from iter_records(
                self.run_dir, path.relative_to(self.run_dir).as_posix(), start, stop, stats
            )
        finally:
            seen = self.read_stats.get(path.name)
            if seen is None or stats.bad_lines > seen.bad_lines:
                self.read_stats[path.name] = stats


@runtime_checkable
class Module(Protocol):
    """A report module. Satisfied structurally; see the module docstring."""

    id: str
    name: str
    subscriptions: tuple[str, ...]
    loading: Loading

    def render(self, ctx: ModuleContext) -> ModuleOutput: ...


def valid_key(key: str) -> bool:
    """A chunk key or module id usable as a relative path inside the site."""
    return bool(_KEY_RE.match(key)) and ".." not in key.split("/")
