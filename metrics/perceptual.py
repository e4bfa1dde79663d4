"""LPIPS through the ``lpips`` package (v0.1 linear heads shipped with it, AlexNet backbone by default).

The backbone's ImageNet weights come from a local torchvision file, or it is seeded random
(``pnet_rand``) and labelled as such; nothing is downloaded.
"""
from __future__ import annotations

import numpy as np

from metrics.devices import device_of, place
from metrics.registry import Prepared, register
from metrics.weights import Resolved, load_state_dict, resolve

BATCH = 16


def build_lpips(weights: Resolved, net: str = "alex"):
    import lpips
    import torch
    import torchvision

    torch.manual_seed(weights.seed)
    model = lpips.LPIPS(net=net, pretrained=True, pnet_rand=True, verbose=False)
    if weights.path is not None:
        if net != "alex":
            raise ValueError("only the AlexNet backbone has a weights entry")
        alexnet = torchvision.models.alexnet()
        alexnet.load_state_dict(load_state_dict(weights.path))
        # lpips splits torchvision's ``features`` into slices that keep each layer's index as its name.
        for slice_ in (model.net.slice1, model.net.slice2, model.net.slice3, model.net.slice4, model.net.slice5):
            for index, layer in slice_.named_children():
                layer.load_state_dict(alexnet.features[int(index)].state_dict())
    return model.eval()


def lpips_distance(model, gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Per-frame LPIPS of (T,H,W,3) uint8 RGB frames (scaled to [-1,1] as the package expects)."""
    import torch

    if gt.shape != pred.shape:
        raise ValueError(f"frame shapes differ: ground truth {gt.shape}, generated {pred.shape}")
    out = []
    with torch.no_grad():
        for i in range(0, len(gt), BATCH):
            a, b = (
                torch.from_numpy(np.ascontiguousarray(x[i : i + BATCH])).to(device_of(model)).permute(0, 3, 1, 2).float() / 127.5 - 1
                for x in (gt, pred)
            )
            out.append(model(a, b).flatten().double().cpu().numpy())
    return np.concatenate(out)


@register("lpips")
def build(cfg: dict, ctx: dict) -> Prepared:
    net = cfg.get("net", "alex")
    weights = resolve("lpips_alexnet", cfg["init"], ctx["weights_dir"], ctx["seed"])
    model = place(build_lpips(weights, net), ctx)
    backbone = "ImageNet" if weights.path is not None else "random features (seeded backbone)"
    return Prepared(
        lambda clip: {"lpips": float(np.mean(lpips_distance(model, clip.reference, clip.generated)))},
        {"net": net, "version": "0.1", "backbone": backbone, "input": "[-1,1]", "averaging": "mean of per-frame LPIPS"},
        {"lpips_alexnet": weights.label},
    )
