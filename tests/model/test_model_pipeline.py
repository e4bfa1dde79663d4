"""Autoregressive sampler: segments and context, reference written once per segment, modes, guidance rule, bad input."""
import numpy as np
import pytest
import torch

from benchmarks.records import Camera
from model.trajectory import camera_labels, camera_trajectory
from tests.model.conftest import LATENT

STEPS = 2


class Spy:
    """Records every denoiser call (positional args) and every reference-UNet pass."""

    def __init__(self, pipe):
        self.calls, self.reference_passes = [], 0
        self.handles = [
            pipe.model.register_forward_pre_hook(lambda m, args: self.calls.append([a for a in args])),
            pipe.model.reference_unet.register_forward_pre_hook(lambda m, args: self._count()),
        ]

    def _count(self):
        self.reference_passes += 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()


def identity_and_audio(config, frames, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(1, config.identity_dim, generator=g),
            torch.randn(1, frames, config.audio_layers, config.audio_dim, generator=g))


def run(pipe, config, frames=37, **kwargs):
    identity, audio = identity_and_audio(config, frames)
    kwargs.setdefault("latent_size", (LATENT, LATENT))
    return pipe(identity, audio, frames, num_inference_steps=STEPS, generator=torch.Generator().manual_seed(0),
                output_type="latent", **kwargs)


def test_37_frames_in_segments_with_previous_frames_as_context(pipe, mini_config):
    N, n = mini_config.segment_frames, mini_config.context_frames
    with Spy(pipe) as spy:
        out = run(pipe, mini_config)
    assert out.latents.shape == (1, mini_config.latent_channels, 37, LATENT, LATENT)
    assert torch.isfinite(out.latents).all()
    windows = [call[0] for call in spy.calls[::STEPS]]  # first step of each segment
    assert [w.shape[2] for w in windows] == [N, n + N, n + 37 - 2 * N]
    assert len(spy.calls) == 3 * STEPS
    for segment, call in enumerate(spy.calls[STEPS::STEPS], start=1):
        window, timesteps = call[0], call[1]
        last = segment * N
        for half in (0, 1):  # conditional and unconditional copies share the context
            assert torch.equal(window[half:half + 1, :, :n], out.latents[:, :, last - n:last])
        assert (timesteps[:, :n] == 0).all() and (timesteps[:, n:] > 0).all()
    # id-driven: no reference image, so the reference UNet only encodes the context of segments 2 and 3
    assert spy.reference_passes == 2


def test_reference_unet_runs_once_per_segment(pipe, mini_config):
    image = torch.rand(1, 3, LATENT * mini_config.vae_factor, LATENT * mini_config.vae_factor)
    with Spy(pipe) as spy:
        run(pipe, mini_config, reference_image=image)
    assert spy.reference_passes == 3
    with Spy(pipe) as naive:
        run(pipe, mini_config, reference_image=image, reuse_reference=False)
    assert naive.reference_passes == 3 * STEPS


def test_unconditional_branch_rule(pipe, mini_config):
    image = torch.rand(1, 3, LATENT * mini_config.vae_factor, LATENT * mini_config.vae_factor)
    with Spy(pipe) as spy:
        run(pipe, mini_config, frames=4, reference_image=image)
    _, _, id_tokens, audio, cameras, reference_mask = spy.calls[0]
    assert torch.allclose(id_tokens[1:], pipe.identity_encoder.empty(1))
    assert not torch.allclose(id_tokens[:1], id_tokens[1:])
    assert audio[1:].abs().max() == 0 and audio[:1].abs().max() > 0
    assert cameras is None
    assert reference_mask.tolist() == [True, False]


def test_guidance_changes_the_result_and_is_deterministic(pipe, mini_config):
    first = run(pipe, mini_config, frames=4).latents
    assert torch.equal(first, run(pipe, mini_config, frames=4).latents)
    assert not torch.allclose(first, run(pipe, mini_config, frames=4, guidance_scale=1.0).latents)


def make_camera(serial, yaw_deg, image_size=(128, 128)):
    yaw = np.deg2rad(yaw_deg)
    rotation = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    w2c = np.eye(4)
    w2c[:3, :3], w2c[:3, 3] = rotation, [0, 0, 2.7]
    K = [[150.0, 0, 64], [0, 150.0, 64], [0, 0, 1]]
    return Camera.from_arrays(serial, K, w2c, image_size)


def test_novel_view_feeds_the_trajectory_to_the_camera_stream(pipe, mini_config):
    identity, audio = identity_and_audio(mini_config, 20)
    image = torch.rand(1, 3, LATENT * mini_config.vae_factor, LATENT * mini_config.vae_factor)
    source, target = make_camera("src", 0), make_camera("dst", 40)
    with Spy(pipe) as spy:
        out = pipe.novel_view(identity, audio, image, source, target, 20, num_inference_steps=STEPS,
                              output_type="latent")
    assert out.latents.shape[2] == 20
    expected = torch.from_numpy(camera_labels(camera_trajectory(source, target, 20)))
    first, second = spy.calls[0][4], spy.calls[STEPS][4]
    assert torch.allclose(first[:1], expected[:16]) and torch.allclose(first[1:], expected[:16])
    assert torch.allclose(second[:1], expected[14:])  # context frames keep their own cameras


def test_frames_decode_to_images(pipe, mini_config):
    identity, audio = identity_and_audio(mini_config, 3)
    out = pipe(identity, audio, 3, latent_size=(LATENT, LATENT), num_inference_steps=STEPS)
    size = LATENT * mini_config.vae_factor
    assert out.frames.shape == (1, 3, 3, size, size)
    assert out.frames.min() >= 0 and out.frames.max() <= 1


def test_pipeline_device_with_the_parameter_free_autoencoder(pipe):
    assert pipe.device == pipe.model.device == torch.device("cpu")


@pytest.mark.parametrize("problem, match", [
    ("short_audio", "audio features cover 10 frames, 12 requested"),
    ("audio_size", "audio windows must end in"),
    ("nan_camera", "NaN"),
    ("singular_camera", "singular"),
    ("camera_length", "camera labels must be"),
])
def test_bad_input_gives_clear_error(pipe, mini_config, problem, match):
    identity, audio = identity_and_audio(mini_config, 12)
    labels = torch.from_numpy(camera_labels(camera_trajectory(make_camera("a", 0), make_camera("b", 20), 12)))[None]
    frames = 12
    if problem == "short_audio":
        audio = audio[:, :10]
    elif problem == "audio_size":
        audio = audio[..., :-1]
    elif problem == "nan_camera":
        labels[0, 3, 5] = float("nan")
    elif problem == "singular_camera":
        labels[0, 3, :16] = torch.zeros(16)
    elif problem == "camera_length":
        labels = labels[:, :5]
    with pytest.raises(ValueError, match=match):
        pipe(identity, audio, frames, camera_labels=labels, latent_size=(LATENT, LATENT), num_inference_steps=STEPS)
