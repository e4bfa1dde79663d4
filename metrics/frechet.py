"""Frechet distance between two Gaussians, exactly as pytorch-fid computes it (sqrtm, 1e-6 diagonal fallback)."""
from __future__ import annotations

import numpy as np


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    from pytorch_fid.fid_score import calculate_frechet_distance

    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    return float(calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=eps))
