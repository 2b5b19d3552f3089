"""A tiny model whose forward sleeps, so an export runs long enough to be watched or killed.

`SLOW_MODEL_SLEEP_S` sets the sleep per forward call (default 1 s);
`SLOW_MODEL_SLOW_CALLS` limits it to the first N calls (the hierarchy pass
is the first), so the export itself runs at full speed. Used as
`python -m modelexport export tests/progress/_slow_model.py:build -o OUT.onnx`.
"""

from __future__ import annotations

import os
import time

import torch
from torch import nn


class SlowBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 4)

        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        slow_calls = int(os.environ.get("SLOW_MODEL_SLOW_CALLS", "0")) or None
        if slow_calls is None or self.calls <= slow_calls:
            time.sleep(float(os.environ.get("SLOW_MODEL_SLEEP_S", "1")))
        return torch.relu(self.linear(x))


class SlowModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = SlowBlock()
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.block(x))


def build() -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    torch.manual_seed(0)
    return SlowModel().eval(), (torch.randn(2, 4),)
