"""Frame filters of the paper's cleaning (Supp. A): no face, several faces, hands occluding the face.

The hand filter is pluggable (``HAND_FILTERS``); it needs detector weights, and when they are absent
it is off and says so -- there is no stand-in detector.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.preprocess import weights

NO_FACE = "no_face"
MULTI_FACE = "multi_face"
HAND_OCCLUSION = "hand_occlusion"


def face_count_reason(n_faces: int) -> str | None:
    """Why a frame with ``n_faces`` detections is dropped, or None when it is kept."""
    if n_faces == 0:
        return NO_FACE
    if n_faces > 1:
        return MULTI_FACE
    return None


def overlap_fraction(face: np.ndarray, boxes: np.ndarray) -> float:
    """Largest share of the face box's area covered by any of ``boxes`` (x0, y0, x1, y1)."""
    if len(boxes) == 0:
        return 0.0
    w = np.clip(np.minimum(boxes[:, 2], face[2]) - np.maximum(boxes[:, 0], face[0]), 0, None)
    h = np.clip(np.minimum(boxes[:, 3], face[3]) - np.maximum(boxes[:, 1], face[1]), 0, None)
    area = max((face[2] - face[0]) * (face[3] - face[1]), 1e-9)
    return float((w * h).max() / area)


@dataclass
class GroundingDinoHandFilter:
    """Open-vocabulary hand boxes (Grounding DINO, as in the paper) from a local transformers folder."""

    path: Path
    prompt: str = "a hand."
    box_threshold: float = 0.35
    text_threshold: float = 0.25
    min_face_overlap: float = 0.1

    source = "huggingface.co/IDEA-Research/grounding-dino-tiny (save_pretrained folder)"

    def __post_init__(self) -> None:
        from transformers import AutoModelForZeroShotObjectDetection, AutoProcessor

        self._processor = AutoProcessor.from_pretrained(self.path, local_files_only=True)
        self._model = AutoModelForZeroShotObjectDetection.from_pretrained(self.path, local_files_only=True).eval()

    @property
    def weights(self) -> dict[str, str]:
        return {self.path.name: weights.sha256(self.path)}

    def occluded(self, frame: np.ndarray, face_box: np.ndarray) -> bool:
        import torch

        inputs = self._processor(images=frame, text=self.prompt, return_tensors="pt")
        with torch.no_grad():
            outputs = self._model(**inputs)
        result = self._processor.post_process_grounded_object_detection(
            outputs, inputs.input_ids, threshold=self.box_threshold, text_threshold=self.text_threshold,
            target_sizes=[frame.shape[:2]])[0]
        boxes = result["boxes"].cpu().numpy().reshape(-1, 4)
        return overlap_fraction(face_box, boxes) >= self.min_face_overlap


HAND_FILTERS: dict[str, Callable[..., object]] = {"grounding_dino": GroundingDinoHandFilter}


def build_hand_filter(cfg: dict, weights_dir: str) -> tuple[object | None, str]:
    """The configured hand filter and a status line for the report.

    ``cfg``: ``{backend, required, <backend>: {weights, ...options}}``; ``backend: none`` turns it off.
    Missing weights turn it off too, unless ``required`` (the paper profile), where they stop the stage.
    """
    backend = cfg.get("backend", "none")
    if backend == "none":
        return None, "off: disabled in params (prepare.hand_filter.backend: none)"
    if backend not in HAND_FILTERS:
        raise ValueError(f"unknown hand filter {backend!r}; choose none or one of {sorted(HAND_FILTERS)}")
    factory = HAND_FILTERS[backend]
    options = dict(cfg[backend])
    path = weights.resolve(options.pop("weights"), weights_dir)
    if not path.exists():
        if cfg.get("required", False):
            weights.require(path, f"{backend} hand-detector weights", factory.source)
        return None, f"off: no weights at {path} (obtain {factory.source})"
    return factory(path=path, **options), f"on: {backend} from {path}"
