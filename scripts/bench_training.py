"""Training-step speed and peak memory of a stage on random weights (speed/memory only).

    python scripts/bench_training.py --preset paper --device cuda --batch 2 --checkpointing --out bench.json
    python scripts/bench_training.py --preset mini --steps 3                      # CPU

One optimizer step = the stage's losses on a synthetic batch of N + n frames, backward (bf16 autocast on
CUDA, as accelerate's mixed precision does), AdamW over the stage's trainable parameters.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from model.config import get_config
from model.factory import build_pipeline
from model.training.cli import stage_class


def synthetic_batch(config, batch: int, frames: int, device) -> dict[str, torch.Tensor]:
    size = config.unet["sample_size"] * config.vae_factor
    window = 2 * config.audio_radius + 1
    return {
        "frames": torch.rand(batch, frames, 3, size, size, device=device),
        "identity": torch.nn.functional.normalize(torch.randn(batch, config.identity_dim, device=device), dim=-1),
        "audio": torch.randn(batch, frames, window, config.audio_layers * config.audio_dim, device=device),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="mini")
    parser.add_argument("--stage", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--steps", type=int, default=3, help="timed steps, after one warm-up step")
    parser.add_argument("--checkpointing", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    device = torch.device(args.device)
    config = get_config(args.preset)
    with tempfile.TemporaryDirectory() as work:
        pipe = build_pipeline(config, Path(work), seed=0)
    pipe.to(device)
    stage = stage_class(args.stage).from_settings(
        pipe, {"context_frames": config.context_frames, "identity_dropout": 0.05, "audio_dropout": 0.05})
    params = stage.prepare_model()
    model = pipe.model.train()
    if args.checkpointing:
        model.unet.enable_gradient_checkpointing()
    optimizer = torch.optim.AdamW(params, lr=1e-4)
    batch = synthetic_batch(config, args.batch, config.segment_frames + config.context_frames, device)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)

    def step() -> float:
        with autocast:
            loss = sum(stage.losses(model, batch, step=0).values())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return float(loss)

    step()
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        loss = step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    result = {
        "preset": args.preset, "stage": args.stage, "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "batch": args.batch, "frames": config.segment_frames + config.context_frames, "checkpointing": args.checkpointing,
        "trainable_parameters": sum(p.numel() for p in params), "step_s": times, "steps_per_s": len(times) / sum(times),
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None, "last_loss": loss,
        "note": "random weights: speed and memory only",
    }
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
