"""Attention processors: decoupled identity/audio/camera cross-attention and reference writer/reader self-attention.

Every processor takes the same explicit keyword inputs (``audio_tokens``, ``camera_tokens``,
``reference_mask``) because diffusers' ``Attention.forward`` forwards one ``cross_attention_kwargs``
dict to self- and cross-attention alike and drops (with a warning) any name a processor lacks.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers.models.attention_processor import Attention
from torch import nn

STREAMS = ("audio", "camera")


def _attend(attn: Attention, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
            mask: torch.Tensor | None = None) -> torch.Tensor:
    """Multi-head scaled dot-product attention on (B, L, C) projections; returns (B, Lq, C)."""
    batch, heads = query.shape[0], attn.heads
    q, k, v = (x.reshape(batch, x.shape[1], heads, -1).transpose(1, 2) for x in (query, key, value))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return out.transpose(1, 2).reshape(batch, -1, query.shape[-1])


def _output(attn: Attention, hidden_states: torch.Tensor) -> torch.Tensor:
    hidden_states = attn.to_out[1](attn.to_out[0](hidden_states))
    return hidden_states / attn.rescale_output_factor


class MultiSourceCrossAttnProcessor(nn.Module):
    """Identity cross-attention plus audio and camera streams sharing the query (paper Eq. 2).

    Each stream has its own K/V; its V starts at zero so a fresh stream adds nothing. ``scales`` weighs
    each stream (0 disables it: stage 3 turns audio off and camera on).
    """

    def __init__(self, hidden_size: int, cross_attention_dim: int):
        super().__init__()
        self.to_k = nn.ModuleDict({s: nn.Linear(cross_attention_dim, hidden_size, bias=False) for s in STREAMS})
        self.to_v = nn.ModuleDict({s: nn.Linear(cross_attention_dim, hidden_size, bias=False) for s in STREAMS})
        for layer in self.to_v.values():
            nn.init.zeros_(layer.weight)
        self.scales = {s: 1.0 for s in STREAMS}

    def __call__(self, attn: Attention, hidden_states: torch.Tensor, encoder_hidden_states: torch.Tensor,
                 attention_mask=None, temb=None, audio_tokens: torch.Tensor | None = None,
                 camera_tokens: torch.Tensor | None = None, reference_mask=None) -> torch.Tensor:
        query = attn.to_q(hidden_states)
        identity = attn.norm_encoder_hidden_states(encoder_hidden_states) if attn.norm_cross else encoder_hidden_states
        out = _attend(attn, query, attn.to_k(identity), attn.to_v(identity))
        for stream, tokens in (("audio", audio_tokens), ("camera", camera_tokens)):
            if tokens is None or self.scales[stream] == 0:
                continue
            if tokens.shape[0] != hidden_states.shape[0]:
                raise ValueError(f"{stream} tokens have batch {tokens.shape[0]}, expected {hidden_states.shape[0]} (batch*frames)")
            tokens = tokens.to(query.dtype)
            out = out + self.scales[stream] * _attend(attn, query, self.to_k[stream](tokens), self.to_v[stream](tokens))
        return _output(attn, out)


class ReferenceBank:
    """Reference-UNet self-attention inputs by module name, written once per segment, read at every step.

    Its batch must equal the denoising batch (``tile`` for classifier-free guidance).
    """

    def __init__(self):
        self.features: dict[str, torch.Tensor] = {}
        self.writes = 0  # reference-UNet passes since creation (tests and benchmarks count them)

    def clear(self) -> None:
        self.features.clear()

    def group(self, batch: int) -> None:
        """(B*R, HW, C) per reference image -> (B, R*HW, C): every reference image of a sample side by side."""
        self.features = {k: v.reshape(batch, -1, v.shape[-1]) for k, v in self.features.items()}

    def tile(self, copies: int) -> None:
        """Repeat the batch, as classifier-free guidance stacks [conditional; unconditional]."""
        self.features = {k: v.repeat(copies, 1, 1) for k, v in self.features.items()}


def _self_attention(attn: Attention, hidden_states: torch.Tensor, context: torch.Tensor,
                    mask: torch.Tensor | None = None) -> torch.Tensor:
    out = _attend(attn, attn.to_q(hidden_states), attn.to_k(context), attn.to_v(context), mask)
    return _output(attn, out)


class ReferenceWriterProcessor:
    """Reference UNet's attn1: stores its input (B*R, HW, C) in the bank, then attends as usual."""

    def __init__(self, name: str, bank: ReferenceBank):
        self.name, self.bank = name, bank

    def __call__(self, attn: Attention, hidden_states: torch.Tensor, encoder_hidden_states=None,
                 attention_mask=None, temb=None, audio_tokens=None, camera_tokens=None, reference_mask=None):
        self.bank.features[self.name] = hidden_states
        return _self_attention(attn, hidden_states, hidden_states)


class ReferenceReaderProcessor:
    """Denoising UNet's attn1: K/V from cat(frame tokens, reference tokens), Q from the frame (paper Eq. 3).

    ``reference_mask`` (B,) bool: False hides the reference from that sample (the unconditional branch).
    """

    def __init__(self, name: str, bank: ReferenceBank):
        self.name, self.bank = name, bank

    def __call__(self, attn: Attention, hidden_states: torch.Tensor, encoder_hidden_states=None,
                 attention_mask=None, temb=None, audio_tokens=None, camera_tokens=None,
                 reference_mask: torch.Tensor | None = None):
        reference = self.bank.features.get(self.name)
        if reference is None:
            return _self_attention(attn, hidden_states, hidden_states)
        batch_frames, tokens = hidden_states.shape[:2]
        if batch_frames % reference.shape[0]:
            raise ValueError(f"{self.name}: batch*frames {batch_frames} is not a multiple of the reference batch {reference.shape[0]}")
        reference = reference.repeat_interleave(batch_frames // reference.shape[0], dim=0)
        context = torch.cat([hidden_states, reference.to(hidden_states.dtype)], dim=1)
        mask = None
        if reference_mask is not None:
            frames = batch_frames // reference_mask.shape[0]
            keep = reference_mask.to(hidden_states.device).repeat_interleave(frames)[:, None]
            mask = torch.cat([torch.ones(batch_frames, tokens, dtype=torch.bool, device=keep.device),
                              keep.expand(batch_frames, reference.shape[1])], dim=1)[:, None, None, :]
        return _self_attention(attn, hidden_states, context, mask)
