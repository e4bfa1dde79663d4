import numpy as np
import pytest
import torch

from metrics import fvd
from metrics.i3d import InceptionI3d


@pytest.fixture(scope="module")
def detector(random_init):
    return fvd.build_detector("disco", random_init)


def test_state_dict_uses_pytorch_i3d_names():
    keys = set(InceptionI3d().state_dict())
    # names from piergiaj/pytorch-i3d, which i3d_pretrained_400.pt is keyed by
    for key in ("Conv3d_1a_7x7.conv3d.weight", "Conv3d_1a_7x7.bn.running_var", "Mixed_3b.b1b.conv3d.weight",
                "Mixed_5c.b3b.bn.bias", "logits.conv3d.weight", "logits.conv3d.bias"):
        assert key in keys
    assert not any(k.startswith("logits.bn") for k in keys)


def test_segments_and_clip_modes():
    frames = np.zeros((40, 8, 8, 3), np.uint8)
    assert len(fvd.segments(frames, "segments_mean")) == 2  # non-overlapping, remainder dropped
    assert len(fvd.segments(frames, "first")) == 1
    with pytest.raises(ValueError, match="at least 16"):
        fvd.segments(frames[:15], "segments")
    with pytest.raises(ValueError, match="clip_mode"):
        fvd.segments(frames, "sliding")


def test_disco_features(detector):
    frames = np.random.default_rng(0).integers(0, 256, (20, 40, 40, 3), dtype=np.uint8)
    feats = fvd.features(detector, "disco", frames, "first")
    assert feats.shape == (1, 400) and np.isfinite(feats).all()
    assert np.abs(feats).max() > 0


def test_disco_preprocessing_is_bicubic_squash_to_minus_one_one():
    frames = np.full((16, 30, 50, 3), 255, np.uint8)
    x = fvd._disco_input(frames)
    assert x.shape == (1, 3, 16, 224, 224)
    torch.testing.assert_close(x, torch.ones_like(x))


def test_stylegan_v_needs_its_torchscript_file(random_init):
    with pytest.raises(ValueError, match="i3d_torchscript"):
        fvd.build_detector("stylegan_v", random_init)


class FakeStyleGANVDetector(torch.nn.Module):
    """Stands in for i3d_torchscript.pt: the same call signature, features = per-channel means."""

    def forward(self, x: torch.Tensor, rescale: bool, resize: bool, return_features: bool) -> torch.Tensor:
        assert x.dtype == torch.uint8 and rescale and resize and return_features
        return x.float().mean(dim=(2, 3, 4))


def test_stylegan_v_torchscript_is_called_like_stylegan_v(tmp_path):
    from metrics.weights import Resolved

    path = tmp_path / "i3d_torchscript.pt"
    torch.jit.script(FakeStyleGANVDetector()).save(str(path))
    detector = fvd.build_detector("stylegan_v", Resolved(path, "x", 0))
    frames = np.zeros((32, 8, 8, 3), np.uint8)
    frames[16:, ..., 0] = 200
    np.testing.assert_allclose(fvd.features(detector, "stylegan_v", frames, "segments"), [[0, 0, 0], [200, 0, 0]])
    np.testing.assert_allclose(fvd.features(detector, "stylegan_v", frames, "segments_mean"), [[100, 0, 0]])
    np.testing.assert_allclose(fvd.features(detector, "stylegan_v", frames[:31], "first"), [[0, 0, 0]])
