"""What each training stage trains and how it computes its loss (paper Sec. 3.4).

Stage 1, audio-driven motion learning: identity and audio streams on, camera off, reference UNet off;
trains the temporal blocks, the audio K/V and the audio MLP (``model.starcaster.set_trainable``).
Each segment is N noisy frames after n clean context frames at t = 0 (teacher forcing, as the sampler
lays out its windows); the loss ignores the context frames.
Every stage class has the interface ``model.training.cli`` drives: ``from_settings(pipe, settings)``,
``make_dataset(settings, model_config)``, ``prepare_model()`` and ``losses(model, batch, step)``; ``cli.STAGES`` lists them.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from diffusers import DDPMScheduler

from model.pipeline import STARCasterPipeline
from model.starcaster import set_trainable
from model.training.data import SegmentDataset, find_clips
from model.training.losses import diffusion_loss


def make_noise_scheduler(pipe: STARCasterPipeline) -> DDPMScheduler:
    """The forward process the sampler's scheduler inverts (same betas, epsilon prediction)."""
    return DDPMScheduler.from_config(pipe.scheduler.config)


@dataclass
class Stage1:
    pipe: STARCasterPipeline  # model + frozen VAE and identity encoder
    context_frames: int
    identity_dropout: float  # probability of the unconditional identity (the empty prompt), for guidance
    audio_dropout: float  # probability of zeroed audio features, the sampler's unconditional audio

    number = 1

    def __post_init__(self):
        self.noise_scheduler = make_noise_scheduler(self.pipe)

    @classmethod
    def from_settings(cls, pipe: STARCasterPipeline, settings: dict) -> "Stage1":
        return cls(pipe, settings["context_frames"], settings["identity_dropout"], settings["audio_dropout"])

    def make_dataset(self, settings: dict, model_config) -> SegmentDataset:
        clips = find_clips(settings["prepared_dir"], settings["benchmarks"])
        return SegmentDataset(clips, settings["segment_frames"] + settings["context_frames"],
                              model_config.audio_radius, settings["seed"])

    def prepare_model(self) -> list[torch.nn.Parameter]:
        model = self.pipe.model
        model.set_stream_scale("audio", 1.0)
        model.set_stream_scale("camera", 0.0)
        model.bank.clear()  # no reference features: every self-attention sees its own frame only
        self.pipe.vae.requires_grad_(False)
        self.pipe.identity_encoder.requires_grad_(False)
        return set_trainable(model, self.number)

    def losses(self, model, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        """``model`` is the (possibly accelerate-wrapped) ``pipe.model``; batch items from ``SegmentDataset``;
        ``step`` = optimizer steps done so far (losses may switch on at a step)."""
        frames, device = batch["frames"], batch["frames"].device
        size, count = frames.shape[:2]
        n = self.context_frames
        with torch.no_grad():
            latents = self.pipe.encode_images(frames.flatten(0, 1)).unflatten(0, (size, count)).transpose(1, 2)
            identity = self.pipe.identity_encoder(batch["identity"])
            drop_identity = torch.rand(size, device=device) < self.identity_dropout
            identity = torch.where(drop_identity[:, None, None], self.pipe.identity_encoder.empty(size), identity)
        keep_audio = (torch.rand(size, device=device) >= self.audio_dropout).to(batch["audio"].dtype)
        audio = batch["audio"] * keep_audio[:, None, None, None]
        noise = torch.randn_like(latents)
        t = torch.randint(0, self.noise_scheduler.config.num_train_timesteps, (size,), device=device)
        noisy = self.noise_scheduler.add_noise(latents, noise, t)
        noisy[:, :, :n] = latents[:, :, :n]
        timesteps = t[:, None].repeat(1, count)
        timesteps[:, :n] = 0
        prediction = model(noisy, timesteps, identity, audio)
        supervised = torch.arange(count, device=device) >= n
        return {"diffusion": diffusion_loss(prediction, noise, supervised)}
