import numpy as np
import pytest
from scipy import linalg

from metrics.frechet import frechet_distance


def scipy_reference(mu1, s1, mu2, s2):
    covmean = linalg.sqrtm(s1 @ s2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * covmean))


def random_gaussian(rng, d):
    a = rng.normal(size=(d, 2 * d))
    return rng.normal(size=d), a @ a.T / d


def test_matches_scipy_reference():
    rng = np.random.default_rng(1)
    (mu1, s1), (mu2, s2) = random_gaussian(rng, 8), random_gaussian(rng, 8)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(scipy_reference(mu1, s1, mu2, s2), rel=1e-9)


def test_diagonal_closed_form():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    v1, v2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)
    assert frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(expected, rel=1e-9)


def test_identical_is_zero_and_singular_covariance_is_finite():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, 16))  # 5 samples in 16-d: rank-deficient covariance
    mu, s = x.mean(0), np.cov(x, rowvar=False)
    assert abs(frechet_distance(mu, s, mu, s)) < 1e-6
    assert np.isfinite(frechet_distance(mu, s, mu + 1, s))
