"""SyncNet fitted on MiniTalk (metrics/syncnet_training.py): the CCA, the upper layers set to embed its
projection through the real network, determinism, and a checkpoint the LSE metric loads (``init: checkpoint``)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from metrics import lse
from metrics import syncnet_training as st
from metrics.syncnet import build_syncnet
from metrics.weights import Resolved

SETTINGS = st.TrainSettings(lip_stride=1, components=4, pcs=16, shrinkage=0.1, calibration_windows=3, seed=0, threads=1)


def fake_clip(n_frames: int = 16, seed: int = 0) -> st.SyncClip:
    """A clip of random crops and random MFCC (mechanics only; nothing here is learnable)."""
    rng = np.random.default_rng(seed)
    crops = rng.integers(0, 256, (n_frames, lse.CROP, lse.CROP, 3), dtype=np.uint8)
    cepstra = rng.standard_normal((13, 4 * n_frames)).astype(np.float32)
    return st.SyncClip(f"clip{seed}", crops, cepstra, lse.n_windows(n_frames, n_frames * lse.SAMPLES_PER_FRAME))


@pytest.fixture(scope="module")
def trained():
    return st.train([fake_clip(16), fake_clip(16, seed=1)], SETTINGS, log=lambda _: None)[0]


def test_cca_recovers_the_shared_signal():
    """Two views sharing a 3-d signal among independent noise: held-out canonical variates correlate."""
    rng = np.random.default_rng(0)
    mix_l, mix_a = rng.standard_normal((3, 40)), rng.standard_normal((3, 30))

    def views(n):
        z = rng.standard_normal((n, 3))
        return z @ mix_l + rng.standard_normal((n, 40)), z @ mix_a + rng.standard_normal((n, 30))

    settings = SETTINGS.__class__(**{**vars(SETTINGS), "components": 3, "pcs": 30})
    proj_l, proj_a, rho = st.canonical_projections(*views(2000), settings)
    assert np.all(np.diff(rho) <= 0) and rho[-1] > 0.6
    lip, aud = views(1000)
    for i in range(3):
        assert abs(np.corrcoef(lip @ proj_l[:, i], aud @ proj_a[:, i])[0, 1]) > 0.7
    with pytest.raises(ValueError, match="components"):
        st.canonical_projections(*views(3), settings)


def test_upper_layers_embed_the_projection_through_the_real_network():
    """forward_lip / forward_aud (the metric's path) = projection^T (frozen features - centre), the offset, then zeros."""
    net = build_syncnet(Resolved(None, "random-init:0", 0)).eval()
    clip = fake_clip(6)
    video, audio = st._video(clip, [0, 1]), st._audio(clip, [0, 1])
    rng = np.random.default_rng(1)
    with torch.no_grad():
        frozen = {"lip": net.netcnnlip[: st.FROZEN](video).flatten(1), "aud": net.netcnnaud[: st.FROZEN](audio).flatten(1)}
    expected = {}
    for branch, head, fc in (("lip", net.netcnnlip[st.FROZEN :], net.netfclip), ("aud", net.netcnnaud[st.FROZEN :], net.netfcaud)):
        x = frozen[branch].double().numpy()
        projection, centre = rng.standard_normal((x.shape[1], 5)) / 100, x.mean(0)
        st.set_projection(head, fc, projection, centre, offset=0.7)
        expected[branch] = np.pad((x - centre) @ projection, ((0, 0), (0, 1024 - 5)))
        expected[branch][:, 5] = 0.7
    with torch.no_grad():
        got = {"lip": net.forward_lip(video), "aud": net.forward_aud(audio)}
    for branch in got:
        np.testing.assert_allclose(got[branch].numpy(), expected[branch], rtol=1e-4, atol=1e-5)


def test_zero_padding_is_as_far_from_lip_windows_as_unrelated_audio(trained):
    """calc_pdist pads the audio embeddings with zeros: over the training windows, a lip window's mean squared
    distance to that padding equals its mean squared distance to the audio windows (their centres cancel)."""
    clips = [fake_clip(16), fake_clip(16, seed=1)]
    with torch.no_grad():
        lip = torch.cat([trained.forward_lip(st._video(c, range(c.n_windows))) for c in clips]).double()
        aud = torch.cat([trained.forward_aud(st._audio(c, range(c.n_windows))) for c in clips]).double()
    to_audio = (torch.cdist(lip, aud) ** 2).mean()
    to_padding = (lip ** 2).sum(1).mean()
    assert aud[:, SETTINGS.components].unique().numel() == 1 and aud[0, SETTINGS.components] > 0
    torch.testing.assert_close(to_padding, to_audio, rtol=1e-4, atol=0)


def test_too_few_windows_is_an_error():
    with pytest.raises(ValueError, match="components"):
        st.train([fake_clip(8)], SETTINGS, log=lambda _: None)  # 3 windows: 2 frame-to-frame changes


def test_training_is_deterministic_and_sets_the_upper_layers(trained):
    again, _ = st.train([fake_clip(16), fake_clip(16, seed=1)], SETTINGS, log=lambda _: None)
    for (name, a), b in zip(trained.state_dict().items(), again.state_dict().values()):
        assert torch.equal(a, b), name
    untrained = build_syncnet(Resolved(None, "random-init:0", 0)).state_dict()
    assert torch.equal(untrained["netcnnlip.0.weight"], trained.state_dict()["netcnnlip.0.weight"])  # frozen
    assert not torch.equal(untrained["netcnnlip.1.running_mean"], trained.state_dict()["netcnnlip.1.running_mean"])  # calibrated
    assert not torch.equal(untrained["netfclip.3.weight"], trained.state_dict()["netfclip.3.weight"])  # fitted


def test_checkpoint_loads_into_the_lse_metric_and_is_labelled(tmp_path, trained):
    from metrics import registry

    path = tmp_path / "models" / "syncnet_minitalk.safetensors"
    sidecar = st.save(trained, path, st.network_label(["data/minitalk/talking/vfhq"]), {})
    assert sorted(p.name for p in path.parent.iterdir()) == ["syncnet_minitalk.safetensors", "syncnet_minitalk.safetensors.json"]
    assert json.loads(st.sidecar_path(path).read_text()) == sidecar
    assert "trained by starcaster train-syncnet on data/minitalk/talking/vfhq" in sidecar["network"]

    prepared = registry.get("lse").build({"init": "checkpoint", "checkpoint": str(path)}, {"seed": 0, "weights_dir": tmp_path})
    assert prepared.weights == {"syncnet": sidecar["weights_sha256"]}
    assert prepared.variant["network"] == "MiniTalk-trained SyncNet (not the published syncnet_v2)"
    video = st._video(fake_clip(16), [0])
    loaded = build_syncnet(Resolved(path, sidecar["weights_sha256"], 0))
    with torch.no_grad():
        torch.testing.assert_close(loaded.forward_lip(video), trained.forward_lip(video))


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
    assert len(sidecar["canonical_correlations"]) == SETTINGS.components and sidecar["padding_offset"] > 0
    assert str(root) in sidecar["network"] and sidecar["weights_sha256"] == sha256_file(out)


def test_profiles_with_published_weights_train_nothing(tmp_path, monkeypatch):
    import argparse

    import yaml

    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"metrics": {"lse": {"init": "file", "checkpoint": None}}}))
    assert st.run(argparse.Namespace(params="params.yaml", out=None)) == 0
    marker = json.loads((tmp_path / st.UNUSED_MARKER).read_text())
    assert marker["trained"] is False and "'file'" in marker["reason"]
    assert list((tmp_path / "models" / "syncnet").iterdir()) == [tmp_path / st.UNUSED_MARKER]
