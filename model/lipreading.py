"""The frozen lip-reading encoder of the lip-reading loss (paper Sec. 3.3) and the mouth crops it reads.

Architecture: the visual front-end of Ma et al.'s visual speech recognition models (paper [49]; the same
network in Auto-AVSR): Conv3d(1, 64, (5, 7, 7), stride (1, 2, 2)) + BatchNorm3d + Swish + MaxPool3d(1, 3, 3),
then a ResNet-18 trunk run on every frame and average-pooled -> (B, T, 512) features. Module names
follow theirs (``frontend3D``, ``trunk.layerK``) so their checkpoints load by key. ``width`` scales every
channel count (64 in the paper); ``mini`` uses a narrow variant trained on MiniTalk
(``model.training.lipreader``), never presented as Auto-AVSR.

Input: grayscale mouth crops normalised with the VSR models' statistics (0.421, 0.165), cut from the frames
with a differentiable affine ``grid_sample`` around the landmarks' mouth (points 48-67, dlib layout).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

MOUTH = slice(48, 68)
MOUTH_CORNERS = (48, 54)
GRAY_MEAN, GRAY_STD = 0.421, 0.165
RGB_TO_GRAY = (0.299, 0.587, 0.114)  # ITU-R 601, as cv2.cvtColor in the VSR preprocessing
TEMPORAL_RADIUS = 2  # the front-end's 5-frame temporal kernel: the first and last 2 frames see padding
PAPER_SOURCE = ("the LRS3 visual speech recognition model of Ma et al. 2022 (paper [49]): LRS3_V_WER19.1/model.pth "
                "from github.com/mpc001/Visual_Speech_Recognition_for_Multiple_Languages (model zoo), or Auto-AVSR's "
                "vsr_trlrs3vox2_base.pth from github.com/mpc001/auto_avsr (both research-only licences)")
CHECKPOINT_PREFIXES = ("model.encoder.frontend.", "encoder.frontend.", "frontend.")
WEIGHTS_FILE, SIDECAR_FILE = "encoder.safetensors", "encoder.json"


def conv3x3(inp: int, out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(inp, out, 3, stride, 1, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, inp: int, out: int, stride: int = 1):
        super().__init__()
        self.conv1, self.bn1, self.relu1 = conv3x3(inp, out, stride), nn.BatchNorm2d(out), nn.SiLU()
        self.conv2, self.bn2, self.relu2 = conv3x3(out, out), nn.BatchNorm2d(out), nn.SiLU()
        self.downsample = None
        if stride != 1 or inp != out:
            self.downsample = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(out + residual)


class ResNetTrunk(nn.Module):
    """ResNet-18 without its stem: four stages of two basic blocks, then global average pooling."""

    def __init__(self, width: int):
        super().__init__()
        widths = [width, 2 * width, 4 * width, 8 * width]
        inp = width
        for k, out in enumerate(widths, start=1):
            stride = 1 if k == 1 else 2
            setattr(self, f"layer{k}", nn.Sequential(BasicBlock(inp, out, stride), BasicBlock(out, out)))
            inp = out
        self.avgpool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for k in range(1, 5):
            x = getattr(self, f"layer{k}")(x)
        return self.avgpool(x).flatten(1)


class LipReadingEncoder(nn.Module):
    def __init__(self, width: int = 64):
        super().__init__()
        self.width = width
        self.frontend3D = nn.Sequential(
            nn.Conv3d(1, width, (5, 7, 7), (1, 2, 2), (2, 3, 3), bias=False),
            nn.BatchNorm3d(width),
            nn.SiLU(),  # Swish
            nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1)),
        )
        self.trunk = ResNetTrunk(width)

    @property
    def feature_dim(self) -> int:
        return 8 * self.width

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        """(B, T, H, W) normalised grayscale mouth crops -> (B, T, 8 * width) per-frame features."""
        x = self.frontend3D(crops[:, None])  # (B, C, T, h, w)
        batch, frames = x.shape[0], x.shape[2]
        features = self.trunk(x.transpose(1, 2).flatten(0, 1))
        return features.unflatten(0, (batch, frames))

    @classmethod
    def from_file(cls, path: str | Path) -> LipReadingEncoder:
        """The paper's front-end from a VSR checkpoint (a ``.pth`` state dict, or a Lightning checkpoint
        with ``state_dict``); its keys under ``encoder.frontend.`` / ``frontend.`` are loaded strictly."""
        from benchmarks.preprocess.weights import require

        checkpoint = require(path, "lip-reading network (VSR checkpoint)", PAPER_SOURCE)
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        state = state.get("state_dict", state)
        for prefix in CHECKPOINT_PREFIXES:
            front = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            if front:
                break
        else:
            raise ValueError(f"{path}: no visual front-end keys (prefixes {CHECKPOINT_PREFIXES}) in the checkpoint")
        encoder = cls(width=front["frontend3D.0.weight"].shape[0])
        encoder.load_state_dict(front)
        return encoder


@dataclass(frozen=True)
class MouthCrop:
    """Differentiable square mouth crops, resampled to ``size`` x ``size``: centred on the mean of the mouth
    landmarks, side ``scale`` x the corner-to-corner mouth width; centre and side are averaged over
    ``smoothing`` frames (SPECTRE smooths the mouth centre so that landmark jitter does not read as motion)."""

    size: int = 88
    scale: float = 2.0
    smoothing: int = 5

    def boxes(self, landmarks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, 68, 2) pixel landmarks -> centres (B, T, 2) and sides (B, T) in pixels."""
        centre = landmarks[..., MOUTH, :].mean(-2)
        width = torch.linalg.vector_norm(landmarks[..., MOUTH_CORNERS[1], :] - landmarks[..., MOUTH_CORNERS[0], :], dim=-1)
        box = torch.cat([centre, self.scale * width[..., None]], dim=-1).transpose(1, 2)  # (B, 3, T)
        pad = self.smoothing // 2
        box = F.avg_pool1d(F.pad(box, (pad, pad), mode="replicate"), self.smoothing, stride=1).transpose(1, 2)
        return box[..., :2], box[..., 2]

    def __call__(self, frames: torch.Tensor, landmarks: torch.Tensor) -> torch.Tensor:
        """frames (B, T, 3, H, W) in [0, 1], landmarks (B, T, 68, 2) in their pixels (x, y)
        -> (B, T, size, size) grayscale crops, normalised for the encoder."""
        batch, count, _, height, width = frames.shape
        gray = torch.einsum("btchw,c->bthw", frames, frames.new_tensor(RGB_TO_GRAY)).flatten(0, 1)[:, None]
        centre, side = (v.to(frames.dtype).flatten(0, 1) for v in self.boxes(landmarks.detach()))
        extent = frames.new_tensor([width, height])
        theta = torch.zeros(len(side), 2, 3, dtype=frames.dtype, device=frames.device)
        theta[:, 0, 0], theta[:, 1, 1] = side / width, side / height
        theta[:, :, 2] = (2 * centre + 1) / extent - 1  # pixel centres at integers, align_corners=False
        grid = F.affine_grid(theta, [len(side), 1, self.size, self.size], align_corners=False)
        crops = F.grid_sample(gray, grid, mode="bilinear", padding_mode="border", align_corners=False)
        return ((crops[:, 0] - GRAY_MEAN) / GRAY_STD).unflatten(0, (batch, count))


class LipReader(nn.Module):
    """A frozen encoder and the crops it was made for: frames + landmarks -> per-frame lip features.

    Saved as ``encoder.safetensors`` + ``encoder.json`` (name, width, crop, provenance) by
    ``starcaster train-lipreader``, which trains the mini encoder or imports the paper's (``from_file``)."""

    def __init__(self, encoder: LipReadingEncoder, crop: MouthCrop, name: str):
        super().__init__()
        self.encoder, self.crop, self.name = encoder.eval().requires_grad_(False), crop, name

    def train(self, mode: bool = True) -> LipReader:
        return super().train(False)  # frozen: BatchNorm keeps its running statistics

    def forward(self, frames: torch.Tensor, landmarks: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.crop(frames, landmarks))

    def save(self, folder: str | Path, sidecar: dict) -> None:
        from safetensors.torch import save_file

        from benchmarks import atomic

        with atomic.atomic_dir(folder) as tmp:
            save_file({k: v.detach().contiguous() for k, v in self.encoder.state_dict().items()},
                      str(tmp / WEIGHTS_FILE), metadata={"network": self.name})
            (tmp / SIDECAR_FILE).write_text(json.dumps(
                {**sidecar, "name": self.name, "width": self.encoder.width, "crop": asdict(self.crop)}, indent=1))

    @classmethod
    def from_folder(cls, folder: str | Path) -> LipReader:
        from safetensors.torch import load_file

        from benchmarks.preprocess.weights import require

        folder, source = Path(folder), "`starcaster train-lipreader` (DVC stage train-lipreader)"
        sidecar = json.loads(require(folder / SIDECAR_FILE, "lip reader description", source).read_text())
        encoder = LipReadingEncoder(sidecar["width"])
        encoder.load_state_dict(load_file(require(folder / WEIGHTS_FILE, "lip reader weights", source)))
        return cls(encoder, MouthCrop(**sidecar["crop"]), sidecar["name"])
