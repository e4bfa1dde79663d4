import pytest
import torch
import torch.nn.functional as F

from model.training.losses import diffusion_loss


def test_equals_mse_over_the_supervised_frames():
    g = torch.Generator().manual_seed(0)
    pred, target = torch.randn(2, 3, 6, 4, 4, generator=g), torch.randn(2, 3, 6, 4, 4, generator=g)
    supervised = torch.arange(6) >= 2
    assert torch.allclose(diffusion_loss(pred, target, supervised), F.mse_loss(pred[:, :, 2:], target[:, :, 2:]))


def test_context_frames_carry_no_loss():
    g = torch.Generator().manual_seed(1)
    pred, target = torch.randn(1, 3, 5, 4, 4, generator=g), torch.randn(1, 3, 5, 4, 4, generator=g)
    supervised = torch.arange(5) >= 2
    changed = pred.clone()
    changed[:, :, :2] += 100
    assert diffusion_loss(changed, target, supervised) == diffusion_loss(pred, target, supervised)
    changed[:, :, 2] += 1
    assert diffusion_loss(changed, target, supervised) > diffusion_loss(pred, target, supervised)


def test_per_sample_mask_and_no_supervised_frame():
    pred, target = torch.zeros(2, 1, 3, 2, 2), torch.ones(2, 1, 3, 2, 2)
    pred[1] = 1  # sample 1 is perfect
    only_first = torch.tensor([[True, True, True], [False, False, False]])
    assert diffusion_loss(pred, target, only_first).item() == 1.0
    with pytest.raises(ValueError, match="no supervised frame"):
        diffusion_loss(pred, target, torch.zeros(3, dtype=torch.bool))
