"""Inception-v1 I3D (Carreira & Zisserman 2017) as used by VideoGPT/DisCo FVD with ``i3d_pretrained_400.pt``.

No installed package provides it, so it is written here with the module names of piergiaj/pytorch-i3d
(the names the checkpoint's state dict uses): ``Conv3d_1a_7x7.conv3d.weight``, ``Mixed_3b.b1b.bn.*``,
``logits.conv3d.*``. Convolutions and pools use TensorFlow "SAME" padding computed from the input size.
The output is VideoGPT's: 400 logits per clip, averaged over the remaining time steps.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def _same_pad(x: torch.Tensor, kernel, stride) -> torch.Tensor:
    pads = []
    for size, k, s in zip(reversed(x.shape[2:]), reversed(kernel), reversed(stride)):
        total = max(k - s, 0) if size % s == 0 else max(k - size % s, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads)


class MaxPool3dSamePadding(nn.MaxPool3d):
    def forward(self, x):
        return super().forward(_same_pad(x, self.kernel_size, self.stride))


class Unit3D(nn.Module):
    def __init__(self, in_channels, out_channels, kernel=(1, 1, 1), stride=(1, 1, 1), activation=True, batch_norm=True, bias=False):
        super().__init__()
        self.kernel, self.stride, self.activation = tuple(kernel), tuple(stride), activation
        self.conv3d = nn.Conv3d(in_channels, out_channels, self.kernel, self.stride, padding=0, bias=bias)
        self.bn = nn.BatchNorm3d(out_channels, eps=0.001, momentum=0.01) if batch_norm else None

    def forward(self, x):
        x = self.conv3d(_same_pad(x, self.kernel, self.stride))
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x) if self.activation else x


class InceptionModule(nn.Module):
    def __init__(self, in_channels, c):
        super().__init__()
        self.b0 = Unit3D(in_channels, c[0])
        self.b1a = Unit3D(in_channels, c[1])
        self.b1b = Unit3D(c[1], c[2], (3, 3, 3))
        self.b2a = Unit3D(in_channels, c[3])
        self.b2b = Unit3D(c[3], c[4], (3, 3, 3))
        self.b3a = MaxPool3dSamePadding((3, 3, 3), (1, 1, 1))
        self.b3b = Unit3D(in_channels, c[5])

    def forward(self, x):
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))], dim=1)


class InceptionI3d(nn.Module):
    def __init__(self, num_classes: int = 400, in_channels: int = 3):
        super().__init__()
        layers = [
            ("Conv3d_1a_7x7", Unit3D(in_channels, 64, (7, 7, 7), (2, 2, 2))),
            ("MaxPool3d_2a_3x3", MaxPool3dSamePadding((1, 3, 3), (1, 2, 2))),
            ("Conv3d_2b_1x1", Unit3D(64, 64)),
            ("Conv3d_2c_3x3", Unit3D(64, 192, (3, 3, 3))),
            ("MaxPool3d_3a_3x3", MaxPool3dSamePadding((1, 3, 3), (1, 2, 2))),
            ("Mixed_3b", InceptionModule(192, [64, 96, 128, 16, 32, 32])),
            ("Mixed_3c", InceptionModule(256, [128, 128, 192, 32, 96, 64])),
            ("MaxPool3d_4a_3x3", MaxPool3dSamePadding((3, 3, 3), (2, 2, 2))),
            ("Mixed_4b", InceptionModule(480, [192, 96, 208, 16, 48, 64])),
            ("Mixed_4c", InceptionModule(512, [160, 112, 224, 24, 64, 64])),
            ("Mixed_4d", InceptionModule(512, [128, 128, 256, 24, 64, 64])),
            ("Mixed_4e", InceptionModule(512, [112, 144, 288, 32, 64, 64])),
            ("Mixed_4f", InceptionModule(528, [256, 160, 320, 32, 128, 128])),
            ("MaxPool3d_5a_2x2", MaxPool3dSamePadding((2, 2, 2), (2, 2, 2))),
            ("Mixed_5b", InceptionModule(832, [256, 160, 320, 32, 128, 128])),
            ("Mixed_5c", InceptionModule(832, [384, 192, 384, 48, 128, 128])),
        ]
        self.endpoints = [name for name, _ in layers]
        for name, layer in layers:
            self.add_module(name, layer)
        self.avg_pool = nn.AvgPool3d((2, 7, 7), (1, 1, 1))
        self.dropout = nn.Dropout(0.5)
        self.logits = Unit3D(1024, num_classes, activation=False, batch_norm=False, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B,3,T,224,224) in [-1,1] -> (B, num_classes) logits averaged over time."""
        for name in self.endpoints:
            x = self._modules[name](x)
        x = self.logits(self.dropout(self.avg_pool(x)))
        return x.squeeze(4).squeeze(3).mean(dim=2)
