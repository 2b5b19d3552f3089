"""The intermediate format: a folder of JSON Lines files plus `manifest.json`.

A run directory (`<stem>.run/`) and a parsed TORCH_TRACE log share this
format. Each `.jsonl` file holds one record type; the manifest lists each file
with its type, record count, byte size and schema version, and the ids the
folder covers (a run id, compile ids). Producers append through `RunFolder`;
consumers (the report, `monitor`) read through `read_manifest` and
`iter_records`, which stream and never load a whole file.

This module is the contract between producers and the report: it imports
nothing from the rest of modelexport.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from modelexport._atomic import write_text_atomic

FORMAT_NAME = "modelexport-intermediate"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"


class RunFormatError(ValueError):
    """The folder is not an intermediate folder, or one this version cannot read."""


@dataclass
class FileEntry:
    """One JSONL file of the folder, as the manifest lists it."""

    type: str
    """Record type, e.g. `events`, `hierarchy`, `nodes`, `resources`."""
    path: str
    """Relative to the folder."""
    records: int = 0
    bytes: int = 0
    schema_version: int = 1
    ids: list[str] = field(default_factory=list)
    """Ids this file covers (run id, compile ids), when the producer knows them."""


@dataclass
class Manifest:
    """The folder's table of contents."""

    format: str
    format_version: int
    created_at: str
    source: dict[str, Any]
    files: list[FileEntry]
    ids: list[str] = field(default_factory=list)
    updated_at: str | None = None
    complete: bool = True
    """False while the producer is still writing (a live run)."""

    def file(self, file_type: str) -> FileEntry | None:
        return next((f for f in self.files if f.type == file_type), None)

    def has(self, file_type: str) -> bool:
        return self.file(file_type) is not None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _iso(ts: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if ts is None else ts))


class JsonlAppender:
    """Appends records to one JSONL file, counting records and bytes as it goes.

    Each record is written as one line and flushed, so a reader tailing the file
    (a live report, `monitor`) sees whole lines only.
    """

    def __init__(self, folder: Path, entry: FileEntry) -> None:
        self.entry = entry
        self._path = folder / entry.path
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self._path, "a", encoding="utf-8")  # noqa: SIM115 - held open
        self._lock = threading.Lock()
        self._ids: set[str] = set(entry.ids)

    def append(self, record: dict[str, Any], *, record_id: str | None = None) -> None:
        line = json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=str) + "\n"
        data = line.encode("utf-8")
        with self._lock:
            if self._handle.closed:
                raise ValueError(f"{self.entry.path} is closed")
            self._handle.write(line)
            self._handle.flush()
            self.entry.records += 1
            self.entry.bytes += len(data)
            if record_id is not None and record_id not in self._ids:
                self._ids.add(record_id)
                self.entry.ids.append(record_id)

    def close(self) -> None:
        with self._lock:
            if not self._handle.closed:
                self._handle.close()


class RunFolder:
    """A producer's handle on an intermediate folder: appenders plus the manifest."""

    def __init__(
        self, folder: str | os.PathLike[str], source: dict[str, Any], ids: list[str] | None = None
    ) -> None:
        self.path = Path(folder)
        self.path.mkdir(parents=True, exist_ok=True)
        self.source = source
        self.ids = list(ids or [])
        self.created_at = _iso()
        self._appenders: dict[str, JsonlAppender] = {}
        self._extra: dict[str, FileEntry] = {}
        self._lock = threading.Lock()

    def appender(self, file_type: str, relpath: str | None = None, schema_version: int = 1) -> JsonlAppender:
        """The appender for `file_type`, created (and its file truncated) on first use."""
        with self._lock:
            if file_type not in self._appenders:
                entry = FileEntry(file_type, relpath or f"{file_type}.jsonl", schema_version=schema_version)
                target = self.path / entry.path
                if target.exists():
                    target.unlink()
                self._appenders[file_type] = JsonlAppender(self.path, entry)
            return self._appenders[file_type]

    def write_records(
        self, file_type: str, records: list[dict[str, Any]], id_key: str | None = None
    ) -> FileEntry:
        """Write a whole file at once (for tables known at one point, like the hierarchy)."""
        app = self.appender(file_type)
        for rec in records:
            app.append(rec, record_id=str(rec[id_key]) if id_key else None)
        return app.entry

    def register_file(self, file_type: str, relpath: str) -> None:
        """List a file some other code wrote into the folder (counted at manifest time)."""
        with self._lock:
            self._extra[file_type] = FileEntry(file_type, relpath)

    def manifest(self, complete: bool) -> Manifest:
        with self._lock:
            files = [FileEntry(**asdict(a.entry)) for a in self._appenders.values()]
            for entry in self._extra.values():
                target = self.path / entry.path
                if target.exists():
                    files.append(
                        FileEntry(entry.type, entry.path, _count_lines(target), target.stat().st_size)
                    )
        return Manifest(
            FORMAT_NAME,
            FORMAT_VERSION,
            self.created_at,
            self.source,
            sorted(files, key=lambda f: f.path),
            list(self.ids),
            _iso(),
            complete,
        )

    def write_manifest(self, complete: bool = False) -> Path:
        target = self.path / MANIFEST_NAME
        write_text_atomic(target, json.dumps(self.manifest(complete).to_json(), indent=2) + "\n")
        return target

    def close(self) -> Path:
        """Close every appender and write the final manifest."""
        for app in list(self._appenders.values()):
            app.close()
        return self.write_manifest(complete=True)


def _count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def read_manifest(folder: str | os.PathLike[str]) -> Manifest:
    """Read and check a folder's manifest; raise RunFormatError with the fix when it is wrong."""
    folder = Path(folder)
    target = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise RunFormatError(f"{folder} is not a folder; pass a run folder such as model.run/")
    if not target.exists():
        raise RunFormatError(
            f"{folder} has no {MANIFEST_NAME}; it is not a modelexport run "
            f"folder (pass the <stem>.run/ folder an export wrote)"
        )
    try:
        raw = json.loads(target.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RunFormatError(f"{target} is not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if raw.get("format") != FORMAT_NAME:
        raise RunFormatError(f"{target} is not a modelexport manifest (format={raw.get('format')!r})")
    version = raw.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise RunFormatError(
            f"{target} has format version {version}, newer than this modelexport "
            f"reads ({FORMAT_VERSION}); upgrade modelexport"
        )
    files = [
        FileEntry(**{k: v for k, v in f.items() if k in FileEntry.__dataclass_fields__})
        for f in raw.get("files", [])
    ]
    return Manifest(
        raw["format"],
        version,
        raw.get("created_at", ""),
        raw.get("source", {}),
        files,
        raw.get("ids", []),
        raw.get("updated_at"),
        raw.get("complete", True),
    )


@dataclass
class ReadStats:
    """What a reader skipped: corrupt or truncated lines are counted, never fatal."""

    bad_lines: int = 0
    first_error: str | None = None


def iter_records(
    folder: str | os.PathLike[str],
    file_type_or_path: str,
    start: int = 0,
    stop: int | None = None,
    stats: ReadStats | None = None,
) -> Iterator[dict[str, Any]]:
    """Stream records [start, stop) of one file; bad lines are skipped and counted in `stats`.

    `file_type_or_path` is a manifest file type (`events`) or a relative path.
    """
    folder = Path(folder)
    path = folder / file_type_or_path
    if not path.suffix:
        try:
            entry = read_manifest(folder).file(file_type_or_path)
        except RunFormatError:
            entry = None
        path = folder / (entry.path if entry else f"{file_type_or_path}.jsonl")
    if not path.exists():
        return
    index = 0
    with open(path, encoding="utf-8", errors="replace") as handle:
        for lineno, line in enumerate(handle, 1):
            if stop is not None and index >= stop:
                return
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("record is not a JSON object")
            except ValueError as exc:
                if stats is not None:
                    stats.bad_lines += 1
                    stats.first_error = stats.first_error or f"{path.name}:{lineno}: {exc}"
                continue
            if index >= start:
                yield record
            index += 1
