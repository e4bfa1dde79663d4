"""Synthetic multi-view trajectories (paper Sec. 3.3 / Supp. A): one record per rendered camera trajectory.

Layout::

    {head_id}/traj_{k:02d}/video.mp4
    {head_id}/traj_{k:02d}/cameras.json   # {"fps", "image_size": [w, h], "frames": [{"world_2_cam", "K"}, ...]}

The record's ``camera`` is the camera of frame 0 (rescaled to the decoded frame size); the per-frame
cameras stay in ``cameras.json``, named in ``source``. The renders have no audio.
"""
from __future__ import annotations

import os
from pathlib import Path

from benchmarks.datasets.base import DatasetError, Scan, dataset_root, probe, read_json_fields, relative
from benchmarks.records import Camera, ClipRecord

OBTAIN = ("render the synthetic multi-view trajectories (paper Supp. A: SphereHead heads on smooth camera paths) "
          "in the layout of docs/data-layouts.md")


def read_trajectory_cameras(path: Path) -> list[Camera]:
    """Every frame's camera, K in pixels of the file's ``image_size``."""
    size, frames = read_json_fields(path, "trajectory cameras.json", "image_size", "frames")
    if not frames:
        raise DatasetError(f"{path}: no frames")
    cameras = []
    for index, frame in enumerate(frames):
        try:
            cameras.append(Camera.from_arrays(f"frame_{index:05d}", frame["K"], frame["world_2_cam"], size))
        except (ValueError, TypeError, KeyError) as exc:
            raise DatasetError(f"{path}: frame {index}: {exc!r}") from None
    return cameras


def scan(root: str | os.PathLike) -> Scan:
    root = dataset_root(root, OBTAIN, "datasets.multiview.root")
    trajectories = sorted(p for p in root.glob("*/traj_*") if p.is_dir())
    if not trajectories:
        raise DatasetError(f"{root}: no {{head_id}}/traj_{{k:02d}} folders")
    result = Scan()
    for traj in trajectories:
        head = traj.parent.name
        video = relative(traj / "video.mp4", root)
        info = probe(root, video, result)
        if info is None:
            continue
        try:
            cameras = read_trajectory_cameras(traj / "cameras.json")
        except DatasetError as exc:
            result.problems.append(str(exc))
            continue
        if len(cameras) != info.n_frames:
            result.problems.append(f"{traj / 'cameras.json'}: {len(cameras)} cameras for {info.n_frames} video frames")
            continue
        result.records.append(
            ClipRecord(
                clip_id=f"{head}_{traj.name}",
                dataset="multiview",
                split="train",
                video=video,
                audio=None,
                fps=info.fps,
                n_frames=info.n_frames,
                identity=head,
                camera=cameras[0].scaled(info.width, info.height),
                source={"video": video, "cameras": relative(traj / "cameras.json", root)},
            )
        )
    return result
