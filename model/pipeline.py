"""Autoregressive STARCaster sampler: id-driven, portrait-driven and novel-view generation of any length.

Segments of N new frames are denoised with the previous segment's last n frames prepended as clean
context (timestep 0) in the temporal window. The reference UNet encodes the reference image and the
context frames once per segment. Classifier-free guidance runs conditional and unconditional as one
batch; the unconditional branch is: identity = encoder on the empty prompt, zero audio features,
no reference features (masked out of self-attention); the camera is kept in both branches so that
guidance amplifies identity, speech and appearance, not the viewpoint.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import AutoencoderKL, DiffusionPipeline, DPMSolverMultistepScheduler
from diffusers.utils import BaseOutput
from diffusers.utils.torch_utils import randn_tensor
from transformers import CLIPTextModel, CLIPTokenizer

from benchmarks.records import Camera
from model.autoencoder import SpaceToDepthAutoencoder
from model.encoders import IdentityEncoder, audio_windows, validate_camera_labels
from model.starcaster import STARCasterModel
from model.trajectory import camera_labels as trajectory_labels
from model.trajectory import camera_trajectory


def make_scheduler(prediction_type: str = "epsilon") -> DPMSolverMultistepScheduler:
    """SD1.5's noise schedule, as Arc2Face samples with it; ``prediction_type`` is the preset's."""
    return DPMSolverMultistepScheduler(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012,
                                       beta_schedule="scaled_linear", prediction_type=prediction_type)


@dataclass
class STARCasterOutput(BaseOutput):
    latents: torch.Tensor  # (B, C, F, h, w)
    frames: torch.Tensor | None  # (B, F, 3, H, W) in [0, 1]; None for output_type="latent"


class STARCasterPipeline(DiffusionPipeline):
    """Every component is registered, so ``save_pretrained`` writes a folder (``model_index.json``, ``model/``,
    ``vae/``, ``text_encoder/``, ``tokenizer/``, ``scheduler/``) that ``STARCasterPipeline.from_pretrained`` loads
    alone; ``identity_encoder`` is the Arc2Face conditioning built over ``text_encoder`` and ``tokenizer``."""

    # diffusers imports a component's library only if it is imported already: the model_index.json of a saved folder
    # names model.starcaster and model.autoencoder, both imported above
    def __init__(self, model: STARCasterModel, vae: AutoencoderKL | SpaceToDepthAutoencoder,
                 text_encoder: CLIPTextModel, tokenizer: CLIPTokenizer, scheduler: DPMSolverMultistepScheduler,
                 segment_frames: int = 16, context_frames: int = 2):
        super().__init__()
        self.register_modules(model=model, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler)
        self.register_to_config(segment_frames=segment_frames, context_frames=context_frames)
        self.identity_encoder = IdentityEncoder(text_encoder, tokenizer)
        if segment_frames + context_frames > model.unet.max_frames:
            raise ValueError(f"N + n = {segment_frames + context_frames} exceeds the motion modules' "
                             f"max sequence length {model.unet.max_frames}")

    @torch.no_grad()
    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [0, 1] -> (B, C, h, w) scaled latents."""
        latents = self.vae.encode((2 * images - 1).to(self.vae.dtype)).latent_dist.mode()
        return latents * self.vae.config.scaling_factor

    @torch.no_grad()
    def decode_latents(self, latents: torch.Tensor) -> torch.Tensor:
        """(B, C, F, h, w) -> (B, F, 3, H, W) in [0, 1], one frame at a time."""
        frames = [self.vae.decode(latents[:, :, i] / self.vae.config.scaling_factor).sample
                  for i in range(latents.shape[2])]
        return ((torch.stack(frames, dim=1).float() + 1) / 2).clamp(0, 1)

    def _check_inputs(self, identity, audio_features, num_frames, cameras):
        if num_frames < 1:
            raise ValueError(f"num_frames must be positive, got {num_frames}")
        if audio_features is not None:
            if audio_features.ndim != 4 or audio_features.shape[0] != identity.shape[0]:
                raise ValueError(f"audio features must be (batch={identity.shape[0]}, frames, layers, dim), "
                                 f"got {tuple(audio_features.shape)}")
            if audio_features.shape[1] < num_frames:
                raise ValueError(f"audio features cover {audio_features.shape[1]} frames, {num_frames} requested")
        if cameras is not None:
            if cameras.shape[:2] != (identity.shape[0], num_frames):
                raise ValueError(f"camera labels must be (batch, num_frames={num_frames}, 25), got {tuple(cameras.shape)}")
            validate_camera_labels(cameras)

    @torch.no_grad()
    def __call__(self, identity: torch.Tensor, audio_features: torch.Tensor | None, num_frames: int,
                 reference_image: torch.Tensor | None = None, camera_labels: torch.Tensor | None = None,
                 latent_size: tuple[int, int] | None = None, num_inference_steps: int = 25,
                 guidance_scale: float = 3.0, generator: torch.Generator | None = None,
                 output_type: str = "pt", reuse_reference: bool = True) -> STARCasterOutput:
        """identity (B, d); audio_features (B, T >= num_frames, layers, dim) or None; reference_image
        (B, 3, H, W) in [0, 1] (portrait-driven) or None (id-driven); camera_labels (B, num_frames, 25).

        ``reuse_reference=False`` reruns the reference UNet at every step (the naive sampler, for benchmarks).
        """
        self._check_inputs(identity, audio_features, num_frames, camera_labels)
        model, device = self.model, self.model.device
        batch, cfg = identity.shape[0], guidance_scale > 1.0
        id_cond = self.identity_encoder(identity.to(device)).to(model.dtype)
        id_tokens = torch.cat([id_cond, self.identity_encoder.empty(batch).to(model.dtype)]) if cfg else id_cond
        reference = None if reference_image is None else self.encode_images(reference_image.to(device))[:, None]
        if latent_size is None:
            latent_size = (tuple(reference.shape[-2:]) if reference is not None
                           else (model.unet.config.sample_size,) * 2)
        channels = model.unet.config.in_channels
        N, n = self.config.segment_frames, self.config.context_frames
        generated = torch.zeros(batch, channels, 0, *latent_size, device=device, dtype=model.dtype)
        with self.progress_bar(total=-(-num_frames // N) * num_inference_steps) as progress:
            while generated.shape[2] < num_frames:
                start = generated.shape[2]
                count = min(N, num_frames - start)
                context = generated[:, :, max(0, start - n):]
                sources = [s for s in (reference, context.transpose(1, 2)) if s is not None and s.shape[1]]
                segment = self.denoise_segment(
                    context, count, id_cond, id_tokens, sources,
                    None if audio_features is None else audio_windows(
                        audio_features.to(device), start - context.shape[2], context.shape[2] + count,
                        model.config.audio_radius),
                    None if camera_labels is None else camera_labels[:, start - context.shape[2]:start + count].to(device),
                    num_inference_steps, guidance_scale, generator, reuse_reference, progress)
                generated = torch.cat([generated, segment], dim=2)
        model.bank.clear()
        frames = None if output_type == "latent" else self.decode_latents(generated)
        return STARCasterOutput(latents=generated, frames=frames)

    def denoise_segment(self, context, count, id_cond, id_tokens, sources, audio, cameras, steps,
                         guidance_scale, generator, reuse_reference, progress) -> torch.Tensor:
        model, cfg = self.model, guidance_scale > 1.0
        batch, channels, n = context.shape[0], context.shape[1], context.shape[2]
        copies = 2 if cfg else 1

        def write_reference():
            model.bank.clear()
            if sources:
                model.write_reference(torch.cat(sources, dim=1), id_cond)
                model.bank.tile(copies)

        reference_mask = None
        if sources and cfg:
            reference_mask = torch.arange(2 * batch, device=context.device) < batch
        if audio is not None and cfg:
            audio = torch.cat([audio, torch.zeros_like(audio)])
        if cameras is not None and cfg:
            cameras = torch.cat([cameras, cameras])
        latents = randn_tensor((batch, channels, count, *context.shape[-2:]), generator=generator,
                               device=context.device, dtype=context.dtype)
        self.scheduler.set_timesteps(steps, device=context.device)
        latents = latents * self.scheduler.init_noise_sigma
        for step, t in enumerate(self.scheduler.timesteps):
            if step == 0 or not reuse_reference:
                write_reference()
            window = torch.cat([context, self.scheduler.scale_model_input(latents, t)], dim=2).repeat(copies, 1, 1, 1, 1)
            timesteps = torch.cat([torch.zeros(n, dtype=torch.long), torch.full((count,), int(t))]).to(context.device)
            eps = model(window, timesteps.expand(window.shape[0], -1), id_tokens, audio, cameras, reference_mask)[:, :, n:]
            if cfg:
                eps_cond, eps_uncond = eps.chunk(2)
                eps = eps_uncond + guidance_scale * (eps_cond - eps_uncond)
            latents = self.scheduler.step(eps, t, latents, generator=generator).prev_sample
            progress.update()
        return latents

    def novel_view(self, identity: torch.Tensor, audio_features: torch.Tensor, reference_image: torch.Tensor,
                   source_camera: Camera, target_camera: Camera, num_frames: int, **kwargs) -> STARCasterOutput:
        """Audio-driven animation of ``reference_image`` while the camera moves smoothly from
        ``source_camera`` (the input view) to ``target_camera``."""
        labels = torch.from_numpy(trajectory_labels(camera_trajectory(source_camera, target_camera, num_frames)))
        labels = labels[None].expand(identity.shape[0], -1, -1)
        return self(identity, audio_features, num_frames, reference_image=reference_image, camera_labels=labels, **kwargs)


PIPELINE_INDEX = "model_index.json"


def checked_folder(folder: str | Path) -> Path:
    """A pipeline folder as ``export_pipeline`` writes it; an export of the network alone is refused, naming why."""
    folder = Path(folder)
    if not (folder / PIPELINE_INDEX).is_file():
        if (folder / "config.json").is_file():
            raise ValueError(f"{folder} holds the network alone, exported before trained models were whole pipeline "
                             f"folders: run its training stage again (`dvc repro`) to write {PIPELINE_INDEX} and every "
                             "component beside it")
        raise FileNotFoundError(f"{folder / PIPELINE_INDEX} not found: a trained model is a pipeline folder")
    return folder


def export_pipeline(pipe: STARCasterPipeline, folder: str | Path) -> None:
    """Every component into ``folder``, written whole or not at all: what ``load_pipeline`` reads."""
    from benchmarks.atomic import atomic_dir

    with atomic_dir(folder) as tmp:
        pipe.save_pretrained(tmp, safe_serialization=True)


def load_pipeline(folder: str | Path) -> STARCasterPipeline:
    """The sampler of a trained model, from its folder alone (no params, no training code)."""
    pipe = STARCasterPipeline.from_pretrained(checked_folder(folder))
    pipe.set_progress_bar_config(disable=True)
    return pipe
