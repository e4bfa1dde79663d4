import pytest
import torch

from model.config import get_config
from model.factory import build_pipeline
from model.starcaster import STARCasterModel

torch.set_num_threads(1)

LATENT = 8  # tiny latents: 8 x 8 (the mini preset's own size is 16 x 16)


@pytest.fixture(scope="session")
def mini_config():
    return get_config("mini")


def fresh_model(config, seed=0) -> STARCasterModel:
    torch.manual_seed(seed)
    return STARCasterModel(**config.model_kwargs()).eval()


def randomise(module: torch.nn.Module, std=0.05, seed=1) -> None:
    """Random values for every parameter (zero-initialised paths included)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * std)


@pytest.fixture(scope="session")
def model(mini_config):
    return fresh_model(mini_config)


@pytest.fixture(scope="session")
def pipe(mini_config, tmp_path_factory):
    return build_pipeline(mini_config, tmp_path_factory.mktemp("mini"), model=fresh_model(mini_config))


def inputs(config, frames=3, batch=1, seed=0):
    """Noisy latents, identity tokens, audio windows and camera labels for ``frames`` frames."""
    g = torch.Generator().manual_seed(seed)
    window = 2 * config.audio_radius + 1
    return {
        "sample": torch.randn(batch, config.latent_channels, frames, LATENT, LATENT, generator=g),
        "identity_tokens": torch.randn(batch, 77, config.cross_attention_dim, generator=g),
        "audio_windows": torch.randn(batch, frames, window, config.audio_layers * config.audio_dim, generator=g),
        "camera_labels": torch.cat([torch.eye(4).flatten(), torch.eye(3).flatten()]).repeat(batch, frames, 1)
        + 0.1 * torch.randn(batch, frames, 25, generator=g),
    }
