import pytest
import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler

from model.pipeline import make_scheduler
from model.training.losses import PREDICTION_TYPES, diffusion_loss, diffusion_target, predicted_x0


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


@pytest.mark.parametrize("prediction_type", PREDICTION_TYPES)
def test_targets_and_x0_agree_with_the_schedulers(prediction_type):
    """The training target of each prediction type gives the clean latents back, as diffusers' scheduler reads it."""
    noise_scheduler = DDPMScheduler.from_config(make_scheduler(prediction_type).config)
    g = torch.Generator().manual_seed(2)
    latents, noise = torch.rand(3, 4, 5, 5, generator=g) * 2 - 1, torch.randn(3, 4, 5, 5, generator=g)
    t = torch.tensor([20, 500, 980])
    noisy = noise_scheduler.add_noise(latents, noise, t)
    target = diffusion_target(prediction_type, latents, noise)
    alpha = noise_scheduler.alphas_cumprod[t].view(-1, 1, 1, 1)
    assert torch.allclose(predicted_x0(prediction_type, noisy, target, alpha), latents, atol=1e-4)
    for i in range(3):
        read = noise_scheduler.step(target[i:i + 1], int(t[i]), noisy[i:i + 1]).pred_original_sample
        assert torch.allclose(read, latents[i:i + 1], atol=1e-4)
    with pytest.raises(ValueError, match="prediction type"):
        diffusion_target("v_prediction", latents, noise)
