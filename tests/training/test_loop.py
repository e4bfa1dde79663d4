import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from model.factory import build_pipeline
from model.pipeline import STARCasterPipeline, export_pipeline, load_pipeline
from model.starcaster import STARCasterModel
from model.training import checkpoint, loop
from model.training.loop import TrainConfig, train
from tests.training.conftest import make_dataset, make_stage

REPO = Path(__file__).resolve().parents[2]

STEPS = 6


def config(out, **kwargs):
    return TrainConfig(out=str(out), max_steps=STEPS, checkpoint_every=3, keep_checkpoints=2, lr=1e-3,
                       probe_segments=2, probe_every=2, **kwargs)


def fresh_run(clips, mini_config, out, fingerprint="", **kwargs):
    """New model, data and optimizer objects, as a restarted process has."""
    stage = make_stage(mini_config, out, identity_dropout=0.5, audio_dropout=0.5)
    return stage, train(stage, make_dataset(clips, mini_config), config(out, **kwargs), fingerprint)


@pytest.fixture(scope="module")
def straight(clips, mini_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("straight")
    stage, result = fresh_run(clips, mini_config, out, gradient_accumulation_steps=2)
    return out, stage, result


def logs(out):
    """Every dvclive series of a run: name -> the TSV's text."""
    plots = out / "dvclive" / "plots" / "metrics"
    return {p.relative_to(plots).with_suffix("").as_posix(): p.read_text() for p in plots.glob("**/*.tsv")}


def test_killed_and_resumed_run_equals_the_straight_run(straight, clips, mini_config, tmp_path, monkeypatch):
    out = tmp_path / "resumed"
    log_step = loop.log_step

    def crash_at_step_5(live, step, values):
        if step == 5:
            raise KeyboardInterrupt("killed")
        log_step(live, step, values)

    monkeypatch.setattr(loop, "log_step", crash_at_step_5)
    with pytest.raises(KeyboardInterrupt):
        fresh_run(clips, mini_config, out, gradient_accumulation_steps=2)
    assert [p.name for p in (out / "checkpoints").iterdir()] == [checkpoint.folder_name(3)]
    monkeypatch.setattr(loop, "log_step", log_step)
    torch.manual_seed(1234)  # the restarted process's RNG state is whatever; the checkpoint restores it
    _, result = fresh_run(clips, mini_config, out, gradient_accumulation_steps=2)

    assert result["step"] == STEPS
    final = checkpoint.folder_name(STEPS)
    a = load_file(straight[0] / "checkpoints" / final / "trainable.safetensors")
    b = load_file(out / "checkpoints" / final / "trainable.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    first = load_file(straight[0] / "checkpoints" / checkpoint.folder_name(3) / "trainable.safetensors")
    assert not all(torch.equal(a[k], first[k]) for k in a)  # steps 4-6 did train
    opt_a = torch.load(straight[0] / "checkpoints" / final / "optimizer.pt", weights_only=True)
    opt_b = torch.load(out / "checkpoints" / final / "optimizer.pt", weights_only=True)
    assert all(torch.equal(opt_a["state"][i]["exp_avg_sq"], opt_b["state"][i]["exp_avg_sq"]) for i in opt_a["state"])
    assert result["losses"] == straight[2]["losses"] and result["probe"] == straight[2]["probe"]
    # the steps the killed run logged past its checkpoint are logged once
    assert logs(out) == logs(straight[0]) and set(logs(out)) >= {"train/loss", "probe/loss"}


def test_a_spent_time_budget_stops_at_a_checkpoint_and_the_next_run_resumes(straight, clips, mini_config, tmp_path):
    out = tmp_path / "budget"
    _, stopped = fresh_run(clips, mini_config, out, gradient_accumulation_steps=2, max_seconds=0)
    assert stopped["step"] == 1 and stopped["out_of_time"]
    assert [p.name for p in (out / "checkpoints").iterdir()] == [checkpoint.folder_name(1)]
    _, result = fresh_run(clips, mini_config, out, gradient_accumulation_steps=2)
    assert result == straight[2] and not result["out_of_time"]
    final = checkpoint.folder_name(STEPS)
    a = load_file(straight[0] / "checkpoints" / final / "trainable.safetensors")
    b = load_file(out / "checkpoints" / final / "trainable.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_checkpoints_state_and_loss_log(straight):
    out, _, result = straight
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [checkpoint.folder_name(s) for s in (3, 6)]
    state = json.loads((out / "checkpoints" / checkpoint.folder_name(6) / "state.json").read_text())
    assert state == {"step": 6, "samples_seen": 12, "stage": 1, "seed": 0, "fingerprint": ""}
    rows = (out / "dvclive" / "plots" / "metrics" / "train" / "loss.tsv").read_text().splitlines()
    assert rows[0].split("\t") == ["step", "loss"] and [int(r.split("\t")[0]) for r in rows[1:]] == list(range(1, 7))
    assert float(rows[-1].split("\t")[1]) == pytest.approx(result["losses"]["loss"])


def test_finished_run_does_not_train_again(straight, clips, mini_config):
    out, _, result = straight
    stage, again = fresh_run(clips, mini_config, out, gradient_accumulation_steps=2)
    assert again == {"step": STEPS, "losses": {}, "probe": {}, "out_of_time": False}
    saved = load_file(out / "checkpoints" / checkpoint.folder_name(STEPS) / "trainable.safetensors")
    assert all(torch.equal(p, saved[n]) for n, p in stage.pipe.model.named_parameters() if n in saved)


def test_the_exported_folder_alone_generates_what_the_trained_pipeline_generates(straight, mini_config, tmp_path):
    """``STARCasterPipeline.from_pretrained`` on the exported folder (no params, no training code) generates the
    video that the network loaded alone, with its frozen parts rebuilt from the training seed, generates; and the
    trained pipeline's, up to the float rounding of another memory layout."""
    _, stage, _ = straight
    export_pipeline(stage.pipe, tmp_path / "model")
    assert {p.name for p in (tmp_path / "model").iterdir()} == {
        "model_index.json", "model", "vae", "text_encoder", "tokenizer", "scheduler"}
    loaded = STARCasterPipeline.from_pretrained(tmp_path / "model")
    rebuilt = build_pipeline(mini_config, tmp_path / "components", seed=0,
                             model=STARCasterModel.from_pretrained(tmp_path / "model", subfolder="model"))
    identity = torch.nn.functional.normalize(torch.randn(1, mini_config.identity_dim), dim=1)
    audio = torch.randn(1, 5, mini_config.audio_layers, mini_config.audio_dim)
    reference = torch.rand(1, 3, 64, 64)

    def video(pipe):
        pipe.model.eval()
        return pipe(identity, audio, 5, reference_image=reference, num_inference_steps=2,
                    generator=torch.Generator().manual_seed(0)).frames

    assert torch.equal(video(loaded), video(rebuilt))
    torch.testing.assert_close(video(loaded), video(stage.pipe), rtol=0, atol=1e-5)


def test_a_fresh_process_loads_the_folder_importing_nothing_but_the_pipeline(straight, tmp_path):
    """What `starcaster generate` and a diffusers user do: diffusers resolves the components' classes only from
    modules already imported, so a test process that imported them all would hide a missing import."""
    _, stage, _ = straight
    export_pipeline(stage.pipe, tmp_path / "model")
    code = "import sys; from model.pipeline import load_pipeline; print(type(load_pipeline(sys.argv[1]).vae).__name__)"
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "model")], capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["SpaceToDepthAutoencoder"]


def test_an_export_of_the_network_alone_is_refused_naming_what_to_do(straight, tmp_path):
    _, stage, _ = straight
    stage.pipe.model.save_pretrained(tmp_path / "old")
    with pytest.raises(ValueError, match="holds the network alone.*run its training stage again"):
        load_pipeline(tmp_path / "old")


def test_a_checkpoint_of_another_stage_is_refused(straight, mini_config, tmp_path):
    out, _, _ = straight
    stage = make_stage(mini_config, tmp_path)
    stage.prepare_model()
    stage.pipe.model.camera_proj.requires_grad_(True)  # a different trainable set
    with pytest.raises(ValueError, match="other trainable parameters"):
        checkpoint.load(out / "checkpoints" / checkpoint.folder_name(6), loop.make_accelerator(config(tmp_path)),
                        stage.pipe.model, None, None)


def test_checkpoints_of_another_run_are_not_resumed(straight, clips, mini_config, tmp_path):
    """DVC reruns a stage after its data or settings changed; the persisted checkpoints must not be continued."""
    out = tmp_path / "rerun"
    shutil.copytree(straight[0] / "checkpoints", out / "checkpoints")
    shutil.copytree(straight[0] / "dvclive", out / "dvclive")
    stage, result = fresh_run(clips, mini_config, out, fingerprint="other inputs", gradient_accumulation_steps=2)
    assert result["step"] == STEPS and result["losses"] == straight[2]["losses"]  # trained again from step 0
    state = json.loads((out / "checkpoints" / checkpoint.folder_name(STEPS) / "state.json").read_text())
    assert state["fingerprint"] == "other inputs"
    rows = (out / "dvclive" / "plots" / "metrics" / "train" / "loss.tsv").read_text().splitlines()
    assert [int(r.split("\t")[0]) for r in rows[1:]] == list(range(1, STEPS + 1))
