"""Real portraits shipped inside installed packages, cropped and upscaled to the frame size.

Sources (10 people): scikit-image's astronaut and cameraman, matplotlib's Grace Hopper, insightface's
group photo ``t1.jpg`` (6 people) and its aligned ``Tom_Hanks_54745.png``. Faces are found with
facenet-pytorch's MTCNN (its weights ship in the wheel). MTCNN also fires, with p ~ 0.87, on two
non-faces of t1.jpg (a hand, a blur): detections under MIN_FACE_PROB are dropped. Landmarks and
identity descriptors come from dlib.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from benchmarks.preloaded import preloaded

MARGIN = 2.0  # crop side / face box side: head, hair and some background, like a talking-head crop
MIN_FACE_PROB = 0.95
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


@cache
def dlib_tools():
    import dlib

    return (
        preloaded(dlib.get_frontal_face_detector),
        preloaded(dlib.shape_predictor, dlib_model("shape_predictor_68_face_landmarks.dat")),
        preloaded(dlib.face_recognition_model_v1, dlib_model("dlib_face_recognition_resnet_model_v1.dat")),
    )


def _source_images() -> list[tuple[str, np.ndarray]]:
    insightface = _package_dir("insightface") / "data" / "images"
    files = [
        ("astronaut", _package_dir("skimage") / "data" / "astronaut.png"),
        ("grace_hopper", _package_dir("matplotlib") / "mpl-data" / "sample_data" / "grace_hopper.jpg"),
        ("t1", insightface / "t1.jpg"),
        ("tom_hanks", insightface / "Tom_Hanks_54745.png"),
        ("cameraman", _package_dir("skimage") / "data" / "camera.png"),  # near-profile: the hardest, last
    ]
    out = []
    for name, path in files:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(f"{path} missing or unreadable: reinstall its package")
        out.append((name, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    return out


def _detect_boxes(source: str, image: np.ndarray) -> np.ndarray:
    """MTCNN face boxes (x0,y0,x1,y1), sorted left to right so identity names are stable."""
    import torch
    from facenet_pytorch import MTCNN

    torch.set_num_threads(1)
    boxes, probs = MTCNN(keep_all=True, device="cpu").detect(image)
    if boxes is None:
        raise ValueError(f"MTCNN finds no face in the shipped image {source!r}")
    boxes = np.array(boxes.tolist(), dtype=np.float64)[np.array(probs.tolist()) >= MIN_FACE_PROB]
    return boxes[np.argsort(boxes[:, 0])]


def crop(image: np.ndarray, box: np.ndarray, size: int) -> np.ndarray:
    """A square crop of side MARGIN * box side around the box, upscaled to ``size``.

    Past the image border the edge pixels are replicated (reflection would mirror the face into extra faces)."""
    x0, y0, x1, y1 = box
    side = MARGIN * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    s = size / side
    A = np.array([[s, 0, size / 2 - s * cx], [0, s, size / 2 - s * cy]])
    return cv2.warpAffine(image, A, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


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


def load_portraits(size: int, limit: int) -> list[Portrait]:
    """The first ``limit`` faces of the shipped images, in a fixed order; raises if two are one person."""
    portraits: list[Portrait] = []
    for source, image in _source_images():
        if len(portraits) >= limit:
            break
        boxes = _detect_boxes(source, image)
        for k, box in enumerate(boxes[: limit - len(portraits)]):
            identity = source if len(boxes) == 1 else f"{source}_{k}"
            face = crop(image, box, size)
            pts, desc = landmarks_and_descriptor(face)
            portraits.append(Portrait(identity, face, pts, desc))
    if len(portraits) < limit:
        raise ValueError(f"asked for {limit} identities; the shipped portraits hold {len(portraits)}")
    for i, a in enumerate(portraits):
        for b in portraits[:i]:
            d = float(np.linalg.norm(a.descriptor - b.descriptor))
            if d < DISTINCT_IDENTITY:
                raise ValueError(f"portraits {a.identity} and {b.identity} look like one person (distance {d:.2f})")
    return portraits
