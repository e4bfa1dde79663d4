"""The STARCaster network: video UNet + conditioning projections + frozen reference UNet, saved as one folder."""
from __future__ import annotations

from pathlib import Path

import torch
from diffusers import ModelMixin, MotionAdapter, UNet2DConditionModel
from diffusers.configuration_utils import ConfigMixin, register_to_config
from peft import LoraConfig
from torch import nn

from model.attention import STREAMS, MultiSourceCrossAttnProcessor, ReferenceBank, ReferenceReaderProcessor, ReferenceWriterProcessor
from model.encoders import AudioProjection, CameraProjection
from model.unet import build_video_unet

# LoRA on the denoising UNet's spatial self-attention only (temporal blocks also have "attn1")
LORA_TARGETS = r"^(?!.*motion_modules).*attn1\.to_(q|k|v)$"
_PROCESSOR_SUFFIX = ".processor"


class STARCasterModel(ModelMixin, ConfigMixin):
    """Denoising video UNet (temporal blocks, decoupled id/audio/camera cross-attention, reference-reading
    self-attention with LoRA), audio and camera projections, and the frozen reference (image) UNet."""

    @register_to_config
    def __init__(self, unet_config: dict, motion_config: dict, audio_in_dim: int, audio_radius: int = 2,
                 audio_hidden: int = 512, audio_tokens: int = 32, camera_dim: int = 25, camera_hidden: int = 256,
                 camera_tokens: int = 4, lora_rank: int = 64):
        super().__init__()
        image_unet = UNet2DConditionModel(**unet_config)
        self.unet = build_video_unet(image_unet, MotionAdapter(**motion_config))
        self.reference_unet = image_unet.requires_grad_(False)
        cross_dim = unet_config["cross_attention_dim"]
        self.audio_proj = AudioProjection(audio_in_dim, audio_radius, audio_hidden, audio_tokens, cross_dim)
        self.camera_proj = CameraProjection(camera_dim, camera_hidden, camera_tokens, cross_dim)
        self.bank = ReferenceBank()
        self._install_processors()
        self.unet.add_adapter(LoraConfig(r=lora_rank, lora_alpha=lora_rank, target_modules=LORA_TARGETS))

    @classmethod
    def from_pretrained(cls, folder, **kwargs) -> STARCasterModel:
        # diffusers' meta-device initialisation breaks from_unet2d's weight copies inside __init__; a pipeline's
        # from_pretrained passes low_cpu_mem_usage=True to every component, so it is overridden, not defaulted
        kwargs["low_cpu_mem_usage"] = False
        return super().from_pretrained(folder, **kwargs)

    def _install_processors(self) -> None:
        processors = {}
        for name, processor in self.unet.attn_processors.items():
            module_name = name[: -len(_PROCESSOR_SUFFIX)]
            attn = self.unet.get_submodule(module_name)
            if "motion_modules" in name:
                processors[name] = processor
            elif module_name.endswith("attn1"):
                processors[name] = ReferenceReaderProcessor(module_name, self.bank)
            else:
                processors[name] = MultiSourceCrossAttnProcessor(attn.inner_dim, attn.to_k.in_features)
        self.unet.set_attn_processor(processors)
        self.reference_unet.set_attn_processor({
            name: ReferenceWriterProcessor(name[: -len(_PROCESSOR_SUFFIX)], self.bank) if ".attn1." in name else p
            for name, p in self.reference_unet.attn_processors.items()})

    @property
    def stream_processors(self) -> list[MultiSourceCrossAttnProcessor]:
        return [m for m in self.unet.modules() if isinstance(m, MultiSourceCrossAttnProcessor)]

    def set_stream_scale(self, stream: str, scale: float) -> None:
        """Weight of the audio or camera stream in every cross-attention (0 disables it)."""
        if stream not in STREAMS:
            raise ValueError(f"unknown stream {stream!r}; streams are {STREAMS}")
        for processor in self.stream_processors:
            processor.scales[stream] = float(scale)

    @torch.no_grad()
    def write_reference(self, latents: torch.Tensor, identity_tokens: torch.Tensor) -> None:
        """Run the reference UNet once at t = 0 on (B, R, C, H, W) latents (reference and/or context frames)."""
        batch, count = latents.shape[:2]
        self.bank.clear()
        timestep = torch.zeros(batch * count, device=latents.device, dtype=torch.long)
        self.reference_unet(latents.flatten(0, 1).to(self.reference_unet.dtype), timestep,
                            identity_tokens.repeat_interleave(count, dim=0).to(self.reference_unet.dtype))
        self.bank.group(batch)
        self.bank.writes += 1

    def forward(self, sample: torch.Tensor, timestep, identity_tokens: torch.Tensor,
                audio_windows: torch.Tensor | None = None, camera_labels: torch.Tensor | None = None,
                reference_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Noise prediction for ``sample`` (B, C, F, H, W) at ``timestep`` (scalar, (B,) or (B, F)).

        identity_tokens (B, L, D); audio_windows (B, F, window, features) from ``audio_windows``;
        camera_labels (B, F, 25); reference_mask (B,) bool, False hides the reference bank from a sample.
        """
        frames = sample.shape[2]
        kwargs = {
            "audio_tokens": None if audio_windows is None else self.audio_proj(audio_windows),
            "camera_tokens": None if camera_labels is None else self.camera_proj(camera_labels),
            "reference_mask": reference_mask,
        }
        identity = identity_tokens.repeat_interleave(frames, dim=0).to(self.unet.dtype)
        return self.unet(sample.to(self.unet.dtype), timestep, identity, cross_attention_kwargs=kwargs).sample

    def load_components(self, image_unet: UNet2DConditionModel, adapter: MotionAdapter) -> None:
        """Real weights: the image UNet (Arc2Face) into both UNets and a trained motion adapter (AnimateDiff)."""
        self.reference_unet.load_state_dict(image_unet.state_dict())
        video = build_video_unet(image_unet, adapter, zero_init=False).state_dict()
        own = self.unet.state_dict()
        by_plain_name = _plain_names(own)
        missing = [name for name in video if name not in by_plain_name]
        if missing:
            raise ValueError(f"weights do not fit the model config: {missing[:5]} ...")
        self.unet.load_state_dict({by_plain_name[name]: value for name, value in video.items()}, strict=False)

    def image_unet_state(self) -> dict[str, torch.Tensor]:
        """The denoising UNet's spatial weights under ``UNet2DConditionModel`` names: the image model inside the
        video UNet (LoRA base weights; the temporal blocks, LoRA deltas and stream K/V left out)."""
        own = self.unet.state_dict()
        by_plain_name = _plain_names(own)
        return {name: own[by_plain_name[name]] for name in self.reference_unet.state_dict()}

    def sync_reference_unet(self) -> None:
        """Reference UNet := the denoising UNet's image weights (after stage 0 has trained them)."""
        self.reference_unet.load_state_dict(self.image_unet_state())

    @classmethod
    def from_arc2face(cls, model_kwargs: dict, unet_folder: str | Path, adapter_folder: str | Path) -> STARCasterModel:
        """The paper model from local Arc2Face UNet (``arc2face/``) and AnimateDiff motion-adapter folders."""
        from benchmarks.preprocess.weights import require

        unet_folder, adapter_folder = Path(unet_folder), Path(adapter_folder)
        for folder, what, source in ((unet_folder, "Arc2Face UNet", "huggingface.co/FoivosPar/Arc2Face (arc2face/)"),
                                     (adapter_folder, "AnimateDiff motion adapter",
                                      "huggingface.co/guoyww/animatediff-motion-adapter-v1-5-2")):
            require(folder / "config.json", f"{what} config", source)
            require(folder / "diffusion_pytorch_model.safetensors", f"{what} weights", source)
        model = cls(**model_kwargs)
        model.load_components(UNet2DConditionModel.from_pretrained(unet_folder, local_files_only=True),
                              MotionAdapter.from_pretrained(adapter_folder, local_files_only=True))
        return model


def _plain_names(video_state: dict) -> dict[str, str]:
    """Video UNet parameter names keyed by their name without peft's LoRA wrapping (``.base_layer``)."""
    return {name.replace(".base_layer", ""): name for name in video_state}


def parameter_groups(model: STARCasterModel) -> dict[str, int]:
    """Parameter counts by part: the paper quotes ~0.9B image UNet + ~0.5B temporal blocks."""
    groups = dict.fromkeys(("image_unet", "temporal", "lora", "audio", "camera", "reference_unet"), 0)
    for name, param in model.named_parameters():
        groups[_group(name)] += param.numel()
    return groups


def _group(name: str) -> str:
    if "lora_" in name:
        return "lora"
    if name.startswith("reference_unet."):
        return "reference_unet"
    if name.startswith("unet.") and "motion_modules" in name:
        return "temporal"
    for stream in STREAMS:
        if name.startswith(f"{stream}_proj.") or f"processor.to_k.{stream}." in name or f"processor.to_v.{stream}." in name:
            return stream
    return "image_unet"


# (0) the identity-conditioned image prior, Arc2Face's place: the denoising UNet's own spatial weights (paper:
# Arc2Face as published, no training; mini: trained on MiniTalk frames, model/training/image_prior.py);
# paper Sec. 3.4: (1) temporal + audio; (2) + LoRA with the reference UNet; (3) the same weights with the
# camera stream replacing the audio one
STAGE_GROUPS = {0: ("image_unet",), 1: ("temporal", "audio"), 2: ("temporal", "audio", "lora"),
                3: ("temporal", "lora", "camera")}


def trainable_parameter_names(model: STARCasterModel, stage: int) -> list[str]:
    if stage not in STAGE_GROUPS:
        raise ValueError(f"training stage must be one of {sorted(STAGE_GROUPS)}, got {stage}")
    return [name for name, _ in model.named_parameters() if _group(name) in STAGE_GROUPS[stage]]


def set_trainable(model: STARCasterModel, stage: int) -> list[nn.Parameter]:
    """requires_grad on exactly the stage's parameters; returns them for the optimizer."""
    names = set(trainable_parameter_names(model, stage))
    params = []
    for name, param in model.named_parameters():
        param.requires_grad_(name in names)
        if name in names:
            params.append(param)
    return params
