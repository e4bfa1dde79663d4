"""Engine vs reference tools: every metric on the same clips through the metrics engine and through the
reference tools run one after another; per metric the seconds on each side, the speed ratio and the
largest numeric difference.

    .venv/bin/python scripts/bench_metrics_reference.py --clips 2 --out docs/bench/metrics_reference.json

Engine: ``metrics.evaluate.evaluate`` (what ``starcaster evaluate`` runs) with params.yaml's ``metrics``
settings and a cold feature cache in a temporary folder, then again on that warm cache. Its per-metric
seconds are build + scoring + summary (Frechet distance, bootstrap); decoding is a row of its own.

Reference, each tool on its own, reading what it reads in practice:
- frames dumped once to PNG (decoded with ``benchmarks.media``, the engine's decoder: decoding is not
  what is compared), read back by pytorch-fid, ``lpips`` and scikit-image;
- fid: pytorch-fid ``calculate_activation_statistics`` on every ``frame_stride``-th PNG, ``calculate_frechet_distance``;
- psnr, ssim: scikit-image per PNG pair; lpips: ``lpips.load_image``/``im2tensor``/``LPIPS.forward`` per frame;
- fvd: the DisCo/VideoGPT I3D path (``preprocess``: bicubic squash to 224, ``2x/255-1``; logits in
  batches of 8; segment features averaged per video), ``np.cov`` statistics, scipy Frechet distance;
- lse: syncnet_python ``evaluate`` (the transcription in tests/metrics/test_lse.py) on 224x224 BGR frames
  and the 16 kHz int16 wav that ffmpeg extracts, as its ``run_pipeline`` does;
- pose_std: per frame dlib HOG (one up-sampling), 68 landmarks, ``cv2.solvePnP``; csim: face_recognition's
  ``face_encodings(model="large")``, transcribed (the package itself is not installed).
Every network gets the engine's weights (in mini: seeded random init, labelled "random features").
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks import media  # noqa: E402
from benchmarks.preprocess.weights import dlib_model  # noqa: E402
from metrics import registry  # noqa: E402
from metrics.cache import FeatureCache  # noqa: E402
from metrics.feature_stats import FeatureStats  # noqa: E402
from metrics.weights import resolve  # noqa: E402

SIDES = ("generated", "reference")


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and its finished children (ffmpeg)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Stopwatch:
    """Wall and CPU seconds accumulated per key; on a shared, loaded machine CPU seconds compare better."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)

    @contextlib.contextmanager
    def time(self, key: str):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        try:
            yield
        finally:
            self.seconds[key] += time.perf_counter() - start
            self.cpu[key] += cpu_seconds() - start_cpu

    def wrap(self, key: str, fn, outputs: list | None = None):
        def timed(*args, **kwargs):
            with self.time(key):
                out = fn(*args, **kwargs)
            if outputs is not None:
                outputs.append(out)
            return out

        return timed


# ---------------------------------------------------------------------------------------------- engine
def run_engine(records, root, runs_dir, cfg: dict, ctx: dict, cache_dir) -> tuple[dict, Stopwatch, dict]:
    """``evaluate`` as ``starcaster evaluate`` runs it, timed per metric; returns (result, stopwatch, features),
    ``features[name]`` = the distribution features in call order (generated, reference, per clip)."""
    from metrics import evaluate as ev
    from metrics import video_io

    watch, features = Stopwatch(), defaultdict(list)
    summarise = ev.summarise

    def timed_get(name: str):
        metric = registry.get(name)

        def build(metric_cfg, metric_ctx):
            with watch.time(name):
                prepared = metric.build(metric_cfg, metric_ctx)
            outputs = features[name] if metric.kind == "distribution" else None
            return dataclasses.replace(prepared, score=watch.wrap(name, prepared.score, outputs))

        return dataclasses.replace(metric, build=build)

    def timed_summarise(per_clip, feats, prepared, kinds, boot):
        summary = {}
        for name, kind in kinds.items():
            with watch.time(name), mock.patch.object(ev, "bootstrap_ci", watch.wrap(f"{name} bootstrap", ev.bootstrap_ci)):
                summary.update(summarise(per_clip, feats, prepared, {name: kind}, boot))
        return summary

    with (
        mock.patch.object(ev, "get", timed_get),
        mock.patch.object(ev, "summarise", timed_summarise),
        mock.patch.object(video_io, "load_clip", watch.wrap("decode", video_io.load_clip)),
        watch.time("total"),
    ):
        result = ev.evaluate(records, root, runs_dir, cfg, ctx, FeatureCache(cache_dir), progress=False)
    return result, watch, dict(features)


# ------------------------------------------------------------------------------------------- reference
@dataclasses.dataclass(frozen=True)
class Clip:
    clip_id: str
    generated: Path
    ground_truth: Path
    audio: Path  # the record's audio file, else the ground-truth video (its track)
    source_video: Path  # where the identity reference frame comes from
    reference_frame: int


@dataclasses.dataclass(frozen=True)
class Job:
    clips: list[Clip]
    cfg: dict  # params ``metrics``
    ctx: dict
    workdir: Path

    def pngs(self, clip: Clip, side: str) -> list[str]:
        return sorted(str(p) for p in (self.workdir / "png" / clip.clip_id / side).glob("*.png"))

    def video(self, path) -> np.ndarray:
        """A video's frames at the evaluation fps, cut to the scored window (``max_frames``) as the engine does."""
        return media.read_video(path, fps=self.cfg["fps"])[: self.cfg.get("max_frames")]

    def weights(self, metric: str, network: str):
        return resolve(network, self.cfg[metric]["init"], self.ctx["weights_dir"], self.ctx["seed"])


def clips_of(records, root, runs_dir) -> list[Clip]:
    return [
        Clip(
            r.clip_id, Path(runs_dir) / f"{r.clip_id}.mp4", r.resolve(root, "video"),
            r.resolve(root, "audio") if r.audio else r.resolve(root, "video"),
            r.resolve(root, "reference_video") if r.reference_video else r.resolve(root, "video"),
            r.reference_frame,
        )
        for r in records
    ]


def dump_pngs(job: Job) -> None:
    """Every frame of both videos as PNG (lossless), the input of the image tools."""
    from PIL import Image

    for clip in job.clips:
        frames = {side: job.video(path) for side, path in zip(SIDES, (clip.generated, clip.ground_truth))}
        if frames["generated"].shape != frames["reference"].shape:
            raise ValueError(f"{clip.clip_id}: the reference tools need equal frame counts and sizes, got "
                             f"{frames['generated'].shape} and {frames['reference'].shape}")
        for side, video in frames.items():
            folder = job.workdir / "png" / clip.clip_id / side
            folder.mkdir(parents=True, exist_ok=True)
            for i, frame in enumerate(video):
                Image.fromarray(frame).save(folder / f"{i:05d}.png")


def per_clip_result(values: dict[str, dict[str, float]]) -> dict:
    keys = {k for v in values.values() for k in v}
    return {"per_clip": values, "summary": {k: float(np.mean([v[k] for v in values.values() if k in v])) for k in keys}}


def reference_psnr(job: Job) -> dict:
    from skimage.io import imread
    from skimage.metrics import peak_signal_noise_ratio

    data_range, out = job.cfg["psnr"].get("data_range", 255), {}
    for clip in job.clips:
        with np.errstate(divide="ignore"):
            values = [peak_signal_noise_ratio(imread(g), imread(p), data_range=data_range)
                      for g, p in zip(job.pngs(clip, "reference"), job.pngs(clip, "generated"))]
        out[clip.clip_id] = {"psnr": float(np.mean(values))}
    return per_clip_result(out)


def reference_ssim(job: Job) -> dict:
    from skimage.io import imread
    from skimage.metrics import structural_similarity

    from metrics.pixel import SSIM_VARIANTS

    cfg = job.cfg["ssim"]
    options, out = SSIM_VARIANTS[cfg.get("variant", "skimage")], {}
    for clip in job.clips:
        values = [structural_similarity(imread(g), imread(p), data_range=cfg.get("data_range", 255), channel_axis=-1, **options)
                  for g, p in zip(job.pngs(clip, "reference"), job.pngs(clip, "generated"))]
        out[clip.clip_id] = {"ssim": float(np.mean(values))}
    return per_clip_result(out)


def reference_lpips(job: Job) -> dict:
    import lpips
    import torch

    from metrics.perceptual import build_lpips

    model = build_lpips(job.weights("lpips", "lpips_alexnet"), job.cfg["lpips"].get("net", "alex"))  # an lpips.LPIPS
    out = {}
    with torch.no_grad():
        for clip in job.clips:
            values = [float(model.forward(lpips.im2tensor(lpips.load_image(g)), lpips.im2tensor(lpips.load_image(p))))
                      for g, p in zip(job.pngs(clip, "reference"), job.pngs(clip, "generated"))]
            out[clip.clip_id] = {"lpips": float(np.mean(values))}
    return per_clip_result(out)


def reference_fid(job: Job) -> dict:
    from pytorch_fid.fid_score import calculate_activation_statistics, calculate_frechet_distance

    from metrics.fid import build_inception

    cfg = job.cfg["fid"]
    if int(cfg.get("ddof", 1)) != 1:
        raise ValueError("pytorch-fid's statistics use np.cov (ddof 1)")
    model = build_inception(job.weights("fid", "fid_inception")).to(job.ctx.get("device", "cpu"))  # pytorch-fid's InceptionV3
    stride = int(cfg.get("frame_stride", 1))
    stats = {}
    for side in SIDES:
        files = [p for clip in job.clips for p in job.pngs(clip, side)[::stride]]
        stats[side] = calculate_activation_statistics(files, model, batch_size=50, dims=2048,
                                                      device=job.ctx.get("device", "cpu"), num_workers=0)
    return {"summary": {"fid": float(calculate_frechet_distance(*stats["generated"], *stats["reference"]))}, "stats": stats}


def disco_preprocess(videos: np.ndarray, size=(224, 224)):
    """DisCo/VideoGPT ``fvd.preprocess`` with DisCo's bicubic squash: (B,T,H,W,C) uint8 -> (B,C,T,224,224) in [-1,1]."""
    import torch
    import torch.nn.functional as F

    b, t, h, w, c = videos.shape
    frames = torch.FloatTensor(videos).flatten(end_dim=1).permute(0, 3, 1, 2).contiguous()
    resized = F.interpolate(frames, size=size, mode="bicubic", align_corners=False)
    resized = resized.view(b, t, c, *size).transpose(1, 2).contiguous()
    return 2.0 * resized / 255.0 - 1


def reference_fvd(job: Job) -> dict:
    import torch
    from pytorch_fid.fid_score import calculate_frechet_distance

    from metrics.fvd import VARIANTS, build_detector

    cfg = job.cfg["fvd"]
    if cfg["variant"] != "disco":
        raise ValueError("the reference FVD path here is DisCo's (variant: disco)")
    i3d = build_detector("disco", job.weights("fvd", VARIANTS["disco"])).to(job.ctx.get("device", "cpu"))
    feats = {side: [] for side in SIDES}
    for clip in job.clips:
        for side, path in zip(SIDES, (clip.generated, clip.ground_truth)):
            frames = job.video(path)
            n = 1 if cfg["clip_mode"] == "first" else len(frames) // 16
            videos = disco_preprocess(frames[: 16 * n].reshape(n, 16, *frames.shape[1:]))
            with torch.no_grad():
                logits = torch.cat([i3d(videos[i : i + 8].to(job.ctx.get("device", "cpu"))) for i in range(0, n, 8)]).double().cpu().numpy()
            feats[side].append(logits.mean(axis=0, keepdims=True) if cfg["clip_mode"] == "segments_mean" else logits)
    feats = {side: np.concatenate(f) for side, f in feats.items()}
    ddof = int(cfg["ddof"])
    if len(feats["generated"]) <= ddof:
        return {"summary": {}, "features": feats}
    stats = {side: (f.mean(axis=0), np.cov(f, rowvar=False, ddof=ddof)) for side, f in feats.items()}
    return {"summary": {"fvd": float(calculate_frechet_distance(*stats["generated"], *stats["reference"]))}, "features": feats}


def reference_lse(job: Job) -> dict:
    import cv2
    from scipy.io import wavfile

    from metrics.lse import syncnet_weights
    from metrics.syncnet import build_syncnet
    from metrics.syncnet_reference import evaluate as reference_evaluate

    cfg = job.cfg["lse"]
    net = build_syncnet(syncnet_weights(cfg, job.ctx))
    out = {}
    for clip in job.clips:
        crops = [cv2.resize(f[..., ::-1], (224, 224)) for f in job.video(clip.generated)]
        wav = job.workdir / f"{clip.clip_id}.wav"
        # run_pipeline.py's audio extraction
        subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(clip.audio), "-qscale:a", "0", "-ac", "1", "-vn",
                        "-threads", "1", "-ar", str(job.cfg["sample_rate"]), str(wav)], check=True)
        _, pcm = wavfile.read(wav)
        offset, conf, dist = reference_evaluate(net, crops, pcm, vshift=int(cfg.get("vshift", 15)))
        out[clip.clip_id] = {"lse_d": dist, "lse_c": conf, "lse_offset": float(offset)}
    return per_clip_result(out)


class FaceRecognition:
    """face_recognition.api, transcribed: HOG detector with one up-sampling, faces in detector order,
    68-point predictor (``model="large"``), dlib ResNet descriptor with ``num_jitters=1``."""

    def __init__(self) -> None:
        import dlib

        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(str(dlib_model("shape_predictor_68_face_landmarks.dat")))
        self.encoder = dlib.face_recognition_model_v1(str(dlib_model("dlib_face_recognition_resnet_model_v1.dat")))

    def landmarks(self, image: np.ndarray) -> list:
        return [self.predictor(image, rect) for rect in self.detector(image, 1)]

    def encodings(self, image: np.ndarray) -> list[np.ndarray]:
        return [np.array(self.encoder.compute_face_descriptor(image, shape, 1)) for shape in self.landmarks(image)]


# The learnopencv head-pose recipe: six dlib landmarks (nose tip, chin, eye outer corners, mouth corners)
# against its generic 3D face, in OpenCV camera axes so that a frontal face has zero rotation.
POSE_LANDMARKS = [30, 8, 36, 45, 48, 54]
POSE_MODEL = np.array([(0, 0, 0), (0, 330, 65), (-225, -170, 135), (225, -170, 135), (-150, 150, 125), (150, 150, 125)], dtype=np.float64)


def head_rotation(face: FaceRecognition, frame: np.ndarray) -> np.ndarray | None:
    """(pitch, yaw, roll) in radians of the first face (None without one): solvePnP (iterative, no initial pose), RQ decomposition."""
    import cv2

    shapes = face.landmarks(frame)
    if not shapes:
        return None
    points = np.array([[shapes[0].part(i).x, shapes[0].part(i).y] for i in POSE_LANDMARKS], dtype=np.float64)
    h, w = frame.shape[:2]
    camera = np.array([[w, 0, w / 2], [0, w, h / 2], [0, 0, 1]], dtype=np.float64)
    _, rvec, _ = cv2.solvePnP(POSE_MODEL, points, camera, np.zeros((4, 1)), flags=cv2.SOLVEPNP_ITERATIVE)
    return np.radians(cv2.RQDecomp3x3(cv2.Rodrigues(rvec)[0])[0])


def reference_pose_std(job: Job) -> dict:
    face, stride, out = FaceRecognition(), int(job.cfg["pose_std"].get("frame_stride", 1)), {}
    for clip in job.clips:
        rotations = [head_rotation(face, f) for f in job.video(clip.generated)[::stride]]
        rotations = [r for r in rotations if r is not None]  # frames without a face are skipped
        if len(rotations) < 2:
            continue
        std = float(np.stack(rotations).std(axis=0).mean())
        out[clip.clip_id] = {"pose_std_rad100": 100 * std, "pose_std_deg": math.degrees(std)}
    return per_clip_result(out)


def reference_csim(job: Job) -> dict:
    face, stride, out = FaceRecognition(), int(job.cfg["csim"].get("frame_stride", 1)), {}
    if job.cfg["csim"]["encoder"] != "dlib":
        raise ValueError("the reference identity recipe here is face_recognition's (encoder: dlib)")
    for clip in job.clips:
        source = face.encodings(job.video(clip.source_video)[clip.reference_frame])
        encodings = [e for e in (face.encodings(f) for f in job.video(clip.generated)[::stride]) if e]
        if not source or not encodings:
            continue
        cosines = [e[0] @ source[0] / (np.linalg.norm(e[0]) * np.linalg.norm(source[0])) for e in encodings]
        out[clip.clip_id] = {"csim": float(np.mean(cosines))}
    return per_clip_result(out)


REFERENCES = {
    "psnr": reference_psnr, "ssim": reference_ssim, "lpips": reference_lpips, "fid": reference_fid,
    "fvd": reference_fvd, "lse": reference_lse, "pose_std": reference_pose_std, "csim": reference_csim,
}
PNG_TOOLS = {"psnr", "ssim", "lpips", "fid"}


def run_reference(job: Job, enabled: list[str]) -> tuple[dict, Stopwatch]:
    watch, results = Stopwatch(), {}
    with watch.time("total"):
        if PNG_TOOLS & set(enabled):
            with watch.time("decode"):
                dump_pngs(job)
        for name in enabled:
            with watch.time(name):
                results[name] = REFERENCES[name](job)
    return results, watch


# ------------------------------------------------------------------------------------------ comparison
def difference(a, b) -> tuple[float, float]:
    """(absolute, relative to |b|) difference; equal infinities differ by 0."""
    a, b = float(a), float(b)
    if a == b:
        return 0.0, 0.0
    d = abs(a - b)
    return d, d / abs(b) if b else math.inf


def largest(pairs) -> dict:
    diffs = [difference(a, b) for a, b in pairs]
    return {"max_abs_diff": max((d[0] for d in diffs), default=None), "max_rel_diff": max((d[1] for d in diffs), default=None)}


def largest_in_arrays(ours, reference) -> dict:
    """Largest absolute difference between arrays, and that relative to the reference's largest magnitude."""
    ours, reference = np.concatenate([np.ravel(x) for x in ours]), np.concatenate([np.ravel(x) for x in reference])
    d, scale = float(np.abs(ours - reference).max()), float(np.abs(reference).max())
    return {"max_abs_diff": d, "max_rel_diff": d / scale if scale else (0.0 if d == 0 else math.inf)}


def largest_over(diffs) -> dict:
    diffs = list(diffs)
    return {k: max((d[k] for d in diffs if d[k] is not None), default=None) for k in ("max_abs_diff", "max_rel_diff")}


def compare_metric(name: str, engine: dict, features: list, reference: dict) -> dict:
    """Largest differences, engine vs reference, per value key over the summary and per-clip values, and
    (FID) pytorch-fid's statistics against the engine's streamed ones or (FVD) the I3D features themselves."""
    keys = sorted(reference["summary"])
    row = {"engine_value": {k: engine["summary"].get(k, {}).get("value") for k in keys}, "reference_value": reference["summary"]}
    by_id = {c["clip_id"]: c["values"].get(name, {}) for c in engine["per_clip"]}
    row["clips_scored"] = {"engine": sum(1 for v in by_id.values() if v), "reference": len(reference.get("per_clip", by_id))}
    pairs = {k: [(row["engine_value"][k], reference["summary"][k])] for k in keys}
    for clip_id, values in reference.get("per_clip", {}).items():
        for k, v in values.items():
            pairs[k].append((by_id.get(clip_id, {}).get(k), v))
    row["diff"] = {k: largest([(a, b) for a, b in p if a is not None and b is not None]) for k, p in pairs.items()}
    if "stats" in reference:
        ours = []
        for side in (0, 1):
            stats = FeatureStats(ddof=1)
            for f in features[side::2]:
                stats.append(f)
            ours += [stats.mean(), stats.cov()]
        row["diff"]["statistics"] = largest_in_arrays(ours, [x for s in SIDES for x in reference["stats"][s]])
    if "features" in reference:
        ours = [np.concatenate(features[side::2]) for side in (0, 1)]
        row["diff"]["features"] = largest_in_arrays(ours, [reference["features"][s] for s in SIDES])
    row.update(largest_over(row["diff"].values()))
    return row


def import_libraries() -> None:
    """Import what both sides use before timing, so that the side that runs first does not pay for it
    (scikit-image's metrics are lazy attributes: the first access imports them)."""
    import importlib

    modules = ("cv2", "dlib", "lpips", "python_speech_features", "scipy.io.wavfile", "scipy.linalg", "torchvision", "tqdm",
               "pytorch_fid.fid_score", "skimage.io", "skimage.metrics", *registry.METRIC_MODULES)
    for module in modules:
        importlib.import_module(module)
    for name in ("peak_signal_noise_ratio", "structural_similarity"):
        getattr(sys.modules["skimage.metrics"], name)


def compare(records, root, runs_dir, cfg: dict, ctx: dict, warm: bool = True) -> dict:
    """Run both sides on ``records`` and tabulate seconds, speed ratio and largest differences per metric."""
    enabled = list(cfg["enabled"])
    import_libraries()
    with tempfile.TemporaryDirectory(prefix="bench_metrics_") as tmp:
        tmp = Path(tmp)
        load = {"before": os.getloadavg()}
        engine, engine_t, features = run_engine(records, root, runs_dir, cfg, ctx, tmp / "cache")
        load["after_engine"] = os.getloadavg()
        warm_t = run_engine(records, root, runs_dir, cfg, ctx, tmp / "cache")[1] if warm else None
        reference, reference_t = run_reference(Job(clips_of(records, root, runs_dir), cfg, ctx, tmp / "work"), enabled)
        load["after_reference"] = os.getloadavg()
    rows = []
    for name in ["decode", *enabled, "total"]:
        row = {"metric": name}
        for what, watch in (("engine", engine_t), ("reference", reference_t)):
            row[f"{what}_s"], row[f"{what}_cpu_s"] = watch.seconds.get(name, 0.0), watch.cpu.get(name, 0.0)
        boot = [t for key, t in engine_t.cpu.items() if key == f"{name} bootstrap" or (name == "total" and key.endswith(" bootstrap"))]
        row["engine_bootstrap_cpu_s"] = sum(boot)
        row["speedup"] = row["reference_s"] / row["engine_s"] if row["engine_s"] else None
        row["speedup_cpu"] = row["reference_cpu_s"] / row["engine_cpu_s"] if row["engine_cpu_s"] else None
        without = row["engine_cpu_s"] - row["engine_bootstrap_cpu_s"]
        row["speedup_cpu_without_bootstrap"] = row["reference_cpu_s"] / without if without > 0 else None
        if name in reference:
            row.update(compare_metric(name, engine, features.get(name, []), reference[name]))
        rows.append(row)
    if warm_t is not None:
        rows[-1].update(engine_warm_s=warm_t.seconds["total"], engine_warm_cpu_s=warm_t.cpu["total"])
    errors = {c["clip_id"]: c["error"] for c in engine["per_clip"] if c["error"]}
    return {
        "clips": [r.clip_id for r in records],
        "frames_per_video": [min(r.n_frames, cfg.get("max_frames") or r.n_frames) for r in records],
        "metric_variants": engine["metric_variants"],
        "weights": engine["weights"],
        "engine_errors": errors,
        "load_average": load,
        "rows": rows,
    }


def markdown(report: dict) -> str:
    def num(x, fmt=".3g"):
        return "-" if x is None else format(x, fmt)

    lines = ["| metric | engine s (CPU s) | reference s (CPU s) | speed-up wall (CPU) | engine bootstrap CPU s | CPU speed-up without it "
             "| max abs diff | max rel diff | engine value | reference value |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in report["rows"]:
        values = [", ".join(f"{k} {num(v, '.6g')}" for k, v in row.get(side, {}).items()) for side in ("engine_value", "reference_value")]
        lines.append(f"| {row['metric']} | {row['engine_s']:.1f} ({row['engine_cpu_s']:.1f}) | "
                     f"{row['reference_s']:.1f} ({row['reference_cpu_s']:.1f}) | "
                     f"{num(row['speedup'], '.2f')} ({num(row['speedup_cpu'], '.2f')}) | {row['engine_bootstrap_cpu_s']:.1f} | "
                     f"{num(row['speedup_cpu_without_bootstrap'], '.2f')} | "
                     f"{num(row.get('max_abs_diff'))} | {num(row.get('max_rel_diff'))} | {values[0] or '-'} | {values[1] or '-'} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    import torch
    import yaml

    from benchmarks import atomic, params
    from benchmarks.datasets.base import root_in_params
    from benchmarks.records import read_manifest
    from metrics.evaluate import json_safe

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="th1kh")
    parser.add_argument("--method", default="static_reference", help="folder under runs/<benchmark>/")
    parser.add_argument("--clips", type=int, default=2, help="first N clips of the manifest")
    parser.add_argument("--metrics", nargs="+", default=None, help="default: params metrics.enabled")
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--runs", default="runs")
    parser.add_argument("--out", default="docs/bench/metrics_reference.json")
    parser.add_argument("--set", nargs="+", default=[], metavar="METRIC.KEY=VALUE",
                        help="override a metric setting, e.g. lse.init=random where the MiniTalk SyncNet checkpoint is absent")
    args = parser.parse_args(argv)

    p = params.load(args.params)
    cfg = dict(p["metrics"], enabled=args.metrics or p["metrics"]["enabled"])
    for item in args.set:
        key, value = item.split("=", 1)
        metric, field = key.split(".", 1)
        cfg[metric] = dict(cfg[metric], **{field: yaml.safe_load(value)})
    torch.set_num_threads(int(cfg["threads"]))
    ctx = {"profile": p["profile"], "seed": int(cfg["seed"]), "weights_dir": cfg["weights_dir"], "device": cfg["device"]}
    records = read_manifest(Path(p["manifests"]["dir"]) / f"{args.benchmark}.jsonl")[: args.clips]
    root = root_in_params(p["datasets"], args.benchmark)[0]
    started = datetime.now(UTC).isoformat(timespec="seconds")
    report = compare(records, root, Path(args.runs) / args.benchmark / args.method, cfg, ctx)
    report = {"benchmark": args.benchmark, "method": args.method, "profile": p["profile"], "overrides": args.set, "started_utc": started,
              "device": cfg["device"], "torch_threads": int(cfg["threads"]), "cpu_count": os.cpu_count(),
              "engine_cache": "cold: a new temporary folder (engine_warm_s: the same run again on it)", **report}
    atomic.write_json(args.out, json_safe(report))
    print(markdown(report))
    print(f"load average {report['load_average']}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
