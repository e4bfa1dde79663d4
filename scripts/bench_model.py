"""Benchmark the STARCaster sampler (random weights): overhead over the bare denoiser, reference-UNet reuse, size.

    python scripts/bench_model.py --out bench_cpu.json                                    # mini, CPU, 2 threads
    python scripts/bench_model.py --device cuda --dtype bfloat16 --preset paper --out bench_h100.json  # 37 frames, 25 steps

Numbers:
- ``seconds_per_frame``: portrait-driven generation (reference image + audio, CFG batch, decoding included);
- ``overhead_ratio``: total generation time / time spent inside the denoiser's forward during that same
  run (the video UNet with its conditioning projections and reference-reading attention) -- what the
  sampler adds: identity encoder, reference UNet, scheduler, VAE (goal <= 1.25);
- ``reference_reuse_speedup``: a naive sampler rerunning the reference UNet at every step / ours (on a
  shared machine compare ``outside_denoiser_seconds`` too: it is what the reuse saves);
- ``parameters``: the paper preset's parameter groups, counted on the meta device.
The networks are random: these are speed and memory numbers only.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.atomic import write_json  # noqa: E402
from model.config import get_config  # noqa: E402
from model.factory import build_model, build_pipeline  # noqa: E402
from model.starcaster import STARCasterModel, parameter_groups  # noqa: E402


class DenoiserTimer:
    """Wall time spent inside ``module.forward`` (device-synchronised)."""

    def __init__(self, module: torch.nn.Module, device: torch.device):
        self.seconds, self.calls, self._start, self._device = 0.0, 0, 0.0, device
        module.register_forward_pre_hook(lambda *_: self._begin())
        module.register_forward_hook(lambda *_: self._end())

    def _sync(self):
        if self._device.type == "cuda":
            torch.cuda.synchronize(self._device)

    def _begin(self):
        self._sync()
        self._start = time.perf_counter()

    def _end(self):
        self._sync()
        self.seconds += time.perf_counter() - self._start
        self.calls += 1

    def reset(self):
        self.seconds, self.calls = 0.0, 0


def timed_generation(pipe, timer, inputs, reuse_reference: bool) -> dict:
    timer.reset()
    device = pipe.model.device
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    pipe(**inputs, reuse_reference=reuse_reference)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    total = time.perf_counter() - start
    return {"seconds": total, "denoiser_seconds": timer.seconds, "denoiser_calls": timer.calls,
            "outside_denoiser_seconds": total - timer.seconds}


def median_run(runs: list[dict]) -> dict:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def paper_parameters() -> dict:
    with torch.device("meta"):
        model = STARCasterModel(**get_config("paper").model_kwargs())
    groups = parameter_groups(model)
    groups["denoiser_total"] = sum(v for k, v in groups.items() if k != "reference_unet")
    return groups


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="mini", choices=["mini", "paper"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    parser.add_argument("--frames", type=int, default=37)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each sampler (medians reported)")
    parser.add_argument("--skip-naive", action="store_true", help="do not time the naive reference-every-step sampler")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    device, dtype = torch.device(args.device), getattr(torch, args.dtype)
    config = get_config(args.preset)
    result = {"preset": args.preset, "device": str(device), "dtype": args.dtype, "frames": args.frames,
              "steps": args.steps, "threads": args.threads, "weights": "random (speed/memory only)",
              "segment_frames": config.segment_frames, "context_frames": config.context_frames}
    if device.type == "cuda":
        result["gpu"] = torch.cuda.get_device_name(device)

    start = time.perf_counter()
    with torch.device(device):  # initialise the large UNets directly on the device
        model = build_model(config)
    pipe = build_pipeline(config, tempfile.mkdtemp(prefix="bench_model_"), model=model)
    pipe.to(device=device, dtype=dtype)
    result["build_seconds"] = time.perf_counter() - start
    timer = DenoiserTimer(pipe.model, device)
    size = config.unet["sample_size"] * config.vae_factor
    generator = torch.Generator(device).manual_seed(0)
    inputs = {
        "identity": torch.randn(1, config.identity_dim, device=device),
        "audio_features": torch.randn(1, args.frames, config.audio_layers, config.audio_dim, device=device, dtype=dtype),
        "reference_image": torch.rand(1, 3, size, size, device=device, dtype=dtype),
        "num_frames": args.frames, "num_inference_steps": args.steps, "generator": generator,
    }
    # warm-up on the same shapes (every segment's window): one-off kernel selection and allocator growth
    pipe(**{**inputs, "num_inference_steps": 2}, reuse_reference=False)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    # ours and the naive sampler alternate, medians over repeats: robust to load changes on a shared machine
    runs = {"generation": [], "naive_generation": []}
    for _ in range(args.repeats):
        runs["generation"].append(timed_generation(pipe, timer, inputs, reuse_reference=True))
        if not args.skip_naive:
            runs["naive_generation"].append(timed_generation(pipe, timer, inputs, reuse_reference=False))
    if device.type == "cuda":
        result["max_memory_allocated_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
    result["runs"] = runs
    ours = median_run(runs["generation"])
    result["generation"] = ours
    result["seconds_per_frame"] = ours["seconds"] / args.frames
    result["overhead_ratio"] = ours["seconds"] / ours["denoiser_seconds"]
    if not args.skip_naive:
        naive = median_run(runs["naive_generation"])
        result["naive_generation"] = naive
        result["reference_reuse_speedup"] = naive["seconds"] / ours["seconds"]
    result["paper_parameters"] = paper_parameters()
    write_json(args.out, result)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
