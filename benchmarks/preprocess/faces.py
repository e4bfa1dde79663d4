"""Face detection and 68-point landmarks with dlib (detector backend chosen in params)."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from benchmarks.preloaded import preloaded
from benchmarks.preprocess import weights

LANDMARK_MODEL = "shape_predictor_68_face_landmarks.dat"


@dataclass
class FaceAnalyzer:
    """``detect`` gives face boxes (x0, y0, x1, y1) in frame pixels; ``landmarks`` the 68 points of one box."""

    backend: str = "dlib_hog"  # dlib_hog | dlib_cnn (mmod_human_face_detector.dat, slower, more robust)
    upsample: int = 0
    retry_upsample: int = 1  # when nothing is found, look again at this upsampling (small faces); 0: never
    max_side: int = 512  # frames are shrunk to this longest side for detection only
    min_score: float = 0.3
    models_dir: str | None = None  # None: face_recognition_models' folder
    # "mtcnn": facenet-pytorch's MTCNN (weights ship in its wheel) on frames where dlib finds no face;
    # dlib's frontal detectors miss turned or partly covered faces that MTCNN finds
    fallback: str | None = None
    fallback_min_prob: float = 0.9

    def __post_init__(self) -> None:
        import dlib

        if self.backend == "dlib_hog":
            self._detector = preloaded(dlib.get_frontal_face_detector)
        elif self.backend == "dlib_cnn":
            self._detector = dlib.cnn_face_detection_model_v1(
                str(weights.dlib_model("mmod_human_face_detector.dat", self.models_dir)))
        else:
            raise ValueError(f"unknown face detector backend {self.backend!r} (dlib_hog, dlib_cnn)")
        self.landmark_path = weights.dlib_model(LANDMARK_MODEL, self.models_dir)
        self._predictor = preloaded(dlib.shape_predictor, str(self.landmark_path))
        self._fallback = None
        if self.fallback == "mtcnn":
            from facenet_pytorch import MTCNN

            self._fallback = MTCNN(keep_all=True, device="cpu")
        elif self.fallback is not None:
            raise ValueError(f"unknown face detector fallback {self.fallback!r} (mtcnn or null)")

    @property
    def weights(self) -> dict[str, str]:
        out = {LANDMARK_MODEL: weights.sha256(self.landmark_path)}
        if self.backend == "dlib_cnn":
            out["mmod_human_face_detector.dat"] = weights.sha256(
                weights.dlib_model("mmod_human_face_detector.dat", self.models_dir))
        return out

    def detect(self, frame: np.ndarray) -> np.ndarray:
        scale = min(1.0, self.max_side / max(frame.shape[:2]))
        small = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else frame
        boxes = self._run(small, self.upsample)
        if not len(boxes) and self.retry_upsample > self.upsample:
            boxes = self._run(small, self.retry_upsample)
        if not len(boxes) and self._fallback is not None:
            boxes = self._run_fallback(small)
        return boxes / scale

    def _run_fallback(self, image: np.ndarray) -> np.ndarray:
        """MTCNN boxes made dlib-like (the shape predictor was trained on those): a square of the box's
        width about its centre -- MTCNN's boxes are taller, reaching the forehead."""
        found, probs = self._fallback.detect(image)
        if found is None:
            return np.empty((0, 4))
        found = np.array(found.tolist(), dtype=np.float64)[np.array(probs.tolist()) >= self.fallback_min_prob]
        centre, half = (found[:, :2] + found[:, 2:]) / 2, (found[:, 2:3] - found[:, 0:1]) / 2
        return np.concatenate([centre - half, centre + half], axis=1)

    def _run(self, image: np.ndarray, upsample: int) -> np.ndarray:
        if self.backend == "dlib_hog":
            rects, scores, _ = self._detector.run(image, upsample, 0.0)
        else:
            found = self._detector(image, upsample)
            rects, scores = [d.rect for d in found], [d.confidence for d in found]
        boxes = [[r.left(), r.top(), r.right(), r.bottom()] for r, s in zip(rects, scores) if s >= self.min_score]
        return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)

    def landmarks(self, frame: np.ndarray, box: np.ndarray) -> np.ndarray:
        import dlib

        rect = dlib.rectangle(*(int(round(v)) for v in box))
        shape = self._predictor(np.ascontiguousarray(frame), rect)
        return np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64)
