"""The pass runner: pre-conditions, post-conditions, and what the monitor records when one fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from modelexport.errors import ModelExportError
from modelexport.htp.passes import EXPORT_PASSES, ExportContext, ExportOptions, ExportPass, run_passes
from modelexport.monitor.monitor import ExportMonitor
from modelexport.steps import EXPORT_STEPS, ExportData, ModelPrepData, Step, StepStatus


def _context(tmp_path: Path) -> ExportContext:
    return ExportContext("model", ExportOptions(onnx_path=tmp_path / "m.onnx", run_dir=tmp_path / "m.run"))


def _monitor() -> ExportMonitor:
    return ExportMonitor(ExportData(run_id="r", model_name="m", output_path="m.onnx"))


def test_the_export_runs_the_six_steps_in_order() -> None:
    """The default pass list is the six export steps, in pipeline order."""
    assert tuple(p.step for p in EXPORT_PASSES) == EXPORT_STEPS


def test_a_pass_whose_input_is_missing_fails_its_own_step(tmp_path: Path) -> None:
    """A pre-condition failure is recorded against the pass's step, earlier steps stay completed."""

    class Prepared(ExportPass):
        step = Step.MODEL_PREP

        def run(self, ctx: ExportContext, monitor: ExportMonitor) -> Any:
            return ModelPrepData("m", "module", "M", 1, 0)

    class NeedsInputs(ExportPass):
        step = Step.HIERARCHY
        needs: ClassVar[tuple[str, ...]] = ("inputs",)

    monitor = _monitor()
    with pytest.raises(ModelExportError, match="hierarchy building needs inputs"):
        run_passes(monitor, _context(tmp_path), [Prepared(), NeedsInputs()])
    assert monitor.data.record(Step.MODEL_PREP).status == StepStatus.COMPLETED
    assert monitor.data.record(Step.HIERARCHY).status == StepStatus.FAILED


def test_a_broken_post_condition_fails_the_step_before_its_data_is_reported(tmp_path: Path) -> None:
    """`ensures` runs before `update`, so a step whose promise fails never shows as completed."""

    class Broken(ExportPass):
        step = Step.MODEL_PREP

        def run(self, ctx: ExportContext, monitor: ExportMonitor) -> Any:
            return ModelPrepData("m", "module", "M", 1, 0)

        def ensures(self, ctx: ExportContext, data: Any) -> None:
            raise ModelExportError("internal check failed: promise broken")

    monitor = _monitor()
    with pytest.raises(ModelExportError, match="promise broken"):
        run_passes(monitor, _context(tmp_path), [Broken()])
    assert monitor.data.record(Step.MODEL_PREP).status == StepStatus.FAILED
    assert monitor.data.model_prep is None
