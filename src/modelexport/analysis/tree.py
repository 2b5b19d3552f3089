"""The module tree of a tagged model, with direct and subtree node counts per module.

A module's *direct* nodes are the ones tagged with its own path; its *subtree*
nodes add those of every module below it. Every dotted prefix of a module path
is itself a module (that is how PyTorch names them), so containers such as a
ModuleList appear even when no node is tagged with them, and so do modules the
sidecar lists that produced no node at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from modelexport.analysis.tags import TaggedGraph
from modelexport.steps import parent_path


@dataclass
class ModuleStats:
    """One module and what the graph holds of it."""

    path: str
    """Dotted module path; the root module is ''."""
    class_name: str | None
    tag: str | None
    parent: str | None
    depth: int
    """0 for the root, else the number of dotted segments."""
    direct_nodes: int = 0
    subtree_nodes: int = 0
    direct_ops: Counter[str] = field(default_factory=Counter)
    subtree_ops: Counter[str] = field(default_factory=Counter)
    children: list[str] = field(default_factory=list)
    parameter_count: int | None = None

    @property
    def name(self) -> str:
        """The last path segment, or the class name for the root."""
        if not self.path:
            return self.class_name or "(root)"
        return self.path.rsplit(".", 1)[-1]


@dataclass
class ModuleTree:
    """All modules of a model, root first, each parent before its children."""

    model_path: Path
    source: str
    total_nodes: int
    untagged_nodes: int
    modules: dict[str, ModuleStats]
    tag_sources: dict[str, int] = field(default_factory=dict)
    """Nodes per exporter tagging method (`direct`, `inferred`, `root`), when the sidecar says."""

    @property
    def root(self) -> ModuleStats:
        return self.modules[""]

    def walk(self, max_depth: int | None = None) -> Iterator[ModuleStats]:
        """Modules in tree order (depth first, children in execution order)."""
        stack = [self.root]
        while stack:
            module = stack.pop()
            yield module
            if max_depth is None or module.depth < max_depth:
                stack.extend(self.modules[c] for c in reversed(module.children))

    def tag_to_path(self) -> dict[str, str]:
        return {m.tag.rstrip("/"): m.path for m in self.modules.values() if m.tag}


def build_tree(tagged: TaggedGraph) -> ModuleTree:
    """Count each module's nodes and op types, and roll them up to every ancestor."""
    order: dict[str, int] = {}
    modules: dict[str, ModuleStats] = {}

    def ensure(path: str) -> ModuleStats:
        if path not in modules:
            parent = parent_path(path)
            if parent is not None:
                ensure(parent)
            depth = 0 if not path else path.count(".") + 1
            modules[path] = ModuleStats(path=path, class_name=None, tag=None, parent=parent, depth=depth)
            order[path] = len(order)
        return modules[path]

    ensure("")
    for known in tagged.modules:
        module = ensure(known.path)
        module.class_name = known.class_name
        module.tag = known.tag
        module.parameter_count = known.parameter_count

    node_tags: dict[str, Counter[str]] = {}
    for node in tagged.nodes:
        if node.module_path is None:
            continue
        module = ensure(node.module_path)
        module.direct_nodes += 1
        module.direct_ops[node.op_type] += 1
        if node.tag:
            node_tags.setdefault(node.module_path, Counter())[node.tag] += 1

    for path, tags in node_tags.items():
        module = modules[path]
        if module.tag is None:
            module.tag = tags.most_common(1)[0][0]
        if module.class_name is None:
            module.class_name = _class_from_tag(module.tag)

    _tags_from_descendants(modules)
    for module in sorted(modules.values(), key=lambda m: -m.depth):
        module.subtree_nodes += module.direct_nodes
        module.subtree_ops.update(module.direct_ops)
        if module.parent is not None:
            parent = modules[module.parent]
            parent.subtree_nodes += module.subtree_nodes
            parent.subtree_ops.update(module.subtree_ops)
            parent.children.append(module.path)
    for module in modules.values():
        module.children.sort(key=order.__getitem__)

    return ModuleTree(
        model_path=tagged.model_path,
        source=tagged.source,
        total_nodes=len(tagged.nodes),
        untagged_nodes=tagged.untagged,
        tag_sources=tagged.tag_sources,
        modules={m.path: m for m in sorted(modules.values(), key=lambda m: order[m.path])},
    )


def _tags_from_descendants(modules: dict[str, ModuleStats]) -> None:
    """Give containers without nodes (and without a sidecar) the tag their children imply.

    When a child's tag has one segment per path segment, its prefix is the
    parent's tag. When it has one segment fewer, the parent is a container
    (ModuleList, ModuleDict), which adds no segment: it shares the tag of its
    own parent, and its class cannot be read from any tag.
    """
    for module in sorted(modules.values(), key=lambda m: -m.depth):
        if module.parent is None or module.tag is None:
            continue
        segments = module.tag.rstrip("/").split("/")[1:]
        parent = modules[module.parent]
        if parent.tag is not None:
            continue
        if len(segments) == module.depth + 1:
            parent.tag = "/" + "/".join(segments[:-1])
            parent.class_name = parent.class_name or _class_from_tag(parent.tag)
        elif len(segments) == module.depth:
            parent.tag = "/" + "/".join(segments[:-1])


def _class_from_tag(tag: str | None) -> str | None:
    """`/Model/Layer.0` -> `Layer`: the tag's last segment without its attribute suffix."""
    if not tag:
        return None
    return tag.rstrip("/").rsplit("/", 1)[-1].split(".", 1)[0] or None


def load_tree(model_path: str | Path, metadata: str | Path | None = None) -> ModuleTree:
    """Read a model's tags (node metadata or sidecar) and build its module tree."""
    from modelexport.analysis.tags import read_tags

    return build_tree(read_tags(model_path, metadata))
