"""Smooth random head motion: a few degrees of yaw, pitch and roll and millimetres of translation."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

AMPLITUDE_DEG = np.array([6.0, 4.0, 3.0])  # yaw, pitch, roll
TRANSLATION_M = np.array([0.006, 0.004, 0.01])
FREQUENCY_HZ = (0.15, 0.7)


@dataclass(frozen=True)
class HeadMotion:
    angles: np.ndarray  # (T, 3) yaw, pitch, roll in radians
    translation: np.ndarray  # (T, 3) metres, world axes


def _smooth_noise(rng: np.random.Generator, t: np.ndarray, n: int) -> np.ndarray:
    """(T, n) sums of two random-phase sinusoids per channel, in [-1, 1]."""
    freq = rng.uniform(*FREQUENCY_HZ, size=(2, n))
    phase = rng.uniform(0, 2 * np.pi, size=(2, n))
    weight = rng.uniform(0.3, 0.7, size=n)
    waves = np.sin(2 * np.pi * freq[:, None, :] * t[None, :, None] + phase[:, None, :])
    return weight * waves[0] + (1 - weight) * waves[1]


def head_motion(rng: np.random.Generator, n_frames: int, fps: float) -> HeadMotion:
    t = np.arange(n_frames) / fps
    return HeadMotion(
        angles=np.radians(AMPLITUDE_DEG) * _smooth_noise(rng, t, 3),
        translation=TRANSLATION_M * _smooth_noise(rng, t, 3),
    )
