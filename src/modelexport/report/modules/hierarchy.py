"""Module hierarchy (hybrid): a collapsible tree eagerly, each module's nodes lazily.

Every tree row shows the module's direct and subtree node counts and a badge
when some of its nodes carry an inferred tag. Opening a row loads one chunk
with that module's own nodes. So that index.html stays small for very large
models, only the top levels (up to `EAGER_BUDGET` modules) are written into the
page; a module below the cut ships its children in its chunk, one level at a
time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from modelexport.report.html import esc
from modelexport.report.module import IndexEntry, Loading, ModuleContext, ModuleOutput

EAGER_BUDGET = 400
"""Most tree rows written into index.html; deeper levels load with their parent."""

NODE_COLUMNS = ["#", "name", "op type", "tag source", "inputs", "outputs"]


@dataclass
class _Mod:
    idx: int
    record: dict[str, Any]
    depth: int = 0
    children: list[_Mod] = field(default_factory=list)
    nodes: list[list[Any]] = field(default_factory=list)
    inferred: int = 0

    @property
    def path(self) -> str:
        return str(self.record.get("path") or "")


class HierarchyModule:
    """The module tree with node counts; a module's nodes appear when it is opened."""

    id = "hierarchy"
    name = "Module hierarchy"
    subscriptions: tuple[str, ...] = ("hierarchy",)
    loading = Loading.HYBRID
    order = 20

    def render(self, ctx: ModuleContext) -> ModuleOutput:
        mods = [_Mod(i, rec) for i, rec in enumerate(ctx.records("hierarchy"))]
        if not mods:
            return ModuleOutput([IndexEntry(html='<p class="muted">No modules recorded.</p>')])
        by_path = {m.path: m for m in mods}
        roots = _link(mods, by_path)
        has_nodes = ctx.has("nodes")
        if has_nodes:
            _attach_nodes(ctx, mods, by_path, roots[0])
        cut = _cut_depth(mods, int(ctx.config.get("hierarchy_eager_modules", EAGER_BUDGET)))
        out = ModuleOutput()
        for m in mods:
            blocks: list[dict[str, Any]] = []
            if m.nodes:
                blocks.append(
                    {
                        "title": f"{len(m.nodes):,} node{'s' * (len(m.nodes) != 1)} "
                        f"in {m.path or 'the root module'}",
                        "table": {"columns": NODE_COLUMNS, "rows": m.nodes, "class": "nodes"},
                    }
                )
            elif has_nodes:
                blocks.append({"text": "No nodes of its own; see its submodules."})
            if m.children and m.depth >= cut:
                blocks.append({"html": "<ul>" + "".join(_row(c, cut, c.depth) for c in m.children) + "</ul>"})
            if blocks and (m.nodes or (m.depth >= cut and m.children)):
                out.chunks[f"hierarchy/m{m.idx}"] = {"blocks": blocks}
        total = len(mods)
        shown = sum(1 for m in mods if m.depth <= cut)
        note = (
            ""
            if shown == total
            else f'<p class="muted">{total:,} modules; the first {shown:,} are listed here and '
            "deeper ones load when their parent is opened.</p>"
        )
        if not has_nodes:
            note += (
                '<p class="muted">This run has no nodes.jsonl (it stopped before node '
                "tagging), so there are no node counts or node lists.</p>"
            )
        legend = (
            '<p class="muted">Each row: module, class, <span class="mono">direct / '
            "subtree</span> nodes. Open a module to see its own nodes.</p>"
        )
        tree = '<ul class="tree">' + "".join(_row(r, cut, 0) for r in roots) + "</ul>"
        out.index_entries.append(IndexEntry(html=legend + note + tree))
        out.summary = f"{total:,} modules"
        return out


def _link(mods: list[_Mod], by_path: dict[str, _Mod]) -> list[_Mod]:
    roots = []
    for m in mods:
        parent = m.record.get("parent")
        if parent is not None and parent in by_path and by_path[parent] is not m:
            by_path[parent].children.append(m)
        else:
            roots.append(m)
    stack = [(r, 0) for r in roots]
    while stack:
        m, depth = stack.pop()
        m.depth = depth
        stack.extend((c, depth + 1) for c in m.children)
    return roots


def _attach_nodes(ctx: ModuleContext, mods: list[_Mod], by_path: dict[str, _Mod], root: _Mod) -> None:
    for node in ctx.records("nodes"):
        owner = by_path.get(str(node.get("module_path") or ""), root)
        source = node.get("source") or ""
        owner.nodes.append(
            [
                node.get("index"),
                node.get("name"),
                node.get("op_type"),
                source,
                node.get("inputs") or [],
                node.get("outputs") or [],
            ]
        )
        if source == "inferred":
            owner.inferred += 1


def _cut_depth(mods: list[_Mod], budget: int) -> int:
    """The deepest level such that all rows down to it fit in the budget."""
    per_depth: dict[int, int] = defaultdict(int)
    for m in mods:
        per_depth[m.depth] += 1
    total, cut = 0, 0
    for depth in sorted(per_depth):
        total += per_depth[depth]
        if total > budget:
            break
        cut = depth
    return cut


def _row(m: _Mod, cut: int, depth: int) -> str:
    rec = m.record
    parent = str(rec.get("parent") or "")
    label = m.path[len(parent) + 1 :] if parent and m.path.startswith(parent + ".") else m.path
    direct = rec.get("direct_nodes", len(m.nodes))
    subtree = rec.get("subtree_nodes", direct)
    badges = ""
    if m.inferred:
        badges += (
            f'<span class="badge inferred" title="nodes whose tag was inferred from '
            f'their neighbours">{m.inferred} inferred</span>'
        )
    if rec.get("executed") is False:
        badges += '<span class="badge warn" title="never called in the forward pass">not executed</span>'
    title = esc(f"{m.path or '(root)'}  {rec.get('tag') or ''}".strip())
    head = (
        f'<span class="p" title="{title}">{esc(label or "(root)")}</span>'
        f'<span class="c">{esc(rec.get("class_name"))}</span>'
        f'<span class="k">{esc(direct)} / {esc(subtree)}</span>{badges}'
    )
    lazy = m.nodes or (m.children and m.depth >= cut)
    if not lazy and not m.children:
        return f'<li class="leaf">{head}</li>'
    kids = "" if m.depth >= cut else "<ul>" + "".join(_row(c, cut, depth + 1) for c in m.children) + "</ul>"
    if depth == 0 and kids:
        # The top row starts open; its own nodes wait behind their own toggle so the
        # tree, not a table, is what the reader sees first.
        own = (
            (
                f'<details class="lazy" data-chunk="hierarchy/m{m.idx}"><summary>'
                f'{len(m.nodes):,} nodes of its own</summary><div class="lazy-body"></div>'
                "</details>"
            )
            if m.nodes
            else ""
        )
        return f'<li><details class="node" open><summary>{head}</summary>{own}{kids}</details></li>'
    attrs = f' data-chunk="hierarchy/m{m.idx}"' if lazy else ""
    return (
        f'<li><details class="node"{attrs}><summary>{head}</summary>'
        f'<div class="lazy-body"></div>{kids}</details></li>'
    )
