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

Identity: each video's face descriptor (dlib's 128-d face recognition ResNet, the mean of the unit
descriptors of its frames with a face) against the ground-truth clips' descriptors: the cosine with its own
clip's, the mean cosine with the clips of the other identities, and whether its own identity's clip is the
nearest (identified; chance is one in the number of identities).
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


def measure(video: Path, n_frames: int | None) -> tuple[np.ndarray, np.ndarray | None]:
    """(T,) measured mouth opening per frame, NaN where dlib finds no face; and the video's unit face
    descriptor (None without a face)."""
    from benchmarks import media
    from benchmarks.synth.warp import mouth_opening
    from metrics.face_track import FaceTrack
    from metrics.identity import DlibEncoder

    track = FaceTrack(media.read_video(video, fps=25, max_frames=n_frames))
    faces = [track.face(i) for i in range(len(track))]
    opening = np.array([np.nan if face is None else mouth_opening(face.landmarks) for face in faces])
    encode = DlibEncoder()
    unit = [d / np.linalg.norm(d) for d in (encode(track.frames[i], f) for i, f in enumerate(faces) if f is not None)]
    mean = np.mean(unit, axis=0) if unit else None
    return opening, None if mean is None else mean / np.linalg.norm(mean)


def identity_faithfulness(descriptors: dict[str, np.ndarray | None], truth: dict[str, np.ndarray | None],
                          identities: dict[str, str]) -> dict:
    """Per clip: cosine of its descriptor with its own ground-truth clip's and, on average, with the clips of the
    other identities; identified when the nearest ground-truth clip shows its own identity."""
    known = {c: t for c, t in truth.items() if t is not None}
    clips = {}
    for clip, d in descriptors.items():
        if d is None or clip not in known:
            clips[clip] = {"csim_own": None, "csim_others": None, "identified": None}
            continue
        cos = {c: float(d @ t) for c, t in known.items()}
        others = [v for c, v in cos.items() if identities[c] != identities[clip]]
        clips[clip] = {"csim_own": cos[clip], "csim_others": float(np.mean(others)) if others else None,
                       "identified": identities[max(cos, key=cos.get)] == identities[clip]}
    scored = [c for c in clips.values() if c["identified"] is not None]
    others = [c["csim_others"] for c in scored if c["csim_others"] is not None]
    return {"mean_csim_own": float(np.mean([c["csim_own"] for c in scored])) if scored else None,
            "mean_csim_others": float(np.mean(others)) if others else None,
            "identified": sum(c["identified"] for c in scored), "clips_scored": len(scored),
            "chance": 1 / len(set(identities.values())), "clips": clips}


def clip_sync(measured: np.ndarray, rendered: np.ndarray) -> dict:
    found = np.isfinite(measured)
    record = {"frames": len(measured), "frames_with_face": int(found.sum()), "amplitude": None, "pearson_r": None}
    if found.sum() >= 3:
        record["amplitude"] = float(measured[found].std() / max(rendered[found].std(), 1e-12))
        if record["amplitude"] >= MIN_AMPLITUDE:
            record["pearson_r"] = float(np.corrcoef(measured[found], rendered[found])[0, 1])
    return record


def method_sync(params: dict, runs: Path, method: str) -> tuple[dict, dict[str, np.ndarray | None], dict[str, str]]:
    """The method's mouth sync; its clips' face descriptors; their identities (MiniTalk's portrait names)."""
    from benchmarks.records import read_manifest

    clips, descriptors, identities = {}, {}, {}
    for benchmark in BENCHMARKS:
        for record in read_manifest(Path(params["manifests"]["dir"]) / f"{benchmark}.jsonl"):
            key = f"{benchmark}/{record.clip_id}"
            truth = json.loads((Path(params["minitalk"]["out"]) / "ground_truth" / benchmark
                                / Path(record.video).with_suffix(".json")).read_text())
            rendered = np.asarray(truth["mouth_open"])
            measured, descriptors[key] = measure(runs / benchmark / method / f"{record.clip_id}.mp4",
                                                 params["metrics"]["max_frames"])
            clips[key] = clip_sync(measured, rendered[:len(measured)])
            identities[key] = truth["identity"]
    r = [c["pearson_r"] for c in clips.values() if c["pearson_r"] is not None]
    return {"mean_pearson_r": float(np.mean(r)) if r else None, "clips_scored": len(r), "clips": clips}, descriptors, identities


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
                  "methods": {}, "identity": {"encoder": "dlib_face_recognition_resnet_model_v1", "methods": {}}}
        measured = {name: method_sync(params, runs, m) for name, (runs, m) in methods.items()}
    truth = measured["ground_truth"][1]
    for name, (sync, descriptors, identities) in measured.items():
        result["methods"][name] = sync
        result["identity"]["methods"][name] = identity_faithfulness(descriptors, truth, identities)
    for name, m in result["methods"].items():
        faces = sum(c["frames_with_face"] for c in m["clips"].values()), sum(c["frames"] for c in m["clips"].values())
        r = "n/a" if m["mean_pearson_r"] is None else f"{m['mean_pearson_r']:+.3f}"
        ident = result["identity"]["methods"][name]
        own = "n/a" if ident["mean_csim_own"] is None else f"{ident['mean_csim_own']:.3f}"
        others = "n/a" if ident["mean_csim_others"] is None else f"{ident['mean_csim_others']:.3f}"
        print(f"{name:18s} mean r {r} over {m['clips_scored']} clips; a face in {faces[0]}/{faces[1]} frames; "
              f"identity: cosine own {own}, others {others}, identified {ident['identified']}/{ident['clips_scored']}")
    if args.out:
        atomic.write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
