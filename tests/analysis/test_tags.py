"""Reading hierarchy tags from node metadata, the sidecar, or neither."""

from __future__ import annotations

import shutil

import pytest

from modelexport.analysis.tags import read_tags
from modelexport.errors import UsageError


def test_embedded_tags_cover_every_node(models):
    """A tagged export yields one NodeTag per node, all tagged, from node metadata."""
    tagged = read_tags(models["tagged"])
    assert tagged.source == "node metadata"
    assert tagged.untagged == 0
    assert {n.module_path for n in tagged.nodes} >= {"", "embed", "layer.0.attention.query"}


def test_clean_export_reads_the_sidecar(models):
    """A `--clean` export's tags come from the sidecar beside it, module list included."""
    tagged = read_tags(models["clean"])
    assert tagged.source == "sidecar"
    assert tagged.untagged == 0
    assert "unused" in {m.path for m in tagged.modules}


def test_sidecar_and_metadata_give_the_same_tags(models):
    """The sidecar and the node metadata of the same export agree node by node."""
    embedded = read_tags(models["tagged"]).nodes
    sidecar = read_tags(models["clean"]).nodes
    assert [(n.name, n.module_path, n.tag) for n in embedded] == [
        (n.name, n.module_path, n.tag) for n in sidecar
    ]


def test_explicit_metadata_file(models, tmp_path):
    """`--metadata FILE` reads a sidecar that is not beside the model."""
    model = tmp_path / "moved.onnx"
    shutil.copy(models["clean"], model)
    tagged = read_tags(model, metadata=models["clean"].with_name("clean_htp_metadata.json"))
    assert tagged.source == "sidecar"


def test_untagged_model_names_the_fix(models):
    """A model with no tags and no sidecar is a UsageError naming both fixes."""
    with pytest.raises(UsageError, match="no hierarchy tags") as info:
        read_tags(models["untagged"])
    assert "modelexport export" in str(info.value) and "--metadata" in str(info.value)


def test_missing_file(tmp_path):
    """A path that does not exist is a UsageError, not a protobuf traceback."""
    with pytest.raises(UsageError, match="no such file"):
        read_tags(tmp_path / "absent.onnx")


def test_not_an_onnx_file(tmp_path):
    """A file that is not ONNX is a UsageError naming it."""
    bogus = tmp_path / "bogus.onnx"
    bogus.write_bytes(b"\xff\x00 definitely not protobuf \x12\x99")
    with pytest.raises(UsageError, match="not a readable ONNX model"):
        read_tags(bogus)


def test_tag_sources_come_from_the_sidecar(models):
    """With a sidecar, every node's tagging method (direct, inferred, root) is counted."""
    tagged = read_tags(models["tagged"])
    assert sum(tagged.tag_sources.values()) == len(tagged.nodes)
    assert set(tagged.tag_sources) <= {"direct", "inferred", "root"}
    assert read_tags(models["external"]).tag_sources == {}  # no sidecar, no claim
