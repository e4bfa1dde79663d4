"""``starcaster train --stage S``: train the STARCaster network on prepared clips (docs/training.md)."""
from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

# stage number -> "module:class" (imported on use); see model/training/stage.py for the interface
STAGES = {1: "model.training.stage:Stage1"}


def stage_class(number: int):
    import importlib

    module, name = STAGES[number].split(":")
    return getattr(importlib.import_module(module), name)


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
    from model.training.loop import TrainConfig, export_model, train

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.stage not in STAGES:
        log.error("training stage %d is not implemented yet (implemented: %s)", args.stage, sorted(STAGES))
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
        stage = stage_class(args.stage).from_settings(pipe, settings)
        dataset = stage.make_dataset(settings, model_config)
    except FileNotFoundError as err:  # includes MissingWeights
        log.error("%s", err)
        return 2
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
