"""The rendered head rotation in Pose Std's own angles (metrics/pose.py), the truth of the recovery test.

MiniTalk (benchmarks/synth/warp.py) turns each portrait by R_h(t) = rotation_matrix(yaw, pitch, roll) in
camera-aligned axes. Portraits that are not frontal already face the camera at a rest pose R_rest, so the
head's camera-frame rotation, the one solvePnP returns, is R_h(t) R_rest, and its RQDecomp3x3 Euler angles
(pitch, yaw, roll) move differently from R_h's own: a pitch wobble about the camera's x axis on a head
turned 40 degrees splits between Euler pitch and roll. Pose Std's per-axis std, mean of axes, is not
rotation invariant, so the truth is the same aggregate of the Euler angles of R_h(t) R_rest.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from benchmarks.synth.warp import rotation_matrix
from metrics.pose import euler_angles


def metric_angles(rotations: np.ndarray) -> np.ndarray:
    """(T, 3) (pitch, yaw, roll) radians of (T, 3, 3) camera-frame rotations, decomposed as metrics.pose.head_rotation does."""
    return np.array([euler_angles(r) for r in rotations])


def metric_rotations(angles: np.ndarray) -> Rotation:
    """Inverse of :func:`metric_angles`: RQDecomp3x3's angles compose as R = Rz Ry Rx (scipy's extrinsic "xyz")."""
    return Rotation.from_euler("xyz", angles)


def rendered_rotations(rendered: np.ndarray) -> Rotation:
    """R_h(t) of the renderer's (T, 3) (yaw, pitch, roll) radians."""
    return Rotation.from_matrix(np.stack([rotation_matrix(*a) for a in rendered]))


def rest_pose(measured: np.ndarray, rendered: np.ndarray) -> np.ndarray:
    """The constant R_rest closest to R_h(t)^T R_abs(t) over the frames (chordal L2 mean), from the metric's
    (pitch, yaw, roll) ``measured`` and the renderer's (yaw, pitch, roll) ``rendered`` of the same frames.

    Three parameters fitted to every frame's full rotation, not to the std: a constant rotation re-splits
    the motion among the Euler axes but cannot scale it, so it cannot absorb a motion-scale error.
    """
    return (rendered_rotations(rendered).inv() * metric_rotations(measured)).mean().as_matrix()


def truth_angles(rendered: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """(T, 3) (pitch, yaw, roll) the metric would read on a head at R_h(t) R_rest, without estimation error."""
    return metric_angles(rendered_rotations(rendered).as_matrix() @ rest)
