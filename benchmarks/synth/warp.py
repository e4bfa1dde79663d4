"""Landmark-driven rendering of a talking face: jaw drop, inner mouth, head pose, camera.

The portrait is a plane in the world (OpenCV axes: x right, y down, z away from the cameras that look
at it), centred on the origin, with a relief raised from its landmarks (a paraboloid over the face
oval and a nose ridge) so that yaw and pitch show as parallax; the head turns about a centre behind
that plane. One frame is one backward map -- the plane-induced homography K (R_c R_h A + t), a
fixed-point correction for the relief's parallax and a dense jaw displacement field -- and one
cv2.remap; skimage's PiecewiseAffineTransform would re-triangulate every frame and is two orders of
magnitude slower.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from scipy.spatial.transform import Rotation

PLANE_WIDTH_M = 0.3  # the portrait (a face with margin) spans 30 cm
HEAD_CENTRE_M = np.array([0.0, 0.0, 0.1])  # the head turns about a point 10 cm behind the face plane
FOCAL_FRAMES = 1.2  # focal length of the portrait's camera, in frame widths
PORTRAIT_DISTANCE_M = FOCAL_FRAMES * PLANE_WIDTH_M  # where one portrait pixel is one frame pixel
MAX_JAW_DROP = 0.35  # lower-lip travel at full opening, in inter-ocular distances
FACE_RELIEF = 0.4  # height of the face oval's paraboloid, in half face widths
NOSE_RELIEF = 0.3  # nose ridge height, in inter-ocular distances
PARALLAX_STEPS = 3
PARALLAX_STEP = 4  # pixels between the samples of the parallax field
INNER_MOUTH_RGB = np.array([45.0, 12.0, 14.0])
INNER_MOUTH_ALPHA = 0.85

LEFT_EYE, RIGHT_EYE = slice(36, 42), slice(42, 48)
INNER_LIPS = slice(60, 68)
INNER_UPPER, INNER_LOWER = [61, 62, 63], [67, 66, 65]  # vertically paired points of dlib's 68
UPPER_LIP = [49, 50, 51, 52, 53, 61, 62, 63]
LOWER_LIP = [55, 56, 57, 58, 59, 65, 66, 67]
CHIN = 8


def rotation_matrix(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Head rotation from (yaw about y, pitch about x, roll about z), intrinsic Y-X-Z, radians."""
    return Rotation.from_euler("YXZ", [yaw, pitch, roll]).as_matrix()


def rotation_angles(R: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rotation_matrix`: (yaw, pitch, roll)."""
    return Rotation.from_matrix(R).as_euler("YXZ")


def interocular(landmarks: np.ndarray) -> float:
    return float(np.linalg.norm(landmarks[RIGHT_EYE].mean(0) - landmarks[LEFT_EYE].mean(0)))


def mouth_opening(landmarks: np.ndarray) -> float:
    """Mean inner-lip gap over the inter-ocular distance (scale-free; 68-point layout)."""
    gap = np.linalg.norm(landmarks[INNER_UPPER] - landmarks[INNER_LOWER], axis=1).mean()
    return float(gap / interocular(landmarks))


def plane_to_world(size: int) -> np.ndarray:
    """3x3 A mapping portrait pixels (u, v, 1) to world (x, y) on the plane z = 0, as columns of [x, y, 1]."""
    s = PLANE_WIDTH_M / size
    return np.array([[s, 0, -s * size / 2], [0, s, -s * size / 2], [0, 0, 1.0]])


def plane_homography(K: np.ndarray, world_2_cam: np.ndarray, head_R: np.ndarray, head_t: np.ndarray,
                     size: int) -> np.ndarray:
    """Portrait pixels -> image pixels for a head rotated by ``head_R`` about HEAD_CENTRE_M and moved by ``head_t``."""
    A = plane_to_world(size)
    Rc, tc = world_2_cam[:3, :3], world_2_cam[:3, 3]
    # world point of plane point p: head_R (P - c) + c + head_t, with P = (A p)_xy on z = 0
    offset = HEAD_CENTRE_M - head_R @ HEAD_CENTRE_M + head_t
    M = np.column_stack([Rc @ head_R[:, 0], Rc @ head_R[:, 1], Rc @ offset + tc])
    return K @ M @ A


def frontal_camera(size: int) -> tuple[np.ndarray, np.ndarray]:
    """K and world_2_cam of the camera that took the portrait: the rest pose fills a size x size frame exactly.

    A short focal length (a webcam's ~45 degree field of view) keeps the perspective cues of head turns.
    """
    f = FOCAL_FRAMES * size
    K = np.array([[f, 0, size / 2], [0, f, size / 2], [0, 0, 1.0]])
    E = np.eye(4)
    E[2, 3] = PORTRAIT_DISTANCE_M
    return K, E


def rest_points(uv: np.ndarray, relief: np.ndarray, size: int) -> np.ndarray:
    """World points (N, 3) of portrait points ``uv`` (N, 2) raised by ``relief`` (N,) portrait pixels.

    Points are raised along the rays of the portrait's camera (frontal_camera), so the rest pose seen
    by that camera is the portrait itself.
    """
    s = PLANE_WIDTH_M / size
    lift = np.asarray(relief, np.float64) * s
    return np.column_stack([(uv - size / 2) * s * (1 - lift / PORTRAIT_DISTANCE_M)[:, None], -lift])


def project(K: np.ndarray, world_2_cam: np.ndarray, head_R: np.ndarray, head_t: np.ndarray, size: int,
            uv: np.ndarray, relief: np.ndarray) -> np.ndarray:
    """Image pixels (N, 2) of raised portrait points (see rest_points) on a head posed by head_R, head_t."""
    X = (rest_points(uv, relief, size) - HEAD_CENTRE_M) @ head_R.T + HEAD_CENTRE_M + head_t
    x = (X @ world_2_cam[:3, :3].T + world_2_cam[:3, 3]) @ K.T
    return x[:, :2] / x[:, 2:]


@dataclass(frozen=True)
class FaceRig:
    """One portrait's shape: relief (portrait pixels), jaw weights (1 on lower lip and chin, 0 on the upper face)."""

    relief: np.ndarray  # (S, S) float32
    weights: np.ndarray  # (S, S) float32
    down: np.ndarray  # (2,) unit vector perpendicular to the eye line, pointing to the chin
    max_drop: float  # pixels of lower-lip travel at opening 1
    edge: float  # half-width in pixels of the band where the lips part

    @classmethod
    def from_landmarks(cls, landmarks: np.ndarray, size: int) -> FaceRig:
        eye_l, eye_r = landmarks[LEFT_EYE].mean(0), landmarks[RIGHT_EYE].mean(0)
        across = (eye_r - eye_l) / np.linalg.norm(eye_r - eye_l)
        down = np.array([-across[1], across[0]])
        iod = interocular(landmarks)
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)

        def face_coords(origin):
            return ((xs - origin[0]) * across[0] + (ys - origin[1]) * across[1],
                    (xs - origin[0]) * down[0] + (ys - origin[1]) * down[1])

        brows, chin_pt = landmarks[17:27].mean(0), landmarks[CHIN]
        half_width = 0.5 * float(np.linalg.norm(landmarks[0] - landmarks[16]))
        half_height = 0.6 * float(np.linalg.norm(chin_pt - brows))
        u, v = face_coords(0.5 * (brows + chin_pt))
        oval = np.clip(1 - (u / half_width) ** 2 - (v / half_height) ** 2, 0, None)
        u, v = face_coords(landmarks[30])
        nose = np.exp(-0.5 * ((u / (0.18 * iod)) ** 2 + (np.minimum(v, 0) / (0.45 * iod)) ** 2 + (np.maximum(v, 0) / (0.12 * iod)) ** 2))
        relief = FACE_RELIEF * half_width * oval + NOSE_RELIEF * iod * nose

        u, v = face_coords(landmarks[INNER_LIPS].mean(0))
        chin = float((chin_pt - landmarks[INNER_LIPS].mean(0)) @ down)
        half_jaw = 0.5 * float(np.linalg.norm(landmarks[3] - landmarks[13]))
        edge = 0.03 * iod  # the lips part within a few pixels of the inner-lip line
        below_lips = np.clip((v + edge) / (2 * edge), 0, 1)
        above_neck = np.clip(1 - (v - chin) / (0.5 * iod), 0, 1)
        across_jaw = np.where(np.abs(u) < half_jaw, 0.5 * (1 + np.cos(np.pi * u / half_jaw)), 0.0)
        weights = _smoothstep(below_lips) * _smoothstep(above_neck) * across_jaw
        return cls(relief.astype(np.float32), weights.astype(np.float32), down, MAX_JAW_DROP * iod, edge)

    def displace(self, landmarks: np.ndarray, opening: float) -> np.ndarray:
        """Forward jaw motion of the 68 landmarks (portrait pixels).

        A closed mouth's inner-lip points lie on the parting line itself, so each lip's points take
        the weight just on their own side of it.
        """
        probe = landmarks.copy()
        probe[UPPER_LIP] -= 2 * self.edge * self.down
        probe[LOWER_LIP] += 2 * self.edge * self.down
        w = _sample(self.weights, probe)
        return landmarks + (opening * self.max_drop * w)[:, None] * self.down

    def surface(self, uv: np.ndarray) -> np.ndarray:
        """Relief at portrait points (N, 2)."""
        return _sample(self.relief, uv)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    return x * x * (3 - 2 * x)


def _sample(field: np.ndarray, points: np.ndarray) -> np.ndarray:
    xy = np.asarray(points, np.float32).reshape(1, -1, 2)
    return cv2.remap(field, xy[..., 0], xy[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT).reshape(-1)


@lru_cache(maxsize=8)
def _grid(w: int, h: int, step: int) -> np.ndarray:
    """(h*w, 2) pixel centres of a grid ``step`` times coarser than the image, row-major, read-only."""
    offset = (step - 1) / 2
    grid = np.stack(np.meshgrid(step * np.arange(w) + offset, step * np.arange(h) + offset), -1).reshape(-1, 2)
    grid.setflags(write=False)
    return grid


def _perspective(H: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return cv2.perspectiveTransform(np.asarray(pts, np.float64).reshape(-1, 1, 2), H).reshape(-1, 2)


def render(portrait: np.ndarray, landmarks: np.ndarray, rig: FaceRig, opening: float, K: np.ndarray,
           world_2_cam: np.ndarray, head_R: np.ndarray, head_t: np.ndarray, out_size: tuple[int, int],
           background: tuple[int, int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One frame and its 68 landmarks (image pixels).

    ``background`` None replicates the portrait's border (a monocular clip), a colour fills what the
    portrait does not cover (a side view).
    """
    size = portrait.shape[0]
    w, h = out_size
    H = plane_homography(K, world_2_cam, head_R, head_t, size)
    Hinv = np.linalg.inv(H)
    # parallax of the relief (where a portrait pixel lands minus where the flat plane puts it) is smooth:
    # compute it on a grid PARALLAX_STEP times coarser, at the points that cv2.resize aligns with pixels
    n = size // PARALLAX_STEP
    grid = _grid(n, n, PARALLAX_STEP)
    lifted = project(K, world_2_cam, head_R, head_t, size, grid, rig.surface(grid))
    parallax = (lifted - _perspective(H, grid)).reshape(n, n, 2).astype(np.float32)
    parallax = cv2.resize(parallax, (size, size), interpolation=cv2.INTER_LINEAR)
    out = _grid(w, h, 1)
    q = _perspective(Hinv, out)
    for _ in range(PARALLAX_STEPS):  # solve out = H q + parallax(q) for q
        qm = q.astype(np.float32).reshape(h, w, 2)
        shift = cv2.remap(parallax, qm[..., 0], qm[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        q = _perspective(Hinv, out - shift.reshape(-1, 2))
    qx, qy = (q[:, 0].reshape(h, w).astype(np.float32), q[:, 1].reshape(h, w).astype(np.float32))
    drop = opening * rig.max_drop
    if drop > 0:
        # invert the forward jaw motion x -> x + drop W(x) down by fixed-point steps src = q - drop W(src) down
        sx, sy = qx, qy
        for _ in range(2):
            wgt = cv2.remap(rig.weights, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            sx = (qx - drop * rig.down[0] * wgt).astype(np.float32)
            sy = (qy - drop * rig.down[1] * wgt).astype(np.float32)
        qx, qy = sx, sy
    if background is None:
        frame = cv2.remap(portrait, qx, qy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    else:
        frame = cv2.remap(portrait, qx, qy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=background)
    moved = rig.displace(landmarks, opening)
    image_pts = project(K, world_2_cam, head_R, head_t, size, moved, rig.surface(moved))
    if drop > 0:
        frame = _darken_inner_mouth(frame, image_pts[INNER_LIPS])
    return frame, image_pts


def _darken_inner_mouth(frame: np.ndarray, inner_lips: np.ndarray) -> np.ndarray:
    """Shade the parted lips' inside dark red so the opening is visible, with a 1-2 px soft edge."""
    h, w = frame.shape[:2]
    x0, y0 = np.clip(np.floor(inner_lips.min(0)).astype(int) - 3, 0, [w, h])
    x1, y1 = np.clip(np.ceil(inner_lips.max(0)).astype(int) + 4, 0, [w, h])
    if x1 <= x0 or y1 <= y0:
        return frame
    scale = 4  # sub-pixel polygon: cv2.fillPoly with shift bits
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round((inner_lips - [x0, y0]) * (1 << scale)).astype(np.int32)], 255, cv2.LINE_AA, shift=scale)
    alpha = INNER_MOUTH_ALPHA * cv2.GaussianBlur(mask, (3, 3), 0).astype(np.float32)[..., None] / 255.0
    roi = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = np.clip(roi * (1 - alpha) + INNER_MOUTH_RGB * alpha + 0.5, 0, 255).astype(np.uint8)
    return frame
