"""``starcaster train --stage S``: train the STARCaster network on prepared clips (docs/training.md)."""
from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

IMPLEMENTED_STAGES = (1,)


def add_arguments(parser) -> None:
    parser.add_argument("--stage", type=int, required=True, choices=(1, 2, 3),
                        help="1 audio-driven motion, 2 self-forcing (missing), 3 temporal-to-spatial (missing)")
    parser.add_argument("--params", default="params.yaml", help="params file with a train: section")


def stage_settings(train: dict, stage: int) -> dict:
    """The common ``train:`` values with ``train.stage{S}`` merged over them."""
    common = {k: v for k, v in train.items() if not k.startswith("stage")}
    return {**common, **train.get(f"stage{stage}", {})}


def run(args) -> int:
    from accelerate import PartialState

    from benchmarks import atomic
    from benchmarks.params import load
    from model.config import get_config
    from model.factory import build_pipeline
    from model.training.data import SegmentDataset, find_clips
    from model.training.loop import TrainConfig, export_model, train
    from model.training.stage import STAGES

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.stage not in IMPLEMENTED_STAGES:
        log.error("training stage %d is not implemented yet (implemented: %s)", args.stage, IMPLEMENTED_STAGES)
        return 2
    settings = stage_settings(load(args.params)["train"], args.stage)
    if settings.get("lipread_start_step") is not None:
        log.error("train.stage%d.lipread_start_step is %s but the lip-reading loss is not implemented yet; "
                  "set it to null to train with the diffusion loss only", args.stage, settings["lipread_start_step"])
        return 2
    config = TrainConfig.from_params(settings)
    model_config = get_config(settings["model_preset"])
    out = Path(config.out)
    try:
        pipe = build_pipeline(model_config, out / "components", settings.get("weights_dir"), seed=config.seed)
        clips = find_clips(settings["prepared_dir"], settings["benchmarks"])
    except FileNotFoundError as err:  # includes MissingWeights
        log.error("%s", err)
        return 2
    dataset = SegmentDataset(clips, settings["segment_frames"] + settings["context_frames"],
                             model_config.audio_radius, config.seed)
    stage = STAGES[args.stage](pipe, settings["context_frames"], settings["identity_dropout"], settings["audio_dropout"])
    result = train(stage, dataset, config)
    if not PartialState().is_main_process:
        return 0
    export_model(pipe.model, out / "model")
    atomic.write_json(out / "summary.json", {
        **result, "stage": args.stage, "model_preset": model_config.preset, "segments": len(dataset),
        "skipped_clips": dataset.skipped,
        "initial_weights": settings.get("weights_dir") or "random (no pretrained weights: not a trained STARCaster)",
    })
    return 0
