"""Tests for store URL resolution: flag, environment, default file."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelexport.errors import UsageError
from modelexport.progress.memory import MemoryStore
from modelexport.progress.sql import SQLStore
from modelexport.progress.url import open_store, redact, resolve_store_url


def test_default_is_sqlite_under_xdg_state_home(_private_state: Path) -> None:
    """With no flag and no variable the store is monitor.db in $XDG_STATE_HOME/modelexport."""
    assert resolve_store_url() == f"sqlite:///{_private_state / 'modelexport' / 'monitor.db'}"


def test_default_falls_back_to_local_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without XDG_STATE_HOME the file goes to ~/.local/state/modelexport."""
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_store_url() == f"sqlite:///{tmp_path}/.local/state/modelexport/monitor.db"


def test_flag_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """--store wins over MODELEXPORT_STORE, which wins over the default."""
    monkeypatch.setenv("MODELEXPORT_STORE", "sqlite:////env.db")
    assert resolve_store_url() == "sqlite:////env.db"
    assert resolve_store_url("sqlite:////flag.db") == "sqlite:////flag.db"


def test_short_postgres_schemes_mean_psycopg() -> None:
    """postgres:// and postgresql:// use the psycopg 3 driver modelexport ships with."""
    assert resolve_store_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_store_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_unknown_scheme_is_a_usage_error_listing_the_choices() -> None:
    """A scheme modelexport cannot open is bad input, and the message lists what works."""
    with pytest.raises(UsageError, match="unsupported store URL scheme 'mysql'") as info:
        resolve_store_url("mysql://u:pw@h/db")
    assert "postgresql+psycopg://" in str(info.value) and "pw" not in str(info.value)
    with pytest.raises(UsageError, match="no scheme"):
        resolve_store_url("/just/a/path.db")


def test_open_store_picks_the_backend() -> None:
    """memory:// opens a MemoryStore, anything else a SQLStore (without connecting yet)."""
    assert isinstance(open_store("memory://"), MemoryStore)
    assert isinstance(open_store("postgresql://u@127.0.0.1:9/db"), SQLStore)


def test_redact_hides_passwords_only() -> None:
    """Passwords are masked; URLs without one are unchanged."""
    assert redact("postgresql+psycopg://me:pw@h:5/db") == "postgresql+psycopg://me:***@h:5/db"
    assert redact("sqlite:////x.db") == "sqlite:////x.db"
