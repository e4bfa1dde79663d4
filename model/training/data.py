"""Training segments read from prepared clips (docs/preparation.md): N + n contiguous frames with their
landmarks, a reference frame, the identity embedding of a random frame of the clip (among those preparation
embedded) and the per-frame audio feature windows.

Every random choice of an item (which frame is the reference, whose identity) is drawn from a generator seeded by
(seed, position in the sample stream), so items do not depend on worker processes or global RNG state,
and a resumed run reads exactly the items the uninterrupted run would have read.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from model.encoders import audio_windows

log = logging.getLogger(__name__)


def find_clips(prepared_dir: str | Path, benchmarks: list[str]) -> list[Path]:
    """Prepared clip folders (those holding an index.json) of the benchmarks, in a fixed order."""
    clips = []
    for benchmark in benchmarks:
        folder = Path(prepared_dir) / benchmark
        if not folder.is_dir():
            raise FileNotFoundError(f"no prepared clips at {folder}: run `starcaster prepare --benchmark {benchmark}`")
        clips += sorted(p.parent for p in folder.glob("*/index.json"))
    return clips


def contiguous_starts(kept_frames: list[int], length: int) -> list[int]:
    """Rows where ``length`` stored frames are consecutive on the video timeline (dropped frames leave gaps)."""
    kept = np.asarray(kept_frames)
    if len(kept) < length:
        return []
    return np.flatnonzero(kept[length - 1:] - kept[: len(kept) - length + 1] == length - 1).tolist()


@dataclass
class Clip:
    folder: Path
    frames: np.ndarray  # (K, H, W, 3) uint8, memory-mapped
    landmarks: np.ndarray  # (K, 68, 2) float32, crop pixels (x, y)
    audio: torch.Tensor  # (1, K, layers, dim)
    identities: torch.Tensor  # (E, D): embeddings of E frames of the clip


def load_clip(folder: Path) -> Clip:
    frames = np.load(folder / "frames.npy", mmap_mode="r")
    audio = np.load(folder / "audio_features.npy")
    try:
        identities = np.load(folder / "identity_frames.npy")
    except FileNotFoundError as err:
        raise ValueError(f"{err.filename} missing: prepared by an older version, rerun `starcaster prepare`") from err
    landmarks = np.load(folder / "landmarks.npy").astype(np.float32)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames.npy must be (K, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    if audio.ndim != 3 or len(audio) != len(frames):
        raise ValueError(f"audio_features.npy must be (K={len(frames)}, layers, dim), got {audio.shape}")
    if landmarks.shape != (len(frames), 68, 2) or not np.isfinite(landmarks).all():
        raise ValueError(f"landmarks.npy must be finite (K={len(frames)}, 68, 2), got {landmarks.shape}")
    if (identities.ndim != 2 or not len(identities) or not np.isfinite(identities).all()
            or not (np.linalg.norm(identities, axis=1) > 0).all()):
        raise ValueError(f"identity_frames.npy must be finite non-zero vectors (E, D), got shape {identities.shape}")
    return Clip(folder, frames, landmarks, torch.from_numpy(audio.astype(np.float32))[None],
                torch.from_numpy(identities.astype(np.float32)))


class SegmentDataset(Dataset):
    """Items are keyed by ``(segment index, stream position)`` (see ``SegmentSampler``).

    A segment = ``length`` = N + n contiguous frames. A clip that is unreadable, inconsistent or too short
    is skipped with its reason in ``skipped``; no usable clip at all is an error.
    """

    def __init__(self, clip_folders: list[Path], length: int, audio_radius: int, seed: int = 0):
        self.length, self.radius, self.seed = length, audio_radius, seed
        self.sources = [Path(f) for f in clip_folders]  # what the run reads (its fingerprint)
        self.clips: list[Clip] = []
        self.segments: list[tuple[int, int]] = []  # (clip, first row)
        self.skipped: dict[str, str] = {}
        for folder in clip_folders:
            try:
                clip = load_clip(folder)
                starts = contiguous_starts(json.loads((folder / "index.json").read_text())["kept_frames"], length)
            except (OSError, ValueError, KeyError) as err:
                self.skipped[str(folder)] = str(err)
                continue
            if not starts:
                self.skipped[str(folder)] = f"no {length} contiguous kept frames"
                continue
            self.segments += [(len(self.clips), start) for start in starts]
            self.clips.append(clip)
        for folder, reason in self.skipped.items():
            log.warning("training data: skipped %s: %s", folder, reason)
        if not self.segments:
            raise ValueError(f"no usable training segment of {length} frames in {len(clip_folders)} clips")

    def __len__(self) -> int:
        return len(self.segments)

    def __getitem__(self, key: tuple[int, int]) -> dict[str, torch.Tensor]:
        index, position = key
        clip_index, start = self.segments[index]
        clip = self.clips[clip_index]
        rng = np.random.default_rng([self.seed, position])
        reference = int(rng.integers(len(clip.frames)))
        identity = int(rng.integers(len(clip.identities)))
        frames = torch.from_numpy(np.array(clip.frames[start:start + self.length]))
        return {
            "frames": frames.permute(0, 3, 1, 2).float() / 255,  # (F, 3, H, W) in [0, 1]
            "landmarks": torch.from_numpy(clip.landmarks[start:start + self.length]),  # (F, 68, 2) pixels
            "reference": torch.from_numpy(np.array(clip.frames[reference])).permute(2, 0, 1).float() / 255,
            "identity": clip.identities[identity],
            # windows over the whole clip: a segment's edge frames see their real neighbours
            "audio": audio_windows(clip.audio, start, self.length, self.radius)[0],  # (F, window, layers*dim)
        }


class SegmentSampler(Sampler):
    """An endless stream of seeded permutations (one per epoch) starting at global position ``start``;
    position p goes to process p % world_size. Resuming = a new sampler at the saved position."""

    def __init__(self, size: int, seed: int, start: int = 0, rank: int = 0, world_size: int = 1):
        self.size, self.seed, self.start, self.rank, self.world_size = size, seed, start, rank, world_size

    def order(self, epoch: int) -> torch.Tensor:
        return torch.randperm(self.size, generator=torch.Generator().manual_seed(self.seed + epoch))

    def __iter__(self):
        position = self.start + (self.rank - self.start) % self.world_size
        epoch, order = None, None
        while True:
            if position // self.size != epoch:
                epoch = position // self.size
                order = self.order(epoch)
            yield int(order[position % self.size]), position
            position += self.world_size
