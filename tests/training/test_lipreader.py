"""`starcaster train-lipreader`: the mini lip encoder learns the mouth opening; the paper's is imported."""
import argparse
import json

import numpy as np
import pytest
import torch
import yaml

from model.lipreading import LipReader, LipReadingEncoder, MouthCrop
from model.training import lipreader
from model.training.lipreader import LipreaderSettings, MouthClip, evaluate, train, truth_file
from tests.training.conftest import write_clip
from tests.training.test_lipreading import mouth_landmarks

SETTINGS = LipreaderSettings(encoder="minitalk", out="unused", crop_size=16, mouth_scale=2.0, width=4, window=8,
                             batch_size=4, steps=80, lr=3e-3, seed=0, threads=1)


def synthetic_clip(seed: int, frames: int = 48) -> MouthClip:
    """A face-coloured frame with a dark elliptic mouth opening and closing; face tone, mouth position
    and width vary with ``seed`` (a new 'identity')."""
    rng = np.random.default_rng(seed)
    opening = (0.5 + 0.5 * np.sin(np.cumsum(rng.uniform(0.2, 0.7, frames)))).astype(np.float32)
    cx, cy, width = 32 + rng.uniform(-4, 4), 40 + rng.uniform(-3, 3), rng.uniform(12, 16)
    y, x = np.mgrid[:64, :64]
    images = np.empty((frames, 3, 64, 64), np.float32)
    landmarks = []
    for t, o in enumerate(opening):
        height = 1 + 5 * o
        mouth = ((x - cx) / (width / 2)) ** 2 + ((y - cy) / height) ** 2 <= 1
        images[t] = rng.uniform(0.4, 0.7) * np.array([1.0, 0.8, 0.7])[:, None, None] * (1 - 0.8 * mouth)
        landmarks.append(mouth_landmarks(1, (cx, cy), width, height))
    crops = MouthCrop(SETTINGS.crop_size, SETTINGS.mouth_scale)(torch.from_numpy(images)[None], torch.cat(landmarks)[None])
    return MouthClip(f"synthetic{seed}", crops[0], torch.from_numpy(opening), list(range(frames - SETTINGS.window + 1)))


def test_learns_the_mouth_opening_of_held_out_clips_and_is_deterministic():
    torch.set_num_threads(1)
    training, held_out = [synthetic_clip(s) for s in range(4)], [synthetic_clip(s) for s in (10, 11)]
    model, stats = train(training, SETTINGS)
    scores = evaluate(model, held_out, stats)
    assert scores["r2"] > 0.5 and scores["pearson"] > 0.8, scores
    assert scores["baseline_r2"] < 0.1 and scores["mse"] < 0.5 * scores["baseline_mse"]
    again, _ = train(training, SETTINGS)
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in model.state_dict().items())


def minitalk_layout(root, clips=1, frames=24):
    """Prepared clips of vfhq (training) and th1kh (held out) with their MiniTalk truth files."""
    datasets = {"th1kh": {"root": str(root / "minitalk" / "th1kh")}, "talking": {"vfhq": str(root / "minitalk" / "talking" / "vfhq")}}
    rng = np.random.default_rng(0)
    for dataset, rel in (("vfhq", "talking/vfhq"), ("th1kh", "th1kh")):
        for k in range(clips):
            folder = write_clip(root / "prepared" / dataset / f"clip{k}", frames=frames, seed=k)
            index = json.loads((folder / "index.json").read_text())
            video = f"val/clip{k}.mp4" if dataset == "th1kh" else f"clip{k}.mp4"
            (folder / "index.json").write_text(json.dumps({**index, "dataset": dataset, "source": {"video": video}}))
            truth = root / "minitalk" / "ground_truth" / rel / video.replace(".mp4", ".json")
            truth.parent.mkdir(parents=True, exist_ok=True)
            truth.write_text(json.dumps({"mouth_open": rng.uniform(0, 1, frames).tolist()}))
    return datasets


def test_truth_file_follows_the_dataset_root(tmp_path):
    datasets = minitalk_layout(tmp_path)
    folder = tmp_path / "prepared" / "th1kh" / "clip0"
    assert truth_file(folder, datasets, tmp_path / "minitalk") == \
        tmp_path / "minitalk" / "ground_truth" / "th1kh" / "val" / "clip0.json"
    with pytest.raises(ValueError, match="not inside minitalk.out"):
        truth_file(folder, datasets, tmp_path / "elsewhere")


def run(tmp_path, **section):
    datasets = minitalk_layout(tmp_path) if not (tmp_path / "prepared").exists() else yaml.safe_load(
        (tmp_path / "params.yaml").read_text())["datasets"]
    params = {"datasets": datasets, "minitalk": {"out": str(tmp_path / "minitalk")},
              "train": {"prepared_dir": str(tmp_path / "prepared"), "lipreader": {
                  **vars(SETTINGS), "steps": 3, "out": str(tmp_path / "lipreader"),
                  "benchmarks": ["vfhq"], "held_out": ["th1kh"], **section}}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    return lipreader.run(argparse.Namespace(params=str(tmp_path / "params.yaml")))


def test_command_writes_a_labelled_encoder_the_stage_loads(tmp_path):
    assert run(tmp_path) == 0
    sidecar = json.loads((tmp_path / "lipreader" / "encoder.json").read_text())
    assert sidecar["name"] == "MiniTalk-trained lip encoder (not Auto-AVSR)"
    assert set(sidecar["scores"]["held_out"]) >= {"r2", "pearson", "baseline_r2"}
    assert list(sidecar["held_out_clips"]) == ["clip0"] and sidecar["width"] == SETTINGS.width
    assert LipReader.from_folder(tmp_path / "lipreader").encoder.width == SETTINGS.width


def test_command_imports_the_paper_front_end_or_names_the_missing_file(tmp_path, caplog):
    checkpoint = tmp_path / "vsr" / "model.pth"
    assert run(tmp_path, encoder="auto_avsr", file=str(checkpoint), crop_size=88) == 2
    assert "model.pth" in caplog.text and "LRS3_V_WER19.1" in caplog.text
    checkpoint.parent.mkdir()
    source = LipReadingEncoder(width=8)
    torch.save({f"encoder.frontend.{k}": v for k, v in source.state_dict().items()}, checkpoint)
    assert run(tmp_path, encoder="auto_avsr", file=str(checkpoint), crop_size=88) == 0
    imported = LipReader.from_folder(tmp_path / "lipreader")
    assert imported.crop.size == 88 and "Ma et al." in imported.name
    assert all(torch.equal(v, imported.encoder.state_dict()[k]) for k, v in source.state_dict().items())


def test_stage1_trains_with_the_lip_loss_from_its_step_and_logs_it(clips, tmp_path):
    from model.training import cli
    from tests.training.conftest import CONTEXT, N
    from tests.training.test_lipreading import small_reader

    small_reader().save(tmp_path / "lipreader", {})
    train_section = {
        "out": str(tmp_path / "run"), "model_preset": "mini", "weights_dir": None,
        "prepared_dir": str(clips[0].parent.parent), "seed": 0, "segment_frames": N, "context_frames": CONTEXT,
        "checkpoint_every": 3, "identity_dropout": 0.0, "audio_dropout": 0.0,
        "lipreader": {"out": str(tmp_path / "lipreader")},
        "stage1": {"benchmarks": ["vfhq"], "max_steps": 3, "lipread_start_step": 1, "lipread_weight": 1.0}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"train": train_section}))
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.run(parser.parse_args(["--stage", "1", "--params", str(tmp_path / "params.yaml")])) == 0
    logs = tmp_path / "run" / "dvclive" / "plots" / "metrics" / "train"
    lipread = np.loadtxt(logs / "lipread.tsv", skiprows=1)
    assert lipread[:, 0].tolist() == [2, 3] and (lipread[:, 1] > 0).all()  # logged steps 2, 3 = 1, 2 steps done
    total, diffusion = (np.loadtxt(logs / f"{name}.tsv", skiprows=1) for name in ("loss", "diffusion"))
    assert total[:, 0].tolist() == diffusion[:, 0].tolist() == [1, 2, 3]
    assert total[0, 1] == diffusion[0, 1]  # before the start step the loss is the diffusion term alone
