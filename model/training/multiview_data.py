"""Stage-3 training segments: the synthetic multi-view trajectories (paper Supp. A) read raw, with their
per-frame cameras (docs/data-layouts.md: ``{head_id}/traj_{k:02d}/video.mp4`` + ``cameras.json``).

The renders are not prepared (most of their frames are turned too far for the frontal face detector that
preparation filters with): every frame is kept, resized to the model resolution, and labelled with its
camera. A head's identity embedding comes from its first frame holding exactly one face, with the face
detector and identity extractor of ``prepare:``. Items are keyed like ``SegmentDataset``'s
(segment, stream position), so ``SegmentSampler`` and exact resume work unchanged.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from benchmarks import media
from benchmarks.datasets.base import DatasetError
from benchmarks.datasets.multiview import read_trajectory_cameras
from benchmarks.records import ClipRecord, read_manifest

log = logging.getLogger(__name__)


class FaceIdentity:
    """Identity embedding of the first frame with exactly one face, as preparation computes a clip's."""

    def __init__(self, prepare: dict):
        from benchmarks.preprocess import identity
        from benchmarks.preprocess.faces import FaceAnalyzer

        models_dir = prepare.get("dlib_models_dir")
        self.faces = FaceAnalyzer(models_dir=models_dir, **prepare["detector"])
        self.encoder = identity.build(prepare["identity"], prepare["weights_dir"], models_dir)

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        from benchmarks.preprocess.filters import face_count_reason

        for frame in frames:
            boxes = self.faces.detect(frame)
            if face_count_reason(len(boxes)) is None:
                return self.encoder(frame, self.faces.landmarks(frame, boxes[0]))
        raise ValueError(f"none of {len(frames)} frames holds exactly one face")


@dataclass
class Trajectory:
    video: Path
    labels: torch.Tensor  # (K, 25) camera labels of the resized frames
    identity: torch.Tensor  # (D,)


def read_frames(path: Path, resolution: int) -> np.ndarray:
    """(K, resolution, resolution, 3) uint8."""
    frames = media.read_video(path)
    return np.stack([cv2.resize(f, (resolution, resolution), interpolation=cv2.INTER_AREA) for f in frames])


def to_tensor(frames: np.ndarray) -> torch.Tensor:
    """(K, H, W, 3) uint8 -> (K, 3, H, W) in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255


class MultiviewDataset(Dataset):
    """Segments of ``length`` contiguous frames of every trajectory; an item = frames (F, 3, R, R) in [0, 1],
    a reference frame drawn from the trajectory, the head's identity embedding and per-frame camera labels
    (F, 25). Unreadable or inconsistent trajectories, or heads without a detectable face, are skipped with
    the reason in ``skipped``; none usable is an error."""

    def __init__(self, records: list[ClipRecord], root: str | Path, length: int, resolution: int,
                 identity_of: Callable[[np.ndarray], np.ndarray], seed: int = 0):
        self.length, self.resolution, self.seed = length, resolution, seed
        self.sources = [Path(root)]  # what the run reads (its fingerprint); load_multiview adds the manifest
        self.trajectories: list[Trajectory] = []
        self.segments: list[tuple[int, int]] = []  # (trajectory, first frame)
        self.skipped: dict[str, str] = {}
        identities: dict[str, torch.Tensor] = {}
        for record in records:
            video = record.resolve(root)
            try:
                cameras = read_trajectory_cameras(Path(root) / record.source["cameras"])
                if len(cameras) != record.n_frames:
                    raise ValueError(f"{len(cameras)} cameras for {record.n_frames} frames")
                if record.n_frames < length:
                    raise ValueError(f"{record.n_frames} frames, shorter than a {length}-frame segment")
                if record.identity not in identities:
                    identities[record.identity] = torch.from_numpy(
                        np.asarray(identity_of(media.read_video(video)), dtype=np.float32))
            except (OSError, ValueError, KeyError, DatasetError, media.MediaError) as err:
                self.skipped[record.clip_id] = str(err)
                continue
            labels = np.stack([c.scaled(resolution, resolution).label25() for c in cameras])
            self.segments += [(len(self.trajectories), start) for start in range(record.n_frames - length + 1)]
            self.trajectories.append(Trajectory(video, torch.from_numpy(labels), identities[record.identity]))
        for clip, reason in self.skipped.items():
            log.warning("multi-view data: skipped %s: %s", clip, reason)
        if not self.segments:
            raise ValueError(f"no usable {length}-frame segment in {len(records)} multi-view trajectories")

    def __len__(self) -> int:
        return len(self.segments)

    def __getitem__(self, key: tuple[int, int]) -> dict[str, torch.Tensor]:
        index, position = key
        trajectory_index, start = self.segments[index]
        trajectory = self.trajectories[trajectory_index]
        frames = read_frames(trajectory.video, self.resolution)
        if len(frames) != len(trajectory.labels):
            raise ValueError(f"{trajectory.video}: {len(frames)} frames decoded, {len(trajectory.labels)} cameras")
        reference = int(np.random.default_rng([self.seed, position]).integers(len(frames)))
        return {
            "frames": to_tensor(frames[start:start + self.length]),  # (F, 3, R, R) in [0, 1]
            "reference": to_tensor(frames[reference:reference + 1])[0],
            "identity": trajectory.identity,
            "cameras": trajectory.labels[start:start + self.length],  # (F, 25)
        }


def load_multiview(settings: dict, length: int, resolution: int) -> MultiviewDataset:
    """The trajectories of the multi-view manifest (``manifests.dir``) under ``datasets.multiview.root``,
    head identities with the tools of ``prepare:`` (the cli passes these params sections in ``settings``)."""
    manifest = Path(settings["manifests"]["dir"]) / "multiview.jsonl"
    root = Path(settings["datasets"]["multiview"]["root"])
    if not manifest.is_file():
        raise FileNotFoundError(f"no multi-view manifest at {manifest}: "
                                "run `starcaster manifest --benchmark multiview`")
    if not root.is_dir():
        raise FileNotFoundError(f"no multi-view trajectories at {root} (datasets.multiview.root)")
    dataset = MultiviewDataset(read_manifest(manifest), root, length, resolution, FaceIdentity(settings["prepare"]),
                               settings["seed"])
    dataset.sources.append(manifest)
    return dataset
