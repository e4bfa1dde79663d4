"""A benchmark's target camera in an EG3D-style program's own camera convention (GOHA).

EG3D-style programs render from a 25-d label: a 4x4 camera-to-world matrix (OpenCV axes) in the canonical head frame,
where the cameras sit about 2.7 units from the head and look at the origin, then the 3x3 intrinsics normalised by the
crop size (GOHA's Dataset.py:52-61, model_s2.py:303-308; EG3D's dataset_preprocessing/ffhq). The program's own
preprocessing estimates that label for every frame of the reference view. A calibrated multi-view benchmark
(NeRSemble) knows the reference and target cameras in its world frame, in metres. The similarity that carries the
world frame onto the head frame of one frame is fixed by the reference camera: its rotation takes the reference
camera's axes onto the estimated camera's, its scale the camera-to-head distance onto the estimated radius, its
translation the reference camera's centre onto the estimated one. The same similarity carries the target camera into
the head frame, so the target view follows the head's motion frame by frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PARALLEL_AXES = 1e-6  # |sin| of the angle between two optical axes below which they give no head centre


@dataclass(frozen=True)
class Similarity:
    """x_head = scale * rotation @ x_world + translation."""

    scale: float
    rotation: np.ndarray
    translation: np.ndarray

    def camera(self, cam_2_world: np.ndarray) -> np.ndarray:
        """A camera-to-world matrix of the world frame, as camera-to-head."""
        out = np.eye(4)
        out[:3, :3] = self.rotation @ cam_2_world[:3, :3]
        out[:3, 3] = self.scale * self.rotation @ cam_2_world[:3, 3] + self.translation
        return out

    def inverse_camera(self, cam_2_head: np.ndarray) -> np.ndarray:
        """A camera-to-head matrix back in the world frame."""
        out = np.eye(4)
        out[:3, :3] = self.rotation.T @ cam_2_head[:3, :3]
        out[:3, 3] = self.rotation.T @ (cam_2_head[:3, 3] - self.translation) / self.scale
        return out


def head_centre(cam_2_world_a: np.ndarray, cam_2_world_b: np.ndarray) -> np.ndarray:
    """The point nearest both cameras' optical axes (the midpoint of their common perpendicular): the head that a
    calibrated rig's cameras all aim at."""
    p, q = cam_2_world_a[:3, 3], cam_2_world_b[:3, 3]
    u, v = cam_2_world_a[:3, 2], cam_2_world_b[:3, 2]  # OpenCV: the camera looks along +z
    w = p - q
    a, b, c, d, e = u @ u, u @ v, v @ v, u @ w, v @ w
    denominator = a * c - b * b
    if denominator < PARALLEL_AXES ** 2 * a * c:
        raise ValueError("the two cameras' optical axes are parallel: they fix no head centre")
    s, t = (b * e - c * d) / denominator, (a * e - b * d) / denominator
    return (p + s * u + q + t * v) / 2


def world_to_head(reference_world: np.ndarray, reference_head: np.ndarray, centre: np.ndarray) -> Similarity:
    """The similarity taking the reference camera (camera-to-world) onto its estimate in the head frame, the head
    centre ``centre`` (world) onto the head frame's origin as far as distance goes."""
    distance = np.linalg.norm(reference_world[:3, 3] - centre)
    if distance <= 0:
        raise ValueError("the reference camera sits at the head centre")
    rotation = reference_head[:3, :3] @ reference_world[:3, :3].T
    scale = float(np.linalg.norm(reference_head[:3, 3]) / distance)
    translation = reference_head[:3, 3] - scale * rotation @ reference_world[:3, 3]
    return Similarity(scale, rotation, translation)


def target_labels(reference_world: np.ndarray, target_world: np.ndarray, reference_labels: np.ndarray) -> np.ndarray:
    """(n, 25) labels rendering the target view: for each frame's estimated reference label, the target camera
    carried into that frame's head frame, with the frame's own (crop) intrinsics."""
    reference_labels = np.asarray(reference_labels, dtype=np.float64).reshape(-1, 25)
    if np.allclose(reference_world, target_world):
        return reference_labels.copy()
    centre = head_centre(reference_world, target_world)
    out = reference_labels.copy()
    for i, label in enumerate(reference_labels):
        similarity = world_to_head(reference_world, label[:16].reshape(4, 4), centre)
        out[i, :16] = similarity.camera(target_world).reshape(-1)
    return out
