"""Frechet distance between two Gaussians: exactly as pytorch-fid computes it (sqrtm, 1e-6 diagonal fallback),
and the same quantity from the feature vectors when they are fewer than the dimensions."""
from __future__ import annotations

import numpy as np


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    from pytorch_fid.fid_score import calculate_frechet_distance

    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    return float(calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=eps))


def frechet_distance_low_rank(x1: np.ndarray, x2: np.ndarray, ddof: int = 1) -> float:
    """The Frechet distance of the two samples' Gaussians (mean, covariance with ``ddof``) without a D x D sqrtm.

    With S1 = A A^T and S2 = B B^T (A = centred x1^T / sqrt(N1 - ddof)), the non-zero eigenvalues of S1 S2 are
    those of (B^T A)^T (B^T A), so tr sqrt(S1 S2) is the nuclear norm of the N2 x N1 matrix B^T A: exact, and
    O(N^2 D) instead of the O(D^3) sqrtm that dominates FID (D = 2048) on a few hundred frames.
    """
    x1, x2 = np.asarray(x1, np.float64), np.asarray(x2, np.float64)
    a = (x1 - x1.mean(0)).T / np.sqrt(len(x1) - ddof)
    b = (x2 - x2.mean(0)).T / np.sqrt(len(x2) - ddof)
    trace_sqrt = np.linalg.svd(b.T @ a, compute_uv=False).sum()
    diff = x1.mean(0) - x2.mean(0)
    return float(diff @ diff + (a * a).sum() + (b * b).sum() - 2 * trace_sqrt)
