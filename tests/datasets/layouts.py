"""Tiny videos and dataset files written in tmp_path, in the layout of each real dataset."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks import media

FPS = 25
N_FRAMES = 5
VIEW_SIZE = (32, 22)  # NeRSemble-style views: the 3208x2200 aspect ratio
SERIALS_EXAMPLE = ["222200036", "222200037", "222200038", "222200039", "222200040", "222200041"]
K_3208_EXAMPLE = np.array([[7000.0, 0.0, 1604.0], [0.0, 7010.0, 1100.0], [0.0, 0.0, 1.0]])  # pixels of 3208x2200


def write_clip(path: Path, size=(32, 24), n_frames=N_FRAMES, audio=True) -> Path:
    """A short H.264 clip; ``size`` is (width, height); with a muxed AAC track when ``audio``."""
    w, h = size
    frames = np.random.default_rng(0).integers(0, 255, size=(n_frames, h, w, 3), dtype=np.uint8)
    sound = np.sin(np.linspace(0, 200, n_frames * 16000 // FPS)).astype(np.float32) * 0.1 if audio else None
    media.write_video(path, frames, FPS, audio=sound)
    return path


def camera_params_v2(world_2_cam: dict[str, np.ndarray], K_3208: np.ndarray) -> dict:
    return {"world_2_cam": {s: E.tolist() for s, E in world_2_cam.items()}, "intrinsics": K_3208.tolist()}


def camera_params_benchmark(world_2_cam: dict[str, np.ndarray], K_1604: dict[str, np.ndarray]) -> dict:
    return {"world_2_cam": {s: E.tolist() for s, E in world_2_cam.items()},
            "intrinsics": {s: K.tolist() for s, K in K_1604.items()}}


def look_at_world_2_cam(azimuth: float) -> np.ndarray:
    """A camera 1 m from the origin at ``azimuth`` (radians) looking at it, OpenCV convention."""
    c, s = np.cos(azimuth), np.sin(azimuth)
    R = np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])
    E = np.eye(4)
    E[:3, :3] = R
    E[:3, 3] = [0.0, 0.0, 1.0]
    return E


def write_json(path: Path, obj) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))
    return path


def write_nersemble_participant(root: Path, pid: str, serials: list[str], params: dict, video: bytes,
                                sequences=("SEN-01-cramp_small_danger",), alpha=False) -> None:
    """A participant folder; every camera of every sequence gets the bytes of ``video``."""
    write_json(root / pid / "calibration" / "camera_params.json", params)
    for seq in sequences:
        seq_dir = root / pid / "sequences" / seq
        for serial in serials:
            place(seq_dir / "images" / f"cam_{serial}.mp4", video)
            if alpha:
                place(seq_dir / "alpha_maps" / f"cam_{serial}.mp4", video)
        if seq.startswith("SEN-"):
            media.write_audio(seq_dir / "audio" / "audio_recording.wav", np.zeros(3200, np.float32), 16000)


def place(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
