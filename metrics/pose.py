"""Pose Std: head-rotation variability over a clip.

Two backends (``metrics.pose_std.backend``). ``deca``, the paper's: DECA's FLAME global head rotation
(axis-angle, ``metrics/deca.py``), when ``deca_model.tar`` is supplied. ``landmarks``, the default and the
documented license-free substitute (metrics.md): dlib 68 landmarks + ``cv2.solvePnP`` against a generic 3D
face -> per-frame rotation (pitch, yaw, roll). Either way: std over time per axis, mean of the axes, over
the frames of the shared face track that show a face.

Robustness (docs/metrics.md, "Pose Std and CSIM"): with six points and no initial pose, solvePnP's iterative
solver lands on the mirrored solution in some frames (std ~10x too large on some MiniTalk identities).
Here it starts from a frontal pose at the distance the face's size implies, solutions that face away
from the camera are rejected, and frames without a face are skipped and counted.
"""
from __future__ import annotations

import numpy as np

from metrics.face_track import face_track, usable_faces
from metrics.registry import Prepared, register

# dlib indices: nose tip 30, chin 8, eye outer corners 36 / 45, mouth corners 48 / 54, nose bridge 27.
LANDMARK_IDS = [30, 8, 36, 45, 48, 54, 27]
# Those points of insightface's 68-point 3D mean face (insightface/data/objects/meanshape_68.pkl), z negated
# into OpenCV camera axes (x right, y down, z away from the camera) so that a frontal face has zero rotation.
MODEL_POINTS = np.array([
    (-0.0073, -0.1426, -0.5987), (0.0015, 0.5844, -0.3884), (-0.3868, -0.3134, -0.2596), (0.3767, -0.3135, -0.2632),
    (-0.2014, 0.2374, -0.3795), (0.2182, 0.2390, -0.3757), (-0.0076, -0.3231, -0.4619),
])


def camera_matrix(width: int, height: int) -> np.ndarray:
    """Pinhole with focal length = frame width (the recipe's generic camera), principal point at the centre."""
    return np.array([[width, 0, width / 2], [0, width, height / 2], [0, 0, 1]], dtype=np.float64)


def frontal_guess(points: np.ndarray, camera: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rvec, tvec) of an unrotated model whose centroid projects onto the points' centroid at the
    distance where its width matches theirs."""
    f, cx, cy = camera[0, 0], camera[0, 2], camera[1, 2]
    depth = f * np.ptp(MODEL_POINTS[:, 0]) / max(np.ptp(points[:, 0]), 1e-6)
    u, v = points.mean(axis=0)
    centre = np.array([(u - cx) * depth / f, (v - cy) * depth / f, depth])
    return np.zeros((3, 1)), (centre - MODEL_POINTS.mean(axis=0)).reshape(3, 1)


def euler_angles(rotation: np.ndarray) -> np.ndarray:
    """(pitch, yaw, roll) radians of a camera-frame rotation matrix (``cv2.RQDecomp3x3``: R = Rz Ry Rx)."""
    import cv2

    return np.radians(cv2.RQDecomp3x3(rotation)[0])


def head_rotation(landmarks: np.ndarray, width: int, height: int) -> np.ndarray | None:
    """(pitch, yaw, roll) in radians from a face's (68, 2) landmarks; None when solvePnP fails or its
    solution faces away from the camera."""
    import cv2

    points = np.ascontiguousarray(landmarks[LANDMARK_IDS], dtype=np.float64)
    camera = camera_matrix(width, height)
    rvec, tvec = frontal_guess(points, camera)
    ok, rvec, tvec = cv2.solvePnP(MODEL_POINTS, points, camera, None, rvec, tvec, useExtrinsicGuess=True,
                                  flags=cv2.SOLVEPNP_ITERATIVE)
    rotation = cv2.Rodrigues(rvec)[0]
    # the model's facing direction is -z; turned into camera axes it must point back at the camera
    if not ok or rotation[2, 2] <= 0 or tvec[2, 0] <= 0:
        return None
    return euler_angles(rotation)


def pose_std(rotations: np.ndarray) -> dict[str, float]:
    """Per-axis std over time of (T, 3) rotations (radians), mean of the axes."""
    if len(rotations) < 2:
        raise ValueError(f"pose std needs at least 2 frames with a usable head pose, got {len(rotations)}")
    std = float(np.asarray(rotations).std(axis=0).mean())
    return {"pose_std_rad100": 100 * std, "pose_std_deg": float(np.degrees(std))}


def clip_head_rotations(clip, stride: int = 1, min_face_fraction: float = 0.5) -> tuple[np.ndarray, list[int], dict]:
    """(rotations (n, 3), their frame indices, counts) of the clip's generated frames ``::stride``; frames
    without a face or with a pose facing away are skipped and counted; ValueError when too few remain."""
    track = face_track(clip)
    indices = list(range(0, len(track), stride))
    found, faces, counts = usable_faces(track, indices, min_face_fraction)
    h, w = clip.generated.shape[1:3]
    solved = [(i, head_rotation(f.landmarks, w, h)) for i, f in zip(found, faces)]
    kept = [(i, r) for i, r in solved if r is not None]
    fraction = len(kept) / len(indices)
    if fraction < min_face_fraction:
        raise ValueError(f"a usable head pose in {len(kept)} of {len(indices)} frames "
                         f"({fraction:.2f} < min_face_fraction {min_face_fraction}; {len(solved) - len(kept)} solutions rejected)")
    counts = {"pose_frames_without_face": counts["frames_without_face"], "pose_frames_rejected": len(solved) - len(kept),
              "pose_face_fraction": fraction}
    return np.array([r for _, r in kept]).reshape(-1, 3), [i for i, _ in kept], counts


def clip_pose_std(clip, stride: int = 1, min_face_fraction: float = 0.5) -> dict[str, float]:
    rotations, _, counts = clip_head_rotations(clip, stride, min_face_fraction)
    return {**pose_std(rotations), **counts}


def clip_deca_pose_std(encoder, clip, stride: int = 1, min_face_fraction: float = 0.5) -> dict[str, float]:
    """Pose Std of DECA's global head rotations on the generated frames ``::stride`` that show a face."""
    from metrics import deca

    track = face_track(clip)
    found, faces, counts = usable_faces(track, list(range(0, len(track), stride)), min_face_fraction)
    rotations = deca.head_rotations(encoder, [deca.crop(track.frames[i], f.landmarks) for i, f in zip(found, faces)])
    return {**pose_std(rotations), "pose_frames_without_face": counts["frames_without_face"],
            "pose_face_fraction": counts["face_fraction"]}


AGGREGATE = "std over time per axis (frames with a face{}), mean of axes; radians x100 and degrees"


@register("pose_std")
def build(cfg: dict, ctx: dict) -> Prepared:
    stride = int(cfg.get("frame_stride", 1))
    min_face_fraction = float(cfg.get("min_face_fraction", 0.5))
    backend = cfg.get("backend", "landmarks")
    variant = {"backend": backend, "frame_stride": stride, "min_face_fraction": min_face_fraction}
    if backend == "landmarks":
        return Prepared(
            lambda clip: clip_pose_std(clip, stride, min_face_fraction),
            {**variant,
             "estimator": "dlib 68 landmarks + cv2.solvePnP (iterative, from a frontal pose; 7 points of insightface's "
                          "68-point mean face), substitute for DECA FLAME pose",
             "angles": "pitch, yaw, roll (RQ decomposition)",
             "aggregate": AGGREGATE.format(" and a camera-facing pose")},
        )
    if backend == "deca":
        from metrics.deca import DecaEncoder
        from metrics.devices import place
        from metrics.weights import locate

        path, digest = locate("deca", ctx["weights_dir"])
        encoder = place(DecaEncoder.from_checkpoint(path), ctx)
        return Prepared(
            lambda clip: clip_deca_pose_std(encoder, clip, stride, min_face_fraction),
            {**variant,
             "estimator": "DECA coarse encoder (E_flame of deca_model.tar), FLAME global pose; crop of DECA's TestData "
                          "around dlib's 68 landmarks (DECA uses FAN's)",
             "angles": "FLAME global rotation, axis-angle components",
             "aggregate": AGGREGATE.format("")},
            {"deca": digest},
        )
    raise ValueError(f"pose_std backend must be 'landmarks' or 'deca', got {backend!r}")
