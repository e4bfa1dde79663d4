"""FID features: pytorch-fid's FID-Inception (pool3, 2048-d), input RGB in [0,1] resized by the network itself."""
from __future__ import annotations

from unittest import mock

import numpy as np

from metrics.weights import Resolved, load_state_dict

BATCH = 16


def build_inception(weights: Resolved):
    """pytorch-fid's ``InceptionV3`` with the state dict from ``weights`` (a file, or seeded random init).

    pytorch-fid only knows how to download its weights; its loader is redirected to our verified
    local file, or -- for random init -- to the freshly built network's own (seeded) parameters.
    """
    import torch
    from pytorch_fid import inception as pf

    built = []

    def record(*args, **kwargs):
        built.append(pf_inception_v3(*args, **kwargs))
        return built[-1]

    def state(*_args, **_kwargs):
        return load_state_dict(weights.path) if weights.path is not None else built[0].state_dict()

    pf_inception_v3 = pf._inception_v3
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
            x = torch.from_numpy(np.ascontiguousarray(frames[i : i + BATCH])).permute(0, 3, 1, 2).float() / 255.0
            out.append(model(x)[0].squeeze(-1).squeeze(-1).double().numpy())
    return np.concatenate(out)
