"""DECA's coarse encoder (Feng et al. 2021, yfeng95/DECA): the FLAME head pose the paper's Pose Std reads.

Only ``E_flame`` of the published ``deca_model.tar`` is needed for the pose: a ResNet-50 trunk (torchvision's
layout, no ``fc``; DECA's 7x7 average pool equals torchvision's adaptive one at 224 px) and two linear layers
to the 236 FLAME codes ``shape 100, tex 50, exp 50, pose 6, cam 3, light 27``; ``pose[:3]`` is the global
head rotation (axis-angle, radians) and ``pose[3:]`` the jaw, which the metric leaves out. FLAME itself
(``generic_model.pkl``) only turns codes into a mesh and is not needed. DECA is not on PyPI (the package named
``deca`` is unrelated), hence this reimplementation of its forward pass; the crop follows its ``TestData``
for landmark boxes (``kpt68``), with dlib's 68 landmarks in place of its FAN detector's.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

CODES = {"shape": 100, "tex": 50, "exp": 50, "pose": 6, "cam": 3, "light": 27}  # DECA's param_list, in order
POSE_START = CODES["shape"] + CODES["tex"] + CODES["exp"]
HEAD_ROTATION = slice(POSE_START, POSE_START + 3)
CROP_SIZE = 224


class DecaEncoder(nn.Module):
    """DECA's ``ResnetEncoder(outsize=236)`` with its module names (``encoder.*``, ``layers.*``)."""

    def __init__(self):
        import torchvision

        super().__init__()
        self.encoder = torchvision.models.resnet50()
        self.encoder.fc = nn.Identity()
        self.layers = nn.Sequential(nn.Linear(2048, 1024), nn.ReLU(), nn.Linear(1024, sum(CODES.values())))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, 224, 224) RGB in [0, 1] (DECA applies no normalisation) -> (B, 236) codes."""
        return self.layers(self.encoder(images))

    @classmethod
    def from_checkpoint(cls, path) -> DecaEncoder:
        """``E_flame`` of a ``deca_model.tar``. DECA copies matching keys and skips the rest silently; here every
        parameter and running statistic must be present with its shape (BatchNorm's ``num_batches_tracked``
        counters, unused in eval, may be absent)."""
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        if "E_flame" not in checkpoint:
            raise ValueError(f"{path}: no 'E_flame' state dict (keys: {sorted(checkpoint)[:8]}); not a DECA checkpoint")
        model = cls()
        missing, unexpected = model.load_state_dict(checkpoint["E_flame"], strict=False)
        missing = [k for k in missing if not k.endswith("num_batches_tracked")]
        if missing or unexpected:
            raise ValueError(f"{path}: E_flame does not match DECA's encoder: missing {missing[:5]}, "
                             f"unexpected {unexpected[:5]}")
        return model.eval()


def crop(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """DECA's ``TestData`` crop of a landmark box: the (68, 2) landmarks' box, side 1.1 x 1.25 x its mean
    extent (truncated to an integer), warped (similarity, bilinear, black outside) to 224 x 224.
    ``image`` (H, W, 3) uint8 RGB -> (224, 224, 3) float in [0, 1]."""
    from skimage.transform import estimate_transform, warp

    left, top = landmarks.min(axis=0)
    right, bottom = landmarks.max(axis=0)
    size = int((right - left + bottom - top) / 2 * 1.1 * 1.25)
    cx, cy = right - (right - left) / 2, bottom - (bottom - top) / 2
    src = np.array([[cx - size / 2, cy - size / 2], [cx - size / 2, cy + size / 2], [cx + size / 2, cy - size / 2]])
    dst = np.array([[0, 0], [0, CROP_SIZE - 1], [CROP_SIZE - 1, 0]])
    transform = estimate_transform("similarity", src, dst)
    return warp(image / 255.0, transform.inverse, output_shape=(CROP_SIZE, CROP_SIZE))


@torch.no_grad()
def head_rotations(encoder: DecaEncoder, crops: list[np.ndarray], batch: int = 32) -> np.ndarray:
    """(n, 3) global head rotations (axis-angle, radians) of the crops, on the encoder's device."""
    from metrics.devices import device_of

    device = device_of(encoder)
    out = []
    for start in range(0, len(crops), batch):
        images = torch.from_numpy(np.stack(crops[start:start + batch])).permute(0, 3, 1, 2).float().to(device)
        out.append(encoder(images)[:, HEAD_ROTATION].double().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 3))
