"""Stage 3, temporal-to-spatial adaptation (paper Sec. 3.4): "the audio stream is deactivated while we enable
the camera attention branch ... training remains autoregressive ... the same model weights are optimized,
with camera attention layers replacing the audio-specific ones".

Stage 2's autoregressive protocol (self-forcing over ``segments``, or teacher forcing) on sub-trajectories
of the synthetic multi-view renders (``multiview_data.MultiviewDataset``), with per-frame camera labels
in both the generated and the trained segments and no audio (stream scale 0). Trains
``set_trainable(model, 3)``: temporal blocks, the self-attention LoRA, camera K/V + MLP.
"""
from __future__ import annotations

from dataclasses import dataclass

from model.training.multiview_data import MultiviewDataset, load_multiview
from model.training.self_forcing import Stage2


@dataclass
class Stage3(Stage2):
    number = 3
    streams = {"audio": 0.0, "camera": 1.0}

    def make_dataset(self, settings: dict, model_config) -> MultiviewDataset:
        resolution = model_config.unet["sample_size"] * model_config.vae_factor
        return load_multiview(settings, self.sequence_frames, resolution)
