"""FFHQ-style face alignment for video: the FFHQ ``align_face`` crop quad from eye and mouth landmarks,
smoothed over time so the crop does not jitter, then warped to a square of the profile's resolution."""
from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d


def ffhq_quad_params(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre ``c`` and half-side vector ``x`` of FFHQ's crop quad, per frame: (T,2), (T,2).

    The recipe of NVlabs/ffhq-dataset ``recreate_aligned_images``, vectorised over frames.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    eye_left = lm[:, 36:42].mean(axis=1)
    eye_right = lm[:, 42:48].mean(axis=1)
    eye_avg = 0.5 * (eye_left + eye_right)
    eye_to_eye = eye_right - eye_left
    mouth_avg = 0.5 * (lm[:, 48] + lm[:, 54])
    eye_to_mouth = mouth_avg - eye_avg
    x = eye_to_eye - eye_to_mouth[:, ::-1] * [-1, 1]
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    x *= np.maximum(np.linalg.norm(eye_to_eye, axis=1) * 2.0, np.linalg.norm(eye_to_mouth, axis=1) * 1.8)[:, None]
    c = eye_avg + eye_to_mouth * 0.1
    return c, x


def quads(c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Quad corners (T,4,2) in FFHQ's order: top-left, bottom-left, bottom-right, top-right."""
    y = x[:, ::-1] * [-1, 1]
    return np.stack([c - x - y, c - x + y, c + x + y, c + x - y], axis=1)


def smoothed_quads(landmarks: np.ndarray, sigma: float) -> np.ndarray:
    """Crop quads whose centre and half-side vector are Gaussian-smoothed over time (sigma in frames)."""
    c, x = ffhq_quad_params(landmarks)
    if sigma > 0 and len(c) > 1:
        c = gaussian_filter1d(c, sigma, axis=0, mode="nearest")
        x = gaussian_filter1d(x, sigma, axis=0, mode="nearest")
    return quads(c, x)


def quad_to_square(quad: np.ndarray, size: int) -> np.ndarray:
    """2x3 affine taking the quad's top-left, bottom-left and bottom-right corners to the output square."""
    dst = np.float32([[0, 0], [0, size], [size, size]])
    return cv2.getAffineTransform(np.float32(quad[:3]), dst)


def warp(frame: np.ndarray, quad: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The aligned crop and its affine (frame pixels -> crop pixels).

    As FFHQ does, a crop much larger than the output is first shrunk with area averaging so the
    warp does not alias; outside the frame the image is mirrored (FFHQ reflect-pads too).
    """
    side = np.linalg.norm(quad[3] - quad[0])
    shrink = int(np.floor(side / size * 0.5))
    scale = np.ones(2)
    if shrink > 1:
        h, w = frame.shape[:2]
        frame = cv2.resize(frame, (max(1, round(w / shrink)), max(1, round(h / shrink))), interpolation=cv2.INTER_AREA)
        scale = np.array([frame.shape[1] / w, frame.shape[0] / h])
    matrix = quad_to_square(quad * scale, size)
    crop = cv2.warpAffine(frame, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    matrix = matrix @ np.diag([scale[0], scale[1], 1.0])
    return crop, matrix


def apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]
