import pytest
import torch
from safetensors.torch import load_file

from model.training import checkpoint, probe
from model.training.loop import TrainConfig, train
from tests.training.conftest import make_dataset, make_stage
from tests.training.test_stage1 import lip_stage

STEPS = 4


def read_series(out, name):
    rows = (out / "dvclive" / "plots" / "metrics" / f"{name}.tsv").read_text().splitlines()[1:]
    return [(int(s), float(v)) for s, v in (row.split("\t") for row in rows)]


def run(clips, mini_config, out, **kwargs):
    stage = make_stage(mini_config, out, identity_dropout=0.5, audio_dropout=0.5)
    config = TrainConfig(out=str(out), max_steps=STEPS, checkpoint_every=STEPS, lr=1e-3, **kwargs)
    return train(stage, make_dataset(clips, mini_config), config)


def test_the_probe_leaves_training_bit_identical_and_is_logged_when_due(clips, mini_config, tmp_path):
    plain = run(clips, mini_config, tmp_path / "plain")
    probed = run(clips, mini_config, tmp_path / "probed", probe_segments=3, probe_every=3)
    final = checkpoint.folder_name(STEPS)
    a = load_file(tmp_path / "plain" / "checkpoints" / final / "trainable.safetensors")
    b = load_file(tmp_path / "probed" / "checkpoints" / final / "trainable.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert probed["losses"] == plain["losses"] and plain["probe"] == {}
    assert not (tmp_path / "plain" / "dvclive" / "plots" / "metrics" / "probe").exists()
    logged = read_series(tmp_path / "probed", "probe/loss")
    assert [s for s, _ in logged] == [0, 3, 4]  # before the first step, every 3, after the last
    assert logged[-1][1] == probed["probe"]["loss"]
    assert logged[-1][1] < logged[0][1]  # lr 1e-3 on two clips: the fixed-point loss falls


def test_the_probe_is_deterministic_whatever_the_global_rng_and_without_condition_dropout(clips, mini_config, tmp_path):
    dataset = make_dataset(clips, mini_config)
    items = probe.probe_items(dataset, 3)
    stage = make_stage(mini_config, tmp_path)
    stage.prepare_model()
    stage.pipe.model.train()
    dropping = make_stage(mini_config, tmp_path, identity_dropout=1.0, audio_dropout=1.0)
    dropping.pipe.model.load_state_dict(stage.pipe.model.state_dict())
    dropping.prepare_model()
    values = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        state = torch.get_rng_state()
        values.append(probe.probe_losses(stage, stage.pipe.model, items, 0, STEPS, torch.device("cpu")))
        assert torch.equal(torch.get_rng_state(), state)  # the caller's stream is untouched
    assert values[0] == values[1]
    assert probe.probe_losses(dropping, dropping.pipe.model, items, 0, STEPS, torch.device("cpu")) == values[0]
    assert probe.probe_losses(stage, stage.pipe.model, items, 1, STEPS, torch.device("cpu")) != values[0]
    assert stage.pipe.model.training  # back in the mode the training step left it


def test_the_probe_holds_the_terms_the_stage_ends_with(clips, mini_config, tmp_path):
    stage = lip_stage(mini_config, tmp_path, start=3)
    stage.prepare_model()
    items = probe.probe_items(make_dataset(clips, mini_config), 2)
    late = probe.probe_losses(stage, stage.pipe.model, items, 0, 5, torch.device("cpu"))
    assert set(late) == {"loss", "diffusion", "lipread"}
    assert late["loss"] == pytest.approx(late["diffusion"] + late["lipread"])
    assert set(probe.probe_losses(stage, stage.pipe.model, items, 0, 2, torch.device("cpu"))) == {"loss", "diffusion"}


def test_probe_items_spread_over_the_dataset(clips, mini_config):
    dataset = make_dataset(clips, mini_config)
    assert len(dataset) == 7  # segments of 6 frames in clips of 8 and 9 frames: 3 + 4
    items = probe.probe_items(dataset, 3)
    expected = [dataset[(i, i)] for i in (0, 3, 6)]
    assert all(torch.equal(got["frames"][0], want["frames"]) for got, want in zip(items, expected))
    assert len(probe.probe_items(dataset, 50)) == 7 and probe.probe_items(dataset, 0) == []
    assert [s for s in range(11) if probe.is_due(s, 4, 10)] == [0, 4, 8, 10]
    assert [s for s in range(11) if probe.is_due(s, None, 10)] == [0, 10]
