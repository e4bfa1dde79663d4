"""The shipped portraits: ten distinct people, cropped around their faces."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from benchmarks.synth import faces


def test_crop_centres_and_scales_the_box():
    image = np.zeros((100, 200, 3), np.uint8)
    image[40:60, 150:170] = 255  # a 20 px "face" near the right border
    out = faces.crop(image, np.array([150, 40, 170, 60]), 64)
    bright = np.argwhere(out[..., 0] > 128)
    assert np.allclose(bright.mean(0), 31.5, atol=1.0)  # centred
    assert abs(np.ptp(bright[:, 1]) + 1 - 64 / faces.MARGIN) <= 2  # box side = size / MARGIN


@pytest.mark.slow  # MTCNN and dlib over all five shipped images (~10 s, more on busy cores)
def test_ten_distinct_identities():
    portraits = faces.load_portraits(128, 10)
    assert len({p.identity for p in portraits}) == 10
    for a, b in itertools.combinations(portraits, 2):
        assert np.linalg.norm(a.descriptor - b.descriptor) >= faces.DISTINCT_IDENTITY
    for p in portraits:
        assert p.image.shape == (128, 128, 3) and p.landmarks.shape == (68, 2)
        centre = p.landmarks[27:36].mean(0)  # the nose sits near the middle of the crop
        assert np.all(np.abs(centre - 64) < 20), p.identity
    with pytest.raises(ValueError, match="shipped portraits hold 10"):
        faces.load_portraits(128, 11)
