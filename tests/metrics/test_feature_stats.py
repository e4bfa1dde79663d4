import numpy as np
import pytest

from metrics.feature_stats import FeatureStats


@pytest.mark.parametrize("ddof", [0, 1])
def test_streaming_equals_numpy(ddof):
    x = np.random.default_rng(0).normal(loc=3.0, size=(37, 6)).astype(np.float32)
    stats = FeatureStats(ddof=ddof)
    for chunk in np.array_split(x, [5, 6, 20]):
        stats.append(chunk)
    assert stats.n == 37
    np.testing.assert_allclose(stats.mean(), x.astype(np.float64).mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats.cov(), np.cov(x.astype(np.float64), rowvar=False, ddof=ddof), rtol=1e-9, atol=1e-12)


def test_normalisations_differ_by_n_over_n_minus_1():
    x = np.random.default_rng(1).normal(size=(10, 3))
    a, b = FeatureStats(ddof=0), FeatureStats(ddof=1)
    a.append(x)
    b.append(x)
    np.testing.assert_allclose(b.cov(), a.cov() * 10 / 9)


def test_bad_inputs():
    stats = FeatureStats()
    with pytest.raises(ValueError, match="at least 2"):
        stats.append(np.ones((1, 3)))
        stats.cov()
    with pytest.raises(ValueError, match="dimension"):
        stats.append(np.ones((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        stats.append(np.full((2, 3), np.nan))
    with pytest.raises(ValueError):
        FeatureStats(ddof=2)
