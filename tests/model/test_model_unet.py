"""Video UNet invariants: frame-by-frame parity with the image UNet, per-frame timesteps, per-frame temporal norm."""
import pytest
import torch
from diffusers import MotionAdapter, UNet2DConditionModel
from diffusers.models.unets.unet_motion_model import AnimateDiffTransformer3D

from model.unet import FrameGroupNorm, build_video_unet
from tests.model.conftest import LATENT, randomise


@pytest.fixture(scope="module")
def unets(mini_config):
    torch.manual_seed(0)
    image = UNet2DConditionModel(**mini_config.unet).eval()
    randomise(image, std=0.05, seed=3)
    adapter = MotionAdapter(**mini_config.motion)
    randomise(adapter, std=0.05, seed=4)  # non-trivial temporal weights; proj_out is zeroed by the build
    return image, build_video_unet(image, adapter).eval()


def frame_inputs(config, frames=4):
    g = torch.Generator().manual_seed(0)
    sample = torch.randn(1, config.latent_channels, frames, LATENT, LATENT, generator=g)
    tokens = torch.randn(frames, 77, config.cross_attention_dim, generator=g)
    return sample, tokens


@torch.no_grad()
def image_per_frame(image, sample, tokens, timesteps):
    return torch.stack([image(sample[:, :, i], timesteps[i], tokens[i:i + 1]).sample
                        for i in range(sample.shape[2])], dim=2)


@torch.no_grad()
def test_fresh_video_unet_equals_image_unet_frame_by_frame(unets, mini_config):
    image, video = unets
    sample, tokens = frame_inputs(mini_config)
    expected = image_per_frame(image, sample, tokens, [500] * 4)
    assert torch.allclose(video(sample, 500, tokens).sample, expected, atol=1e-5)


@torch.no_grad()
def test_nonzero_temporal_output_breaks_parity(unets, mini_config):
    image, video = unets
    sample, tokens = frame_inputs(mini_config)
    expected = image_per_frame(image, sample, tokens, [500] * 4)
    module = next(m for m in video.modules() if isinstance(m, AnimateDiffTransformer3D))
    saved = module.proj_out.weight.clone()
    try:
        module.proj_out.weight.normal_(0, 0.5)
        assert not torch.allclose(video(sample, 500, tokens).sample, expected, atol=1e-3)
    finally:
        module.proj_out.weight.copy_(saved)


@torch.no_grad()
def test_per_frame_timesteps_match_image_unet_at_each_frames_timestep(unets, mini_config):
    image, video = unets
    sample, tokens = frame_inputs(mini_config)
    timesteps = [0, 0, 700, 700]  # two clean context frames, two noisy frames
    expected = image_per_frame(image, sample, tokens, timesteps)
    out = video(sample, torch.tensor([timesteps]), tokens).sample
    assert torch.allclose(out, expected, atol=1e-5)
    uniform = video(sample, torch.tensor([[700] * 4]), tokens).sample
    assert torch.allclose(uniform, video(sample, 700, tokens).sample, atol=1e-6)
    # the timestep does reach the context frames: their prediction at t=700 differs from the one at t=0
    assert (uniform[:, :, :2] - out[:, :, :2]).abs().max() > 10 * 1e-5


def test_per_frame_timesteps_shape_and_sequence_length_are_checked(unets, mini_config):
    _, video = unets
    sample, tokens = frame_inputs(mini_config)
    with pytest.raises(ValueError, match="per-frame timesteps"):
        video(sample, torch.zeros(1, 3, dtype=torch.long), tokens)
    too_long = mini_config.motion["motion_max_seq_length"] + 1
    with pytest.raises(ValueError, match="max sequence length"):
        video(torch.zeros(1, mini_config.latent_channels, too_long, 8, 8), 0, tokens[:1].expand(too_long, -1, -1))


def test_temporal_norm_is_per_frame(unets):
    _, video = unets
    norms = [m.norm for m in video.modules() if isinstance(m, AnimateDiffTransformer3D)]
    assert norms and all(isinstance(n, FrameGroupNorm) for n in norms)
    norm = norms[0]
    x = torch.randn(2, norm.num_channels, 5, 4, 4)
    shifted = x.clone()
    shifted[:, :, 0] = shifted[:, :, 0] * 50 + 3  # a context frame with very different statistics
    with torch.no_grad():
        assert torch.allclose(norm(x)[:, :, 1:], norm(shifted)[:, :, 1:], atol=1e-5)
        per_frame = torch.nn.functional.group_norm(x.transpose(1, 2).flatten(0, 1), norm.num_groups,
                                                   norm.weight, norm.bias, norm.eps)
        assert torch.allclose(norm(x), per_frame.reshape(2, 5, -1, 4, 4).transpose(1, 2), atol=1e-5)
        # diffusers' joint (C, F, H, W) GroupNorm couples the frames: the property we rule out
        joint = torch.nn.GroupNorm(norm.num_groups, norm.num_channels, eps=norm.eps)
        assert not torch.allclose(joint(x)[:, :, 1:], joint(shifted)[:, :, 1:], atol=1e-2)


def test_image_weights_frozen_temporal_trainable(unets):
    _, video = unets
    for name, p in video.named_parameters():
        assert p.requires_grad == ("motion_modules" in name), name
