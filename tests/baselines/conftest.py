"""A tiny benchmark in tmp_path: clips with muxed audio, a reference view and cameras, and its manifest."""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import media
from benchmarks import params as params_mod
from benchmarks.records import Camera, ClipRecord, write_manifest

REPO = Path(__file__).resolve().parents[2]
SIZE = (64, 48)  # the benchmark resolution of the test clips (w, h)
SECONDS = 1.0


def frames(n: int, size=SIZE, offset: int = 0, step: int = 6) -> np.ndarray:
    """Frame k is uniformly 20 + step * k (+offset), modulo 240: its index can be read back after lossy coding."""
    w, h = size
    return np.stack([np.full((h, w, 3), (20 + step * k + offset) % 240, np.uint8) for k in range(n)])


def tone(seconds: float = SECONDS, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def camera(serial: str, yaw: float) -> Camera:
    c, s = np.cos(yaw), np.sin(yaw)
    w2c = np.array([[c, 0, s, 0], [0, 1, 0, 0], [-s, 0, c, 2.7], [0, 0, 0, 1]])
    K = np.array([[60.0, 0, 32], [0, 60.0, 24], [0, 0, 1]])
    return Camera.from_arrays(serial, K, w2c, SIZE)


def make_benchmark(tmp: Path, clip_ids, seconds: float = SECONDS, name: str = "bench") -> dict:
    """Write the clips and manifest under ``tmp``; return params pointing at them (mini values otherwise)."""
    root = tmp / "data"
    records = []
    for clip_id in clip_ids:
        n = round(25 * seconds)
        media.write_video(root / "videos" / f"{clip_id}.mp4", frames(n), 25, audio=tone(seconds))
        media.write_video(root / "videos" / f"{clip_id}_ref.mp4", frames(n, offset=3), 25)
        records.append(ClipRecord(
            clip_id=clip_id, dataset="nersemble", split="eval", video=f"videos/{clip_id}.mp4", audio=None,
            fps=25.0, n_frames=n, identity="p0", reference_frame=2, camera=camera("b", 0.4),
            reference_video=f"videos/{clip_id}_ref.mp4", reference_camera=camera("a", 0.0)))
    write_manifest(tmp / "manifests" / f"{name}.jsonl", records)
    params = copy.deepcopy(params_mod.render("mini", REPO / "params"))
    params["manifests"]["dir"] = str(tmp / "manifests")
    params["datasets"][name] = {"root": str(root)}
    return params


def install_fake(params: dict, method: str, repo: Path) -> dict:
    """Point ``baselines.<method>`` at a fake clone run by this interpreter (published options kept). A fake clone is
    no git clone of the pinned commit, so the commit is not pinned; GOHA gets fake EG3D and MODNet clones beside it,
    Hallo3 a fake SwissArmyTransformer where its interpreter finds packages."""
    from .baseline_fakes import SAT_ARGUMENTS, write_fake_clone, write_fake_tool

    section = params["baselines"][method]
    write_fake_clone(repo, method, section.get("checkpoints") or {})
    section.update(repo=str(repo), python=sys.executable, commit=None)
    if method == "goha":
        for key in ("eg3d", "modnet"):
            section["options"][key] = str(write_fake_tool(repo.parent / f"{repo.name} {key}", key))
    if method == "echomimic":  # a stand-in for the published whisper file cannot have its sha256: pin the stand-in's
        from benchmarks.hashing import sha256_file

        whisper = "pretrained_weights/audio_processor/whisper_tiny.pt"
        section["sha256"] = {whisper: sha256_file(repo / whisper)}
    if method == "hallo3":
        site = repo.parent / f"{repo.name} site-packages"
        (site / "sat").mkdir(parents=True, exist_ok=True)
        (site / "sat" / "__init__.py").write_text("")
        (site / "sat" / "arguments.py").write_text(SAT_ARGUMENTS)
        section["env"] = {"PYTHONPATH": str(site)}
    return params


@pytest.fixture
def bench(tmp_path):
    return lambda clip_ids, **kw: make_benchmark(tmp_path, clip_ids, **kw)
