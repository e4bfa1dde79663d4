"""Training-step speed and peak memory of a stage on random weights (speed/memory only).

    python scripts/bench_training.py --preset paper --device cuda --batch 2 --checkpointing --out bench.json
    python scripts/bench_training.py --preset mini --steps 3                      # CPU
    python scripts/bench_training.py --stage 2 --sampling-steps 25               # self-forcing rollouts
    python scripts/bench_training.py --profile paper --preset paper --device cuda --batch 2 --checkpointing --lipread

One optimizer step = the stage's losses on a synthetic batch (N + n frames for stage 1, F*N + n for stages
2-3, with a reference frame, audio windows for stages 1-2 and camera labels for stage 3), backward (bf16
autocast on CUDA, as accelerate's mixed precision does), AdamW over the stage's trainable parameters.
Stage settings (dropouts, F, rollout sampler steps, the lip reader's crop) come from the ``train:`` section of
``--params`` (or of ``--profile``, rendered from params/); N and n from the preset. ``--lipread`` adds stage 1's
lip-reading term from the first step, through a randomly initialised lip encoder of the profile's width
(Auto-AVSR's 64 in ``paper``) reading mouth crops at synthetic landmarks.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.atomic import write_json
from benchmarks.params import load, render
from benchmarks.records import Camera
from benchmarks.synth.views import sweep
from model.config import get_config
from model.factory import build_model, build_pipeline
from model.lipreading import LipReader, LipReadingEncoder, MouthCrop
from model.training.cli import stage_class, stage_settings
from model.training.probe import probe_losses


def camera_labels(batch: int, frames: int, size: int) -> torch.Tensor:
    """(B, F, 25) labels of a smooth synthetic camera sweep."""
    K = [[2 * size, 0, size / 2], [0, 2 * size, size / 2], [0, 0, 1]]
    poses = sweep(np.random.default_rng(0), frames, 25.0, 140, 70, 2.7)
    labels = np.stack([Camera.from_arrays("bench", K, pose, (size, size)).label25() for pose in poses])
    return torch.from_numpy(labels)[None].repeat(batch, 1, 1)


def mouth_landmarks(batch: int, frames: int, size: int) -> torch.Tensor:
    """(B, F, 68, 2) pixel landmarks with the mouth (points 48-67) on an ellipse in the lower face."""
    landmarks = torch.full((batch, frames, 68, 2), size / 2)
    angle = torch.linspace(0, 2 * torch.pi, 21)[:-1]
    landmarks[..., 48:68, 0] = size / 2 + 0.12 * size * torch.cos(angle)
    landmarks[..., 48:68, 1] = 0.7 * size + 0.04 * size * torch.sin(angle)
    return landmarks


def random_lip_reader(reader: dict) -> LipReader:
    """The profile's lip encoder architecture with random weights (the paper's Auto-AVSR front-end is 64 wide)."""
    width = 64 if reader["encoder"] == "auto_avsr" else reader["width"]
    crop = MouthCrop(reader["crop_size"], reader.get("mouth_scale", MouthCrop.scale))
    return LipReader(LipReadingEncoder(width), crop, "random lip encoder: speed and memory only")


def synthetic_batch(config, stage: int, batch: int, frames: int, device) -> dict[str, torch.Tensor]:
    size = config.unet["sample_size"] * config.vae_factor
    window = 2 * config.audio_radius + 1
    items = {
        "frames": torch.rand(batch, frames, 3, size, size),
        "reference": torch.rand(batch, 3, size, size),
        "identity": torch.nn.functional.normalize(torch.randn(batch, config.identity_dim), dim=-1),
    }
    if stage == 3:
        items["cameras"] = camera_labels(batch, frames, size)
    else:
        items["landmarks"] = mouth_landmarks(batch, frames, size)
        items["audio"] = torch.randn(batch, frames, window, config.audio_layers * config.audio_dim)
    return {k: v.to(device) for k, v in items.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="mini")
    parser.add_argument("--stage", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--steps", type=int, default=3, help="timed steps, after one warm-up step")
    parser.add_argument("--checkpointing", action="store_true")
    parser.add_argument("--params", default="params.yaml", help="the train: section gives the stage settings")
    parser.add_argument("--profile", default=None, help="render this profile's params from params/ instead")
    parser.add_argument("--lipread", action="store_true", help="stage 1 with the lip-reading term (random encoder)")
    parser.add_argument("--variant", default=None, help="a train.variants entry merged over them")
    parser.add_argument("--sampling-steps", type=int, default=None, help="override the rollout's sampler steps")
    parser.add_argument("--segments", type=int, default=None, help="override the self-forcing window F")
    parser.add_argument("--probe-items", type=int, default=4, help="items of one timed probe loss (model/training/probe.py)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    device = torch.device(args.device)
    config = get_config(args.preset)
    start = time.perf_counter()
    with torch.device(device):  # initialise the large UNets directly on the device
        model = build_model(config, seed=0)
    with tempfile.TemporaryDirectory() as work:
        pipe = build_pipeline(config, Path(work), model=model, seed=0)
    pipe.to(device)
    build_seconds = time.perf_counter() - start
    profile = render(args.profile) if args.profile else load(args.params)
    settings = {**stage_settings(profile["train"], args.stage, args.variant), "lipread_start_step": None,
                "segment_frames": config.segment_frames, "context_frames": config.context_frames,
                "gradient_checkpointing": args.checkpointing}
    if args.sampling_steps is not None:
        settings["sampling_steps"] = args.sampling_steps
    if args.segments is not None:
        settings["segments"] = args.segments
    stage = stage_class(args.stage).from_settings(pipe, settings)
    if args.lipread:
        if args.stage != 1:
            parser.error("--lipread is stage 1's term")
        stage.lip_reader, stage.lipread_start_step = random_lip_reader(settings["lipreader"]), 0
    params = stage.prepare_model()
    model = pipe.model.train()
    if args.checkpointing:
        model.unet.enable_gradient_checkpointing()
    optimizer = torch.optim.AdamW(params, lr=1e-4)
    frames = getattr(stage, "sequence_frames", config.segment_frames + config.context_frames)
    batch = synthetic_batch(config, args.stage, args.batch, frames, device)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)

    terms: dict[str, float] = {}

    def step() -> float:
        with autocast:
            losses = stage.losses(model, batch, step=0)
        loss = sum(losses.values())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        terms.update({name: float(value.detach()) for name, value in losses.items()})
        return float(loss.detach())

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
    start = time.perf_counter()
    with autocast:  # one probe of the run's cost: probe_items forwards (and rollouts) without gradient
        probe_losses(stage, model, [batch] * args.probe_items, 0, 0, device)
    probe_seconds = time.perf_counter() - start
    result = {
        "preset": args.preset, "profile": args.profile or args.params, "stage": args.stage, "variant": args.variant,
        "lipread": args.lipread,
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu", "batch": args.batch,
        "frames": frames, "checkpointing": args.checkpointing,
        "segments": getattr(stage, "segments", 1), "sampling_steps": getattr(stage, "sampling_steps", None),
        "teacher_forcing": getattr(stage, "teacher_forcing", None),
        "trainable_parameters": sum(p.numel() for p in params), "build_s": build_seconds, "step_s": times,
        "steps_per_s": len(times) / sum(times),
        "probe_items": args.probe_items, "probe_s": probe_seconds,
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None,
        "peak_reserved_gib": torch.cuda.max_memory_reserved() / 2**30 if device.type == "cuda" else None,
        "last_loss": loss, "last_terms": terms,
        "note": "random weights: speed and memory only",
    }
    print(json.dumps(result, indent=2))
    if args.out:
        write_json(args.out, result)


if __name__ == "__main__":
    main()
