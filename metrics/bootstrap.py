"""Seeded percentile bootstrap of a statistic over clips (95% interval by default)."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def bootstrap_ci(
    items: Sequence,
    statistic: Callable[[list], float] = lambda xs: float(np.mean(xs)),
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile interval of ``statistic`` over resamples of ``items`` with replacement; None below 2 items
    or with no resamples (a distribution metric too slow to resample in the profile)."""
    items = list(items)
    if len(items) < 2 or n_resamples < 1:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_resamples):
        idx = rng.integers(0, len(items), len(items))
        values.append(statistic([items[i] for i in idx]))
    alpha = (1 - level) / 2
    lo, hi = np.quantile(values, [alpha, 1 - alpha], method="inverted_cdf")  # no interpolation: inf stays inf
    return float(lo), float(hi)
