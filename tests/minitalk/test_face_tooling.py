"""The issue's acceptance check: dlib finds the faces of MiniTalk and its landmarks measure the truth.

Mouth opening from dlib's 68 detected landmarks must correlate with the ground truth at r >= 0.8, and
cv2.solvePnP on detected landmarks (model: the portrait's own detected landmarks, raised by the same
relief rule) must recover the head rotation; the r values are printed for the report.
"""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from benchmarks import media
from benchmarks.synth import faces, warp

pytestmark = pytest.mark.slow  # the session's tiny build plus dlib on 300 frames

RIGID = list(range(17, 48))  # brows, nose, eyes: they do not move with the jaw


def _landmarks(image, rect):
    _, predictor, _ = faces.dlib_tools()
    return np.array([[p.x, p.y] for p in predictor(image, rect).parts()], dtype=np.float64)


def _measure(root, rel):
    """Per clip: detected faces per frame, and (measured, true) mouth openings and head rotations."""
    detector, _, _ = faces.dlib_tools()
    truth = json.loads((root / "ground_truth" / f"{rel}.json").read_text())
    portrait = cv2.cvtColor(cv2.imread(str(root / truth["face_plane"]["portrait"])), cv2.COLOR_BGR2RGB)
    size = portrait.shape[0]
    ref = _landmarks(portrait, max(detector(portrait, 1), key=lambda r: r.area()))
    model = warp.rest_points(ref, warp.FaceRig.from_landmarks(ref, size).surface(ref), size)
    K = np.asarray(truth["camera"]["K"])
    E = np.asarray(truth["camera"]["world_2_cam"])
    counts, mouth, pose = [], [], []
    for t, frame in enumerate(media.read_video(root / f"{rel}.mp4")):
        found = detector(frame, 0)
        counts.append(len(found))
        if len(found) != 1:
            continue
        lm = _landmarks(frame, found[0])
        mouth.append((warp.mouth_opening(lm), truth["mouth_open"][t]))
        ok, rvec, _ = cv2.solvePnP(model[RIGID], lm[RIGID], K, None, np.zeros((3, 1)), E[:3, 3:].copy(),
                                   useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE)
        assert ok
        head_R = E[:3, :3].T @ cv2.Rodrigues(rvec)[0]
        pose.append((warp.rotation_angles(head_R), truth["head_rotation"][t]))
    return counts, mouth, pose


@pytest.fixture(scope="module")
def measured(tiny):
    root, summary = tiny
    rels = [rel for key in ("th1kh", "hallo3", "vfhq", "celebvhq", "hdtf") for rel in summary["split"][key]]
    assert len(rels) == 6
    counts, mouth, pose = [], [], []
    for rel in rels:
        c, m, p = _measure(root, rel)
        counts += c
        mouth += m
        pose += p
    return np.asarray(counts), np.asarray(mouth), pose


def test_dlib_finds_exactly_one_face(measured):
    counts, _, _ = measured
    rate = float(np.mean(counts == 1))
    print(f"dlib HOG: exactly one face in {rate:.3f} of {len(counts)} frames")
    assert rate >= 0.95


def test_detected_mouth_opening_tracks_the_truth(measured):
    _, mouth, _ = measured
    r = np.corrcoef(mouth[:, 0], mouth[:, 1])[0, 1]
    print(f"mouth opening, dlib vs truth: Pearson r = {r:.3f} over {len(mouth)} frames")
    assert r >= 0.8


def test_solvepnp_recovers_the_head_rotation(measured):
    _, _, pose = measured
    est = np.asarray([p[0] for p in pose])
    true = np.asarray([p[1] for p in pose])
    r = [np.corrcoef(est[:, k], true[:, k])[0, 1] for k in range(3)]
    mae = np.degrees(np.abs(est - true).mean(0))
    print(f"head rotation, solvePnP vs truth: r (yaw, pitch, roll) = {np.round(r, 3)}, MAE deg = {np.round(mae, 2)}")
    assert min(r) >= 0.5
