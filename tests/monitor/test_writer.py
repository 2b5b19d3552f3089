"""StepAwareWriter: handler discovery, dispatch, and the IO protocol."""

from __future__ import annotations

import pytest

from modelexport.monitor import StepAwareWriter, step
from modelexport.steps import ExportData, Step
from modelexport.testing import sample_export_data


class Recorder(StepAwareWriter):
    def __init__(self) -> None:
        self.calls: list[tuple[str, Step]] = []
        super().__init__()

    @step(Step.HIERARCHY, Step.NODE_TAGGING)
    def on_tree(self, export_step: Step, data: ExportData) -> int:
        self.calls.append(("tree", export_step))
        return 2

    @step(Step.MODEL_PREP)
    @step(Step.INPUT_GEN)
    def on_early(self, export_step: Step, data: ExportData) -> int:
        self.calls.append(("early", export_step))
        return 3

    def _write_default(self, export_step: Step, data: ExportData) -> int:
        self.calls.append(("default", export_step))
        return 1


class Override(Recorder):
    @step(Step.NODE_TAGGING)
    def on_tagging(self, export_step: Step, data: ExportData) -> int:
        self.calls.append(("override", export_step))
        return 4


def test_one_handler_serves_several_steps() -> None:
    """A method decorated with several steps is found once and handles each of them."""
    writer = Recorder()
    data = sample_export_data()
    assert writer.write(Step.HIERARCHY, data) == 2
    assert writer.write(Step.NODE_TAGGING, data) == 2
    assert writer.calls == [("tree", Step.HIERARCHY), ("tree", Step.NODE_TAGGING)]


def test_stacked_decorators_add_up() -> None:
    """Stacking @step decorators registers the method for every listed step."""
    writer = Recorder()
    assert writer.handled_steps == {Step.HIERARCHY, Step.NODE_TAGGING, Step.MODEL_PREP, Step.INPUT_GEN}


def test_steps_without_a_handler_go_to_the_default() -> None:
    """A step with no @step handler is dispatched to _write_default."""
    writer = Recorder()
    assert writer.write(Step.ONNX_EXPORT, sample_export_data()) == 1
    assert writer.calls == [("default", Step.ONNX_EXPORT)]


def test_subclass_handler_overrides_and_inherits() -> None:
    """A subclass handler wins for its step; the base class's other handlers still apply."""
    writer = Override()
    data = sample_export_data()
    writer.write(Step.NODE_TAGGING, data)
    writer.write(Step.HIERARCHY, data)
    writer.write(Step.MODEL_PREP, data)
    assert writer.calls == [
        ("override", Step.NODE_TAGGING),
        ("tree", Step.HIERARCHY),
        ("early", Step.MODEL_PREP),
    ]


@pytest.mark.parametrize("args", [(), ("hierarchy_building",)])
def test_step_decorator_rejects_non_steps(args: tuple[str, ...]) -> None:
    """@step needs Step members; a bare call or a string is a TypeError at class definition."""
    with pytest.raises(TypeError, match="Step"):
        step(*args)  # type: ignore[arg-type]


def test_close_never_raises_even_when_flush_fails() -> None:
    """close() swallows a failing flush, marks the writer closed, and can be called twice."""

    class Broken(Recorder):
        def flush(self) -> None:
            raise OSError("disk gone")

    writer = Broken()
    writer.close()
    writer.close()
    assert writer.closed


def test_write_after_close_is_refused() -> None:
    """A closed writer refuses new events instead of writing to released resources."""
    writer = Recorder()
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.write(Step.HIERARCHY, sample_export_data())


def _real_writers(tmp_path):
    import io

    from rich.console import Console

    from modelexport.monitor import ConsoleWriter, EventLogWriter, MetadataWriter, ReportWriter

    console = Console(file=io.StringIO(), force_terminal=True)
    return [
        ConsoleWriter(console),
        EventLogWriter(tmp_path / "x.run"),
        MetadataWriter(tmp_path / "m.json"),
        ReportWriter(tmp_path / "r.txt"),
    ]


def test_shipped_writers_close_without_raising_in_any_state(tmp_path) -> None:
    """Each shipped writer closes cleanly unstarted, mid-run (folder deleted), and twice."""
    import shutil

    from modelexport.steps import StepStatus

    for writer in _real_writers(tmp_path):
        writer.close()
        writer.close()
        assert writer.closed
    data = sample_export_data(tmp_path)
    record = data.record(Step.ONNX_EXPORT)
    record.status, record.started_at = StepStatus.RUNNING, 1.0
    for writer in _real_writers(tmp_path):
        writer.start(data)
        writer.write(Step.ONNX_EXPORT, data)
        shutil.rmtree(tmp_path / "x.run", ignore_errors=True)
        writer.close()
        assert writer.closed
