"""Face detection: boxes in the caller's pixels whatever the detection scale, small faces found on retry,
turned faces found by the MTCNN fallback."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from benchmarks.preprocess.faces import FaceAnalyzer

from .conftest import astronaut_face


def test_boxes_are_in_frame_pixels_when_detection_runs_shrunk():
    face = astronaut_face(256)
    analyzer = FaceAnalyzer(max_side=256)
    (small,) = analyzer.detect(face)
    (large,) = analyzer.detect(cv2.resize(face, (1024, 1024), interpolation=cv2.INTER_CUBIC))
    np.testing.assert_allclose(large, 4 * small, atol=8)


def test_small_faces_are_found_on_the_upsampled_retry():
    small = astronaut_face(128)  # a face of about 50 px, under HOG's 80 px window
    assert len(FaceAnalyzer(upsample=0, retry_upsample=0).detect(small)) == 0
    (box,) = FaceAnalyzer(upsample=0, retry_upsample=1).detect(small)
    assert 35 < box[2] - box[0] < 70


def test_mtcnn_fallback_finds_a_turned_face_dlib_misses():
    from skimage import data

    cameraman = np.repeat(cv2.resize(data.camera(), (256, 256), interpolation=cv2.INTER_AREA)[..., None], 3, axis=2)
    assert len(FaceAnalyzer().detect(cameraman)) == 0
    (box,) = FaceAnalyzer(fallback="mtcnn").detect(cameraman)
    assert box[2] - box[0] == pytest.approx(box[3] - box[1])  # squared like dlib's boxes
    assert 0 <= box[0] < box[2] <= 256 and 0 <= box[1] < box[3] <= 256
