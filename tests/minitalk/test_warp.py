"""The renderer's geometry: rotations, cameras, jaw rig, rest pose = portrait, landmark/image agreement."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.synth import views, warp


def _face(size=128):
    """A synthetic face: a skin-coloured oval with dark eyes and lips, and its 68 landmarks from a template."""
    import cv2

    img = np.full((size, size, 3), 200, np.uint8)
    cv2.ellipse(img, (size // 2, size // 2), (size // 4, size // 3), 0, 0, 360, (220, 170, 140), -1)
    lm = np.zeros((68, 2))
    c = size / 2
    t = np.linspace(-np.pi / 2, np.pi / 2, 17)
    lm[0:17] = np.c_[c + (size / 4) * np.sin(t), c + (size / 3) * np.cos(t)]  # jaw, ear to ear via the chin
    lm[17:27] = np.c_[np.linspace(c - 22, c + 22, 10), np.full(10, c - 20)]
    lm[27:36] = np.c_[np.r_[np.full(4, c), np.linspace(c - 6, c + 6, 5)], np.r_[np.linspace(c - 14, c, 4), np.full(5, c + 4)]]
    for k, ex in ((36, c - 14), (42, c + 14)):
        a = np.linspace(0, 2 * np.pi, 7)[:6]
        lm[k:k + 6] = np.c_[ex + 5 * np.cos(a), c - 10 + 2 * np.sin(a)]
    a = np.linspace(0, 2 * np.pi, 13)[:12]
    lm[48:60] = np.c_[c - 10 * np.cos(a), c + 16 + 4 * np.sin(-a)]
    a = np.linspace(0, 2 * np.pi, 9)[:8]
    lm[60:68] = np.c_[c - 7 * np.cos(a), c + 16 + 0.5 * np.sin(-a)]
    for x, y in lm[36:48].astype(int):
        img[y - 1:y + 2, x - 1:x + 2] = 30
    return img, lm


def test_rotation_angles_round_trip():
    angles = np.array([0.1, -0.05, 0.03])
    R = warp.rotation_matrix(*angles)
    assert np.allclose(R @ R.T, np.eye(3)) and np.isclose(np.linalg.det(R), 1)
    assert np.allclose(warp.rotation_angles(R), angles)


def test_look_at_centres_the_target_and_is_a_rotation():
    K, rig = views.nersemble_rig()
    assert len(rig) == 16 and set(rig) == set(views.NERSEMBLE_SERIALS)
    for E in rig.values():
        R = E[:3, :3]
        assert np.allclose(R @ R.T, np.eye(3), atol=1e-9) and np.isclose(np.linalg.det(R), 1)
        origin = K @ E[:3, 3]
        assert np.allclose(origin[:2] / origin[2], K[:2, 2])  # the head is at the principal point
        assert (np.linalg.inv(E)[:3, 3] @ [0, 0, 1]) < 0  # every camera is in front of the face (z < 0)


def test_rest_pose_reproduces_the_portrait():
    img, lm = _face()
    rig = warp.FaceRig.from_landmarks(lm, 128)
    K, E = warp.frontal_camera(128)
    frame, pts = warp.render(img, lm, rig, 0.0, K, E, np.eye(3), np.zeros(3), (128, 128))
    assert np.abs(frame.astype(float) - img).mean() < 1.0
    assert np.allclose(pts, lm, atol=1e-6)


def test_jaw_opens_the_mouth_and_leaves_the_eyes():
    img, lm = _face()
    rig = warp.FaceRig.from_landmarks(lm, 128)
    moved = rig.displace(lm, 1.0)
    assert np.allclose(moved[36:48], lm[36:48])
    assert warp.mouth_opening(moved) > warp.mouth_opening(lm) + 0.2
    assert np.all(moved[[57, 8], 1] > lm[[57, 8], 1])  # lower lip and chin go down
    K, E = warp.frontal_camera(128)
    frame, pts = warp.render(img, lm, rig, 1.0, K, E, np.eye(3), np.zeros(3), (128, 128))
    inner = pts[60:68].mean(0).astype(int)
    assert frame[inner[1], inner[0]].mean() < 60  # the opened mouth is dark inside


@pytest.mark.parametrize("yaw,pitch", [(0.15, 0.0), (0.0, -0.1)])
def test_landmarks_follow_the_image(yaw, pitch):
    """A dark dot on a landmark is rendered where the projected landmark says it is."""
    img, lm = _face()
    dot = lm[30].astype(int)
    img[dot[1] - 1:dot[1] + 2, dot[0] - 1:dot[0] + 2] = (0, 0, 255)
    rig = warp.FaceRig.from_landmarks(lm, 128)
    K, E = warp.frontal_camera(128)
    R = warp.rotation_matrix(yaw, pitch, 0.0)
    frame, pts = warp.render(img, lm, rig, 0.0, K, E, R, np.zeros(3), (128, 128))
    blue = np.argwhere((frame[..., 2] > 180) & (frame[..., 0] < 80))
    assert len(blue)
    assert np.linalg.norm(blue.mean(0)[::-1] - pts[30]) < 1.5
    assert np.linalg.norm(pts[30] - lm[30]) > 3  # the turn did move it
