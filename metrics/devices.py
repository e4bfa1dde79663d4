"""Where a metric network runs: ``metrics.device`` from params; inputs follow the network's device."""
from __future__ import annotations

import itertools


def device_of(module):
    tensor = next(itertools.chain(module.parameters(), module.buffers()), None)
    return tensor.device if tensor is not None else "cpu"


def place(module, ctx: dict):
    return module.to(ctx.get("device", "cpu"))
