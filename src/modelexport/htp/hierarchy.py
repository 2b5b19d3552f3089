"""Step 3: the module tree, from the model's structure and one hooked forward pass.

Every module gets one hierarchy tag (ARCHITECTURE.md): the path of class
names from the root, where a segment is `Class` when no sibling shares the
class and `Class.<attribute>` when one does (`BertLayer.2` in a ModuleList,
`Linear.query` beside `Linear.key`). The forward pass adds what structure
alone cannot tell: which modules actually run, in what order, how often. A
module that never runs is kept and marked, since users still look for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from modelexport.steps import HierarchyData, ModuleInfo, parent_path

#: Pure containers: never called, so they add no segment (`BertLayer.2`, not `ModuleList/BertLayer.2`).
CONTAINER_TYPES: tuple[type[nn.Module], ...] = (nn.ModuleList, nn.ModuleDict)


def module_tags(model: nn.Module) -> dict[str, str]:
    """Hierarchy tag of every module, keyed by dotted module path.

    A container (ModuleList, ModuleDict) shares its parent's tag and its
    children are named as if they sat in the parent, which is how people read
    `/BertModel/BertEncoder/BertLayer.2`.
    """
    tags: dict[str, str] = {"": "/" + type(model).__name__}

    def visit(module: nn.Module, path: str) -> None:
        children = list(module.named_children())
        class_counts = Counter(type(child).__name__ for _, child in children)
        for attr, child in children:
            cls = type(child).__name__
            child_path = f"{path}.{attr}" if path else attr
            if isinstance(child, CONTAINER_TYPES):
                tags[child_path] = tags[path]
            else:
                segment = cls if class_counts[cls] == 1 else f"{cls}.{attr}"
                tags[child_path] = f"{tags[path]}/{segment}"
            visit(child, child_path)

    visit(model, "")
    return tags


def _own_parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters(recurse=False))


def build_hierarchy(
    model: nn.Module,
    run_forward: Callable[[], Any],
    on_module: Callable[[int, int], None] | None = None,
) -> HierarchyData:
    """Hook every module, run one no-grad forward, and return the tree in module order.

    `run_forward` calls the model on its example inputs; `on_module(done, total)`
    reports hook registration progress for long models.
    """
    tags = module_tags(model)
    named = list(model.named_modules(remove_duplicate=False))
    # A module reachable under two names (a shared submodule) is one object: count
    # its calls once per call, under its first name.
    first_name: dict[int, str] = {}
    for path, module in named:
        first_name.setdefault(id(module), path)

    order: dict[str, int] = {}
    calls: Counter[str] = Counter()
    handles = []

    def make_hook(path: str) -> Callable[..., None]:
        def pre_hook(_module: nn.Module, _args: Any) -> None:
            calls[path] += 1
            if path not in order:
                order[path] = len(order)

        return pre_hook

    total = len(named)
    try:
        for index, (path, module) in enumerate(named):
            if first_name[id(module)] == path:
                handles.append(module.register_forward_pre_hook(make_hook(path)))
            if on_module is not None:
                on_module(index + 1, total)
        with torch.no_grad():
            run_forward()
    finally:
        for handle in handles:
            handle.remove()

    modules: list[ModuleInfo] = []
    for path, module in named:
        source = first_name[id(module)]
        modules.append(
            ModuleInfo(
                path=path,
                class_name=type(module).__name__,
                tag=tags.get(path, tags[source]),
                parent=parent_path(path),
                parameter_count=_own_parameter_count(module) if source == path else 0,
                execution_order=order.get(source),
                call_count=calls.get(source, 0),
            )
        )
    ran = {m.path for m in modules if m.call_count > 0}
    for path in list(ran):
        ancestor = parent_path(path)
        while ancestor is not None and ancestor not in ran:
            ran.add(ancestor)
            ancestor = parent_path(ancestor)
    for info in modules:
        info.executed = info.path in ran
    return HierarchyData(modules=modules, execution_steps=sum(calls.values()))
