"""Time each registered metric on one synthetic talking-face clip (CPU, one thread by default).

    .venv/bin/python scripts/bench_metrics.py --frames 50 --size 128 [--metrics psnr ssim ...]

Prints one JSON line per metric: build seconds, scoring seconds and seconds per frame. Networks are
seeded random (the mini profile's setting): the timings are those of the real architectures.
"""
from __future__ import annotations

import argparse
import json
import time

import cv2
import numpy as np
from skimage import data

from metrics.registry import ClipInputs, get

CONFIG = {
    "psnr": {"data_range": 255},
    "ssim": {"data_range": 255, "variant": "skimage"},
    "lpips": {"net": "alex", "init": "random"},
    "fid": {"init": "random", "frame_stride": 1, "ddof": 1},
    "fvd": {"variant": "disco", "init": "random", "clip_mode": "segments_mean", "ddof": 1},
    "lse": {"init": "random", "vshift": 15},
    "pose_std": {},
    "csim": {"encoder": "dlib", "frame_stride": 1},
}


def synthetic_clip(n_frames: int, size: int) -> ClipInputs:
    face = cv2.resize(data.astronaut()[31:211, 130:310], (size, size), interpolation=cv2.INTER_AREA)
    frames = []
    for i in range(n_frames):
        m = cv2.getRotationMatrix2D((size / 2, size / 2), 5 * np.sin(i / 5), 1.0)
        frames.append(cv2.warpAffine(face, m, (size, size), borderMode=cv2.BORDER_REFLECT))
    frames = np.stack(frames)
    rng = np.random.default_rng(0)
    generated = np.clip(frames.astype(int) + rng.integers(-15, 16, frames.shape), 0, 255).astype(np.uint8)
    audio = (0.2 * np.sin(np.arange(n_frames * 640) / 9)).astype(np.float32)
    return ClipInputs("bench", generated, frames, audio, frames[0])


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--metrics", nargs="*", default=list(CONFIG))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clip = synthetic_clip(args.frames, args.size)
    ctx = {"profile": "bench", "seed": 0, "weights_dir": "weights", "device": args.device}
    for name in args.metrics:
        metric = get(name)
        t0 = time.perf_counter()
        prepared = metric.build(CONFIG[name], ctx)
        t1 = time.perf_counter()
        result = prepared.score(clip) if metric.kind == "per_clip" else prepared.score(clip.generated)
        if args.device != "cpu":
            torch.cuda.synchronize()
        t2 = time.perf_counter()
        summary = result if metric.kind == "per_clip" else {"features": list(result.shape)}
        print(json.dumps({"metric": name, "device": args.device, "frames": args.frames, "size": args.size, "threads": args.threads,
                          "build_s": round(t1 - t0, 2), "score_s": round(t2 - t1, 2),
                          "s_per_frame": round((t2 - t1) / args.frames, 4), "result": summary}), flush=True)


if __name__ == "__main__":
    main()
