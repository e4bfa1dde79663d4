"""Does the generated mouth follow the audio? Issue 5's check of stage 1 on held-out MiniTalk clips.

    python scripts/bench_mouth_sync.py --out docs/bench/mouth_sync_mini.json
    python scripts/bench_mouth_sync.py --untrained DIR/stage0/model --trained DIR/stage1/model --steps 25 --out F

On every clip of the th1kh and hallo3 manifests (held out from training), the mouth opening measured with
dlib's 68 landmarks on each generated frame (inner-lip gap over the inter-ocular distance,
``benchmarks.synth.warp.mouth_opening``, the quantity MiniTalk renders from the speech) is compared with
the opening MiniTalk rendered for that frame: Pearson r over the frames where a face is found, and the
amplitude (std of the measured over std of the rendered opening). A mouth that barely moves (amplitude
below MIN_AMPLITUDE: a still image's landmark jitter, e.g. its first, sharper key frame) gets no r.
Methods: the ground truth (the instrument's ceiling), the static reference (a still mouth), and
STARCaster's network before stage 1 (the model it starts from, ``train.stage1.init_from``: the image prior with
fresh temporal and audio layers) and after it (``train.stage1.out``), both sampled here ID-driven (stage 1
trains without the reference UNet) with the profile's sampler settings, ``--steps`` overriding the step count.
``scripts/mouth_sync_training.py`` trains the two networks far enough to draw faces (docs/training.md).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

from benchmarks import atomic

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = ("th1kh", "hallo3")
MIN_AMPLITUDE = 0.1


def opening_series(video: Path, n_frames: int | None) -> np.ndarray:
    """(T,) measured mouth opening per frame, NaN where dlib finds no face."""
    from benchmarks import media
    from benchmarks.synth.warp import mouth_opening
    from metrics.face_track import FaceTrack

    track = FaceTrack(media.read_video(video, fps=25, max_frames=n_frames))
    return np.array([np.nan if (face := track.face(i)) is None else mouth_opening(face.landmarks)
                     for i in range(len(track))])


def clip_sync(measured: np.ndarray, rendered: np.ndarray) -> dict:
    found = np.isfinite(measured)
    record = {"frames": len(measured), "frames_with_face": int(found.sum()), "amplitude": None, "pearson_r": None}
    if found.sum() >= 3:
        record["amplitude"] = float(measured[found].std() / max(rendered[found].std(), 1e-12))
        if record["amplitude"] >= MIN_AMPLITUDE:
            record["pearson_r"] = float(np.corrcoef(measured[found], rendered[found])[0, 1])
    return record


def method_sync(params: dict, runs: Path, method: str) -> dict:
    from benchmarks.records import read_manifest

    clips = {}
    for benchmark in BENCHMARKS:
        for record in read_manifest(Path(params["manifests"]["dir"]) / f"{benchmark}.jsonl"):
            truth = Path(params["minitalk"]["out"]) / "ground_truth" / benchmark / Path(record.video).with_suffix(".json")
            rendered = np.asarray(json.loads(truth.read_text())["mouth_open"])
            measured = opening_series(runs / benchmark / method / f"{record.clip_id}.mp4", params["metrics"]["max_frames"])
            clips[f"{benchmark}/{record.clip_id}"] = clip_sync(measured, rendered[:len(measured)])
    r = [c["pearson_r"] for c in clips.values() if c["pearson_r"] is not None]
    return {"mean_pearson_r": float(np.mean(r)) if r else None, "clips_scored": len(r), "clips": clips}


def generate_with(params: dict, model: str, work: Path, name: str, steps: int) -> Path:
    """STARCaster's ID-driven sampling of the two benchmarks with ``model`` into ``work/name``."""
    settings = {**params["baselines"]["starcaster"], "id_model": model, "steps": steps}
    path = work / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**params, "baselines": {**params["baselines"], "starcaster": settings}}))
    for benchmark in BENCHMARKS:
        subprocess.run(["starcaster", "generate", "--benchmark", benchmark, "--method", "starcaster_id", "--params",
                        str(path), "--runs", str(work / name)], check=True, cwd=REPO)
    return work / name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=str(REPO / "params.yaml"))
    parser.add_argument("--runs", type=Path, default=REPO / "runs", help="the pipeline's runs (ground truth, static reference)")
    parser.add_argument("--untrained", help="the network before stage 1 (default: train.stage1.init_from)")
    parser.add_argument("--trained", help="the network after stage 1 (default: train.stage1.out/model)")
    parser.add_argument("--steps", type=int, help="sampler steps (default: baselines.starcaster.steps)")
    parser.add_argument("--out", type=Path, help="write the results here as JSON")
    args = parser.parse_args(argv)

    from benchmarks import params as params_module

    params = params_module.load(args.params)
    untrained = args.untrained or params["train"]["stage1"]["init_from"]
    trained = args.trained or str(Path(params["train"]["stage1"]["out"]) / "model")
    steps = args.steps or params["baselines"]["starcaster"]["steps"]
    with tempfile.TemporaryDirectory(prefix="mouth-sync-") as tmp:
        work = Path(tmp)
        methods = {"ground_truth": (args.runs, "ground_truth"), "static_reference": (args.runs, "static_reference"),
                   "untrained": (generate_with(params, untrained, work, "untrained", steps), "starcaster_id"),
                   "stage1": (generate_with(params, trained, work, "stage1", steps), "starcaster_id")}
        result = {"profile": params["profile"], "benchmarks": list(BENCHMARKS), "max_frames": params["metrics"]["max_frames"],
                  "untrained_model": untrained, "stage1_model": trained, "sampler_steps": steps,
                  "guidance": params["baselines"]["starcaster"]["guidance"],
                  "methods": {name: method_sync(params, runs, m) for name, (runs, m) in methods.items()}}
    for name, m in result["methods"].items():
        faces = sum(c["frames_with_face"] for c in m["clips"].values()), sum(c["frames"] for c in m["clips"].values())
        r = "n/a" if m["mean_pearson_r"] is None else f"{m['mean_pearson_r']:+.3f}"
        print(f"{name:18s} mean r {r} over {m['clips_scored']} clips; a face in {faces[0]}/{faces[1]} frames")
    if args.out:
        atomic.write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
