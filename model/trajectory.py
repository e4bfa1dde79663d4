"""Smooth camera trajectories from the input view to a target view (novel-view mode)."""
from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from benchmarks.records import Camera


def smoothstep(u: np.ndarray) -> np.ndarray:
    """3u^2 - 2u^3: zero velocity at both ends, exactly 0 at u=0 and 1 at u=1."""
    return u * u * (3.0 - 2.0 * u)


def camera_trajectory(source: Camera, target: Camera, frames: int) -> list[Camera]:
    """``frames`` cameras from ``source`` to ``target``: rotations slerped and camera centres and
    intrinsics moved linearly, both with smoothstep easing; the first is ``source``, the last ``target``."""
    if frames < 2:
        raise ValueError(f"a trajectory needs at least 2 frames, got {frames}")
    if source.image_size != target.image_size:
        target = target.scaled(*source.image_size)
    c2w = [np.linalg.inv(np.asarray(c.world_2_cam)) for c in (source, target)]
    ease = smoothstep(np.linspace(0.0, 1.0, frames))
    rotations = Slerp([0.0, 1.0], Rotation.from_matrix([m[:3, :3] for m in c2w]))(ease).as_matrix()
    centres = (1 - ease)[:, None] * c2w[0][:3, 3] + ease[:, None] * c2w[1][:3, 3]
    intrinsics = (1 - ease)[:, None, None] * np.asarray(source.K) + ease[:, None, None] * np.asarray(target.K)
    cameras = []
    for i in range(frames):
        pose = np.eye(4)
        pose[:3, :3], pose[:3, 3] = rotations[i], centres[i]
        cameras.append(Camera.from_arrays(f"{source.serial}->{target.serial}:{i}", intrinsics[i],
                                          np.linalg.inv(pose), source.image_size))
    # the ends are the given cameras themselves, not their round trip through quaternions
    cameras[0] = Camera.from_arrays(cameras[0].serial, source.K, source.world_2_cam, source.image_size)
    cameras[-1] = Camera.from_arrays(cameras[-1].serial, target.K, target.world_2_cam, source.image_size)
    return cameras


def camera_labels(cameras: list[Camera]) -> np.ndarray:
    """(F, 25) labels for the camera stream."""
    return np.stack([c.label25() for c in cameras])
