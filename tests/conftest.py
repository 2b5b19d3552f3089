"""Fixtures every test shares: an offline hub, and a private state folder.

Each test gets its own XDG_STATE_HOME so the default SQLite monitor store of
one test never leaks into another, and HF_HUB_OFFLINE so nothing waits on a
network.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(autouse=True)
def _private_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.delenv("MODELEXPORT_STORE", raising=False)
    return state


def in_ci() -> bool:
    """Under CI=true a missing real server is a failure, never a skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}
