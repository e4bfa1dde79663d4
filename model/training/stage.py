"""What each training stage trains and how it computes its loss (paper Sec. 3.4).

Stage 1, audio-driven motion learning: identity and audio streams on, camera off, reference UNet off;
trains the temporal blocks, the audio K/V and the audio MLP (``model.starcaster.set_trainable``).
Each segment is N noisy frames after n clean context frames at t = 0 (teacher forcing, as the sampler
lays out its windows); the loss ignores the context frames. From ``lipread_start_step`` on (None = never,
the no-lip-reading ablation) the lip-reading loss is added with ``lipread_weight`` (Sec. 3.3, Supp. B).
Every stage class has the interface ``model.training.cli`` drives: ``from_settings(pipe, settings)``,
``make_dataset(settings, model_config)``, ``prepare_model()`` and ``losses(model, batch, step)``, and optionally
``before_export()``; ``cli.STAGES`` lists them.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from diffusers import DDPMScheduler

from model.lipreading import LipReader
from model.pipeline import STARCasterPipeline
from model.starcaster import set_trainable
from model.training.data import SegmentDataset, find_clips
from model.training.losses import diffusion_loss, diffusion_target, lipread_loss, predicted_x0


def make_noise_scheduler(pipe: STARCasterPipeline) -> DDPMScheduler:
    """The forward process the sampler's scheduler inverts (same betas and prediction type)."""
    return DDPMScheduler.from_config(pipe.scheduler.config)


def drop_identity(pipe: STARCasterPipeline, tokens: torch.Tensor, probability: float) -> torch.Tensor:
    """Identity tokens (B, L, D), each sample's replaced by the empty prompt's with ``probability``: the
    sampler's unconditional branch, learned for classifier-free guidance."""
    size = tokens.shape[0]
    dropped = torch.rand(size, device=tokens.device) < probability
    return torch.where(dropped[:, None, None], pipe.identity_encoder.empty(size), tokens)


@dataclass
class Stage1:
    pipe: STARCasterPipeline  # model + frozen VAE and identity encoder
    context_frames: int
    identity_dropout: float  # probability of the unconditional identity (the empty prompt), for guidance
    audio_dropout: float  # probability of zeroed audio features, the sampler's unconditional audio
    lip_reader: LipReader | None = None  # frozen; needed when lipread_start_step is set
    lipread_start_step: int | None = None  # optimizer steps before the lip-reading loss; None = off
    lipread_weight: float = 1.0
    gradient_checkpointing: bool = False  # also through the VAE decoder of the lip-reading loss

    number = 1

    def __post_init__(self):
        self.noise_scheduler = make_noise_scheduler(self.pipe)
        if self.lipread_start_step is not None and self.lip_reader is None:
            raise ValueError("lipread_start_step is set but no lip reader was given")

    @classmethod
    def from_settings(cls, pipe: STARCasterPipeline, settings: dict) -> Stage1:
        start = settings.get("lipread_start_step")
        if start is not None and not (settings.get("lipreader") or {}).get("out"):
            raise ValueError("lipread_start_step is set but train.lipreader.out (the lip reader's folder) is not")
        return cls(pipe, settings["context_frames"], settings["identity_dropout"], settings["audio_dropout"],
                   None if start is None else LipReader.from_folder(settings["lipreader"]["out"]), start,
                   settings.get("lipread_weight", 1.0), settings.get("gradient_checkpointing", False))

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
        if self.gradient_checkpointing and self.lipread_start_step is not None \
                and getattr(self.pipe.vae, "_supports_gradient_checkpointing", False):
            self.pipe.vae.enable_gradient_checkpointing()
        return set_trainable(model, self.number)

    def losses(self, model, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        """``model`` is the (possibly accelerate-wrapped) ``pipe.model``; batch items from ``SegmentDataset``;
        ``step`` = optimizer steps done so far (losses may switch on at a step)."""
        frames, device = batch["frames"], batch["frames"].device
        size, count = frames.shape[:2]
        n = self.context_frames
        with torch.no_grad():
            latents = self.pipe.encode_images(frames.flatten(0, 1)).unflatten(0, (size, count)).transpose(1, 2)
            identity = drop_identity(self.pipe, self.pipe.identity_encoder(batch["identity"]), self.identity_dropout)
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
        target = diffusion_target(self.noise_scheduler.config.prediction_type, latents, noise)
        terms = {"diffusion": diffusion_loss(prediction, target, supervised)}
        if self.lipread_start_step is not None and step >= self.lipread_start_step:
            generated = torch.cat([frames[:, :n], self.decode_x0(noisy[:, :, n:], prediction[:, :, n:], t)], dim=1)
            self.lip_reader.to(device)
            terms["lipread"] = self.lipread_weight * lipread_loss(
                self.lip_reader, generated, frames, batch["landmarks"], supervised)
        return terms

    def decode_x0(self, noisy: torch.Tensor, prediction: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The clean frames the prediction implies (``losses.predicted_x0``), decoded with gradients:
        (B, C, F, h, w) -> (B, F, 3, H, W) in [0, 1] (clamped like the sampler's output)."""
        alpha = self.noise_scheduler.alphas_cumprod.to(noisy.device)[t].view(-1, 1, 1, 1, 1)
        x0 = predicted_x0(self.noise_scheduler.config.prediction_type, noisy, prediction, alpha)
        vae = self.pipe.vae
        # one frame at a time, as the sampler decodes: with a checkpointed decoder the backward recomputes
        # one frame's activations at a time
        images = torch.stack([vae.decode(x0[:, :, i].to(vae.dtype) / vae.config.scaling_factor).sample
                              for i in range(x0.shape[2])], dim=1)
        return ((images.float() + 1) / 2).clamp(0, 1)
