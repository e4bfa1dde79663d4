"""LSE-D / LSE-C: the syncnet_python ``evaluate`` recipe (Wav2Lip's scores_LSE) on SyncNet embeddings.

Video: 5-frame windows of 224x224 BGR crops in 0..255 (no normalisation); audio: MFCC of the int16
16 kHz signal (python_speech_features defaults, 100 Hz), 20-column windows at 4 columns per frame.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from metrics.devices import device_of, place
from metrics.registry import Prepared, register
from metrics.weights import Resolved, resolve, sha256_file

SAMPLE_RATE = 16000
SAMPLES_PER_FRAME = 640  # 16 kHz / 25 fps
WINDOW = 5
BATCH = 20
CROP = 224


@dataclass(frozen=True)
class SyncResult:
    offset: int
    confidence: float  # LSE-C
    min_dist: float  # LSE-D


def mfcc(audio: np.ndarray) -> np.ndarray:
    """(13, N) MFCC of float audio in [-1,1], computed from the int16 samples syncnet_python reads from its wav
    (ffmpeg's s16 -> float conversion divides by 32768, so this recovers them exactly)."""
    import python_speech_features

    pcm = np.clip(np.round(np.asarray(audio, np.float64) * 32768), -32768, 32767).astype(np.int16)
    return np.asarray(python_speech_features.mfcc(pcm, SAMPLE_RATE)).T


def n_windows(n_frames: int, n_samples: int) -> int:
    min_length = min(n_frames, n_samples // SAMPLES_PER_FRAME)
    return max(min_length - WINDOW, 0)


def embed(net, frames_bgr: np.ndarray, cepstra: np.ndarray, n_samples: int) -> tuple:
    """Lip and audio embeddings, one per 5-frame window; ``frames_bgr`` is (T,224,224,3)."""
    import torch

    lastframe = n_windows(len(frames_bgr), n_samples)
    if lastframe < 1:
        raise ValueError(f"too short for SyncNet: {len(frames_bgr)} frames, {n_samples} audio samples (needs > {WINDOW} frames)")
    device = device_of(net)
    video = torch.from_numpy(np.ascontiguousarray(frames_bgr)).to(device).float().permute(3, 0, 1, 2)  # (3,T,H,W)
    audio = torch.from_numpy(cepstra).float().to(device)
    lip, aud = [], []
    with torch.no_grad():
        for i in range(0, lastframe, BATCH):
            starts = range(i, min(lastframe, i + BATCH))
            lip.append(net.forward_lip(torch.stack([video[:, s : s + WINDOW] for s in starts])))
            aud.append(net.forward_aud(torch.stack([audio[None, :, 4 * s : 4 * s + 20] for s in starts])))
    return torch.cat(lip).cpu(), torch.cat(aud).cpu()


def pairwise_distances(lip, aud, vshift: int = 15):
    """(n_windows, 2*vshift+1) distances between each lip window and the audio windows shifted by -vshift..vshift."""
    import torch
    import torch.nn.functional as F

    padded = F.pad(aud, (0, 0, vshift, vshift))
    shifted = torch.stack([padded[i : i + 2 * vshift + 1] for i in range(len(lip))])
    return F.pairwise_distance(lip[:, None, :].expand_as(shifted), shifted, p=2, eps=1e-6)


def sync_scores(lip, aud, vshift: int = 15) -> SyncResult:
    import torch

    mdist = pairwise_distances(lip, aud, vshift).mean(dim=0)
    minval, minidx = torch.min(mdist, 0)
    return SyncResult(
        offset=int(vshift - minidx),
        confidence=float(torch.median(mdist) - minval),
        min_dist=float(minval),
    )


def face_crops_bgr(frames_rgb: np.ndarray) -> np.ndarray:
    """Already-aligned face frames (RGB) -> SyncNet's 224x224 BGR input.

    Deviation from run_pipeline.py: no S3FD face track; the clips we score are aligned face crops.
    """
    import cv2

    return np.stack([cv2.resize(f[..., ::-1], (CROP, CROP), interpolation=cv2.INTER_LINEAR) for f in frames_rgb])


def syncnet_weights(cfg: dict, ctx: dict) -> Resolved:
    """``init``: ``file`` (syncnet_v2.model), ``checkpoint`` (the SyncNet ``starcaster train-syncnet`` trains on
    MiniTalk, at ``cfg["checkpoint"]``), or ``random`` (seeded; its LSE numbers carry no meaning)."""
    if cfg["init"] == "checkpoint":
        path = Path(cfg["checkpoint"])
        if not path.exists():
            raise FileNotFoundError(f"SyncNet checkpoint {path} not found: run the SyncNet training stage (starcaster train-syncnet) first")
        return Resolved(path, sha256_file(path), ctx["seed"])
    return resolve("syncnet_v2", cfg["init"], ctx["weights_dir"], ctx["seed"])


NETWORK_LABELS = {
    "file": "syncnet_v2",
    "checkpoint": "MiniTalk-trained SyncNet (not the published syncnet_v2)",
    "random": "random features (seeded init)",
}


@register("lse")
def build(cfg: dict, ctx: dict) -> Prepared:
    from metrics.syncnet import build_syncnet

    vshift = int(cfg.get("vshift", 15))
    weights = syncnet_weights(cfg, ctx)
    net = place(build_syncnet(weights), ctx)

    def score(clip) -> dict[str, float]:
        if clip.audio is None or len(clip.audio) == 0:
            raise ValueError("no audio: LSE needs the clip's speech")
        lip, aud = embed(net, face_crops_bgr(clip.generated), mfcc(clip.audio), len(clip.audio))
        result = sync_scores(lip, aud, vshift)
        return {"lse_d": result.min_dist, "lse_c": result.confidence, "lse_offset": float(result.offset)}

    return Prepared(
        score,
        {
            "recipe": "syncnet_python evaluate (calc_pdist, 5-frame windows, MFCC 100 Hz)",
            "vshift": vshift,
            "face_track": "none: aligned face crops resized to 224 (no S3FD tracking)",
            "network": NETWORK_LABELS[cfg["init"]],
        },
        {"syncnet": weights.label},
    )
