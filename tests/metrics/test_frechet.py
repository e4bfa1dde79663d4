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


def exact_by_eigh(x1, x2, ddof):
    """tr sqrt(S1 S2) = tr sqrt(S1^1/2 S2 S1^1/2), a symmetric PSD form whose eigenvalues are well conditioned."""
    s1, s2 = np.cov(x1, rowvar=False, ddof=ddof), np.cov(x2, rowvar=False, ddof=ddof)
    w, v = np.linalg.eigh(s1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh(root @ s2 @ root), 0, None)).sum()
    diff = x1.mean(0) - x2.mean(0)
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * trace_sqrt)


@pytest.mark.parametrize("ddof", [0, 1])
def test_low_rank_form_is_the_frechet_distance_of_fewer_samples_than_dimensions(ddof):
    from metrics.frechet import frechet_distance_low_rank

    rng = np.random.default_rng(3)
    x1, x2 = rng.normal(size=(30, 64)), 0.5 + 1.3 * rng.normal(size=(25, 64))
    expected = exact_by_eigh(x1, x2, ddof)
    assert frechet_distance_low_rank(x1, x2, ddof) == pytest.approx(expected, rel=1e-7)  # eigh: ~1e-7 per null eigenvalue
    s1, s2 = np.cov(x1, rowvar=False, ddof=ddof), np.cov(x2, rowvar=False, ddof=ddof)
    assert frechet_distance_low_rank(x1, x2, ddof) == pytest.approx(
        frechet_distance(x1.mean(0), s1, x2.mean(0), s2), rel=1e-4)  # pytorch-fid's sqrtm of a singular product
    assert abs(frechet_distance_low_rank(x1, x1, ddof)) < 1e-9
