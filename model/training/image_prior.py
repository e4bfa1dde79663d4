"""Stage 0, the identity-conditioned image prior: what Arc2Face is to the paper's model (docs/training.md).

The paper starts from Arc2Face as published, so its profile runs no step of this stage. The mini network's image
UNet has no published weights; without this stage it stays random and no later stage can draw a face. Stage 0
trains the denoising UNet's own spatial weights (``STAGE_GROUPS[0]``) on single prepared frames, conditioned on
the identity embedding of a random frame of the clip, as Arc2Face was trained; the audio, camera and reference
streams are off, and the temporal blocks, still zero-initialised, leave a one-frame window unchanged. The
identity encoder stays frozen (Arc2Face also fine-tuned its CLIP encoder: deviation D23). At export the
reference UNet receives the trained image weights, as ``load_components`` gives it Arc2Face's.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from model.pipeline import STARCasterPipeline
from model.starcaster import set_trainable
from model.training.data import SegmentDataset, find_clips
from model.training.losses import diffusion_loss, diffusion_target
from model.training.stage import drop_identity, make_noise_scheduler


@dataclass
class Stage0:
    pipe: STARCasterPipeline
    identity_dropout: float  # probability of the unconditional identity (the empty prompt), for guidance

    number = 0
    sequence_frames = 1  # frames per item

    def __post_init__(self):
        self.noise_scheduler = make_noise_scheduler(self.pipe)

    @classmethod
    def from_settings(cls, pipe: STARCasterPipeline, settings: dict) -> Stage0:
        return cls(pipe, settings["identity_dropout"])

    def make_dataset(self, settings: dict, model_config) -> SegmentDataset:
        return SegmentDataset(find_clips(settings["prepared_dir"], settings["benchmarks"]), self.sequence_frames,
                              model_config.audio_radius, settings["seed"])

    def prepare_model(self) -> list[torch.nn.Parameter]:
        model = self.pipe.model
        model.set_stream_scale("audio", 0.0)
        model.set_stream_scale("camera", 0.0)
        model.bank.clear()
        self.pipe.vae.requires_grad_(False)
        self.pipe.identity_encoder.requires_grad_(False)
        return set_trainable(model, self.number)

    def losses(self, model, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        frames, device = batch["frames"], batch["frames"].device
        size = frames.shape[0]
        with torch.no_grad():
            latents = self.pipe.encode_images(frames[:, 0])[:, :, None]  # (B, C, 1, h, w)
            identity = drop_identity(self.pipe, self.pipe.identity_encoder(batch["identity"]), self.identity_dropout)
        noise = torch.randn_like(latents)
        t = torch.randint(0, self.noise_scheduler.config.num_train_timesteps, (size,), device=device)
        prediction = model(self.noise_scheduler.add_noise(latents, noise, t), t, identity)
        target = diffusion_target(self.noise_scheduler.config.prediction_type, latents, noise)
        return {"diffusion": diffusion_loss(prediction, target, torch.ones(1, dtype=torch.bool))}

    def before_export(self) -> None:
        self.pipe.model.sync_reference_unet()
