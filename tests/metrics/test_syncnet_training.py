"""SyncNet training on MiniTalk (metrics/syncnet_training.py): batch sampling, the contrastive loss,
determinism, and a checkpoint that the LSE metric loads with ``init: checkpoint``."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from metrics import lse
from metrics import syncnet_training as st

SETTINGS = st.TrainSettings(steps=2, batch=2, negatives=3, lr=1e-4, margin=10.0, max_shift=6, seed=0, threads=1)


def fake_clip(n_frames: int = 16, seed: int = 0) -> st.SyncClip:
    """A clip of random crops and random MFCC (training mechanics only; nothing here is learnable)."""
    rng = np.random.default_rng(seed)
    crops = rng.integers(0, 256, (n_frames, lse.CROP, lse.CROP, 3), dtype=np.uint8)
    cepstra = rng.standard_normal((13, 4 * n_frames)).astype(np.float32)
    return st.SyncClip(f"clip{seed}", crops, cepstra, lse.n_windows(n_frames, n_frames * lse.SAMPLES_PER_FRAME))


def test_batch_pairs_each_window_with_its_audio_then_shifted_audio():
    clips = [fake_clip(12), fake_clip(40, seed=1)]
    picks, starts = st.sample_batch(clips, batch=64, negatives=4, max_shift=5, rng=np.random.default_rng(0))
    assert starts.shape == (64, 5)
    for (clip, start), row in zip(picks, starts):
        assert row[0] == start
        shifts = row[1:] - start
        assert len(set(shifts)) == 4 and np.all(shifts != 0) and np.all(np.abs(shifts) <= 5)
        assert np.all(row >= 0) and np.all(row < clip.n_windows)
        assert 4 * row.max() + 20 <= clip.cepstra.shape[1]


def test_contrastive_loss_is_zero_only_for_matched_pairs_and_far_negatives():
    lip = torch.zeros(2, 8)
    far = torch.full((2, 1, 8), 10.0)
    assert st.contrastive_loss(lip, torch.cat([lip[:, None], far], 1), margin=5.0) == 0
    # a positive at distance 3: 9; a negative at distance 2 < margin 5: (5 - 2)^2 = 9
    near_pos = torch.cat([torch.full((2, 1, 8), 3 / np.sqrt(8)), torch.full((2, 1, 8), 2 / np.sqrt(8))], 1)
    assert st.contrastive_loss(lip, near_pos, margin=5.0).item() == pytest.approx(18.0, rel=1e-5)


def test_too_few_windows_for_the_negatives_is_an_error():
    with pytest.raises(ValueError, match="negatives"):
        st.train([fake_clip(8)], SETTINGS)  # 3 windows: a window has at most 2 shifted partners


def test_training_is_deterministic_and_changes_the_weights():
    clips = [fake_clip(16), fake_clip(16, seed=1)]
    net_a, losses_a = st.train(clips, SETTINGS, log=lambda _: None)
    net_b, losses_b = st.train(clips, SETTINGS, log=lambda _: None)
    assert losses_a == losses_b and all(np.isfinite(losses_a))
    for (name, a), b in zip(net_a.state_dict().items(), net_b.state_dict().values()):
        assert torch.equal(a, b), name
    from metrics.syncnet import build_syncnet
    from metrics.weights import Resolved

    untrained = build_syncnet(Resolved(None, "random-init:0", 0)).state_dict()
    assert not torch.equal(untrained["netcnnlip.0.weight"], net_a.state_dict()["netcnnlip.0.weight"])


def test_checkpoint_loads_into_the_lse_metric_and_is_labelled(tmp_path):
    from metrics import registry

    net, losses = st.train([fake_clip(16)], SETTINGS, log=lambda _: None)
    path = tmp_path / "models" / "syncnet_minitalk.safetensors"
    sidecar = st.save(net, path, st.network_label(["data/minitalk/talking/vfhq"]), {"final_loss": losses[-1]})
    assert sorted(p.name for p in path.parent.iterdir()) == ["syncnet_minitalk.safetensors", "syncnet_minitalk.safetensors.json"]
    assert json.loads(st.sidecar_path(path).read_text()) == sidecar
    assert "trained by starcaster train-syncnet on data/minitalk/talking/vfhq" in sidecar["network"]

    prepared = registry.get("lse").build({"init": "checkpoint", "checkpoint": str(path)}, {"seed": 0, "weights_dir": tmp_path})
    assert prepared.weights == {"syncnet": sidecar["weights_sha256"]}
    assert "MiniTalk" in prepared.variant["network"]
    clip = fake_clip(16)
    with torch.no_grad():
        expected = net.forward_lip(torch.from_numpy(clip.crops[None, :5]).float().permute(0, 4, 1, 2, 3))
    from metrics.syncnet import build_syncnet
    from metrics.weights import Resolved

    loaded = build_syncnet(Resolved(path, sidecar["weights_sha256"], 0))
    with torch.no_grad():
        got = loaded.forward_lip(torch.from_numpy(clip.crops[None, :5]).float().permute(0, 4, 1, 2, 3))
    torch.testing.assert_close(got, expected)


def test_train_and_save_from_params(tmp_path):
    """The command's path: manifests -> clips (an unreadable one reported and left out) -> checkpoint + sidecar."""
    from benchmarks import media
    from benchmarks.hashing import sha256_file
    from benchmarks.records import ClipRecord, write_manifest

    root = tmp_path / "talking" / "vfhq"
    rng = np.random.default_rng(0)
    media.write_video(root / "a.mp4", rng.integers(0, 256, (16, 64, 64, 3), dtype=np.uint8), 25.0,
                      audio=(0.1 * rng.standard_normal(16 * 640)).astype(np.float32), sample_rate=16000)
    (root / "broken.mp4").write_bytes(b"not a video")
    records = [ClipRecord(clip_id=name, dataset="vfhq", split="train", video=f"{name}.mp4", audio=None, fps=25.0,
                          n_frames=16, identity=name) for name in ("a", "broken")]
    write_manifest(tmp_path / "manifests" / "vfhq.jsonl", records)
    train_cfg = dict(vars(SETTINGS), datasets=["vfhq"])
    p = {"profile": "mini", "datasets": {"talking": {"vfhq": str(root)}}, "manifests": {"dir": str(tmp_path / "manifests")},
         "metrics": {"lse": {"train": train_cfg}}}
    out = tmp_path / "models" / "syncnet.safetensors"
    logged = []
    sidecar = st.train_and_save(p, out, log=logged.append)
    assert any(line.startswith("skipped broken") for line in logged)
    assert sidecar["clips"] == ["a"]
    assert sidecar["manifests_sha256"] == {str(tmp_path / "manifests" / "vfhq.jsonl"): sha256_file(tmp_path / "manifests" / "vfhq.jsonl")}
    assert len(sidecar["losses"]) == SETTINGS.steps and sidecar["final_loss"] == pytest.approx(np.mean(sidecar["losses"]), abs=1e-4)
    assert str(root) in sidecar["network"] and sidecar["weights_sha256"] == sha256_file(out)
