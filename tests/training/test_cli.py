import argparse
import json

import pytest
import yaml

from model.starcaster import STARCasterModel
from model.training import cli
from tests.training.conftest import CONTEXT, N


def params_file(tmp_path, prepared, **stage1):
    train = {
        "out": str(tmp_path / "run"), "model_preset": "mini", "weights_dir": None, "prepared_dir": str(prepared),
        "seed": 0, "segment_frames": N, "context_frames": CONTEXT, "batch_size": 1, "gradient_accumulation_steps": 1,
        "lr": 1.0e-4, "checkpoint_every": 1, "keep_checkpoints": 1, "identity_dropout": 0.05, "audio_dropout": 0.05,
        "stage1": {"benchmarks": ["vfhq"], "max_steps": 2, "lipread_start_step": None, **stage1},
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
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["step-00000002"]
    STARCasterModel.from_pretrained(run / "model")


@pytest.mark.parametrize("argv, stage1, message", [
    (["--stage", "2"], {}, "not implemented"),
    (["--stage", "1"], {"lipread_start_step": 100000}, "lip-reading loss is not implemented"),
    (["--stage", "1"], {"benchmarks": ["hdtf"]}, "starcaster prepare --benchmark hdtf"),
])
def test_refusals_exit_2_with_the_reason(clips, tmp_path, caplog, argv, stage1, message):
    params = params_file(tmp_path, clips[0].parent.parent, **stage1)
    assert cli.run(parse(argv + ["--params", params])) == 2
    assert message in caplog.text
