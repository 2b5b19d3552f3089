"""`StepAwareWriter` and the `@step` decorator.

A writer is a sink of step events that follows Python's IO protocol: `write`
takes the step that changed and the whole `ExportData`, `flush` pushes
buffered output, `close` flushes and never raises. Which method handles which
step is declared with `@step(Step.X)` and found once, at construction, so
dispatch is one dict lookup; steps without a handler go to `_write_default`.
"""

from __future__ import annotations

import contextlib
import io
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, TypeVar

from modelexport.steps import ExportData, Step

_HANDLES = "_modelexport_handles_steps"

F = TypeVar("F", bound=Callable[..., Any])


def step(*steps: Step) -> Callable[[F], F]:
    """Mark a writer method as the handler for one or more steps."""
    if not steps or not all(isinstance(s, Step) for s in steps):
        raise TypeError("@step takes one or more Step members, e.g. @step(Step.HIERARCHY)")

    def mark(func: F) -> F:
        existing = getattr(func, _HANDLES, ())
        setattr(func, _HANDLES, (*existing, *steps))
        return func

    return mark


class StepAwareWriter(io.IOBase, ABC):
    """Base class of every writer the monitor dispatches to."""

    def __init__(self) -> None:
        super().__init__()
        self._step_handlers: dict[Step, Callable[[Step, ExportData], int]] = {}
        self._discover_handlers()

    def _discover_handlers(self) -> None:
        # Walk the class, not the instance, so properties are never evaluated.
        for cls in reversed(type(self).__mro__):
            for name, attr in vars(cls).items():
                for handled in getattr(attr, _HANDLES, ()):
                    self._step_handlers[handled] = getattr(self, name)

    @property
    def handled_steps(self) -> frozenset[Step]:
        """The steps with a dedicated handler (the rest go to `_write_default`)."""
        return frozenset(self._step_handlers)

    def write(self, export_step: Step, data: ExportData) -> int:  # type: ignore[override]
        """Handle one step event; returns a writer-defined count (lines, bytes, records)."""
        if self.closed:
            raise ValueError(f"{type(self).__name__} is closed")
        handler = self._step_handlers.get(export_step, self._write_default)
        return handler(export_step, data) or 0

    @abstractmethod
    def _write_default(self, export_step: Step, data: ExportData) -> int:
        """Handle a step that has no `@step` handler."""

    def start(self, data: ExportData) -> None:
        """Called once when the run begins, before any step."""

    def finish(self, data: ExportData) -> None:
        """Called once when the run ends (completed, failed or cancelled), before close."""

    def flush(self) -> None:
        """Write buffered output; the default has none."""

    def close(self) -> None:
        """Flush and release; never raises."""
        if self.closed:
            return
        with contextlib.suppress(Exception):
            self.flush()
        # IOBase.close flushes again (and re-raises); it still marks the writer closed.
        with contextlib.suppress(Exception):
            super().close()

    def writable(self) -> bool:
        return True
