"""VBench-style registry of metrics.

A metric registers a *factory* ``build(config, context) -> Prepared``; the factory builds its networks
once and returns the scorer with its exact variant and the weights it used. Two kinds of scorer:

- ``per_clip``: ``score(clip) -> {name: float}``, summarised by the mean over clips;
- ``distribution``: ``score(frames) -> (n, d) features`` of one video, applied to generated and
  ground-truth videos alike, summarised by the Frechet distance of the pooled features.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Modules that register metrics when imported (heavy imports stay inside their functions).
METRIC_MODULES = ("metrics.pixel", "metrics.perceptual", "metrics.fid", "metrics.fvd", "metrics.lse", "metrics.pose", "metrics.identity")
KINDS = ("per_clip", "distribution")


@dataclass(frozen=True)
class ClipInputs:
    clip_id: str
    generated: np.ndarray  # (T,H,W,3) uint8 RGB at the evaluation fps
    reference: np.ndarray  # ground-truth frames, same shape
    audio: np.ndarray | None  # float32 mono at the evaluation sample rate
    source: np.ndarray  # the identity reference portrait (H,W,3)
    meta: dict = field(default_factory=dict)
    # per-clip intermediates shared between metrics (e.g. metrics.face_track's face tracks)
    memo: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Prepared:
    score: Callable[[Any], Any]
    variant: dict
    weights: dict[str, str] = field(default_factory=dict)  # network -> sha256 or "random-init:<seed>"
    ddof: int = 1  # distribution metrics: covariance normalisation


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str
    build: Callable[[dict, dict], Prepared]


REGISTRY: dict[str, Metric] = {}


def register(name: str, kind: str = "per_clip"):
    if kind not in KINDS:
        raise ValueError(f"metric kind must be one of {KINDS}")

    def decorate(build: Callable[[dict, dict], Prepared]):
        if name in REGISTRY:
            raise ValueError(f"metric {name!r} registered twice")
        REGISTRY[name] = Metric(name, kind, build)
        return build

    return decorate


def get(name: str) -> Metric:
    for module in METRIC_MODULES:
        importlib.import_module(module)
    if name not in REGISTRY:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]
