"""Training losses: the diffusion loss and the lip-reading perceptual loss (paper Sec. 3.3)."""
from __future__ import annotations

import torch

from model.lipreading import TEMPORAL_RADIUS, LipReader

PREDICTION_TYPES = ("epsilon", "sample")  # ModelConfig.prediction_type


def _check(prediction_type: str) -> None:
    if prediction_type not in PREDICTION_TYPES:
        raise ValueError(f"unsupported prediction type {prediction_type!r}: one of {PREDICTION_TYPES}")


def diffusion_target(prediction_type: str, latents: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """What the network is trained to predict from ``add_noise(latents, noise, t)``."""
    _check(prediction_type)
    return noise if prediction_type == "epsilon" else latents


def predicted_x0(prediction_type: str, noisy: torch.Tensor, prediction: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """The clean latents a prediction implies at noise level ``alpha`` (the cumulative alpha, broadcastable):
    x0 = (x_t - sqrt(1 - a_t) eps) / sqrt(a_t) for epsilon; the prediction itself for sample."""
    _check(prediction_type)
    return (noisy - (1 - alpha).sqrt() * prediction) / alpha.sqrt() if prediction_type == "epsilon" else prediction


def diffusion_loss(prediction: torch.Tensor, target: torch.Tensor, supervised: torch.Tensor) -> torch.Tensor:
    """Mean squared error of the prediction (``diffusion_target``) over the supervised frames only.

    prediction, target (B, C, F, h, w); supervised (F,) or (B, F) bool -- False for the clean context frames,
    whose (t = 0) predictions carry no training signal.
    """
    error = (prediction.float() - target.float()).pow(2).mean(dim=(1, 3, 4))  # (B, F)
    weight = supervised.to(error.device).expand_as(error).float()
    if not weight.any():
        raise ValueError("no supervised frame in the batch")
    return (error * weight).sum() / weight.sum()


def complete_windows(count: int, device=None) -> torch.Tensor:
    """(F,) bool: frames whose lip-reading window (the front-end's temporal kernel) lies inside the segment."""
    index = torch.arange(count, device=device)
    return (index >= TEMPORAL_RADIUS) & (index < count - TEMPORAL_RADIUS)


def lipread_loss(lip_reader: LipReader, generated: torch.Tensor, target: torch.Tensor, landmarks: torch.Tensor,
                 supervised: torch.Tensor) -> torch.Tensor:
    """MSE between the lip features of generated and ground-truth frames, both cropped with the
    ground-truth landmarks, over the supervised frames whose temporal window is complete (edge frames
    are excluded: their features see the encoder's zero padding).

    generated, target (B, F, 3, H, W) in [0, 1]; landmarks (B, F, 68, 2) in pixels; supervised (F,) bool.
    """
    weight = supervised.to(generated.device) & complete_windows(generated.shape[1], generated.device)
    if not weight.any():
        raise ValueError(f"no supervised frame with a complete {2 * TEMPORAL_RADIUS + 1}-frame window "
                         f"in a segment of {generated.shape[1]} frames")
    with torch.no_grad():
        real = lip_reader(target, landmarks)
    fake = lip_reader(generated, landmarks)
    return (fake.float() - real.float()).pow(2).mean(-1)[:, weight].mean()
