"""Bad input and failures of `modelexport export`: one line, the right exit code, nothing half-written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelexport.cli import app

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in stderr
    return lines[0]


def failed_metadata(out: Path) -> dict:
    metadata = json.loads((out.parent / f"{out.stem}_htp_metadata.json").read_text())
    assert metadata["export_context"]["status"] in {"failed", "cancelled"}
    assert metadata["export_context"]["error"]
    return metadata


def test_unknown_model_is_a_usage_error(tmp_path: Path) -> None:
    """A name that is no folder, registered model, factory or cached hub id exits 2 and says so."""
    code, _, stderr = run("export", "no-such-model-anywhere", "-o", str(tmp_path / "m.onnx"), "-q")
    assert code == 2
    line = assert_one_line_error(stderr)
    assert "unknown model 'no-such-model-anywhere'" in line
    assert "all-MiniLM-L6-v2" in line  # the registered names are listed
    assert not (tmp_path / "m.onnx").exists()


def test_hub_id_not_in_the_local_cache_fails_at_once(tmp_path: Path) -> None:
    """A hub id that is not cached is refused without any network wait."""
    code, _, stderr = run("export", "some-org/not-cached-model", "-o", str(tmp_path / "m.onnx"), "-q")
    assert code == 2
    assert "not in the local Hugging Face cache" in assert_one_line_error(stderr)


def test_factory_module_that_does_not_import_is_a_usage_error(tmp_path: Path) -> None:
    """package.module:factory naming a missing module exits 2 with the fix."""
    code, _, stderr = run("export", "no_such_pkg.models:build", "-o", str(tmp_path / "m.onnx"), "-q")
    assert code == 2
    assert "cannot import 'no_such_pkg.models'" in assert_one_line_error(stderr)


def test_forward_failure_names_the_step_and_records_the_failure(tmp_path: Path) -> None:
    """A forward that fails on the inputs exits 2, names the step, and the metadata says failed."""
    out = tmp_path / "m.onnx"
    code, _, stderr = run("export", "tests.fixtures.small_models:broken", "-o", str(out), "-q")
    assert code == 2
    line = assert_one_line_error(stderr)
    assert "step 3 (hierarchy building) failed" in line
    assert "shape mismatch in proj" in line
    assert not out.exists()
    metadata = failed_metadata(out)
    assert metadata["steps"]["hierarchy_building"]["status"] == "failed"
    manifest = json.loads((tmp_path / "m.run" / "manifest.json").read_text())
    assert manifest["complete"] is True


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is not valid JSON"),
        ('[{"name": "x", "shape": "bad"}]', "shape must be a list of non-negative integers"),
        ('[{"name": "x", "shape": [2, 8], "dtype": "complex7"}]', "unknown dtype 'complex7'"),
        ("[]", "expected a non-empty list of inputs"),
    ],
)
def test_malformed_input_specs_are_usage_errors(tmp_path: Path, content: str, expected: str) -> None:
    """Each kind of malformed --input-specs file exits 2 with a message naming the problem."""
    specs = tmp_path / "specs.json"
    specs.write_text(content)
    out = tmp_path / "m.onnx"
    code, _, stderr = run(
        "export", "tests.fixtures.small_models:reuse_net", "--input-specs", str(specs), "-o", str(out), "-q"
    )
    assert code == 2
    assert expected in assert_one_line_error(stderr)
    assert not out.exists()
    assert failed_metadata(out)["steps"]["input_generation"]["status"] == "failed"


def test_output_folder_that_cannot_be_created_is_a_usage_error(tmp_path: Path) -> None:
    """An output under a path that is a file exits 2 before any work."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, _, stderr = run(
        "export", "tests.fixtures.small_models:reuse_net", "-o", str(blocker / "m.onnx"), "-q"
    )
    assert code == 2
    assert "is a file, not a folder" in assert_one_line_error(stderr)


def test_output_without_onnx_suffix_is_a_usage_error(tmp_path: Path) -> None:
    """-o must name an .onnx file."""
    code, _, stderr = run(
        "export", "tests.fixtures.small_models:reuse_net", "-o", str(tmp_path / "m.txt"), "-q"
    )
    assert code == 2
    assert "must end in .onnx" in assert_one_line_error(stderr)


def test_clean_and_keep_torch_metadata_contradict(tmp_path: Path) -> None:
    """--clean with --keep-torch-metadata is refused."""
    code, _, stderr = run(
        "export",
        "tests.fixtures.small_models:reuse_net",
        "--clean",
        "--keep-torch-metadata",
        "-o",
        str(tmp_path / "m.onnx"),
    )
    assert code == 2
    assert "contradict" in assert_one_line_error(stderr)


@pytest.mark.slow
def test_model_neither_exporter_can_convert_fails_with_both_reasons(tmp_path: Path) -> None:
    """When dynamo and TorchScript both fail, exit 1 names both errors; no ONNX is left."""
    out = tmp_path / "m.onnx"
    code, _, stderr = run("export", "tests.fixtures.small_models:unexportable", "-o", str(out), "-q")
    assert code == 1
    line = assert_one_line_error(stderr)
    assert "both exporters failed" in line and "dynamo:" in line and "torchscript:" in line
    assert not out.exists()
    assert not list(tmp_path.glob(".m.onnx*"))
    assert failed_metadata(out)["steps"]["onnx_export"]["status"] == "failed"


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    """-v adds the traceback that is hidden by default."""
    code, _, stderr = run(
        "-v", "export", "tests.fixtures.small_models:broken", "-o", str(tmp_path / "m.onnx"), "-q"
    )
    assert code == 2
    assert "Traceback" in stderr


def _wait_for(path: Path, text: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared in {path}")


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, "cancelled"), (signal.SIGTERM, "cancelled")])
def test_interrupt_cancels_the_run_and_records_it(tmp_path: Path, sig: signal.Signals, status: str) -> None:
    """Ctrl-C or SIGTERM mid-run: exit 1, one line, metadata 'cancelled', no ONNX at the path."""
    out = tmp_path / "m.onnx"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "modelexport",
            "export",
            "tests.fixtures.small_models:sleeper",
            "-o",
            str(out),
            "-q",
            "--store",
            f"sqlite:///{tmp_path / 'monitor.db'}",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(tmp_path / "m.run" / "events.jsonl", '"hierarchy_building"')
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1
    line = assert_one_line_error(stderr)
    assert "interrupted" in line or "SIGTERM" in line
    assert not out.exists()
    assert failed_metadata(out)["export_context"]["status"] == status


def test_failed_run_still_gets_its_html_report(tmp_path: Path) -> None:
    """With --report, a run that fails still leaves a report showing where it stopped."""
    out = tmp_path / "m.onnx"
    code, _, _ = run("export", "tests.fixtures.small_models:broken", "-o", str(out), "-q", "--report")
    assert code == 2
    index = (tmp_path / "m.report" / "index.html").read_text()
    assert "failed" in index and "hierarchy" in index.lower()


def test_missing_input_specs_file_is_recorded_as_the_input_step_failing(tmp_path: Path) -> None:
    """A specs path that does not exist exits 2 and the run's metadata names step 2."""
    out = tmp_path / "m.onnx"
    code, _, stderr = run(
        "export",
        "tests.fixtures.small_models:reuse_net",
        "--input-specs",
        str(tmp_path / "nope.json"),
        "-o",
        str(out),
        "-q",
    )
    assert code == 2
    assert "does not exist" in assert_one_line_error(stderr)
    assert failed_metadata(out)["steps"]["input_generation"]["status"] == "failed"
