"""Pose Std, identity similarity and their shared face track on a real face (scikit-image's astronaut)
under known perturbations, and on frames without a face."""
import importlib.util
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from metrics import face_track as face_track_module
from metrics.face import largest_face
from metrics.identity import DlibEncoder, cosine, identity_similarity
from metrics.pose import LANDMARK_IDS, MODEL_POINTS, clip_pose_std, head_rotation
from metrics.registry import ClipInputs, get

CTX = {"seed": 0, "weights_dir": "weights", "device": "cpu"}


@pytest.fixture(scope="module")
def face():
    return cv2.resize(data.astronaut()[40:300, 100:360], (160, 160), interpolation=cv2.INTER_AREA)


def rotated(img, degrees):
    m = cv2.getRotationMatrix2D((img.shape[1] / 2, img.shape[0] / 2), degrees, 1.0)
    return cv2.warpAffine(img, m, img.shape[1::-1], borderMode=cv2.BORDER_REFLECT)


def clip(frames, source=None) -> ClipInputs:
    frames = np.stack(frames)
    return ClipInputs("clip", frames, frames, None, frames[0] if source is None else source)


def test_model_points_are_insightfaces_mean_face():
    spec = importlib.util.find_spec("insightface")
    path = Path(spec.submodule_search_locations[0]) / "data" / "objects" / "meanshape_68.pkl"
    mean = pickle.loads(path.read_bytes())
    np.testing.assert_allclose(MODEL_POINTS, mean[LANDMARK_IDS] * [1, 1, -1], atol=1e-4)


def test_frozen_video_has_zero_pose_std(face):
    result = clip_pose_std(clip([face] * 4))
    assert result["pose_std_rad100"] == 0.0 and result["pose_std_deg"] == 0.0
    assert result["pose_frames_without_face"] == 0 and result["pose_face_fraction"] == 1.0


def test_in_plane_rotation_moves_roll(face):
    angles = [-10, 0, 10]
    rolls = np.degrees([head_rotation(largest_face(rotated(face, a))[1], 160, 160)[2] for a in angles])
    np.testing.assert_allclose(np.diff(rolls), -np.diff(angles), atol=2.5)  # cv2 angles are counter-clockwise
    moving = clip_pose_std(clip([rotated(face, a) for a in angles]))
    assert moving["pose_std_deg"] > 1.0
    assert moving["pose_std_rad100"] == pytest.approx(100 * np.radians(moving["pose_std_deg"]))


def test_frames_without_a_face_are_skipped_and_counted(face):
    blank = np.full_like(face, 128)
    moving = [face, rotated(face, 8), rotated(face, -8)]
    with_gaps = clip_pose_std(clip([moving[0], blank, moving[1], moving[2]]))
    assert with_gaps["pose_frames_without_face"] == 1 and with_gaps["pose_face_fraction"] == 0.75
    assert with_gaps["pose_std_rad100"] == clip_pose_std(clip(moving))["pose_std_rad100"]
    csim = identity_similarity(DlibEncoder(), clip([moving[0], blank, moving[1], blank], source=face))
    assert csim["csim_frames_without_face"] == 2 and csim["csim_face_fraction"] == 0.5
    assert csim["csim"] == pytest.approx(identity_similarity(DlibEncoder(), clip(moving[:2], source=face))["csim"])
    boxes = face_track_module.face_track(clip([face, blank])).boxes(range(2))
    np.testing.assert_array_equal(boxes[0], largest_face(face)[0])
    assert np.isnan(boxes[1]).all()


def test_too_few_faces_is_an_error(face):
    blank = np.full_like(face, 128)
    with pytest.raises(ValueError, match=r"a face in 1 of 3 frames \(0.33 < min_face_fraction 0.5\)"):
        clip_pose_std(clip([face, blank, blank]))
    with pytest.raises(ValueError, match="at least 2 frames"):
        clip_pose_std(clip([face, blank, blank]), min_face_fraction=0.3)
    with pytest.raises(ValueError, match="a face in 1 of 3 frames"):
        identity_similarity(DlibEncoder(), clip([face, blank, blank]))
    assert identity_similarity(DlibEncoder(), clip([face, blank, blank]), min_face_fraction=0.3)["csim"] == pytest.approx(1.0)


def test_pose_and_csim_detect_each_frame_once(face, monkeypatch):
    calls = []

    def counting(frame):
        calls.append(1)
        return largest_face(frame)

    monkeypatch.setattr(face_track_module, "largest_face", counting)
    inputs = clip([rotated(face, a) for a in (-6, -3, 0, 3, 6)], source=face)
    get("pose_std").build({"frame_stride": 1}, CTX).score(inputs)
    get("csim").build({"encoder": "dlib", "frame_stride": 2}, CTX).score(inputs)
    assert len(calls) == 5 + 1  # every generated frame once, the source portrait once


def test_identity_similarity_same_vs_other_person(face):
    encoder = DlibEncoder()
    same = identity_similarity(encoder, clip([cv2.flip(face, 1), rotated(face, 5)], source=face))["csim"]
    assert same > 0.95
    other = identity_similarity(encoder, clip([other_person()], source=face))["csim"]
    assert other < same - 0.1
    source = face_track_module.face_track(clip([face]), "source").face(0)
    assert cosine(encoder(face, source), encoder(face, source)) == pytest.approx(1.0)
    cat = cv2.resize(data.chelsea(), (160, 160))
    with pytest.raises(ValueError, match="no face found in the source portrait"):
        identity_similarity(encoder, clip([face], source=cat))
    with pytest.raises(ValueError, match="a face in 0 of 1 frames"):
        identity_similarity(encoder, clip([cat], source=face))


def other_person():
    """A different identity: the portrait shipped inside insightface's package data."""
    spec = importlib.util.find_spec("insightface")
    path = Path(spec.submodule_search_locations[0]) / "data" / "images" / "Tom_Hanks_54745.png"
    return cv2.resize(cv2.imread(str(path))[..., ::-1], (160, 160), interpolation=cv2.INTER_AREA)
