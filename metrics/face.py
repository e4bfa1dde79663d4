"""The largest face of a frame and its 68 landmarks, through the preparation stage's dlib ``FaceAnalyzer``."""
from __future__ import annotations

import functools

import numpy as np


@functools.cache
def analyzer():
    from benchmarks.preprocess.faces import FaceAnalyzer

    return FaceAnalyzer()  # dlib HOG, one up-sampling: finds faces in 128 px crops


def largest_face(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(box (x0,y0,x1,y1), (68,2) landmarks) of the largest face, None if there is none."""
    boxes = analyzer().detect(frame)
    if len(boxes) == 0:
        return None
    box = boxes[np.argmax((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))]
    return box, analyzer().landmarks(frame, box)
