import argparse
import dataclasses
import json

import pytest
import torch
import yaml

from benchmarks.params import PROFILES, render
from model.factory import build_model, build_pipeline
from model.pipeline import STARCasterPipeline, export_pipeline, load_pipeline
from model.starcaster import STARCasterModel
from model.training import cli
from tests.training.conftest import CONTEXT, N, write_clip


def params_file(tmp_path, prepared, variants=None, **stage1):
    stage2 = {"out": str(tmp_path / "run2"), "init_from": str(tmp_path / "run" / "model"), "benchmarks": ["vfhq"],
              "max_steps": 1, "segments": 2, "sampling_steps": 1, "guidance_scale": 1.0, "teacher_forcing": False,
              "reference_dropout": 0.05}
    train = {
        "out": str(tmp_path / "run"), "model_preset": "mini", "weights_dir": None, "prepared_dir": str(prepared),
        "seed": 0, "segment_frames": N, "context_frames": CONTEXT, "batch_size": 1, "gradient_accumulation_steps": 1,
        "lr": 1.0e-4, "checkpoint_every": 1, "keep_checkpoints": 1, "identity_dropout": 0.05, "audio_dropout": 0.05,
        "stage1": {"benchmarks": ["vfhq"], "max_steps": 2, "lipread_start_step": None, **stage1},
        "stage2": stage2,
        "stage3": {**stage2, "out": str(tmp_path / "run3"), "init_from": str(tmp_path / "run2" / "model")},
        "variants": variants or {},
    }
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"train": train}))
    return str(path)


def parse(argv):
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(argv)


def test_train_stage1_writes_checkpoints_a_sampler_model_and_a_summary(clips, tmp_path):
    assert cli.run(parse(["--stage", "1", "--params", params_file(tmp_path, clips[0].parent.parent)])) == 0
    run = tmp_path / "run"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["step"] == 2 and summary["segments"] > 0 and summary["initial_weights"].startswith("random")
    assert summary["seed"] == 0  # the random encoders' seed, which the sampler rebuilds them with
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["step-00000002"]
    load_pipeline(run / "model")  # the folder loads alone


VARIANTS = {"no_lipread": {"stage": 1, "out": "ablations/no_lipread/stage1", "lipread_start_step": None,
                           "max_steps": 1},
            "no_lipread_stage2": {"stage": 2, "out": "ablations/no_lipread/stage2",
                                  "init_from": "ablations/no_lipread/stage1/model"},
            "teacher_forcing": {"stage": 2, "out": "ablations/teacher_forcing/stage2", "teacher_forcing": True}}


@pytest.mark.parametrize("argv, stage1, message", [
    (["--stage", "1"], {"lipread_start_step": 1, "lipreader": {"out": "/nonexistent/lipreader"}},
     "starcaster train-lipreader"),
    (["--stage", "1"], {"benchmarks": ["hdtf"]}, "starcaster prepare --benchmark hdtf"),
    (["--stage", "2"], {}, "run/model, which does not exist: run `starcaster train --stage 1` first"),
    (["--stage", "3"], {}, "run2/model, which does not exist: run `starcaster train --stage 2` first"),
    (["--stage", "2", "--variant", "no_lipread_stage2"], {},
     "which does not exist: run `starcaster train --stage 1 --variant no_lipread` first"),
    (["--stage", "2", "--variant", "no_lipread"], {}, "variant 'no_lipread' belongs to stage 1, not 2"),
    (["--stage", "2", "--variant", "w/o"], {}, "unknown variant 'w/o'"),
])
def test_refusals_exit_2_with_the_reason(clips, tmp_path, caplog, argv, stage1, message):
    params = params_file(tmp_path, clips[0].parent.parent, VARIANTS, **stage1)
    assert cli.run(parse(argv + ["--params", params])) == 2
    assert message in caplog.text


def test_an_initial_model_of_another_architecture_is_refused(clips, mini_config, tmp_path, caplog):
    other = build_model(dataclasses.replace(mini_config, lora_rank=2))
    export_pipeline(build_pipeline(mini_config, tmp_path / "components", model=other), tmp_path / "run" / "model")
    params = params_file(tmp_path, clips[0].parent.parent)
    assert cli.run(parse(["--stage", "2", "--params", params])) == 2
    assert "another architecture than preset 'mini': ['lora_rank'] differ" in caplog.text


@pytest.fixture(scope="module")
def long_prepared(tmp_path_factory):
    """Clips long enough for stage 2's F*N + n frames."""
    root = tmp_path_factory.mktemp("prepared_cli")
    for i in range(2):
        write_clip(root / "vfhq" / f"clip{i}", frames=2 * N + CONTEXT + 1, seed=20 + i)
    return root


@pytest.mark.parametrize("variant, stage", [("no_lipread", 1), ("teacher_forcing", 2)])
def test_variants_train_from_the_initial_model_into_their_own_folder(long_prepared, mini_config, tmp_path,
                                                                     monkeypatch, variant, stage):
    monkeypatch.chdir(tmp_path)  # the variants' relative out folders
    initial = build_model(mini_config, seed=1)
    with torch.no_grad():  # a mark stage 2 does not train: it must come through from the initial model
        initial.camera_proj.mlp[0].weight.fill_(0.5)
    export_pipeline(build_pipeline(mini_config, tmp_path / "components", model=initial), tmp_path / "run" / "model")
    params = params_file(tmp_path, long_prepared, VARIANTS)
    assert cli.run(parse(["--stage", str(stage), "--variant", variant, "--params", params])) == 0
    run = tmp_path / VARIANTS[variant]["out"]
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["stage"], summary["variant"]) == (stage, variant)
    assert [p.name for p in (run / "checkpoints").iterdir()] == [f"step-{summary['step']:08d}"]
    assert not (tmp_path / "run2").exists()  # the main stage-2 run is untouched
    model = STARCasterModel.from_pretrained(run / "model", subfolder="model")
    marked = torch.equal(model.camera_proj.mlp[0].weight, initial.camera_proj.mlp[0].weight)
    assert marked == (stage == 2)  # stage 1 starts from fresh weights

    frozen = build_pipeline(mini_config, tmp_path / "components", seed=0)
    pipe = STARCasterPipeline(model.eval(), frozen.vae, frozen.text_encoder, frozen.tokenizer, frozen.scheduler,
                              segment_frames=2, context_frames=2)
    identity = torch.nn.functional.normalize(torch.randn(1, mini_config.identity_dim), dim=1)
    audio = torch.randn(1, 3, mini_config.audio_layers, mini_config.audio_dim)
    out = pipe(identity, audio, 3, reference_image=torch.rand(1, 3, 64, 64), num_inference_steps=2,
               generator=torch.Generator().manual_seed(0))
    assert out.frames.shape == (1, 3, 3, 64, 64) and torch.isfinite(out.frames).all()


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_fine_tunes_stage1_on_hdtf_before_stage2_ablations_included(profile):
    train = render(profile)["train"]
    hdtf, no_lipread_hdtf = cli.stage_settings(train, 1, "hdtf"), cli.stage_settings(train, 1, "no_lipread_hdtf")
    chain = {
        train["stage2"]["init_from"]: "starcaster train --stage 1 --variant hdtf",
        cli.stage_settings(train, 2, "teacher_forcing")["init_from"]: "starcaster train --stage 1 --variant hdtf",
        hdtf["init_from"]: "starcaster train --stage 1",
        cli.stage_settings(train, 2, "no_lipread_stage2")["init_from"]:
            "starcaster train --stage 1 --variant no_lipread_hdtf",
        no_lipread_hdtf["init_from"]: "starcaster train --stage 1 --variant no_lipread",
        train["stage1"]["init_from"]: "starcaster train --stage 0",  # the image prior
        cli.stage_settings(train, 1, "no_lipread")["init_from"]: "starcaster train --stage 0",
    }
    assert {folder: cli.producer(train, folder) for folder in chain} == chain
    assert hdtf["benchmarks"] == no_lipread_hdtf["benchmarks"] == ["hdtf"]
    assert hdtf["max_steps"] == no_lipread_hdtf["max_steps"]
    assert hdtf["lipread_start_step"] == 0 and no_lipread_hdtf["lipread_start_step"] is None
    if profile == "paper":
        assert hdtf["max_steps"] == 10_000  # Supp. B
        assert train["stage0"]["max_steps"] == 0  # Arc2Face as published
