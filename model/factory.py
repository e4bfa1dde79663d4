"""Build the sampler for a preset: mini from random weights, paper from local weight folders."""
from __future__ import annotations

from pathlib import Path

import torch

from model.autoencoder import build_autoencoder
from model.config import ModelConfig
from model.encoders import build_random_identity_encoder, load_identity_encoder
from model.pipeline import STARCasterPipeline, make_scheduler
from model.starcaster import STARCasterModel

# paper weights, relative to the weights folder
PAPER_FOLDERS = {
    "unet": "arc2face/arc2face",
    "encoder": "arc2face/encoder",
    "motion_adapter": "animatediff-motion-adapter-v1-5-2",
    "vae": "stable-diffusion-v1-5/vae",
    "tokenizer": "stable-diffusion-v1-5/tokenizer",
}


def build_model(config: ModelConfig, weights_dir: str | Path | None = None, seed: int = 0) -> STARCasterModel:
    """Random weights (seeded) without ``weights_dir``; Arc2Face + AnimateDiff weights from it otherwise."""
    if weights_dir is None:
        torch.manual_seed(seed)
        return STARCasterModel(**config.model_kwargs())
    weights_dir = Path(weights_dir)
    return STARCasterModel.from_arc2face(config.model_kwargs(), weights_dir / PAPER_FOLDERS["unet"],
                                         weights_dir / PAPER_FOLDERS["motion_adapter"])


def build_pipeline(config: ModelConfig, work_dir: str | Path, weights_dir: str | Path | None = None,
                   model: STARCasterModel | None = None, seed: int = 0) -> STARCasterPipeline:
    """Without ``weights_dir``: seeded random networks and a tokenizer built under ``work_dir`` (mini, or
    timing the paper architecture); with it: every network from ``weights_dir`` (see PAPER_FOLDERS)."""
    model = model if model is not None else build_model(config, weights_dir, seed)
    if weights_dir is None:
        identity = build_random_identity_encoder(config, Path(work_dir) / "tokenizer", seed)
        vae = build_autoencoder(config)
    else:
        weights_dir = Path(weights_dir)
        identity = load_identity_encoder(weights_dir / PAPER_FOLDERS["encoder"], weights_dir / PAPER_FOLDERS["tokenizer"])
        vae = build_autoencoder(config, weights_dir / PAPER_FOLDERS["vae"])
    pipe = STARCasterPipeline(model.eval(), vae, identity.text_encoder, identity.tokenizer,
                              make_scheduler(config.prediction_type), config.segment_frames, config.context_frames)
    pipe.set_progress_bar_config(disable=True)
    return pipe
