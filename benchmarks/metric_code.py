"""``starcaster check-metric-code``: the metric code gated exactly, on committed fixture videos.

The fixtures (reports/reference/metric_code/, made by scripts/make_metric_fixtures.py) are two MiniTalk clips at
128 px with their audio as wav, and two "generated" methods made from them by fixed edits (``delayed``: two frames
late and brighter; ``frozen``: the first frame held). Every metric scores both methods with the ci
profile's metric settings, except that every network is built from its seed (SyncNet too, which the pipeline
trains on MiniTalk), nothing is read from a feature cache and the whole clips are scored. Nothing here was
trained on the CPU that runs it, so the values agree across CPU families to float rounding (docs/ci.md, "What
reproduces where") and are compared with ``reports/reference/metric_code.json`` under the exact tolerances
(params ``drift.tolerances``) on every platform. ``--bless`` writes the reference with the platform that blessed it.
"""
from __future__ import annotations

import copy
from pathlib import Path

from benchmarks import drift, machine

REFERENCE = Path("reports") / "reference" / "metric_code.json"
FIXTURES = Path(__file__).resolve().parents[1] / REFERENCE.with_suffix("")
BENCHMARK = "fixtures"


def fixture_settings(metrics_cfg: dict) -> dict:
    """``metrics_cfg`` (every metric in its ``enabled``) with every network from its seed, no cache and no scored
    window."""
    cfg = copy.deepcopy(metrics_cfg)
    cfg.update(cache_dir=None, max_frames=None)
    for name in ("lpips", "fid", "fvd", "lse"):
        cfg[name] = dict(cfg[name], init="random")
    cfg["pose_std"] = dict(cfg["pose_std"], backend="landmarks")
    cfg["csim"] = dict(cfg["csim"], encoder="dlib")
    return cfg


def score(metrics_cfg: dict, fixtures: Path = FIXTURES) -> dict[str, dict]:
    """``{"fixtures/<method>": summary}`` of every fixture method, scored with ``fixture_settings(metrics_cfg)``."""
    import torch

    from benchmarks.records import read_manifest
    from metrics.cache import FeatureCache
    from metrics.evaluate import evaluate

    cfg = fixture_settings(metrics_cfg)
    torch.set_num_threads(int(cfg["threads"]))
    ctx = {"profile": "metric-code", "seed": int(cfg["seed"]), "weights_dir": cfg["weights_dir"], "device": "cpu"}
    records = read_manifest(fixtures / "manifest.jsonl")
    out = {}
    for method in sorted(p.name for p in (fixtures / "runs").iterdir() if p.is_dir()):
        result = evaluate(records, fixtures, fixtures / "runs" / method, cfg, ctx, FeatureCache(None), progress=False)
        failed = [f"{c['clip_id']}: {c['error']}" for c in result["per_clip"] if c["error"]]
        if failed:  # every metric must score every fixture clip, or the gate would compare less than it claims
            raise RuntimeError(f"fixture method {method}: " + "; ".join(failed))
        out[f"{BENCHMARK}/{method}"] = drift.summary_of(result)
    return out


def add_arguments(parser) -> None:
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    parser.add_argument("--bless", action="store_true", help="write the fixtures' current values as the reference")


def run(args) -> int:
    from benchmarks import params

    # the ci profile's metric settings whatever the active profile: the reference is one protocol, not one per profile
    metrics_cfg = params.render("ci", Path(args.params).resolve().parent / params.PARAMS_DIR)["metrics"]
    tolerances = params.load(args.params)["drift"]["tolerances"]
    current, here = score(metrics_cfg), machine.fingerprint()
    if args.bless:
        for line in drift.replaced_notice(args.reference, here):
            print(f"check-metric-code: {line}")
        if args.reference.exists():
            for d in drift.compare(drift.read_reference(args.reference)[0], current, tolerances):
                print(f"check-metric-code: changes {d.line()}")
        drift.write_reference(args.reference, current, here)
        print(f"check-metric-code: blessed {len(current)} fixture results as {args.reference} on {machine.describe(here)}")
        return 0
    if not args.reference.exists():
        print(f"check-metric-code: no reference at {args.reference}; create it with `starcaster check-metric-code --bless`")
        return 2
    reference, blessed_on = drift.read_reference(args.reference)
    for line in drift.platform_notice(blessed_on, here):
        print(f"check-metric-code: {line}")
    drifts = drift.compare(reference, current, tolerances)  # exact on every platform
    if drifts:
        print(f"check-metric-code: {len(drifts)} value(s) of the metric fixtures drifted from {args.reference}:")
        for d in drifts:
            print("  " + d.line())
        print("check-metric-code: a metric's code changed what it computes; if intended, "
              "`starcaster check-metric-code --bless` and commit the reference")
        return 1
    n = sum(len(v["values"]) for v in current.values())
    print(f"check-metric-code: {n} values of {len(current)} fixture methods match {args.reference}")
    return 0
