"""The clip record: one line of a manifest (JSONL), the contract between adapters, preparation,
generation and evaluation. Paths are relative to the dataset root named in params, so committed
manifests stay portable."""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from benchmarks import atomic, names

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Camera:
    """A calibrated view: OpenCV convention, world-to-camera extrinsics, intrinsics in pixels of ``image_size``."""

    serial: str
    K: tuple[tuple[float, ...], ...]
    world_2_cam: tuple[tuple[float, ...], ...]
    image_size: tuple[int, int]  # (width, height) the intrinsics refer to

    def __post_init__(self) -> None:
        K = np.asarray(self.K, dtype=np.float64)
        E = np.asarray(self.world_2_cam, dtype=np.float64)
        if K.shape != (3, 3) or E.shape != (4, 4):
            raise ValueError(f"camera {self.serial}: K must be 3x3 and world_2_cam 4x4, got {K.shape} and {E.shape}")
        if not (np.isfinite(K).all() and np.isfinite(E).all()):
            raise ValueError(f"camera {self.serial}: non-finite values")
        if abs(np.linalg.det(E[:3, :3])) < 1e-6:
            raise ValueError(f"camera {self.serial}: singular rotation in world_2_cam")

    @classmethod
    def from_arrays(cls, serial: str, K, world_2_cam, image_size) -> Camera:
        return cls(
            serial=str(serial),
            K=tuple(tuple(float(v) for v in row) for row in np.asarray(K, dtype=np.float64)),
            world_2_cam=tuple(tuple(float(v) for v in row) for row in np.asarray(world_2_cam, dtype=np.float64)),
            image_size=(int(image_size[0]), int(image_size[1])),
        )

    def scaled(self, width: int, height: int) -> Camera:
        """The same camera for frames resized to ``width`` x ``height``."""
        K = np.asarray(self.K)
        sx, sy = width / self.image_size[0], height / self.image_size[1]
        K = np.diag([sx, sy, 1.0]) @ K
        return Camera.from_arrays(self.serial, K, self.world_2_cam, (width, height))

    def label25(self) -> np.ndarray:
        """EG3D-style 25-d label: flatten(4x4 cam-to-world) + flatten(3x3 K normalised by image size)."""
        cam_2_world = np.linalg.inv(np.asarray(self.world_2_cam))
        K = np.asarray(self.K).copy()
        K[0] /= self.image_size[0]
        K[1] /= self.image_size[1]
        return np.concatenate([cam_2_world.reshape(-1), K.reshape(-1)]).astype(np.float32)

    @classmethod
    def from_dict(cls, d: dict) -> Camera:
        return cls.from_arrays(d["serial"], d["K"], d["world_2_cam"], d["image_size"])


@dataclass(frozen=True)
class ClipRecord:
    clip_id: str
    dataset: str  # th1kh | hallo3 | nersemble | vfhq | celebvhq | hdtf | multiview
    split: str  # eval | train
    video: str  # relative to the dataset root
    audio: str | None  # relative to the dataset root; None when the audio track of ``video`` is used
    fps: float
    n_frames: int
    identity: str
    reference_frame: int = 0
    camera: Camera | None = None  # the target view (NeRSemble, multi-view)
    reference_video: str | None = None  # the reference view's video (NeRSemble), else ``video`` itself
    reference_camera: Camera | None = None
    source: dict = field(default_factory=dict)  # original file + frame range + crop box

    def __post_init__(self) -> None:
        names.check(self.clip_id, "clip id")
        for which in ("video", "audio", "reference_video"):
            value = getattr(self, which)
            if value is not None and (Path(value).is_absolute() or ".." in Path(value).parts):
                raise ValueError(f"clip {self.clip_id}: {which} {value!r} is not a path inside the dataset root")
        if self.fps <= 0 or self.n_frames < 0:
            raise ValueError(f"clip {self.clip_id}: fps and n_frames must be positive")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["schema"] = SCHEMA_VERSION
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ClipRecord:
        d = dict(d)
        schema = d.pop("schema", SCHEMA_VERSION)
        if schema != SCHEMA_VERSION:
            raise ValueError(f"clip record schema {schema} is not supported (expected {SCHEMA_VERSION})")
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown clip record fields: {sorted(unknown)}")
        for key in ("camera", "reference_camera"):
            if d.get(key) is not None:
                d[key] = Camera.from_dict(d[key])
        return cls(**d)

    def resolve(self, root: str | os.PathLike, which: str = "video") -> Path:
        """Absolute path of ``video``, ``audio`` or ``reference_video`` under the dataset root."""
        value = getattr(self, which)
        if value is None:
            raise ValueError(f"clip {self.clip_id} has no {which}")
        return Path(root) / value


def write_manifest(path: str | os.PathLike, records: Iterable[ClipRecord]) -> None:
    lines = [json.dumps(r.to_dict(), sort_keys=True) for r in records]
    ids = [json.loads(line)["clip_id"] for line in lines]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate clip ids in manifest {path}")
    atomic.write_text(path, "".join(line + "\n" for line in lines))


def read_manifest(path: str | os.PathLike) -> list[ClipRecord]:
    """The manifest's records; a bad record, or a clip id on more than one line, is a ValueError naming the lines."""
    records, lines = [], {}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = ClipRecord.from_dict(json.loads(line))
            except (ValueError, TypeError, KeyError) as exc:
                raise ValueError(f"{path}:{lineno}: {exc}") from exc
            lines.setdefault(record.clip_id, []).append(lineno)
            records.append(record)
    repeated = {clip_id: at for clip_id, at in lines.items() if len(at) > 1}
    if repeated:
        raise ValueError(f"{path}: duplicate clip ids: " + "; ".join(
            f"{clip_id!r} on lines {', '.join(map(str, at))}" for clip_id, at in sorted(repeated.items())))
    return records
