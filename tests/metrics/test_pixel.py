import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from metrics.pixel import psnr, ssim


@pytest.fixture
def pair():
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 256, (3, 24, 24, 3), dtype=np.uint8)
    noise = rng.integers(-20, 21, gt.shape)
    return gt, np.clip(gt.astype(int) + noise, 0, 255).astype(np.uint8)


def test_parity_with_scikit_image(pair):
    gt, pred = pair
    np.testing.assert_array_equal(psnr(gt, pred), [peak_signal_noise_ratio(g, p, data_range=255) for g, p in zip(gt, pred)])
    skimage_default = [structural_similarity(g, p, data_range=255, channel_axis=-1) for g, p in zip(gt, pred)]
    np.testing.assert_array_equal(ssim(gt, pred), skimage_default)
    wang_options = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False}
    wang = [structural_similarity(g, p, data_range=255, channel_axis=-1, **wang_options) for g, p in zip(gt, pred)]
    np.testing.assert_array_equal(ssim(gt, pred, variant="wang"), wang)


def test_response_to_noise(pair):
    gt, pred = pair
    worse = np.clip(gt.astype(int) + 3 * (pred.astype(int) - gt), 0, 255).astype(np.uint8)
    assert (psnr(gt, worse) < psnr(gt, pred)).all()
    assert (ssim(gt, worse) < ssim(gt, pred)).all()
    assert np.isinf(psnr(gt, gt)).all() and np.allclose(ssim(gt, gt), 1.0)


def test_shape_mismatch(pair):
    with pytest.raises(ValueError, match="shapes differ"):
        psnr(pair[0], pair[1][:2])
