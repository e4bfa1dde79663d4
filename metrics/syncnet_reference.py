"""syncnet_python's ``SyncNetInstance.evaluate`` on in-memory frames: the parity reference for metrics.lse.

The package's ``evaluate`` reads ``*.jpg`` frames and ``audio.wav`` from a folder; writing JPEGs would change
the pixels, so its body is transcribed here on arrays and calls the package's own ``calc_pdist``. Used by
tests/metrics/test_lse.py and scripts/bench_metrics_reference.py, never by the metric itself.
"""
from __future__ import annotations

import math

import numpy as np
import python_speech_features
import torch

from metrics.syncnet import package_module


def calc_pdist(feat1: torch.Tensor, feat2: torch.Tensor, vshift: int = 10) -> list[torch.Tensor]:
    return package_module("SyncNetInstance").calc_pdist(feat1, feat2, vshift=vshift)


def evaluate(net, images_bgr: list[np.ndarray], audio_int16: np.ndarray, vshift: int = 15,
             batch_size: int = 20) -> tuple[int, float, float]:
    """(AV offset, confidence, min distance) exactly as ``SyncNetInstance.evaluate`` computes them."""
    im = np.transpose(np.expand_dims(np.stack(images_bgr, axis=3), axis=0), (0, 3, 4, 1, 2))
    imtv = torch.from_numpy(im.astype(float)).float()
    mfcc = np.stack([np.array(i) for i in zip(*python_speech_features.mfcc(audio_int16, 16000))])
    cct = torch.from_numpy(np.expand_dims(np.expand_dims(mfcc, axis=0), axis=0).astype(float)).float()
    lastframe = min(len(images_bgr), math.floor(len(audio_int16) / 640)) - 5
    im_feat, cc_feat = [], []
    for i in range(0, lastframe, batch_size):
        frames = range(i, min(lastframe, i + batch_size))
        im_feat.append(net.forward_lip(torch.cat([imtv[:, :, v : v + 5] for v in frames], 0)).data.cpu())
        cc_feat.append(net.forward_aud(torch.cat([cct[:, :, :, v * 4 : v * 4 + 20] for v in frames], 0)).data.cpu())
    dists = calc_pdist(torch.cat(im_feat, 0), torch.cat(cc_feat, 0), vshift=vshift)
    mdist = torch.mean(torch.stack(dists, 1), 1)
    minval, minidx = torch.min(mdist, 0)
    return int(vshift - minidx), float(torch.median(mdist) - minval), float(minval)
