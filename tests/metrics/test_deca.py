"""The DECA backend of Pose Std: DECA's encoder layout and checkpoint, its crop, and the metric built on them.
No published DECA weights here: the encoder is seeded random, so these check the plumbing, not pose accuracy."""
import cv2
import numpy as np
import pytest
import torch
from skimage import data

from metrics import deca
from metrics.face import largest_face
from metrics.pose import pose_std
from metrics.registry import ClipInputs, get


@pytest.fixture(scope="module")
def face():
    return cv2.resize(data.astronaut()[40:300, 100:360], (160, 160), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A ``deca_model.tar`` as DECA saves it (its three networks' state dicts), E_flame seeded random."""
    torch.manual_seed(0)
    encoder = deca.DecaEncoder().eval()
    folder = tmp_path_factory.mktemp("weights")
    state = {k: v for k, v in encoder.state_dict().items() if not k.endswith("num_batches_tracked")}
    torch.save({"E_flame": state, "E_detail": {"x": torch.zeros(1)}, "D_detail": {"y": torch.zeros(1)}},
               folder / "deca_model.tar")
    return folder, encoder


def clip(frames):
    frames = np.stack(frames)
    return ClipInputs("clip", frames, frames, None, frames[0])


def test_encoder_has_decas_layout():
    state = deca.DecaEncoder().state_dict()
    assert state["layers.0.weight"].shape == (1024, 2048) and state["layers.2.weight"].shape == (236, 1024)
    assert not any(k.startswith("encoder.fc") for k in state)
    # ResNet-50 as DECA's resnet.py builds it: Bottleneck blocks [3, 4, 6, 3], a downsample in each first block
    for layer, blocks in enumerate((3, 4, 6, 3), 1):
        assert {int(k.split(".")[2]) for k in state if k.startswith(f"encoder.layer{layer}.")} == set(range(blocks))
        assert f"encoder.layer{layer}.0.downsample.0.weight" in state
    assert deca.HEAD_ROTATION == slice(200, 203)  # shape 100, tex 50, exp 50, then pose[:3]


def test_checkpoint_loads_e_flame_and_refuses_other_files(checkpoint, tmp_path):
    folder, encoder = checkpoint
    loaded = deca.DecaEncoder.from_checkpoint(folder / "deca_model.tar")
    x = torch.rand(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(loaded(x), encoder(x))
    full = torch.load(folder / "deca_model.tar", weights_only=True)
    for name, broken in {"no_e_flame": {"E_detail": {}},
                         "missing": {"E_flame": {k: v for k, v in full["E_flame"].items() if k != "layers.2.bias"}},
                         "unexpected": {"E_flame": {**full["E_flame"], "encoder.fc.weight": torch.zeros(1)}}}.items():
        torch.save(broken, tmp_path / f"{name}.tar")
        with pytest.raises(ValueError, match="E_flame"):
            deca.DecaEncoder.from_checkpoint(tmp_path / f"{name}.tar")


def test_crop_is_decas_box_around_the_landmarks():
    image = np.zeros((300, 400, 3), np.uint8)
    image[100:180, 150:230] = 255  # the landmarks' box: 80 x 80 centred at (189.5, 139.5)
    landmarks = np.array([[150, 100], [229, 179], [190, 140]], float)
    crop = deca.crop(image, landmarks)
    assert crop.shape == (224, 224, 3) and crop.max() <= 1.0
    # the box fills 1 / (1.1 x 1.25) of the crop's side, centred
    columns = np.flatnonzero(crop[112, :, 0] > 0.5)
    rows = np.flatnonzero(crop[:, 112, 0] > 0.5)
    side = 224 / 1.1 / 1.25 * 80 / 79  # the box spans 80 px, its landmarks 79
    for span in (columns, rows):
        assert span[-1] - span[0] + 1 == pytest.approx(side, abs=2)
        assert (span[0] + span[-1]) / 2 == pytest.approx(111.5, abs=1.5)


def test_a_face_moved_across_the_frame_keeps_its_crop(face):
    canvas = np.full((240, 240, 3), 90, np.uint8)
    crops = []
    for dx, dy in ((10, 20), (60, 45)):
        frame = canvas.copy()
        frame[dy:dy + 160, dx:dx + 160] = face
        crops.append(deca.crop(frame, largest_face(frame)[1]))
    assert np.abs(crops[0] - crops[1]).mean() < 0.01


def test_the_backend_reads_the_encoders_head_rotation_on_decas_crops(checkpoint, face):
    folder, encoder = checkpoint
    metric = get("pose_std").build({"backend": "deca"}, {"seed": 0, "weights_dir": str(folder), "device": "cpu"})
    assert metric.variant["backend"] == "deca" and "DECA" in metric.variant["estimator"]
    assert set(metric.weights) == {"deca"} and len(metric.weights["deca"]) == 64
    turned = [cv2.warpAffine(face, cv2.getRotationMatrix2D((80, 80), a, 1.0), (160, 160), borderMode=cv2.BORDER_REFLECT)
              for a in (-10, 0, 10)]
    result = metric.score(clip(turned))
    crops = [deca.crop(f, largest_face(f)[1]) for f in turned]
    with torch.no_grad():
        codes = encoder(torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float())
    expected = pose_std(codes[:, 200:203].double().numpy())
    assert result["pose_std_rad100"] == pytest.approx(expected["pose_std_rad100"], rel=1e-5)
    assert result["pose_std_rad100"] > 0 and result["pose_face_fraction"] == 1.0
    frozen = metric.score(clip([face] * 3))
    assert frozen["pose_std_rad100"] == 0.0


def test_a_missing_deca_checkpoint_names_the_file_and_its_source(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"deca_model\.tar.*yfeng95/DECA"):
        get("pose_std").build({"backend": "deca"}, {"seed": 0, "weights_dir": str(tmp_path), "device": "cpu"})
    with pytest.raises(ValueError, match="backend"):
        get("pose_std").build({"backend": "emoca"}, {"seed": 0, "weights_dir": str(tmp_path), "device": "cpu"})
