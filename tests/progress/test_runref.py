"""Tests for RUN resolution: id, unique prefix, name, or the latest run."""

from __future__ import annotations

import pytest

from modelexport.errors import RunNotFoundError
from modelexport.progress.memory import MemoryStore
from modelexport.progress.records import RunRecord
from modelexport.progress.runref import resolve_run


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    for run_id, name, started in (("aaa111", "bert", 1.0), ("aab222", "bert", 2.0), ("ccc333", "gpt", 3.0)):
        store.save_run(
            RunRecord(
                id=run_id,
                name=name,
                command="export",
                host="h",
                pid=1,
                started_at=started,
                heartbeat_at=started,
                heartbeat_s=5.0,
            )
        )
    return store


def test_no_reference_means_the_latest_run(store: MemoryStore) -> None:
    """Without RUN the newest run is meant."""
    assert resolve_run(store).id == "ccc333"


def test_exact_id_then_unique_prefix_then_name(store: MemoryStore) -> None:
    """An id, a unique prefix and a name each find their run; a shared name finds the newest."""
    assert resolve_run(store, "aaa111").id == "aaa111"
    assert resolve_run(store, "aab").id == "aab222"
    assert resolve_run(store, "bert").id == "aab222"


def test_ambiguous_prefix_lists_the_candidates(store: MemoryStore) -> None:
    """A prefix matching several runs is refused with the matching ids."""
    with pytest.raises(RunNotFoundError, match="ambiguous") as info:
        resolve_run(store, "aa")
    assert "aaa111" in str(info.value) and "aab222" in str(info.value)


def test_unknown_reference_and_empty_store_are_errors() -> None:
    """Nothing to find is a RunNotFoundError (exit 2) that points at `monitor list`."""
    store = MemoryStore()
    with pytest.raises(RunNotFoundError, match="no runs recorded"):
        resolve_run(store)
    with pytest.raises(RunNotFoundError, match="monitor list"):
        resolve_run(store, "zzz")
