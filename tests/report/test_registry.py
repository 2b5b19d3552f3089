"""The entry-point registry: built-ins and third-party modules found the same way."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from modelexport.report import (
    Loading,
    ModuleOutput,
    ModuleRegistrationWarning,
    ModuleRegistry,
    build_report,
    discover,
)
from modelexport.report.registry import check_module

BUILTINS = ["summary", "hierarchy", "ops", "resources", "downloads"]


class _Good:
    id = "good"
    name = "Good"
    subscriptions = ("events",)
    loading = Loading.EAGER

    def render(self, ctx):
        return ModuleOutput()


def _install_dist(root: Path, dist: str, entry_points: str, code: dict[str, str]) -> None:
    """Lay out a tiny installed distribution (dist-info + modules) under `root`."""
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    for name, source in code.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def site_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on sys.path that acts as a second site-packages for the test."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    yield root
    for name in [m for m in sys.modules if m.startswith("thirdparty_")]:
        del sys.modules[name]


def test_builtins_are_registered_through_entry_points(builtins: ModuleRegistry) -> None:
    """The five built-in modules come from the entry-point group, in page order."""
    assert [m.id for m in builtins.ordered()] == BUILTINS
    assert all("modelexport" in builtins.origins[i] for i in BUILTINS)


def test_third_party_module_renders_without_core_change(
    site_dir: Path, synthetic_run: Path, tmp_path: Path
) -> None:
    """A module installed by another distribution shows up in the report as its own section."""
    _install_dist(
        site_dir,
        "thirdparty_notes",
        """
        [modelexport.report_modules]
        notes = thirdparty_notes:NotesModule
        """,
        {
            "thirdparty_notes": """
        from modelexport.report import IndexEntry, Loading, ModuleOutput

        class NotesModule:
            id = "notes"
            name = "Reviewer notes"
            subscriptions = ("events",)
            loading = Loading.LAZY

            def render(self, ctx):
                count = sum(1 for _ in ctx.records("events"))
                return ModuleOutput(
                    index_entries=[IndexEntry(title="Event count", chunk="notes/count")],
                    chunks={"notes/count": {"blocks": [{"text": f"{count} events"}]}})
        """
        },
    )
    registry = discover()
    assert "notes" in registry.modules
    result = build_report(synthetic_run, tmp_path / "out", registry=registry)
    page = result.index.read_text()
    assert "Reviewer notes" in page and 'data-chunk="notes/count"' in page
    assert (result.out_dir / "data" / "notes" / "count.js").exists()


def test_duplicate_entry_point_name_is_skipped_with_warning(site_dir: Path) -> None:
    """A second module claiming a built-in's name is skipped; the built-in stays."""
    _install_dist(
        site_dir,
        "thirdparty_dupe",
        """
        [modelexport.report_modules]
        summary = thirdparty_dupe:Summary
        """,
        {
            "thirdparty_dupe": """
        from modelexport.report import Loading, ModuleOutput

        class Summary:
            id = "summary"
            name = "Impostor"
            subscriptions = ()
            loading = Loading.EAGER

            def render(self, ctx):
                return ModuleOutput()
        """
        },
    )
    with pytest.warns(ModuleRegistrationWarning, match="already registered"):
        registry = discover()
    assert registry.modules["summary"].name == "Summary"


def test_broken_plugins_are_skipped_with_a_reason(site_dir: Path) -> None:
    """Plugins that fail to import, lack render, or take the wrong arguments are skipped."""
    _install_dist(
        site_dir,
        "thirdparty_bad",
        """
        [modelexport.report_modules]
        noimport = thirdparty_missing:Nope
        norender = thirdparty_bad:NoRender
        badsig = thirdparty_bad:BadSignature
        """,
        {
            "thirdparty_bad": """
        class NoRender:
            id = "norender"
            name = "x"
            subscriptions = ()
            loading = "eager"

        class BadSignature(NoRender):
            id = "badsig"

            def render(self, ctx, extra):
                return None
        """
        },
    )
    with pytest.warns(ModuleRegistrationWarning) as caught:
        registry = discover()
    messages = " | ".join(str(w.message) for w in caught)
    assert "failed to load" in messages
    assert "missing render" in messages
    assert "exactly one argument" in messages
    assert not {"noimport", "norender", "badsig"} & set(registry.modules)


def test_check_module_rejects_bad_fields() -> None:
    """Ids must be path-safe and loading one of eager, lazy, hybrid."""
    assert check_module(_Good()) is None
    bad_id = type("BadId", (_Good,), {"id": "../up"})()
    bad_loading = type("BadLoading", (_Good,), {"loading": "sometimes"})()
    assert "id" in (check_module(bad_id) or "")
    assert "loading" in (check_module(bad_loading) or "")


def test_id_must_match_entry_point_name() -> None:
    """A module is registered under its entry-point name, which must be its id."""
    registry = ModuleRegistry()
    with pytest.warns(ModuleRegistrationWarning, match="differs"):
        assert registry.register("other", _Good) is None
    assert registry.register("good", _Good) is not None


def test_select_honours_only_and_skip(builtins: ModuleRegistry) -> None:
    """--modules keeps page order; --skip-modules removes; unknown ids are named."""
    assert [m.id for m in builtins.select(["ops", "summary"])] == ["summary", "ops"]
    assert "resources" not in [m.id for m in builtins.select(skip=["resources"])]
    with pytest.raises(KeyError, match="nope"):
        builtins.select(["nope"])
