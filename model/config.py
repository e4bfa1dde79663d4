"""Model presets: ``paper`` (Arc2Face / SD1.5 + AnimateDiff-sized motion modules) and ``mini`` (same structure, small width).

Presets differ only in values; every consumer builds the same classes from them.
"""
from __future__ import annotations

from dataclasses import dataclass

ID_PROMPT = "photo of a id person"
ID_PLACEHOLDER = "id"

_BLOCKS_DOWN = ("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D")
_BLOCKS_UP = ("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D")


@dataclass(frozen=True)
class ModelConfig:
    """Everything that fixes the network's shapes plus the sampler's segment layout."""

    preset: str
    unet: dict  # UNet2DConditionModel config (Arc2Face = SD1.5 UNet)
    motion: dict  # MotionAdapter config
    text_encoder: dict  # CLIPTextConfig values (mini only builds from it; paper loads Arc2Face's encoder/)
    identity_dim: int  # ArcFace 512 (paper) / dlib 128 (mini)
    audio_layers: int  # per-frame audio features are (layers, audio_dim): wav2vec2 12 x 768, mini 1 x 64
    audio_dim: int
    audio_radius: int = 2  # +-2 frame window
    audio_hidden: int = 512
    audio_tokens: int = 32
    camera_dim: int = 25
    camera_hidden: int = 256
    camera_tokens: int = 4
    lora_rank: int = 64
    segment_frames: int = 16  # N
    context_frames: int = 2  # n
    latent_channels: int = 4
    vae_factor: int = 8  # image pixels per latent pixel
    autoencoder: str = "sd_vae"  # sd_vae (AutoencoderKL with ``vae`` values) | space_to_depth (model/autoencoder.py)
    # what the UNet predicts: epsilon (SD1.5, Arc2Face) | sample (x0). The mini UNet's 32-channel first block
    # cannot carry 192-channel white noise (its eps loss stalls at ~0.89), while 32 components hold 99.7% of
    # MiniTalk's 8 x 8 x 3 pixel patches: mini predicts x0 (deviation D24)
    prediction_type: str = "epsilon"
    vae: dict | None = None

    @property
    def cross_attention_dim(self) -> int:
        return self.unet["cross_attention_dim"]

    def model_kwargs(self) -> dict:
        """The arguments of ``STARCasterModel`` (JSON-serialisable, stored in its config.json)."""
        return {
            "unet_config": dict(self.unet),
            "motion_config": dict(self.motion),
            "audio_in_dim": self.audio_layers * self.audio_dim,
            "audio_radius": self.audio_radius,
            "audio_hidden": self.audio_hidden,
            "audio_tokens": self.audio_tokens,
            "camera_dim": self.camera_dim,
            "camera_hidden": self.camera_hidden,
            "camera_tokens": self.camera_tokens,
            "lora_rank": self.lora_rank,
        }


def _paper() -> ModelConfig:
    unet = {  # Arc2Face's arc2face/config.json = SD1.5 UNet
        "sample_size": 64,
        "in_channels": 4,
        "out_channels": 4,
        "down_block_types": _BLOCKS_DOWN,
        "up_block_types": _BLOCKS_UP,
        "block_out_channels": (320, 640, 1280, 1280),
        "layers_per_block": 2,
        "cross_attention_dim": 768,
        "attention_head_dim": 8,
        "norm_num_groups": 32,
    }
    motion = {  # AnimateDiff motion adapter v1.5-2 (guoyww/animatediff-motion-adapter-v1-5-2)
        "block_out_channels": (320, 640, 1280, 1280),
        "motion_layers_per_block": 2,
        "motion_num_attention_heads": 8,
        "motion_norm_num_groups": 32,
        "motion_max_seq_length": 32,
        "use_motion_mid_block": True,
    }
    text = {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072,
            "max_position_embeddings": 77, "vocab_size": 49408}
    vae = {  # SD1.5 vae/config.json
        "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 2, "sample_size": 512,
        "block_out_channels": (128, 256, 512, 512), "scaling_factor": 0.18215,
        "down_block_types": ("DownEncoderBlock2D",) * 4, "up_block_types": ("UpDecoderBlock2D",) * 4,
    }
    return ModelConfig(preset="paper", unet=unet, motion=motion, text_encoder=text, identity_dim=512,
                       audio_layers=12, audio_dim=768, vae=vae)


def _mini() -> ModelConfig:
    width = (32, 32, 64, 64)
    unet = {
        "sample_size": 16,
        "in_channels": 3 * 8 * 8,  # lossless space-to-depth of 128 px frames (model/autoencoder.py)
        "out_channels": 3 * 8 * 8,
        "down_block_types": _BLOCKS_DOWN,
        "up_block_types": _BLOCKS_UP,
        "block_out_channels": width,
        "layers_per_block": 1,
        "cross_attention_dim": 128,  # >= identity_dim: the dlib vector is zero-padded to it
        "attention_head_dim": 4,
        "norm_num_groups": 8,
    }
    motion = {"block_out_channels": width, "motion_layers_per_block": 1, "motion_num_attention_heads": 4,
              "motion_norm_num_groups": 8, "motion_max_seq_length": 32, "use_motion_mid_block": True}
    text = {"hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 256,
            "max_position_embeddings": 77}
    return ModelConfig(preset="mini", unet=unet, motion=motion, text_encoder=text, identity_dim=128,
                       audio_layers=1, audio_dim=64, audio_hidden=64, audio_tokens=4, camera_hidden=32,
                       camera_tokens=2, lora_rank=4, latent_channels=3 * 8 * 8, vae_factor=8,
                       autoencoder="space_to_depth", prediction_type="sample")


PRESETS = {"paper": _paper, "mini": _mini}


def get_config(preset: str) -> ModelConfig:
    if preset not in PRESETS:
        raise ValueError(f"unknown model preset {preset!r}; choose one of {sorted(PRESETS)}")
    return PRESETS[preset]()
