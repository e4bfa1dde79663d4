"""Streaming mean/covariance of feature vectors (StyleGAN2-ADA ``FeatureStats`` style).

Sums are accumulated in float64 batch by batch, so a benchmark never holds all features at once.
``ddof`` makes the normalisation explicit: 1 = ``np.cov`` (pytorch-fid, DisCo FVD), 0 = /N (StyleGAN-V FVD).
"""
from __future__ import annotations

import numpy as np


class FeatureStats:
    def __init__(self, ddof: int = 1) -> None:
        if ddof not in (0, 1):
            raise ValueError(f"ddof must be 0 (/N) or 1 (/(N-1)), got {ddof}")
        self.ddof = ddof
        self.n = 0
        self._sum: np.ndarray | None = None
        self._outer: np.ndarray | None = None

    def append(self, features) -> None:
        x = np.asarray(features, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"features must be (N, D), got shape {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError("features contain NaN or inf")
        if self._sum is None:
            self._sum = np.zeros(x.shape[1])
            self._outer = np.zeros((x.shape[1], x.shape[1]))
        elif x.shape[1] != self._sum.shape[0]:
            raise ValueError(f"feature dimension changed from {self._sum.shape[0]} to {x.shape[1]}")
        self.n += x.shape[0]
        self._sum += x.sum(axis=0)
        self._outer += x.T @ x

    def mean(self) -> np.ndarray:
        self._check(1)
        return self._sum / self.n

    def cov(self) -> np.ndarray:
        self._check(self.ddof + 1)
        mu = self.mean()
        return (self._outer - self.n * np.outer(mu, mu)) / (self.n - self.ddof)

    def _check(self, minimum: int) -> None:
        if self.n < minimum:
            raise ValueError(f"need at least {minimum} feature vectors, have {self.n}")
