"""Reading an export run's `events.jsonl` into one small summary the modules share.

The event log is the one record of what happened; this folds it into the
latest state of each step and the `run_finished` figures. Fields are looked up
both at the top level and under `data`, so a producer may put them either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelexport.report.module import ModuleContext


@dataclass
class StepState:
    """The latest that the log says about one step."""

    step: str
    status: str = "running"
    started: float | None = None
    ended: float | None = None
    duration_s: float | None = None
    message: str | None = None
    error: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunEvents:
    """What the event log says about the run."""

    status: str = "unknown"
    error: str | None = None
    started: float | None = None
    finished: float | None = None
    elapsed_s: float | None = None
    steps: dict[str, StepState] = field(default_factory=dict)
    finished_data: dict[str, Any] = field(default_factory=dict)
    count: int = 0

    def get(self, key: str, default: Any = None) -> Any:
        """A `run_finished` figure, wherever the producer put it."""
        value = self.finished_data.get(key)
        return default if value is None else value

    def model(self) -> dict[str, Any]:
        """The model summary of `run_finished`, with the exporter's key names."""
        model = self.get("model", {})
        return model if isinstance(model, dict) else {}


def _field(record: dict[str, Any], key: str) -> Any:
    value = record.get(key)
    if value is None and isinstance(record.get("data"), dict):
        value = record["data"].get(key)
    return value


def event_time(record: dict[str, Any]) -> float | None:
    """Epoch seconds of a record: `ts`, else a numeric `time`, else an ISO 8601 `time`."""
    for key in ("ts", "time"):
        value = record.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    value = record.get("time")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def read_events(ctx: ModuleContext) -> RunEvents:
    """Fold the event log; a run with no `run_finished` is reported as still running."""
    run = RunEvents()
    if not ctx.has("events"):
        return run
    for rec in ctx.records("events"):
        run.count += 1
        kind = rec.get("kind")
        when = event_time(rec)
        if kind == "run_started":
            run.started = when
            run.status = "running"
        elif kind == "run_finished":
            run.finished = when
            run.status = str(rec.get("status") or "completed")
            run.error = _field(rec, "error")
            data = rec.get("data") if isinstance(rec.get("data"), dict) else {}
            run.finished_data = {
                **{
                    k: v
                    for k, v in rec.items()
                    if k not in ("seq", "time", "ts", "run_id", "kind", "data") and v is not None
                },
                **data,
            }
            run.elapsed_s = _field(rec, "elapsed_s") or _field(rec, "elapsed") or rec.get("duration_s")
        elif kind and kind.startswith("step_") and rec.get("step"):
            state = run.steps.setdefault(rec["step"], StepState(rec["step"]))
            if kind == "step_started":
                state.started = when
                state.status = "running"
            elif kind == "step_progress":
                state.message = rec.get("message") or state.message
            else:
                state.status = kind.removeprefix("step_")
                state.ended = when
                state.duration_s = rec.get("duration_s")
                if (
                    state.duration_s is None
                    and state.status != "skipped"
                    and state.started is not None
                    and when is not None
                ):
                    state.duration_s = when - state.started
                state.message = rec.get("message") or state.message
                state.error = rec.get("error")
                if state.status == "completed" and state.error:
                    state.status = "failed"  # an error recorded means the step did not succeed
                if isinstance(rec.get("data"), dict):
                    state.data = rec["data"]
    if run.status == "completed" and (run.error or any(s.status == "failed" for s in run.steps.values())):
        run.status = "failed"  # a failed step outranks a final status that says otherwise
    if run.elapsed_s is None and run.started is not None and run.finished is not None:
        run.elapsed_s = run.finished - run.started
    return run
