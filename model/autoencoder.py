"""Image <-> latent maps: the SD1.5 VAE (paper) or a lossless space-to-depth map (mini).

The mini preset has no VAE weights to load and no budget to train one, so it stands in a
parameter-free, exactly invertible pixel (un)shuffle: 128 px RGB in [-1, 1] -> 16 x 16 x 192 latents.
It exposes AutoencoderKL's interface (``encode(x).latent_dist``, ``decode(z).sample``,
``config.scaling_factor``) so the sampler and training code are the same for both presets.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, ModelMixin
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKLOutput
from diffusers.models.autoencoders.vae import DecoderOutput, DiagonalGaussianDistribution

from model.config import ModelConfig


class SpaceToDepthAutoencoder(ModelMixin, ConfigMixin):
    @register_to_config
    def __init__(self, factor: int = 8, scaling_factor: float = 1.0):
        super().__init__()

    @property
    def dtype(self) -> torch.dtype:
        # parameter-free: ModelMixin.dtype would fail; it computes in whatever dtype it is given
        return torch.float32

    @property
    def device(self) -> torch.device:
        # ModelMixin.device would raise StopIteration (no parameters); the pipeline's device comes from the
        # components that have weights, which DiffusionPipeline.device prefers when they are off the CPU
        return torch.device("cpu")

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | Path, subfolder: str | None = None, **kwargs):
        """From its ``config.json`` alone: there are no weights (``save_pretrained`` writes none)."""
        folder = Path(pretrained_model_name_or_path) / (subfolder or "")
        return cls.from_config(cls.load_config(folder))

    def encode(self, images: torch.Tensor) -> AutoencoderKLOutput:
        mean = F.pixel_unshuffle(images, self.config.factor)
        # zero log-variance and deterministic: sample() and mode() both return the exact mean
        return AutoencoderKLOutput(latent_dist=DiagonalGaussianDistribution(torch.cat([mean, torch.zeros_like(mean)], 1),
                                                                            deterministic=True))

    def decode(self, latents: torch.Tensor) -> DecoderOutput:
        return DecoderOutput(sample=F.pixel_shuffle(latents, self.config.factor))


def build_autoencoder(config: ModelConfig, folder: str | Path | None = None):
    """The preset's latent map: space-to-depth, or the SD1.5 VAE from ``folder`` (random weights without one)."""
    if config.autoencoder == "space_to_depth":
        return SpaceToDepthAutoencoder(factor=config.vae_factor)
    if config.autoencoder != "sd_vae":
        raise ValueError(f"unknown autoencoder kind {config.autoencoder!r}: space_to_depth or sd_vae")
    if folder is None:
        return AutoencoderKL(**config.vae)
    from benchmarks.preprocess.weights import require

    source = "huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5 (vae/)"
    require(Path(folder) / "config.json", "SD1.5 VAE config", source)
    require(Path(folder) / "diffusion_pytorch_model.safetensors", "SD1.5 VAE weights", source)
    return AutoencoderKL.from_pretrained(folder, local_files_only=True)
