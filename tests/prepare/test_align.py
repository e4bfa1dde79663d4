"""FFHQ-style alignment: parity with the FFHQ recipe, equivariance to moving the head, temporal smoothing,
and landmarks that land where the face is in the crop."""
from __future__ import annotations

import cv2
import numpy as np

from benchmarks.preprocess import align
from benchmarks.preprocess.faces import FaceAnalyzer

from .conftest import astronaut_face


def ffhq_reference_quad(lm: np.ndarray) -> np.ndarray:
    """NVlabs/ffhq-dataset download_ffhq.py, recreate_aligned_images, for one face (verbatim arithmetic)."""
    lm_eye_left, lm_eye_right, lm_mouth_outer = lm[36:42], lm[42:48], lm[48:60]
    eye_left = np.mean(lm_eye_left, axis=0)
    eye_right = np.mean(lm_eye_right, axis=0)
    eye_avg = (eye_left + eye_right) * 0.5
    eye_to_eye = eye_right - eye_left
    mouth_left = lm_mouth_outer[0]
    mouth_right = lm_mouth_outer[6]
    mouth_avg = (mouth_left + mouth_right) * 0.5
    eye_to_mouth = mouth_avg - eye_avg
    x = eye_to_eye - np.flipud(eye_to_mouth) * [-1, 1]
    x /= np.hypot(*x)
    x *= max(np.hypot(*eye_to_eye) * 2.0, np.hypot(*eye_to_mouth) * 1.8)
    y = np.flipud(x) * [-1, 1]
    c = eye_avg + eye_to_mouth * 0.1
    return np.stack([c - x - y, c - x + y, c + x + y, c + x - y])


def face_landmarks(analyzer, image):
    (box,) = analyzer.detect(image)
    return analyzer.landmarks(image, box)


def test_quad_matches_ffhq_recipe():
    rng = np.random.default_rng(0)
    lms = rng.uniform(40, 120, size=(5, 68, 2))
    ours = align.smoothed_quads(lms, sigma=0)
    for lm, quad in zip(lms, ours):
        np.testing.assert_allclose(quad, ffhq_reference_quad(lm), rtol=1e-10, atol=1e-9)


def test_aligned_landmarks_do_not_depend_on_head_pose_in_frame():
    analyzer = FaceAnalyzer()
    image = cv2.copyMakeBorder(astronaut_face(), 60, 60, 60, 60, cv2.BORDER_REPLICATE)
    lm = face_landmarks(analyzer, image)
    centre = tuple(float(v) for v in lm.mean(0))
    moved = cv2.getRotationMatrix2D(centre, 20.0, 1.3)
    moved[:, 2] += [7, -5]
    lm_moved = align.apply_affine(moved, lm)
    aligned = [align.apply_affine(align.warp(image, align.smoothed_quads(p[None], 0)[0], 128)[1], p) for p in (lm, lm_moved)]
    np.testing.assert_allclose(aligned[0], aligned[1], atol=1e-3)


def test_crop_landmarks_match_a_fresh_detection_on_the_crop():
    analyzer = FaceAnalyzer()
    image = cv2.copyMakeBorder(astronaut_face(320), 40, 40, 40, 40, cv2.BORDER_REPLICATE)
    lm = face_landmarks(analyzer, image)
    crop, matrix = align.warp(image, align.smoothed_quads(lm[None], 0)[0], 256)
    stored = align.apply_affine(matrix, lm)
    redetected = face_landmarks(analyzer, crop)
    eye_distance = np.linalg.norm(stored[36:42].mean(0) - stored[42:48].mean(0))
    assert np.median(np.linalg.norm(stored - redetected, axis=1)) < 0.1 * eye_distance


def test_smoothing_removes_landmark_jitter_but_follows_motion():
    rng = np.random.default_rng(0)
    base = rng.uniform(40, 120, size=(68, 2))
    drift = np.linspace(0, 20, 50)[:, None, None] * [1, 0]
    noisy = base + drift + rng.normal(0, 1.5, size=(50, 68, 2))
    raw = align.smoothed_quads(noisy, sigma=0)
    smooth = align.smoothed_quads(noisy, sigma=2.0)
    jitter = lambda q: np.abs(np.diff(q, n=2, axis=0)).mean()  # noqa: E731
    assert jitter(smooth) < 0.3 * jitter(raw)
    clean = align.smoothed_quads(base + drift, sigma=0)
    assert np.abs(smooth - clean)[5:-5].mean() < np.abs(raw - clean)[5:-5].mean()
