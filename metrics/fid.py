"""FID features: pytorch-fid's FID-Inception (pool3, 2048-d), input RGB in [0,1] resized by the network itself."""
from __future__ import annotations

from unittest import mock

import numpy as np

from metrics.devices import device_of, place
from metrics.registry import Prepared, register
from metrics.weights import Resolved, load_state_dict, resolve

BATCH = 16


def build_inception(weights: Resolved):
    """pytorch-fid's ``InceptionV3`` with the state dict from ``weights`` (a file, or seeded random init).

    pytorch-fid only knows how to download its weights; its loader is redirected to our verified
    local file, or -- for random init -- to the freshly built network's own (seeded) parameters.
    """
    import torch
    from pytorch_fid import inception as pf

    original_inception_v3, built = pf._inception_v3, []

    def record(*args, **kwargs):
        built.append(original_inception_v3(*args, **kwargs))
        return built[-1]

    def state(*_args, **_kwargs):
        return load_state_dict(weights.path) if weights.path is not None else built[0].state_dict()

    torch.manual_seed(weights.seed)
    with mock.patch.object(pf, "_inception_v3", record), mock.patch.object(pf, "load_state_dict_from_url", state):
        model = pf.InceptionV3([pf.InceptionV3.BLOCK_INDEX_BY_DIM[2048]])
    return model.eval()


def features(model, frames: np.ndarray) -> np.ndarray:
    """(T,H,W,3) uint8 RGB -> (T, 2048) float64 pool3 features."""
    import torch

    out = []
    with torch.no_grad():
        for i in range(0, len(frames), BATCH):
            x = torch.from_numpy(np.ascontiguousarray(frames[i : i + BATCH])).to(device_of(model))
            x = x.permute(0, 3, 1, 2).float() / 255.0
            out.append(model(x)[0].squeeze(-1).squeeze(-1).double().cpu().numpy())
    return np.concatenate(out)


@register("fid", kind="distribution")
def build(cfg: dict, ctx: dict) -> Prepared:
    weights = resolve("fid_inception", cfg["init"], ctx["weights_dir"], ctx["seed"])
    model = place(build_inception(weights), ctx)
    stride = int(cfg.get("frame_stride", 1))
    return Prepared(
        lambda frames: features(model, frames[::stride]),
        {
            "network": "pytorch-fid InceptionV3 pool3 (2048-d)",
            "features": "FID-Inception" if weights.path is not None else "random features (seeded init)",
            "resize": "bilinear to 299 inside the network",
            "frame_stride": stride,
            "covariance_ddof": int(cfg.get("ddof", 1)),
        },
        {"fid_inception": weights.label},
        ddof=int(cfg.get("ddof", 1)),
    )
