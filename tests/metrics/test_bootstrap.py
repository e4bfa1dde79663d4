import numpy as np

from metrics.bootstrap import bootstrap_ci


def test_seeded_and_brackets_the_mean():
    x = np.random.default_rng(0).normal(loc=5.0, size=50)
    lo, hi = bootstrap_ci(x, seed=3)
    assert (lo, hi) == bootstrap_ci(x, seed=3)
    assert lo < x.mean() < hi
    assert bootstrap_ci(x, seed=4) != (lo, hi)


def test_width_shrinks_with_more_clips_and_degenerate_cases():
    rng = np.random.default_rng(1)
    small, large = rng.normal(size=10), rng.normal(size=1000)
    def width(ci):
        return ci[1] - ci[0]

    assert width(bootstrap_ci(large)) < width(bootstrap_ci(small))
    assert bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)
    assert bootstrap_ci([1.0]) is None
