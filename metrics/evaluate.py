"""``starcaster evaluate``: score ``runs/<benchmark>/<method>/<clip_id>.mp4`` against the manifest's
ground truth with every enabled metric and write the metric-result JSON (DESIGN.md, "Data contracts").

Each clip is decoded once; a clip or metric that fails records its reason in ``per_clip[].error``
and the others are still scored. Networks are built once per run; a missing weights file in a
profile that asks for it (``init: file``) stops the run with the file's name and source.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

from metrics.bootstrap import bootstrap_ci
from metrics.cache import FeatureCache, code_version
from metrics.feature_stats import FeatureStats
from metrics.frechet import frechet_distance, frechet_distance_low_rank
from metrics.registry import Prepared, get

RESULT_SCHEMA = 1


def _per_clip_entry(metric, prepared: Prepared, clip, cache: FeatureCache, input_hashes: dict) -> dict:
    parts = {"metric": metric.name, "variant": prepared.variant, "weights": prepared.weights, "inputs": input_hashes,
             "max_frames": clip.meta["max_frames"], "code": code_version()}
    if metric.kind == "per_clip":
        out = cache.get_or_compute(parts, lambda: {k: np.float64(v) for k, v in prepared.score(clip).items()})
        return {k: float(v) for k, v in out.items()}
    feats = {}
    for side, frames in (("generated", clip.generated), ("reference", clip.reference)):
        side_parts = dict(parts, inputs=input_hashes[side])
        feats[side] = cache.get_or_compute(side_parts, lambda frames=frames: {"features": prepared.score(frames)})["features"]
    return feats


def distribution_distance(pairs: list[dict], ddof: int) -> float:
    if pairs:
        generated = np.concatenate([p["generated"] for p in pairs])
        reference = np.concatenate([p["reference"] for p in pairs])
        if ddof < min(len(generated), len(reference)) and len(generated) + len(reference) < generated.shape[1]:
            return frechet_distance_low_rank(generated, reference, ddof)
    stats = {side: FeatureStats(ddof) for side in ("generated", "reference")}
    for pair in pairs:
        for side, s in stats.items():
            s.append(pair[side])
    g, r = stats["generated"], stats["reference"]
    return frechet_distance(g.mean(), g.cov(), r.mean(), r.cov())


def summarise(per_clip: list[dict], features: dict[str, list], prepared: dict[str, Prepared], kinds: dict, boot: dict) -> dict:
    summary = {}
    for name, kind in kinds.items():
        if kind == "distribution":
            pairs = features[name]
            try:
                value = distribution_distance(pairs, prepared[name].ddof)
            except ValueError as exc:
                summary[name] = {"value": None, "ci95": None, "n": len(pairs), "error": str(exc)}
                continue
            resamples = boot["distribution_resamples"].get(name, 0)
            ddof = prepared[name].ddof
            ci = bootstrap_ci(pairs, lambda ps, ddof=ddof: distribution_distance(ps, ddof), resamples, boot["seed"])
            summary[name] = {"value": value, "ci95": ci, "n": len(pairs)}
        else:
            by_value: dict[str, list[float]] = {}
            for entry in per_clip:
                for key, v in entry["values"].get(name, {}).items():
                    by_value.setdefault(key, []).append(v)
            for key, values in by_value.items():
                ci = bootstrap_ci(values, n_resamples=boot["n_resamples"], seed=boot["seed"])
                summary[key] = {"value": float(np.mean(values)), "ci95": ci, "n": len(values)}
    return summary


def evaluate(records, root, runs_dir, cfg: dict, ctx: dict, cache: FeatureCache, progress: bool = True) -> dict:
    from tqdm import tqdm

    from metrics.video_io import load_clip

    enabled = list(cfg["enabled"])
    metrics = {name: get(name) for name in enabled}
    prepared = {name: m.build(cfg.get(name, {}), ctx) for name, m in metrics.items()}
    per_clip, features = [], {name: [] for name, m in metrics.items() if m.kind == "distribution"}
    for record in tqdm(records, desc="evaluate", disable=not progress):
        entry = {"clip_id": record.clip_id, "values": {}, "error": None}
        errors = []
        generated = Path(runs_dir) / f"{record.clip_id}.mp4"
        try:
            clip = load_clip(record, root, generated, cfg["fps"], cfg["sample_rate"], cfg.get("max_frames"),
                             cfg.get("frame_size"))
            gt = record.resolve(root, "video")
            hashes = {"generated": cache.file_hash(generated), "reference": cache.file_hash(gt)}
            for extra in ("audio", "reference_video"):
                if getattr(record, extra):
                    hashes[extra] = cache.file_hash(record.resolve(root, extra))
        except (ValueError, OSError) as exc:
            entry["error"] = f"input: {exc}"
            per_clip.append(entry)
            continue
        for name, metric in metrics.items():
            try:
                result = _per_clip_entry(metric, prepared[name], clip, cache, hashes)
            except (ValueError, RuntimeError) as exc:
                errors.append(f"{name}: {exc}")
                continue
            if metric.kind == "distribution":
                features[name].append(result)
                entry["values"][name] = {"n_features": int(len(result["generated"]))}
            else:
                entry["values"][name] = result
        entry["error"] = "; ".join(errors) or None
        per_clip.append(entry)
    kinds = {name: m.kind for name, m in metrics.items()}
    weights = {k: v for p in prepared.values() for k, v in p.weights.items()}
    return {
        "schema": RESULT_SCHEMA,
        "profile": ctx["profile"],
        "metric_variants": {name: p.variant for name, p in prepared.items()},
        "max_frames": cfg.get("max_frames"),  # the scored window: first frames of every clip (null: whole clips)
        "weights": weights,
        "n_clips": len(records),
        "summary": summarise(per_clip, features, prepared, kinds, cfg["bootstrap"]),
        "per_clip": per_clip,
    }


def json_safe(obj):
    """Infinite PSNR (identical frames) and other non-finite floats as strings: JSON has no inf."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def benchmark_metrics(cfg: dict, benchmark: str) -> list[str]:
    """The metrics ``benchmark`` is scored with: its ``per_benchmark`` list, less what ``enabled`` leaves out;
    every enabled metric when it has no list."""
    enabled = list(cfg["enabled"])
    chosen = (cfg.get("per_benchmark") or {}).get(benchmark)
    if chosen is None:
        return enabled
    for name in chosen:
        get(name)  # an unknown name stops here, not silently
    return [name for name in chosen if name in enabled]


def add_arguments(parser) -> None:
    parser.add_argument("--benchmark", required=True, help="benchmark name (a key of params datasets / manifests)")
    parser.add_argument("--method", required=True, help="method folder under runs/<benchmark>/")
    parser.add_argument("--runs", default="runs", help="root of the generated videos (default: runs)")
    parser.add_argument("--manifest", default=None, help="default: <manifests.dir>/<benchmark>.jsonl")
    parser.add_argument("--root", default=None, help="dataset root of the manifest's paths (default: datasets.<benchmark>.root)")
    parser.add_argument("--out", default=None, help="default: <metrics.out_dir>/<benchmark>/<method>.json")
    parser.add_argument("--metrics", nargs="+", default=None,
                        help="metrics to run (default: the benchmark's metrics.per_benchmark list within metrics.enabled)")
    parser.add_argument("--params", default="params.yaml")


def run(args) -> int:
    import torch

    from benchmarks import atomic, params
    from benchmarks.datasets.base import root_in_params
    from benchmarks.records import read_manifest

    p = params.load(args.params)
    cfg = dict(p["metrics"], enabled=args.metrics or benchmark_metrics(p["metrics"], args.benchmark))
    if not cfg["enabled"]:
        print(f"starcaster evaluate: nothing to score {args.benchmark} with: its metrics.per_benchmark list shares no "
              f"metric with metrics.enabled", file=sys.stderr)
        return 2
    torch.set_num_threads(int(cfg["threads"]))
    # TF32 convolutions (cuDNN's default) move GPU features ~1e-4 away from CPU ones; metrics want full fp32.
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    manifest = args.manifest or Path(p["manifests"]["dir"]) / f"{args.benchmark}.jsonl"
    root = args.root or root_in_params(p["datasets"], args.benchmark)[0]
    out = args.out or Path(cfg["out_dir"]) / args.benchmark / f"{args.method}.json"
    ctx = {"profile": p["profile"], "seed": int(cfg["seed"]), "weights_dir": cfg["weights_dir"], "device": cfg["device"]}
    runs_dir = Path(args.runs) / args.benchmark / args.method
    result = evaluate(read_manifest(manifest), root, runs_dir, cfg, ctx, FeatureCache(cfg.get("cache_dir")))
    result.update({"benchmark": args.benchmark, "method": args.method})
    atomic.write_json(out, json_safe(result))
    failed = sum(1 for c in result["per_clip"] if c["error"])
    print(f"wrote {out}: {result['n_clips']} clips, {failed} with errors")
    if not any(c["values"] for c in result["per_clip"]):
        first = next((c["error"] for c in result["per_clip"] if c["error"]), "the manifest holds no clip")
        print(f"starcaster evaluate: scored nothing on {args.benchmark} for {args.method}; first error: {first}",
              file=sys.stderr)
        return 1
    return 0
