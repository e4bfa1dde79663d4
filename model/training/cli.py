"""``starcaster train --stage S``: train the STARCaster network on prepared clips (docs/training.md)."""
from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

# stage number -> "module:class" (imported on use); see model/training/stage.py for the interface
STAGES = {0: "model.training.image_prior:Stage0", 1: "model.training.stage:Stage1", 2: "model.training.self_forcing:Stage2",
          3: "model.training.camera_adaptation:Stage3"}


def stage_class(number: int):
    import importlib

    module, name = STAGES[number].split(":")
    return getattr(importlib.import_module(module), name)


def add_arguments(parser) -> None:
    parser.add_argument("--stage", type=int, required=True, choices=sorted(STAGES),
                        help="0 image prior (mini's Arc2Face), 1 audio-driven motion, 2 autoregressive self-forcing, "
                             "3 temporal-to-spatial")
    parser.add_argument("--variant", default=None,
                        help="a run of train.variants (the HDTF phase, an ablation) merged over the stage's values")
    parser.add_argument("--params", default="params.yaml", help="params file with a train: section")


def stage_settings(train: dict, stage: int, variant: str | None = None) -> dict:
    """The common ``train:`` values with ``train.stage{S}`` and then ``train.variants.{variant}`` merged over them."""
    common = {k: v for k, v in train.items() if not k.startswith("stage") and k != "variants"}
    settings = {**common, **train.get(f"stage{stage}", {})}
    if variant is None:
        return settings
    variants = train.get("variants") or {}
    if variant not in variants:
        raise ValueError(f"unknown variant {variant!r}; train.variants has {sorted(variants)}")
    overrides = dict(variants[variant])
    if overrides.pop("stage", None) != stage:
        raise ValueError(f"variant {variant!r} belongs to stage {variants[variant].get('stage')}, not {stage}")
    return {**settings, **overrides}


def producer(train: dict, folder: str) -> str:
    """The command whose ``{out}/model`` is ``folder`` (what to run before a stage initialised from it)."""
    stages = [int(k[len("stage"):]) for k in train if k.startswith("stage") and k[len("stage"):].isdigit()]
    runs = [(f"--stage {s}", stage_settings(train, s)) for s in stages]
    runs += [(f"--stage {v['stage']} --variant {k}", stage_settings(train, v["stage"], k))
             for k, v in (train.get("variants") or {}).items() if v.get("stage") in stages]
    for args, settings in runs:
        if settings.get("out") and Path(settings["out"]) / "model" == Path(folder):
            return f"starcaster train {args}"
    return "the training run that exports it"


def load_initial_model(folder: Path, model_config):
    """The exported model of the previous stage, refused when its architecture is not the preset's."""
    import json

    from model.pipeline import checked_folder
    from model.starcaster import STARCasterModel

    model = STARCasterModel.from_pretrained(checked_folder(folder), subfolder="model")
    expected = json.loads(json.dumps(model_config.model_kwargs()))
    found = {k: json.loads(json.dumps(model.config.get(k))) for k in expected}
    if found != expected:
        raise ValueError(f"{folder} holds a model of another architecture than preset {model_config.preset!r}: "
                         f"{sorted(k for k in expected if found[k] != expected[k])} differ")
    return model


def run(args) -> int:
    from accelerate import PartialState

    from benchmarks import atomic
    from benchmarks.params import load
    from model.config import get_config
    from model.factory import build_pipeline
    from model.pipeline import export_pipeline
    from model.training.fingerprint import run_fingerprint
    from model.training.loop import TrainConfig, train

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    params = load(args.params)
    try:
        settings = stage_settings(params["train"], args.stage, args.variant)
    except ValueError as err:
        log.error("%s", err)
        return 2
    # stage 3 reads the multi-view manifest and dataset root, and identifies the heads with preparation's tools
    for section in ("prepare", "datasets", "manifests"):
        settings.setdefault(section, params.get(section))
    config = TrainConfig.from_params(settings)
    model_config = get_config(settings["model_preset"])
    out = Path(config.out)
    init_from = settings.get("init_from")
    if init_from is not None and not any((Path(init_from) / f).is_file() for f in ("model_index.json", "config.json")):
        log.error("stage %d starts from the model at %s, which does not exist: run `%s` first",
                  args.stage, init_from, producer(params["train"], init_from))
        return 2
    try:
        model = None if init_from is None else load_initial_model(Path(init_from), model_config)
        pipe = build_pipeline(model_config, out / "components", settings.get("weights_dir"), model=model,
                              seed=config.seed)
        stage = stage_class(args.stage).from_settings(pipe, settings)
        dataset = stage.make_dataset(settings, model_config)
    except (FileNotFoundError, ValueError) as err:  # includes MissingWeights, no usable data, a foreign init model
        log.error("%s", err)
        return 2
    sources = [*dataset.sources, *(p for p in (init_from, (settings.get("lipreader") or {}).get("out")) if p)]
    result = train(stage, dataset, config, run_fingerprint(settings, sources))
    if not PartialState().is_main_process:
        return 0
    if hasattr(stage, "before_export"):  # stage 0 hands its image weights to the reference UNet
        stage.before_export()
    export_pipeline(pipe, out / "model")
    atomic.write_json(out / "summary.json", {
        **result, "stage": args.stage, "variant": args.variant, "model_preset": model_config.preset,
        "segments": len(dataset), "skipped_clips": dataset.skipped, "init_from": init_from, "seed": config.seed,
        "initial_weights": settings.get("weights_dir") or "random (no pretrained weights: not a trained STARCaster)",
    })
    return 0
