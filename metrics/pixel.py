"""PSNR and SSIM per frame through scikit-image, with the data range and SSIM variant explicit."""
from __future__ import annotations

import numpy as np

from metrics.registry import Prepared, register

SSIM_VARIANTS = {
    "skimage": {},  # 7x7 uniform window, sample covariance (scikit-image defaults)
    "wang": {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False},  # Wang et al. 2004
}


def psnr(gt: np.ndarray, pred: np.ndarray, data_range: float = 255) -> np.ndarray:
    """Per-frame PSNR of (T,H,W,3) frames; identical frames give inf."""
    from skimage.metrics import peak_signal_noise_ratio

    _check(gt, pred)
    with np.errstate(divide="ignore"):
        return np.array([peak_signal_noise_ratio(g, p, data_range=data_range) for g, p in zip(gt, pred)])


def ssim(gt: np.ndarray, pred: np.ndarray, data_range: float = 255, variant: str = "skimage") -> np.ndarray:
    from skimage.metrics import structural_similarity

    _check(gt, pred)
    options = SSIM_VARIANTS[variant]
    return np.array(
        [structural_similarity(g, p, data_range=data_range, channel_axis=-1, **options) for g, p in zip(gt, pred)]
    )


def _check(gt: np.ndarray, pred: np.ndarray) -> None:
    if gt.shape != pred.shape:
        raise ValueError(f"frame shapes differ: ground truth {gt.shape}, generated {pred.shape}")


def _per_video(values: np.ndarray) -> float:
    return float(np.mean(values))  # identical frames give inf, reported as such


@register("psnr")
def build_psnr(cfg: dict, ctx: dict) -> Prepared:
    data_range = cfg.get("data_range", 255)
    return Prepared(
        lambda clip: {"psnr": _per_video(psnr(clip.reference, clip.generated, data_range))},
        {"data_range": data_range, "averaging": "mean of per-frame PSNR", "mask": None},
    )


@register("ssim")
def build_ssim(cfg: dict, ctx: dict) -> Prepared:
    data_range, variant = cfg.get("data_range", 255), cfg.get("variant", "skimage")
    if variant not in SSIM_VARIANTS:
        raise ValueError(f"ssim variant must be one of {sorted(SSIM_VARIANTS)}")
    return Prepared(
        lambda clip: {"ssim": _per_video(ssim(clip.reference, clip.generated, data_range, variant))},
        {"data_range": data_range, "variant": variant, "options": SSIM_VARIANTS[variant], "averaging": "mean of per-frame SSIM"},
    )
