"""Training losses. The lip-reading perceptual loss (paper Sec. 3.3) is not implemented yet: it would add
``lipread_loss(decoded, target, landmarks)`` here and a term in ``stage.Stage1.losses``."""
from __future__ import annotations

import torch


def diffusion_loss(prediction: torch.Tensor, target: torch.Tensor, supervised: torch.Tensor) -> torch.Tensor:
    """Mean squared error of the noise prediction over the supervised frames only.

    prediction, target (B, C, F, h, w); supervised (F,) or (B, F) bool -- False for the clean context frames,
    whose (t = 0) predictions carry no training signal.
    """
    error = (prediction.float() - target.float()).pow(2).mean(dim=(1, 3, 4))  # (B, F)
    weight = supervised.to(error.device).expand_as(error).float()
    if not weight.any():
        raise ValueError("no supervised frame in the batch")
    return (error * weight).sum() / weight.sum()
