"""FVD features, in the two variants the literature uses (metrics.md, "FVD").

- ``disco`` (DisCo / VideoGPT): PyTorch ``InceptionI3d`` with ``i3d_pretrained_400.pt``; every frame
  squashed to 224x224 by bicubic interpolation, ``x/127.5-1``; 400 logits per 16-frame segment.
- ``stylegan_v``: the TorchScript ``i3d_torchscript.pt`` detector, which rescales and resizes itself
  (``rescale=True, resize=True, return_features=True``); input 0..255 (B,3,T,H,W).

``clip_mode`` picks the samples: ``segments_mean`` (DisCo: non-overlapping 16-frame segments, features
averaged per video), ``segments`` (every segment is a sample), ``first`` (the first 16 frames only,
as StyleGAN-V's ``fvd2048_16f``). The covariance normalisation (ddof) lives with the statistics.
"""
from __future__ import annotations

import numpy as np

from metrics.devices import device_of, place
from metrics.registry import Prepared, register
from metrics.weights import Resolved, load_state_dict, resolve

SEGMENT = 16
SIZE = 224
CLIP_MODES = ("segments_mean", "segments", "first")
VARIANTS = {"disco": "i3d_pretrained_400", "stylegan_v": "i3d_torchscript"}


def segments(frames: np.ndarray, clip_mode: str) -> list[np.ndarray]:
    if clip_mode not in CLIP_MODES:
        raise ValueError(f"clip_mode must be one of {CLIP_MODES}, got {clip_mode!r}")
    if len(frames) < SEGMENT:
        raise ValueError(f"FVD needs at least {SEGMENT} frames, the clip has {len(frames)}")
    n = 1 if clip_mode == "first" else len(frames) // SEGMENT
    return [frames[i * SEGMENT : (i + 1) * SEGMENT] for i in range(n)]


def build_detector(variant: str, weights: Resolved):
    import torch

    if variant == "disco":
        from metrics.i3d import InceptionI3d

        torch.manual_seed(weights.seed)
        model = InceptionI3d(400, in_channels=3)
        if weights.path is not None:
            model.load_state_dict(load_state_dict(weights.path))
        return model.eval()
    if variant == "stylegan_v":
        if weights.path is None:
            raise ValueError("the StyleGAN-V TorchScript detector has no random initialisation: it needs i3d_torchscript.pt")
        return torch.jit.load(str(weights.path), map_location="cpu").eval()
    raise ValueError(f"FVD variant must be one of {sorted(VARIANTS)}, got {variant!r}")


def _disco_input(segment: np.ndarray):
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.ascontiguousarray(segment)).permute(0, 3, 1, 2).float()  # (T,3,H,W)
    x = F.interpolate(x, size=(SIZE, SIZE), mode="bicubic", align_corners=False)
    return (x / 127.5 - 1).permute(1, 0, 2, 3)[None]  # (1,3,T,224,224)


def features(detector, variant: str, frames: np.ndarray, clip_mode: str) -> np.ndarray:
    """(T,H,W,3) uint8 -> (n_samples, 400) float64 I3D features of one video."""
    import torch

    out = []
    with torch.no_grad():
        for segment in segments(frames, clip_mode):
            if variant == "disco":
                out.append(detector(_disco_input(segment).to(device_of(detector))))
            else:
                x = torch.from_numpy(np.ascontiguousarray(segment)).permute(3, 0, 1, 2)[None]  # uint8, as StyleGAN-V feeds it
                out.append(detector(x.to(device_of(detector)), rescale=True, resize=True, return_features=True))
    feats = torch.cat(out).double().cpu().numpy()
    return feats.mean(axis=0, keepdims=True) if clip_mode == "segments_mean" else feats


@register("fvd", kind="distribution")
def build(cfg: dict, ctx: dict) -> Prepared:
    variant, clip_mode, ddof = cfg["variant"], cfg["clip_mode"], int(cfg["ddof"])
    if variant not in VARIANTS:
        raise ValueError(f"FVD variant must be one of {sorted(VARIANTS)}, got {variant!r}")
    weights = resolve(VARIANTS[variant], cfg["init"], ctx["weights_dir"], ctx["seed"])
    detector = place(build_detector(variant, weights), ctx)
    return Prepared(
        lambda frames: features(detector, variant, frames, clip_mode),
        {
            "variant": variant,
            "features": "Kinetics-400 I3D" if weights.path is not None else "random features (seeded init)",
            "clip_mode": clip_mode,
            "segment_frames": SEGMENT,
            "resize": "bicubic squash to 224" if variant == "disco" else "inside the TorchScript detector",
            "covariance_ddof": ddof,
        },
        {VARIANTS[variant]: weights.label},
        ddof=ddof,
    )
