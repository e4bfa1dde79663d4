"""Train the mini network far enough to draw talking MiniTalk faces: stage 0 (the image prior), then stage 1.

    python scripts/mouth_sync_training.py --work DIR --stage0-seconds 230 --stage1-seconds 200

The profile's ``train`` section with the OVERRIDES below (GPU-sized batches, wall-clock budgets instead of step
counts, runs under DIR) is written to DIR/params.yaml and run through ``starcaster train``. DIR/stage0/model is
the prior with stage 1's fresh temporal and audio layers (the "untrained" network of
``scripts/bench_mouth_sync.py``), DIR/stage1/model the network after stage 1. The 2-core pipeline's mini
profile trains 200 + 20 steps (batch 8), too few for either to draw a face (docs/training.md). Meant for a lent GPU
(``scripts/mouth_sync_gpu.sh``); it runs on a CPU too, with small budgets, as the tests do.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
ENDLESS = 10 ** 9  # the budget in seconds ends the run, not the step count
# on the H200 a mini step cost ~0.2-0.25 s at batch 8 and 64 alike (overhead, not arithmetic); batch 512 fails in
# the temporal attention (scaled_dot_product_attention: "CUDA error: invalid argument")
OVERRIDES = {
    "common": {"num_workers": 12, "checkpoint_every": 2000},
    "stage0": {"batch_size": 64, "lr": 3.0e-4},  # the image UNet trains from random weights, not a fine-tune
    "stage1": {"batch_size": 16, "lipread_start_step": 50},
}


def training_params(params: dict, work: Path, seconds: dict[int, float], device_workers: int | None = None,
                    seed: int | None = None) -> dict:
    train = {**params["train"], **OVERRIDES["common"]}
    if device_workers is not None:
        train["num_workers"] = device_workers
    if seed is not None:
        train["seed"] = seed
    for stage in (0, 1):
        train[f"stage{stage}"] = {**train[f"stage{stage}"], **OVERRIDES[f"stage{stage}"], "out": str(work / f"stage{stage}"),
                                  "max_steps": ENDLESS, "max_seconds": seconds[stage]}
    train["stage1"]["init_from"] = str(work / "stage0" / "model")
    return {**params, "train": train}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=str(REPO / "params.yaml"))
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--stage0-seconds", type=float, required=True)
    parser.add_argument("--stage1-seconds", type=float, required=True)
    parser.add_argument("--stages", type=int, nargs="+", choices=(0, 1), default=[0, 1], help="run only these")
    parser.add_argument("--num-workers", type=int, help=f"data workers (default {OVERRIDES['common']['num_workers']})")
    parser.add_argument("--seed", type=int, help="train.seed: initial weights, data order, noise (default: the profile's)")
    args = parser.parse_args(argv)

    from benchmarks import params as params_module

    args.work.mkdir(parents=True, exist_ok=True)
    params = training_params(params_module.load(args.params), args.work.resolve(),
                             {0: args.stage0_seconds, 1: args.stage1_seconds}, args.num_workers, args.seed)
    (args.work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for stage in args.stages:
        subprocess.run([sys.executable, "-m", "benchmarks.cli", "train", "--stage", str(stage),
                        "--params", str(args.work / "params.yaml")], check=True, cwd=REPO)
    return 0


if __name__ == "__main__":
    sys.exit(main())
