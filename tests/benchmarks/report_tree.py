"""A small synthetic results tree for the report tests: metric results with per-clip records and
errors, generated videos (one solid colour per method, so panels can be told apart), a method that
could not run, and two training runs with dvclive series."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks import media

FPS = 25
SIZE = (40, 48)  # H, W
COLOURS = {"ground_truth": (220, 30, 30), "starcaster": (30, 200, 30), "static_reference": (30, 30, 220)}
CLIPS = ["clip_a", "clip_b", "clip_c"]
ERROR = "pose_std: no face found in frame 3"
VARIANTS = {"fid": {"features": "random features (seeded init)"}, "psnr": {"data_range": 255}}


def result(bench: str, method: str, profile: str = "mini", variants: dict | None = None) -> dict:
    per_clip = [{"clip_id": c, "error": ERROR if c == "clip_b" else None,
                 "values": {"psnr": {"psnr": 20.0 + i}, "fid": {"n_features": 5},
                            **({} if c == "clip_b" else {"pose_std": {"pose_std_rad100": 1.5 + i}})}}
                for i, c in enumerate(CLIPS)]
    summary = {"fid": {"value": 12.5, "ci95": None}, "psnr": {"value": 21.0, "ci95": [20.0, 22.0]},
               "pose_std_rad100": {"value": 2.0, "ci95": [1.5, 2.5]}}
    return {"benchmark": bench, "method": method, "profile": profile, "metric_variants": variants or VARIANTS,
            "n_clips": len(CLIPS), "per_clip": per_clip, "summary": summary}


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))


def write_run(runs: Path, bench: str, method: str, clips: list[str], n_frames: int = 30) -> None:
    audio = 0.1 * np.sin(np.linspace(0, 2000, int(16000 * n_frames / FPS))).astype(np.float32)
    for clip in clips:
        frames = np.broadcast_to(np.array(COLOURS[method], np.uint8), (n_frames, *SIZE, 3))
        media.write_video(runs / bench / method / f"{clip}.mp4", frames, FPS, audio=audio if method == "ground_truth" else None)
    write_json(runs / bench / method / "summary.json", {"status": "ok", "method": method, "benchmark": bench})


def write_live(run_dir: Path, initial_weights: str, steps: int = 12, probe: dict[int, float] | None = None) -> None:
    """A run's dvclive series: train/loss and train/lr every step, and ``probe`` (step -> probe loss) if given."""
    plots = run_dir / "dvclive" / "plots" / "metrics"
    series = {"train/loss": dict(enumerate(1.0 / (1 + np.arange(steps)), 1)), "train/lr": dict.fromkeys(range(1, steps + 1), 1e-4)}
    for name, values in {**series, **({"probe/loss": probe} if probe else {})}.items():
        (plots / name).parent.mkdir(parents=True, exist_ok=True)
        rows = "".join(f"{step}\t{v}\n" for step, v in values.items())
        (plots / f"{name}.tsv").write_text(f"step\t{name.split('/')[1]}\n{rows}")
    write_json(run_dir / "summary.json", {"initial_weights": initial_weights, "model_preset": "mini", "step": steps})


def build(root: Path) -> dict[str, Path]:
    results, runs, models = root / "results", root / "runs", root / "models"
    for bench in ("th1kh", "nersemble"):
        for method in ("ground_truth", "starcaster", "static_reference"):
            write_json(results / bench / f"{method}.json", result(bench, method))
    write_run(runs, "th1kh", "ground_truth", CLIPS)
    write_run(runs, "th1kh", "static_reference", CLIPS)
    write_run(runs, "th1kh", "starcaster", ["clip_b", "clip_c"])  # clip_a missing: b and c are picked
    write_json(runs / "th1kh" / "hallo3" / "summary.json", {"available": False, "reason": "program not found: hallo3.repo unset"})
    write_live(models / "stage1", "random (no pretrained weights: not a trained STARCaster)", probe={0: 0.5, 6: 0.45, 12: 0.4})
    write_live(models / "ablations" / "no_lipreading", "weights/arc2face")
    return {"results": results, "runs": runs, "models": models, "out": root / "reports"}


def summary_result(values: dict, profile: str = "ci", variants: dict | None = None) -> dict:
    """A metric result holding only summaries (value +-1 as its interval, none for a non-number such as "inf";
    None = a metric that errored)."""
    def entry(v):
        if v is None:
            return {"value": None, "error": "too few clips"}
        return {"value": v, "ci95": [v - 1, v + 1] if isinstance(v, (int, float)) else None}

    return {"profile": profile, "metric_variants": variants or {"fid": {"features": "random features (seeded init)"}},
            "summary": {k: entry(v) for k, v in values.items()}}


def write_result(root: Path, bench: str, method: str, result: dict) -> None:
    path = root / bench / f"{method}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result))
