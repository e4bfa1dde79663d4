"""Pose Std and identity similarity on a real face (scikit-image's astronaut) under known perturbations."""
import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from metrics.identity import DlibEncoder, cosine, identity_similarity
from metrics.pose import head_rotation, pose_std


@pytest.fixture(scope="module")
def face():
    return cv2.resize(data.astronaut()[40:300, 100:360], (160, 160), interpolation=cv2.INTER_AREA)


def rotated(img, degrees):
    m = cv2.getRotationMatrix2D((img.shape[1] / 2, img.shape[0] / 2), degrees, 1.0)
    return cv2.warpAffine(img, m, img.shape[1::-1], borderMode=cv2.BORDER_REFLECT)


def test_frozen_video_has_zero_pose_std(face):
    result = pose_std(np.stack([face] * 4))
    assert result == {"pose_std_rad100": 0.0, "pose_std_deg": 0.0}


def test_in_plane_rotation_moves_roll(face):
    angles = [-10, 0, 10]
    rolls = np.degrees([head_rotation(rotated(face, a))[2] for a in angles])
    np.testing.assert_allclose(np.diff(rolls), -np.diff(angles), atol=2.5)  # cv2 angles are counter-clockwise
    moving = pose_std(np.stack([rotated(face, a) for a in angles]))
    assert moving["pose_std_deg"] > 1.0
    assert moving["pose_std_rad100"] == pytest.approx(100 * np.radians(moving["pose_std_deg"]))


def test_no_face_is_an_error(face):
    blank = np.full_like(face, 128)
    with pytest.raises(ValueError, match="no face found in frame 1"):
        pose_std(np.stack([face, blank]))


def test_identity_similarity_same_vs_other_person(face):
    encoder = DlibEncoder()
    same = identity_similarity(encoder, face, np.stack([cv2.flip(face, 1), rotated(face, 5)]))
    assert same > 0.95
    other = identity_similarity(encoder, face, other_person()[None])
    assert other < same - 0.1
    assert cosine(encoder(face), encoder(face)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no face"):
        identity_similarity(encoder, face, cv2.resize(data.chelsea(), (160, 160))[None])  # a cat


def other_person():
    """A different identity: the portrait shipped inside insightface's package data."""
    spec = importlib.util.find_spec("insightface")
    path = Path(spec.submodule_search_locations[0]) / "data" / "images" / "Tom_Hanks_54745.png"
    return cv2.resize(cv2.imread(str(path))[..., ::-1], (160, 160), interpolation=cv2.INTER_AREA)
