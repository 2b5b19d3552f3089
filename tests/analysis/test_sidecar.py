"""The sidecar reader: where it looks and what it rejects."""

from __future__ import annotations

import json

import pytest

from modelexport.analysis.sidecar import read_sidecar, sidecar_path_for
from modelexport.errors import UsageError


def test_sidecar_sits_beside_the_model(tmp_path):
    """The sidecar of `out/model.onnx` is `out/model_htp_metadata.json`."""
    assert sidecar_path_for(tmp_path / "model.onnx") == tmp_path / "model_htp_metadata.json"


def test_reads_nodes_and_modules(tmp_path):
    """Nodes and modules come back typed, unknown keys ignored."""
    path = tmp_path / "m_htp_metadata.json"
    path.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "nodes": {"n0": {"op_type": "Add", "tag": "/M", "module_path": "", "source": "root"}},
                "modules": [
                    {
                        "path": "",
                        "class_name": "M",
                        "tag": "/M",
                        "parent": None,
                        "parameter_count": 3,
                        "executed": True,
                    }
                ],
            }
        )
    )
    sidecar = read_sidecar(path)
    assert sidecar.nodes["n0"].op_type == "Add"
    assert sidecar.modules[0].class_name == "M" and sidecar.modules[0].parameter_count == 3


@pytest.mark.parametrize(
    "content",
    ["not json", "[1, 2]", '{"schema_version": 1}', '{"schema_version": 1, "nodes": [], "modules": []}'],
)
def test_malformed_sidecar_is_a_usage_error(tmp_path, content):
    """Anything that is not a modelexport sidecar is a UsageError, never a traceback."""
    path = tmp_path / "bad_htp_metadata.json"
    path.write_text(content)
    with pytest.raises(UsageError):
        read_sidecar(path)


def test_missing_sidecar(tmp_path):
    """A --metadata file that does not exist is a UsageError naming it."""
    with pytest.raises(UsageError, match=r"absent\.json"):
        read_sidecar(tmp_path / "absent.json")
