import numpy as np
import pytest
from PIL import Image

from metrics.feature_stats import FeatureStats
from metrics.fid import build_inception, features
from metrics.frechet import frechet_distance


def frames(seed, n=5, size=40):
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


@pytest.mark.slow  # two 2048x2048 sqrtm on one core: ~1 min
def test_streaming_fid_equals_pytorch_fid(inception, tmp_path):
    from pytorch_fid.fid_score import calculate_activation_statistics, calculate_frechet_distance

    a, b = frames(0), np.clip(frames(0).astype(int) + frames(1) // 4, 0, 255).astype(np.uint8)
    paths = {}
    for name, clip in (("a", a), ("b", b)):
        paths[name] = []
        for i, f in enumerate(clip):
            p = tmp_path / f"{name}{i}.png"
            Image.fromarray(f).save(p)
            paths[name].append(str(p))
    ref = [calculate_activation_statistics(paths[k], inception, batch_size=5, dims=2048, num_workers=0) for k in "ab"]
    expected = calculate_frechet_distance(*ref[0], *ref[1])

    ours = []
    for clip in (a, b):
        stats = FeatureStats(ddof=1)
        stats.append(features(inception, clip[:2]))  # streamed in two batches
        stats.append(features(inception, clip[2:]))
        ours.append((stats.mean(), stats.cov()))
    assert frechet_distance(*ours[0], *ours[1]) == pytest.approx(expected, abs=1e-3)
    assert expected > 0


def test_random_init_is_seeded(inception, random_init):
    import torch

    again = build_inception(random_init)
    assert all(torch.equal(x, y) for x, y in zip(inception.state_dict().values(), again.state_dict().values()))


def test_state_dict_loaded_from_local_file(tmp_path):
    import torch
    from pytorch_fid.inception import _inception_v3
    from safetensors.torch import save_file

    from metrics.weights import Resolved

    torch.manual_seed(7)
    # The FID blocks only change torchvision's forward passes, so parameter names and shapes are torchvision's.
    state = {k: v.contiguous() for k, v in _inception_v3(num_classes=1008, aux_logits=False, weights=None).state_dict().items()}
    path = tmp_path / "inception.safetensors"
    save_file(state, path)
    loaded = build_inception(Resolved(path, "x", 123))
    torch.testing.assert_close(loaded.blocks[0][0].conv.weight, state["Conv2d_1a_3x3.conv.weight"])
    torch.testing.assert_close(loaded.blocks[3][2].branch_pool.conv.weight, state["Mixed_7c.branch_pool.conv.weight"])
