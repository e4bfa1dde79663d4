"""Video UNet: diffusers' UNetMotionModel with per-frame timesteps, per-frame temporal GroupNorm and zero-init temporal output."""
from __future__ import annotations

import torch
from diffusers import MotionAdapter, UNet2DConditionModel, UNetMotionModel
from diffusers.models.resnet import ResnetBlock2D
from diffusers.models.unets.unet_motion_model import AnimateDiffTransformer3D
from torch import nn


class FrameGroupNorm(nn.GroupNorm):
    """GroupNorm over (C/G, H, W) of each frame, as AnimateDiff and Hallo do.

    diffusers normalises a temporal block's input over (C/G, F, H, W) jointly; with clean context frames
    in the same window as noisy ones that would tie every frame's statistics to the others'. Same
    parameters as nn.GroupNorm, so AnimateDiff adapter weights load unchanged.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 5:
            return super().forward(x)
        b, c, f, h, w = x.shape
        frames = x.transpose(1, 2).reshape(b * f, c, h, w)
        return super().forward(frames).reshape(b, f, c, h, w).transpose(1, 2)


class VideoUNet(UNetMotionModel):
    """UNetMotionModel whose ``timestep`` may be per frame, shape (batch, frames).

    Clean context frames (t = 0) and noisy frames share one temporal window. The parent embeds one
    timestep per clip; per-frame embeddings are substituted into every ResNet block's ``temb`` instead
    of re-implementing the parent's forward.
    """

    _frame_temb = None

    def install_frame_layers(self) -> None:
        """Per-frame timestep substitution and per-frame temporal GroupNorm (call once, after building)."""
        for module in self.modules():
            if isinstance(module, ResnetBlock2D):
                module.register_forward_pre_hook(self._substitute_frame_temb, with_kwargs=True)
            if isinstance(module, AnimateDiffTransformer3D):
                old = module.norm
                module.norm = FrameGroupNorm(old.num_groups, old.num_channels, eps=old.eps, affine=old.affine,
                                             device="meta")
                module.norm.weight, module.norm.bias = old.weight, old.bias  # keep the adapter's parameters

    def _substitute_frame_temb(self, module, args, kwargs):
        if self._frame_temb is not None:
            if len(args) > 1:  # gradient checkpointing passes temb positionally
                args = (args[0], self._frame_temb, *args[2:])
            else:
                kwargs["temb"] = self._frame_temb
        return args, kwargs

    @property
    def max_frames(self) -> int:
        return self.config.motion_max_seq_length

    def forward(self, sample: torch.Tensor, timestep, encoder_hidden_states: torch.Tensor, **kwargs):
        """``sample`` (B, C, F, H, W); ``timestep`` scalar, (B,) or (B, F); ``encoder_hidden_states`` (B*F, L, D)."""
        batch, _, frames = sample.shape[:3]
        if frames > self.max_frames:
            raise ValueError(f"{frames} frames exceed the motion modules' max sequence length {self.max_frames}")
        timestep = torch.as_tensor(timestep, device=sample.device)
        # The per-frame embedding stays until the next forward: gradient checkpointing recomputes the
        # blocks during backward and must see it again.
        self._frame_temb = None
        if timestep.ndim < 2:
            return super().forward(sample, timestep, encoder_hidden_states, **kwargs)
        if timestep.shape != (batch, frames):
            raise ValueError(f"per-frame timesteps must be (batch, frames) = {(batch, frames)}, got {tuple(timestep.shape)}")
        # frame-major order b * F + f, as the parent flattens (B, C, F, H, W) -> (B*F, C, H, W)
        t_emb = self.time_proj(timestep.reshape(-1)).to(dtype=self.dtype)
        self._frame_temb = self.time_embedding(t_emb)
        return super().forward(sample, timestep[:, 0], encoder_hidden_states, **kwargs)


def zero_temporal_outputs(unet: UNetMotionModel) -> None:
    """Zero every temporal transformer's proj_out: a fresh video UNet then equals the image UNet frame by frame."""
    for module in unet.modules():
        if isinstance(module, AnimateDiffTransformer3D):
            nn.init.zeros_(module.proj_out.weight)
            nn.init.zeros_(module.proj_out.bias)


def build_video_unet(image_unet: UNet2DConditionModel, adapter: MotionAdapter, zero_init: bool = True) -> VideoUNet:
    """Inflate an image UNet with a motion adapter (diffusers from_unet2d) and freeze the image weights."""
    unet = VideoUNet.from_unet2d(image_unet, adapter)
    unet.install_frame_layers()
    if zero_init:
        zero_temporal_outputs(unet)
    unet.freeze_unet2d_params()
    return unet
