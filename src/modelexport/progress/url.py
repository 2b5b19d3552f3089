"""Which store a command uses: `--store URL`, else `MODELEXPORT_STORE`, else a SQLite file.

The default lives at `$XDG_STATE_HOME/modelexport/monitor.db` (falling back
to `~/.local/state`), so every run on this machine is visible to `modelexport
monitor` without any flag. URLs are SQLAlchemy URLs; the short forms
`postgresql://` and `postgres://` mean the psycopg 3 driver, the only one
modelexport depends on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from modelexport.errors import UsageError

if TYPE_CHECKING:
    from modelexport.progress.store import Store

ENV_VAR = "MODELEXPORT_STORE"
MEMORY_URL = "memory://"

_SUPPORTED = "sqlite:///PATH, postgresql+psycopg://USER@HOST:PORT/DB or memory://"


def state_dir() -> Path:
    """modelexport's folder under the XDG state home."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "modelexport"


def default_store_url() -> str:
    return f"sqlite:///{state_dir() / 'monitor.db'}"


def resolve_store_url(url: str | None = None) -> str:
    """The URL to use, normalised; raises UsageError for a scheme modelexport cannot open."""
    chosen = (url or os.environ.get(ENV_VAR) or "").strip() or default_store_url()
    return normalise(chosen)


def normalise(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise UsageError(f"store URL {url!r} has no scheme", hint=f"use {_SUPPORTED}")
    scheme = scheme.lower()
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    if scheme == "postgresql+psycopg" or scheme == "sqlite":
        return f"{scheme}://{rest}"
    if scheme == "memory":
        return MEMORY_URL
    raise UsageError(f"unsupported store URL scheme {scheme!r} in {redact(url)}", hint=f"use {_SUPPORTED}")


def redact(url: str) -> str:
    """The URL with any password replaced, for messages and `monitor --json`."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in creds:
        return url
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def open_store(url: str | None = None, **options: object) -> Store:
    """The store for `url` (resolved as above); connects lazily, on first use."""
    resolved = resolve_store_url(url)
    if resolved == MEMORY_URL:
        from modelexport.progress.memory import MemoryStore

        return MemoryStore()
    from modelexport.progress.sql import SQLStore

    return SQLStore(resolved, **options)  # type: ignore[arg-type]
