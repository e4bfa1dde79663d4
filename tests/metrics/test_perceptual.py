import numpy as np
import pytest
import torch

from metrics.perceptual import build_lpips, lpips_distance
from metrics.weights import Resolved


@pytest.fixture(scope="module")
def model(random_init):
    return build_lpips(random_init)


def pair(seed=0):
    rng = np.random.default_rng(seed)
    gt = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    return gt, np.clip(gt.astype(int) + rng.integers(-40, 41, gt.shape), 0, 255).astype(np.uint8)


def test_parity_with_lpips_package(model):
    import lpips

    torch.manual_seed(0)
    reference = lpips.LPIPS(net="alex", pretrained=True, pnet_rand=True, verbose=False).eval()
    gt, pred = pair()
    with torch.no_grad():
        expected = reference(
            torch.from_numpy(gt).permute(0, 3, 1, 2).float() / 255, torch.from_numpy(pred).permute(0, 3, 1, 2).float() / 255, normalize=True
        ).flatten().numpy()
    np.testing.assert_allclose(lpips_distance(model, gt, pred), expected, rtol=1e-5)


def test_identity_and_monotone_in_noise(model):
    gt, pred = pair()
    worse = np.clip(gt.astype(int) + 4 * (pred.astype(int) - gt), 0, 255).astype(np.uint8)
    assert np.allclose(lpips_distance(model, gt, gt), 0)
    assert (lpips_distance(model, gt, worse) > lpips_distance(model, gt, pred)).all()


def test_backbone_from_torchvision_file(tmp_path):
    import torchvision

    torch.manual_seed(5)
    alexnet = torchvision.models.alexnet()
    path = tmp_path / "alexnet.pth"
    torch.save(alexnet.state_dict(), path)
    model = build_lpips(Resolved(path, "x", 0))
    conv_slices = {0: 1, 3: 2, 6: 3, 8: 4, 10: 5}  # torchvision features index -> lpips slice
    for index, slice_ in conv_slices.items():
        torch.testing.assert_close(model.net.get_submodule(f"slice{slice_}.{index}").weight, alexnet.features[index].weight)
