"""Real portraits shipped inside installed packages, cropped and upscaled to the frame size.

Sources: scikit-image's astronaut, insightface's group photo ``t1.jpg`` (8 faces) and its aligned
``Tom_Hanks_54745.png``. Faces are found with facenet-pytorch's MTCNN (its weights ship in the wheel;
dlib's HOG misses two of the small faces in t1.jpg); landmarks and identity descriptors come from dlib.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

MARGIN = 2.0  # crop side / face box side: head, hair and some background, like a talking-head crop
DISTINCT_IDENTITY = 0.6  # dlib's documented same-person threshold on descriptor distance


@dataclass(frozen=True)
class Portrait:
    identity: str
    image: np.ndarray  # (S,S,3) uint8 RGB
    landmarks: np.ndarray  # (68,2) float, dlib's 68-point layout, portrait pixels
    descriptor: np.ndarray  # (128,) dlib face descriptor


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {name!r} is not installed (see requirements/)")
    return Path(list(spec.submodule_search_locations)[0])


def dlib_model(name: str) -> str:
    """Path of a dlib model shipped by face-recognition-models (its own helper needs pkg_resources)."""
    path = _package_dir("face_recognition_models") / "models" / name
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: reinstall face-recognition-models")
    return str(path)


@lru_cache(maxsize=None)
def dlib_tools():
    import dlib

    return (
        dlib.get_frontal_face_detector(),
        dlib.shape_predictor(dlib_model("shape_predictor_68_face_landmarks.dat")),
        dlib.face_recognition_model_v1(dlib_model("dlib_face_recognition_resnet_model_v1.dat")),
    )


def _source_images() -> list[tuple[str, np.ndarray]]:
    from skimage import data

    images = _package_dir("insightface") / "data" / "images"
    out = [("astronaut", data.astronaut())]
    for name in ("t1.jpg", "Tom_Hanks_54745.png"):
        bgr = cv2.imread(str(images / name), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(f"{images / name} missing: reinstall insightface")
        out.append((Path(name).stem, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    return out


def _detect_boxes(image: np.ndarray) -> np.ndarray:
    """MTCNN face boxes (x0,y0,x1,y1), sorted left to right so identity names are stable."""
    import torch
    from facenet_pytorch import MTCNN

    torch.set_num_threads(1)
    boxes, _ = MTCNN(keep_all=True, device="cpu").detect(image)
    if boxes is None:
        # an aligned crop fills the whole image: the face is the image
        h, w = image.shape[:2]
        return np.array([[0.1 * w, 0.05 * h, 0.9 * w, 0.95 * h]])
    boxes = np.array(boxes.tolist(), dtype=np.float64)
    return boxes[np.argsort(boxes[:, 0])]


def crop(image: np.ndarray, box: np.ndarray, size: int) -> np.ndarray:
    """A square crop of side MARGIN * box side around the box, upscaled to ``size``; reflects past the border."""
    x0, y0, x1, y1 = box
    side = MARGIN * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    s = size / side
    A = np.array([[s, 0, size / 2 - s * cx], [0, s, size / 2 - s * cy]])
    return cv2.warpAffine(image, A, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)


def landmarks_and_descriptor(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import dlib

    detector, predictor, encoder = dlib_tools()
    faces = detector(image, 1)
    if len(faces):
        rect = max(faces, key=lambda r: r.area())
    else:  # the crop is centred on the face by construction
        h, w = image.shape[:2]
        m = 0.5 - 0.5 / MARGIN
        rect = dlib.rectangle(int(m * w), int(m * h), int((1 - m) * w), int((1 - m) * h))
    shape = predictor(image, rect)
    pts = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64)
    return pts, np.array(encoder.compute_face_descriptor(image, shape))


def load_portraits(size: int) -> list[Portrait]:
    """Every face of the shipped images, in a fixed order; raises if two are the same person."""
    portraits = []
    for source, image in _source_images():
        boxes = _detect_boxes(image)
        for k, box in enumerate(boxes):
            identity = source if len(boxes) == 1 else f"{source}_{k}"
            face = crop(image, box, size)
            pts, desc = landmarks_and_descriptor(face)
            portraits.append(Portrait(identity, face, pts, desc))
    for i, a in enumerate(portraits):
        for b in portraits[:i]:
            d = float(np.linalg.norm(a.descriptor - b.descriptor))
            if d < DISTINCT_IDENTITY:
                raise ValueError(f"portraits {a.identity} and {b.identity} look like one person (distance {d:.2f})")
    return portraits
