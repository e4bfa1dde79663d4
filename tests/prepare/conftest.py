"""Tiny inputs for the preparation tests: the astronaut's face (scikit-image) as the talking head,
videos written with benchmarks.media or PyAV directly, and a speech-like amplitude-modulated tone."""
from __future__ import annotations

import copy
import importlib.util
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from benchmarks import media
from benchmarks import params as params_mod
from benchmarks.records import ClipRecord

SR = 16000
SIZE = 256


def astronaut_face(size: int = SIZE) -> np.ndarray:
    from skimage import data

    return cv2.resize(data.astronaut()[20:240, 110:330], (size, size), interpolation=cv2.INTER_AREA)


def tom_hanks_face(size: int = SIZE) -> np.ndarray:
    folder = Path(list(importlib.util.find_spec("insightface").submodule_search_locations)[0])
    bgr = cv2.imread(str(folder / "data" / "images" / "Tom_Hanks_54745.png"))
    padded = cv2.copyMakeBorder(bgr, 30, 30, 30, 30, cv2.BORDER_REPLICATE)
    return cv2.resize(cv2.cvtColor(padded, cv2.COLOR_BGR2RGB), (size, size), interpolation=cv2.INTER_CUBIC)


def moving(image: np.ndarray, n: int, amplitude: float = 3.0) -> np.ndarray:
    """``n`` frames of ``image`` drifting on a small smooth path (a head that moves a little)."""
    h, w = image.shape[:2]
    out = []
    for t in range(n):
        m = np.float32([[1, 0, amplitude * np.sin(t / 5)], [0, 1, amplitude * np.cos(t / 7)]])
        out.append(cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE))
    return np.stack(out)


def speech_like(seconds: float, sr: int = SR, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t)
    voiced = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420, 700), 1))
    return (0.2 * envelope * voiced + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def write_clip(path: Path, frames: np.ndarray, fps: float, audio: np.ndarray | None = None) -> Path:
    media.write_video(path, frames, fps, audio=audio, sample_rate=SR)
    return path


def write_vfr(path: Path, frames: np.ndarray, times: np.ndarray, audio: np.ndarray) -> Path:
    """A variable-frame-rate mp4: frame i shown at ``times[i]`` seconds (millisecond time base)."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        astream = container.add_stream("aac", rate=SR, layout="mono")
        for image, t in zip(frames, times):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = int(round(t * 1000))
            frame.time_base = Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        for start in range(0, len(audio), 1024):
            aframe = av.AudioFrame.from_ndarray(audio[None, start:start + 1024], format="fltp", layout="mono")
            aframe.sample_rate = SR
            aframe.pts = start
            container.mux(astream.encode(aframe))
        container.mux(astream.encode())
    return path


def record_for(path: Path, root: Path, fps: float = 25.0, n_frames: int = 25, audio: Path | None = None) -> ClipRecord:
    return ClipRecord(clip_id=path.stem, dataset="hallo3", split="eval", video=str(path.relative_to(root)),
                      audio=str(audio.relative_to(root)) if audio else None, fps=fps, n_frames=n_frames, identity="astronaut")


@pytest.fixture(scope="session")
def mini_params() -> dict:
    return params_mod.render("mini", Path(__file__).resolve().parents[2] / "params")


@pytest.fixture(scope="session")
def mini_tools(mini_params):
    from benchmarks.prepare import build_tools, settings_from

    cfg = copy.deepcopy(mini_params["prepare"])
    return build_tools(cfg, settings_from(cfg))


@pytest.fixture(scope="session")
def settings(mini_params):
    from benchmarks.prepare import settings_from

    return settings_from(mini_params["prepare"])
