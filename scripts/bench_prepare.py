"""Preparation throughput: frames per second of `prepare_clip` (decode -> detect -> align -> features -> write)
on a few clips, with the mini profile's params. Uses MiniTalk's hallo3 clips when built, otherwise
synthetic 256x256 talking-head clips (the astronaut drifting, speech-like tone).

    OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_prepare.py [--clips 3] [--seconds 5]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np


def synthetic_clips(folder: Path, n: int, seconds: float) -> list[Path]:
    from skimage import data

    from benchmarks import media

    face = cv2.resize(data.astronaut()[0:300, 80:380], (256, 256), interpolation=cv2.INTER_AREA)
    frames_n, sr = int(seconds * 25), 16000
    paths = []
    for k in range(n):
        frames = [cv2.warpAffine(face, np.float32([[1, 0, 6 * np.sin((t + 9 * k) / 6)], [0, 1, 4 * np.cos(t / 8)]]),
                                 (256, 256), borderMode=cv2.BORDER_REPLICATE) for t in range(frames_n)]
        t = np.arange(int(seconds * sr)) / sr
        audio = (0.2 * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)) * np.sin(2 * np.pi * (150 + 20 * k) * t)).astype(np.float32)
        paths.append(folder / f"bench{k}.mp4")
        media.write_video(paths[-1], np.stack(frames), 25, audio=audio, sample_rate=sr)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--params", default="params/mini.yaml")
    args = parser.parse_args()

    from benchmarks import params as params_mod
    from benchmarks.prepare import build_tools, settings_from
    from benchmarks.preprocess.clip import prepare_clip
    from benchmarks.records import ClipRecord

    params = params_mod.load(args.params)
    settings = settings_from(params["prepare"])
    tools, extractors = build_tools(params["prepare"], settings)
    minitalk = Path(params["minitalk"]["out"]) / "hallo3" / "videos"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        videos = sorted(minitalk.glob("*.mp4"))[: args.clips] or synthetic_clips(tmp, args.clips, args.seconds)
        root = videos[0].parent

        def prepare(video: Path) -> int:
            record = ClipRecord(clip_id=video.stem, dataset="bench", split="eval", video=video.name, audio=None,
                                fps=25, n_frames=0, identity=video.stem)
            return prepare_clip(record, root, tmp / "out" / video.stem, tools, settings, extractors, "mini")["n_frames"]

        prepare(videos[0])  # warm-up, untimed: first-call costs (lazy imports, dlib model pages)
        start = time.perf_counter()
        n_frames = sum(prepare(video) for video in videos)
        wall = time.perf_counter() - start
    print(json.dumps({"source": "minitalk" if videos[0].parent == minitalk else "synthetic 256x256",
                      "clips": len(videos), "frames": n_frames, "wall_s": round(wall, 2),
                      "frames_per_s": round(n_frames / wall, 1), "resolution": settings.resolution}))


if __name__ == "__main__":
    main()
