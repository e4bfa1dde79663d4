"""Synthetic multi-view trajectories: a record per trajectory, frame-0 camera rescaled to the video."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.datasets import multiview
from benchmarks.datasets.base import DatasetError

from .layouts import FPS, N_FRAMES, look_at_world_2_cam, place, write_json

K_256 = [[300.0, 0.0, 128.0], [0.0, 300.0, 128.0], [0.0, 0.0, 1.0]]


def write_trajectory(root, head, k, video: bytes, n_cameras=N_FRAMES, K=K_256):
    traj = root / head / f"traj_{k:02d}"
    place(traj / "video.mp4", video)
    frames = [{"world_2_cam": look_at_world_2_cam(0.1 * i).tolist(), "K": K} for i in range(n_cameras)]
    write_json(traj / "cameras.json", {"fps": FPS, "image_size": [256, 256], "frames": frames})


def test_one_record_per_trajectory_with_the_frame0_camera(tmp_path, clip_bytes):
    for head in ("head_000", "head_001"):
        for k in range(2):
            write_trajectory(tmp_path, head, k, clip_bytes["silent"])
    scan = multiview.scan(tmp_path)
    assert scan.problems == []
    assert [r.clip_id for r in scan.records] == ["head_000_traj_00", "head_000_traj_01", "head_001_traj_00", "head_001_traj_01"]
    r = scan.records[1]
    assert (r.video, r.identity, r.split, r.fps, r.n_frames) == ("head_000/traj_01/video.mp4", "head_000", "train", FPS, N_FRAMES)
    assert r.source["cameras"] == "head_000/traj_01/cameras.json"
    np.testing.assert_allclose(r.camera.world_2_cam, look_at_world_2_cam(0.0))
    # clip_bytes["silent"] is 32x24: K of 256x256 pixels scaled by 32/256 in x and 24/256 in y
    np.testing.assert_allclose(r.camera.K, [[37.5, 0, 16.0], [0, 28.125, 12.0], [0, 0, 1]])
    assert r.camera.image_size == (32, 24)


def test_bad_trajectories_are_reported(tmp_path, clip_bytes):
    write_trajectory(tmp_path, "head_000", 0, clip_bytes["silent"])
    write_trajectory(tmp_path, "head_000", 1, clip_bytes["silent"], n_cameras=N_FRAMES - 1)
    write_trajectory(tmp_path, "head_000", 2, clip_bytes["silent"], K=[[np.inf, 0, 128], [0, 300, 128], [0, 0, 1]])
    scan = multiview.scan(tmp_path)
    assert [r.clip_id for r in scan.records] == ["head_000_traj_00"]
    assert f"{N_FRAMES - 1} cameras for {N_FRAMES} video frames" in scan.problems[0]
    assert "traj_02/cameras.json: frame 0" in scan.problems[1] and "non-finite" in scan.problems[1]


def test_missing_root_and_empty_root(tmp_path):
    with pytest.raises(DatasetError, match=r"not found: .* datasets\.multiview\.root"):
        multiview.scan(tmp_path / "multiview")
    with pytest.raises(DatasetError, match="no {head_id}/traj_"):
        multiview.scan(tmp_path)
