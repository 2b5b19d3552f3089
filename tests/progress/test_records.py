"""Tests for the store's row types: states, levels and their JSON round trip."""

from __future__ import annotations

import pytest

from modelexport.progress.records import (
    EventRecord,
    Level,
    MetricSample,
    NodeRecord,
    RunRecord,
    State,
)


def test_terminal_states() -> None:
    """Only pending and running are not final."""
    assert {s for s in State if not s.terminal} == {State.PENDING, State.RUNNING}


def test_levels_nest_pipeline_phase_step_substep() -> None:
    """Each level has one child level, and a substep none."""
    assert [Level.PIPELINE.child(), Level.PHASE.child(), Level.STEP.child()] == [
        Level.PHASE,
        Level.STEP,
        Level.SUBSTEP,
    ]
    with pytest.raises(ValueError):
        Level.SUBSTEP.child()


@pytest.mark.parametrize(
    "record",
    [
        RunRecord("r", "n", "export", "h", 1, 1.0, 2.0, 5.0, meta={"a": [1]}),
        NodeRecord("r", "p/s", "p", "step", "s", total=3.0),
        EventRecord("r", 1, 1.0, "started", "", "pipeline", "n", "running"),
        MetricSample("r", 1, 1.0, rss_bytes=5),
    ],
)
def test_records_round_trip_through_dicts(record: object) -> None:
    """to_dict/from_dict give back an equal record (the spill file relies on it)."""
    cls = type(record)
    assert cls.from_dict(record.to_dict()) == record  # type: ignore[attr-defined]


def test_from_dict_ignores_unknown_keys() -> None:
    """A row from a newer schema with extra columns still loads."""
    raw = RunRecord("r", "n", "export", "h", 1, 1.0, 2.0, 5.0).to_dict() | {"future": 1}
    assert RunRecord.from_dict(raw).id == "r"
