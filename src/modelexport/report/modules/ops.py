"""Op statistics (hybrid): op types over the whole graph eagerly, per module lazily.

Counts come from `nodes.jsonl`, the exported graph itself, so they match what
ONNX Runtime will run; the per-module table groups nodes by the module their
tag names.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from modelexport.report.html import Raw, pct, table
from modelexport.report.module import IndexEntry, Loading, ModuleContext, ModuleOutput


class OpStatsModule:
    """How many nodes of each op type, overall and in each module."""

    id = "ops"
    name = "Op statistics"
    subscriptions: tuple[str, ...] = ("nodes",)
    loading = Loading.HYBRID
    order = 30

    def render(self, ctx: ModuleContext) -> ModuleOutput:
        overall: Counter[str] = Counter()
        per_module: dict[str, Counter[str]] = defaultdict(Counter)
        modules_of: dict[str, set[str]] = defaultdict(set)
        for node in ctx.records("nodes"):
            op = str(node.get("op_type") or "?")
            path = str(node.get("module_path") or "")
            overall[op] += 1
            per_module[path][op] += 1
            modules_of[op].add(path)
        total = sum(overall.values())
        if not total:
            return ModuleOutput([IndexEntry(html='<p class="muted">The graph has no nodes.</p>')])
        top = overall.most_common(1)[0][1]
        rows = [
            (
                op,
                Raw(f'<span class="num">{n:,}</span>'),
                pct(n, total),
                Raw(f'<span class="bar" style="width:{max(1, int(160 * n / top))}px"></span>'),
                len(modules_of[op]),
            )
            for op, n in overall.most_common()
        ]
        eager = f"<p>{total:,} nodes of {len(overall)} op types in {len(per_module):,} modules.</p>" + table(
            ["op type", "nodes", "share", "", "modules"], rows, "ops"
        )
        module_rows = [
            [path or "(root)", sum(c.values()), ", ".join(f"{op}×{n}" for op, n in c.most_common())]
            for path, c in sorted(per_module.items(), key=lambda kv: -sum(kv[1].values()))
        ]
        chunk = {
            "blocks": [
                {
                    "table": {
                        "columns": ["module", "nodes", "op types"],
                        "rows": module_rows,
                        "class": "per-module",
                    }
                }
            ]
        }
        return ModuleOutput(
            index_entries=[
                IndexEntry(html=eager),
                IndexEntry(
                    title=f"Op types per module ({len(per_module):,} modules)", chunk="ops/per_module"
                ),
            ],
            chunks={"ops/per_module": chunk},
            summary=f"{total:,} nodes, {len(overall)} op types",
        )
