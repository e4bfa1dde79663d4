"""Pose Std: head-rotation variability over a clip.

The paper uses DECA/EMOCA FLAME pose, which needs registration-gated models; this is the documented
license-free substitute (metrics.md): dlib 68 landmarks + ``cv2.solvePnP`` against a generic 3D face
-> per-frame rotation (pitch, yaw, roll); std over time per axis, mean of the axes.
"""
from __future__ import annotations

import numpy as np

from metrics.face import largest_face
from metrics.registry import Prepared, register

# Generic 3D face (the widely used learnopencv head-pose model, millimetre-like units), in OpenCV
# camera axes (x right, y down, z away from the camera) so a frontal face has zero rotation.
# dlib indices: nose tip 30, chin 8, eye outer corners 36 / 45, mouth corners 48 / 54.
MODEL_POINTS = np.array(
    [(0, 0, 0), (0, 330, 65), (-225, -170, 135), (225, -170, 135), (-150, 150, 125), (150, 150, 125)], dtype=np.float64
)
LANDMARK_IDS = [30, 8, 36, 45, 48, 54]


def head_rotation(frame: np.ndarray, index: int = 0) -> np.ndarray:
    """(pitch, yaw, roll) in radians of the largest face in an RGB frame."""
    import cv2

    points = largest_face(frame, index)[1][LANDMARK_IDS]
    h, w = frame.shape[:2]
    camera = np.array([[w, 0, w / 2], [0, w, h / 2], [0, 0, 1]], dtype=np.float64)
    ok, rvec, _ = cv2.solvePnP(MODEL_POINTS, points, camera, np.zeros(4), flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        raise ValueError(f"head pose estimation failed in frame {index}")
    angles_deg = cv2.RQDecomp3x3(cv2.Rodrigues(rvec)[0])[0]
    return np.radians(angles_deg)


def pose_std(frames: np.ndarray) -> dict[str, float]:
    if len(frames) < 2:
        raise ValueError(f"pose std needs at least 2 frames, the clip has {len(frames)}")
    rotations = np.stack([head_rotation(f, i) for i, f in enumerate(frames)])
    std = float(rotations.std(axis=0).mean())
    return {"pose_std_rad100": 100 * std, "pose_std_deg": float(np.degrees(std))}


@register("pose_std")
def build(cfg: dict, ctx: dict) -> Prepared:
    stride = int(cfg.get("frame_stride", 1))
    return Prepared(
        lambda clip: pose_std(clip.generated[::stride]),
        {
            "frame_stride": stride,
            "estimator": "dlib 68 landmarks + cv2.solvePnP (generic 3D face), substitute for DECA FLAME pose",
            "angles": "pitch, yaw, roll (RQ decomposition)",
            "aggregate": "std over time per axis, mean of axes; radians x100 and degrees",
        },
    )
