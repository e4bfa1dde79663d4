import numpy as np
import pytest
import python_speech_features
import torch

from metrics import lse, syncnet_reference
from metrics.syncnet import build_syncnet


def test_distances_match_calc_pdist():
    g = torch.Generator().manual_seed(0)
    lip, aud = torch.randn(40, 16, generator=g), torch.randn(40, 16, generator=g)
    expected = torch.stack(syncnet_reference.calc_pdist(lip, aud, vshift=15))
    torch.testing.assert_close(lse.pairwise_distances(lip, aud, vshift=15), expected)


@pytest.mark.parametrize("shift", [-3, 0, 2, 7])
def test_known_shift_gives_offset(shift):
    g = torch.Generator().manual_seed(1)
    base = torch.randn(80, 32, generator=g)
    lip = base[20:60]
    aud = base[20 + shift : 60 + shift] + 0.05 * torch.randn(40, 32, generator=g)  # aud[j] ~ lip[j + shift]
    result = lse.sync_scores(lip, aud)
    assert result.offset == shift
    assert result.confidence > 0


def test_full_recipe_matches_syncnet_python_evaluate(random_init):
    net = build_syncnet(random_init)
    rng = np.random.default_rng(0)
    frames_rgb = rng.integers(0, 256, (8, 48, 48, 3), dtype=np.uint8)
    pcm = (9000 * np.sin(np.arange(8 * 640 + 100) / 7.0) + rng.normal(scale=1500, size=8 * 640 + 100)).astype(np.int16)
    audio = (pcm / 32768).astype(np.float32)  # what benchmarks.media.read_audio gives for a PCM16 track

    crops = lse.face_crops_bgr(frames_rgb)
    expected = syncnet_reference.evaluate(net, list(crops), pcm)
    np.testing.assert_array_equal(lse.mfcc(audio), np.asarray(python_speech_features.mfcc(pcm, 16000)).T)

    lip, aud = lse.embed(net, crops, lse.mfcc(audio), len(audio))
    ours = lse.sync_scores(lip, aud)
    assert ours.offset == expected[0]
    assert ours.confidence == pytest.approx(expected[1], rel=1e-5, abs=1e-6)
    assert ours.min_dist == pytest.approx(expected[2], rel=1e-5)


def test_too_short_raises(random_init):
    net = build_syncnet(random_init)
    with pytest.raises(ValueError, match="too short"):
        lse.embed(net, np.zeros((5, 224, 224, 3), np.uint8), np.zeros((13, 100)), 5 * 640)
    assert lse.n_windows(100, 10 * 640) == 5  # audio shorter than video limits the windows


def test_minitalk_trained_checkpoint_hook(tmp_path):
    from safetensors.torch import save_file

    from metrics.registry import get
    from metrics.weights import Resolved, sha256_file

    trained = build_syncnet(Resolved(None, "x", 5))  # stands in for the SyncNet a training stage would write
    path = tmp_path / "syncnet_minitalk.safetensors"
    save_file({k: v.contiguous() for k, v in trained.state_dict().items()}, path)
    ctx = {"seed": 0, "weights_dir": str(tmp_path)}
    prepared = get("lse").build({"init": "checkpoint", "checkpoint": str(path)}, ctx)
    assert prepared.weights == {"syncnet": sha256_file(path)}
    assert prepared.variant["network"] == "MiniTalk-trained SyncNet (not the published syncnet_v2)"
    with pytest.raises(FileNotFoundError, match="training stage"):
        get("lse").build({"init": "checkpoint", "checkpoint": str(tmp_path / "missing.safetensors")}, ctx)
    with pytest.raises(FileNotFoundError, match="syncnet_v2.model"):
        get("lse").build({"init": "file"}, ctx)
