"""``starcaster prepare --benchmark B``: detect -> filter -> align/crop -> 25 fps -> 16 kHz -> features.

Reads the manifest ``{manifests.dir}/{B}.jsonl`` and the ``prepare:`` params; writes one prepared-clip
folder per clip under ``{prepare.out}/{B}/`` and ``prep_report.json`` beside them (see docs/preparation.md).
A bad clip is recorded with its reason and the run goes on; missing data or weights stop it.
"""
from __future__ import annotations

import importlib.util
import shutil
import sys
from collections import Counter
from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("--benchmark", required=True, help="manifest name, e.g. th1kh, hallo3, nersemble")
    parser.add_argument("--params", default="params.yaml", help="params file (default: params.yaml)")


def dataset_root(params: dict, benchmark: str) -> Path:
    """The benchmark's dataset root from params; missing, an error (the adapter's) saying where to obtain it."""
    from benchmarks.datasets import base

    root, param = base.root_in_params(params["datasets"], benchmark)
    adapter = f"benchmarks.datasets.{benchmark}"
    obtain = getattr(importlib.import_module(adapter), "OBTAIN", None) if importlib.util.find_spec(adapter) else None
    return base.dataset_root(root, obtain or f"obtain {benchmark} from its official release", param)


def build_tools(cfg: dict, settings):
    """The face analyser, filters and extractors named in ``prepare:``, and their record for the outputs."""
    from benchmarks.preprocess import audio_features, filters, identity
    from benchmarks.preprocess.clip import Tools
    from benchmarks.preprocess.faces import FaceAnalyzer

    weights_dir = cfg["weights_dir"]
    models_dir = cfg.get("dlib_models_dir")
    faces = FaceAnalyzer(models_dir=models_dir, **cfg["detector"])
    hand_filter, hand_status = filters.build_hand_filter(cfg["hand_filter"], weights_dir)
    features = audio_features.build(cfg["audio_features"], weights_dir, settings.sample_rate, settings.fps)
    encoder = identity.build(cfg["identity"], weights_dir, models_dir)
    extractors = {
        "face_detector": {"name": faces.backend, "fallback": faces.fallback, "weights": faces.weights},
        "audio_features": {"name": features.name, "weights": features.weights},
        "identity": {"name": encoder.name, "weights": encoder.weights},
        "hand_filter": {"status": hand_status, "weights": hand_filter.weights if hand_filter else {}},
    }
    return Tools(faces, features, encoder, hand_filter), extractors


def settings_from(cfg: dict):
    from benchmarks.preprocess.clip import Settings

    return Settings(resolution=int(cfg["resolution"]), fps=float(cfg["fps"]), sample_rate=int(cfg["sample_rate"]),
                    min_audio_rms=float(cfg["min_audio_rms"]), min_audio_fraction=float(cfg["min_audio_fraction"]),
                    min_kept_fraction=float(cfg["min_kept_fraction"]), smoothing_sigma=float(cfg["smoothing_sigma"]),
                    identity_frames=int(cfg["identity"]["frames"]))


def prepare_benchmark(params: dict, benchmark: str) -> dict:
    """Prepare every clip of the benchmark's manifest; returns (and writes) the stage report."""
    from tqdm import tqdm

    from benchmarks import atomic
    from benchmarks.preprocess.clip import ClipError, prepare_clip
    from benchmarks.records import read_manifest

    cfg = params["prepare"]
    manifest = Path(params["manifests"]["dir"]) / f"{benchmark}.jsonl"
    if not manifest.is_file():
        raise FileNotFoundError(f"manifest {manifest} not found: write it with `starcaster manifest --benchmark {benchmark}`")
    records = read_manifest(manifest)
    root = dataset_root(params, benchmark)
    settings = settings_from(cfg)
    tools, extractors = build_tools(cfg, settings)
    out = Path(cfg["out"]) / benchmark

    clips, dropped = [], Counter()
    for record in tqdm(records, desc=f"prepare {benchmark}", unit="clip"):
        clip_dir = out / record.clip_id
        atomic.remove_leftovers(clip_dir)  # a killed run's half-written folder
        try:
            result = prepare_clip(record, root, clip_dir, tools, settings, extractors, params.get("profile", "mini"))
        except Exception as exc:  # noqa: BLE001 -- one bad clip must not stop the stage; the report names it
            reason = str(exc) if isinstance(exc, ClipError) else f"unexpected {type(exc).__name__}: {exc}"
            shutil.rmtree(clip_dir, ignore_errors=True)  # no stale output from an earlier run
            clips.append({"clip_id": record.clip_id, "status": "error", "reason": reason})
            continue
        dropped.update(result["dropped"])
        clips.append({"clip_id": record.clip_id, "status": "ok", **result})

    n_ok = sum(c["status"] == "ok" for c in clips)
    report = {
        "benchmark": benchmark,
        "profile": params.get("profile", "mini"),
        "manifest": str(manifest),
        "dataset_root": str(root),
        "settings": {k: cfg[k] for k in sorted(cfg) if k not in ("out", "weights_dir")},
        "extractors": extractors,
        "hand_filter": extractors["hand_filter"]["status"],
        "n_clips": len(clips),
        "n_ok": n_ok,
        "n_error": len(clips) - n_ok,
        "frames": {"total": sum(c.get("n_frames", 0) for c in clips), "kept": sum(c.get("n_kept", 0) for c in clips)},
        "dropped_frames": dict(sorted(dropped.items())),
        "clips": clips,
    }
    atomic.write_json(out / "prep_report.json", report)
    return report


def run(args) -> int:
    from benchmarks import params as params_mod
    from benchmarks.datasets.base import DatasetError
    from benchmarks.preprocess.weights import MissingWeights

    params = params_mod.load(args.params)
    try:
        report = prepare_benchmark(params, args.benchmark)
    except (FileNotFoundError, MissingWeights, DatasetError, KeyError) as exc:
        print(f"starcaster prepare: {exc}", file=sys.stderr)
        return 2
    print(f"{args.benchmark}: {report['n_ok']}/{report['n_clips']} clips prepared, "
          f"{report['frames']['kept']}/{report['frames']['total']} frames kept, dropped {report['dropped_frames']}; "
          f"hand filter {report['hand_filter']}")
    for clip in report["clips"]:
        if clip["status"] == "error":
            print(f"  {clip['clip_id']}: {clip['reason']}")
    return 0 if report["n_ok"] or not report["n_clips"] else 1
