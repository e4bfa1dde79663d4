"""The lip-reading encoder, its mouth crops, the paper-weights loader and the lip-reading loss."""
import numpy as np
import pytest
import torch

from model.lipreading import GRAY_MEAN, GRAY_STD, LipReader, LipReadingEncoder, MouthCrop
from model.training.losses import lipread_loss

SIZE, CROP = 64, 16
CENTRE, MOUTH_WIDTH = (40.0, 44.0), 10.0  # crop side = 2 x 10 px around (40, 44)


def mouth_landmarks(frames: int, centre=CENTRE, width=MOUTH_WIDTH, opening=2.0) -> torch.Tensor:
    """(frames, 68, 2): mouth points 48-67 on an ellipse around ``centre``; the rest far from it."""
    points = torch.zeros(68, 2)
    points[:48] = torch.tensor([5.0, 5.0])
    outer, inner = (torch.linspace(0, 2 * np.pi, n + 1)[:n] for n in (12, 8))  # 48 and 54: angles 0 and pi
    outer, inner = (torch.stack([-torch.cos(a), torch.sin(a)], 1) for a in (outer, inner))
    points[48:60] = torch.tensor(centre) + outer * torch.tensor([width / 2, opening])
    points[60:68] = torch.tensor(centre) + inner * torch.tensor([width / 2 * 0.8, opening / 2])
    return points.expand(frames, 68, 2).clone()


def small_reader(seed=0) -> LipReader:
    torch.manual_seed(seed)
    encoder = LipReadingEncoder(width=4)
    with torch.no_grad():  # non-trivial BatchNorm statistics, as a trained encoder has
        for m in encoder.modules():
            if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return LipReader(encoder, MouthCrop(CROP, 2.0), "test encoder (random weights)")


def test_encoder_features_and_temporal_window():
    encoder = LipReadingEncoder(width=4).eval()
    crops = torch.randn(2, 12, 32, 32)
    features = encoder(crops)
    assert features.shape == (2, 12, encoder.feature_dim) and encoder.feature_dim == 32
    moved = crops.clone()
    moved[:, 5] += 1.0
    changed = (encoder(moved) - features).abs().amax(dim=(0, 2)) > 0
    assert changed.nonzero().flatten().tolist() == [3, 4, 5, 6, 7]  # the 5-frame temporal kernel


def test_paper_width_is_the_vsr_front_end():
    encoder = LipReadingEncoder()
    conv = encoder.frontend3D[0]
    assert (conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding) == \
        (1, 64, (5, 7, 7), (1, 2, 2), (2, 3, 3))
    assert encoder.feature_dim == 512
    trunk = sum(p.numel() for p in encoder.trunk.parameters())
    assert trunk == 11_176_512 - 64 * 3 * 7 * 7 - 2 * 64  # torchvision ResNet-18 without stem and fc


@pytest.mark.parametrize("wrap", [
    lambda s: {f"encoder.frontend.{k}": v for k, v in s.items()},  # Auto-AVSR
    lambda s: {f"frontend.{k}": v for k, v in s.items()},  # VSR for multiple languages
    lambda s: {"state_dict": {f"model.encoder.frontend.{k}": v for k, v in s.items()}},  # Lightning
])
def test_loads_the_front_end_of_a_vsr_checkpoint(tmp_path, wrap):
    source = LipReadingEncoder(width=8)
    checkpoint = wrap(source.state_dict())
    extra = {"encoder.encoders.0.weight": torch.zeros(3), "decoder.embed.weight": torch.zeros(2)}
    checkpoint = ({**checkpoint, **extra} if "state_dict" not in checkpoint else checkpoint)
    torch.save(checkpoint, tmp_path / "model.pth")
    loaded = LipReadingEncoder.from_file(tmp_path / "model.pth")
    assert loaded.width == 8
    assert all(torch.equal(v, loaded.state_dict()[k]) for k, v in source.state_dict().items())


def test_paper_loader_names_a_missing_file_and_where_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"model\.pth.*LRS3_V_WER19\.1.*auto_avsr"):
        LipReadingEncoder.from_file(tmp_path / "model.pth")


def test_a_checkpoint_of_another_architecture_is_refused(tmp_path):
    state = {f"encoder.frontend.{k}": v for k, v in LipReadingEncoder(width=8).state_dict().items()}
    state["encoder.frontend.trunk.layer1.0.relu1.weight"] = torch.ones(8)  # PReLU instead of Swish
    torch.save(state, tmp_path / "prelu.pth")
    with pytest.raises(RuntimeError, match="relu1.weight"):
        LipReadingEncoder.from_file(tmp_path / "prelu.pth")
    torch.save({"decoder.weight": torch.zeros(2)}, tmp_path / "none.pth")
    with pytest.raises(ValueError, match="no visual front-end"):
        LipReadingEncoder.from_file(tmp_path / "none.pth")


def bright_mouth_frames(frames=1, centre=CENTRE) -> torch.Tensor:
    image = torch.zeros(frames, 3, SIZE, SIZE)
    x, y = int(centre[0]), int(centre[1])
    image[:, :, y - 3:y + 4, x - 3:x + 4] = 1.0
    return image


def test_crop_picks_the_mouth_and_is_differentiable():
    crop = MouthCrop(CROP, 2.0, smoothing=1)
    frames = bright_mouth_frames()[None].requires_grad_(True)
    crops = crop(frames, mouth_landmarks(1)[None])
    assert crops.shape == (1, 1, CROP, CROP)
    white, black = (1 - GRAY_MEAN) / GRAY_STD, -GRAY_MEAN / GRAY_STD
    assert torch.allclose(crops[0, 0, CROP // 2, CROP // 2], torch.tensor(white))  # the bright 7x7 mouth fills the middle
    assert torch.allclose(crops[0, 0, 0, 0], torch.tensor(black))  # crop side 20 px: corners outside it
    crops.sum().backward()
    grad = frames.grad[0, 0].abs().sum(0)  # (H, W)
    rows, cols = grad.nonzero().T
    assert grad.sum() > 0
    assert CENTRE[1] - 11 <= rows.min() and rows.max() <= CENTRE[1] + 11  # only the 20 px box receives gradient
    assert CENTRE[0] - 11 <= cols.min() and cols.max() <= CENTRE[0] + 11
    # grayscale: equal response to the three channels up to the ITU-R 601 weights
    channel = frames.grad[0, 0].sum(dim=(1, 2))
    assert torch.allclose(channel / channel.sum(), torch.tensor([0.299, 0.587, 0.114]), atol=1e-5)


def test_crop_follows_the_landmarks():
    crop = MouthCrop(CROP, 2.0, smoothing=1)
    frames = bright_mouth_frames(centre=(20.0, 24.0))[None]
    elsewhere = crop(frames, mouth_landmarks(1)[None])
    here = crop(frames, mouth_landmarks(1, centre=(20.0, 24.0))[None])
    assert here.mean() > elsewhere.mean() + 0.5  # the 7x7 bright square fills an eighth of the 20 px crop


def segment(frames=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(2, frames, 3, SIZE, SIZE, generator=g), mouth_landmarks(frames)[None].repeat(2, 1, 1, 1)


def perturb_mouth(frames, index, amount=0.5):
    """Darken an 8 x 8 box at the mouth of frame ``index`` by ``amount`` (an opening mouth)."""
    out = frames.clone()
    x, y = int(CENTRE[0]), int(CENTRE[1])
    out[:, index, :, y - 4:y + 4, x - 4:x + 4] *= 1 - amount
    return out


def test_loss_is_zero_for_identical_frames_and_grows_with_the_mouth_change():
    reader = small_reader()
    target, landmarks = segment()
    supervised = torch.arange(8) >= 2
    assert lipread_loss(reader, target.clone(), target, landmarks, supervised) == 0
    losses = [lipread_loss(reader, perturb_mouth(target, 4, a), target, landmarks, supervised) for a in (0.1, 0.4, 0.9)]
    assert 0 < losses[0] < losses[1] < losses[2]
    # outside the mouth crop nothing counts
    away = target.clone()
    away[:, 4, :, :10, :10] = 1 - away[:, 4, :, :10, :10]
    assert lipread_loss(reader, away, target, landmarks, supervised) == 0


def test_edge_and_context_frames_do_not_contribute():
    def per_frame(frames, landmarks):  # a reader without temporal mixing: each frame's mean pixel
        return frames.mean(dim=(2, 3, 4))[..., None]

    target, landmarks = segment()
    supervised = torch.arange(8) >= 3  # 3 context frames, so the context is not just the edge
    for frame, counts in [(0, False), (1, False), (2, False), (3, True), (5, True), (6, False), (7, False)]:
        loss = lipread_loss(per_frame, perturb_mouth(target, frame), target, landmarks, supervised)
        assert (loss > 0) == counts, frame
    # with the real encoder: the mean over the frames with complete windows, nothing else
    reader = small_reader()
    generated = perturb_mouth(perturb_mouth(target, 1), 4)
    features = (reader(generated, landmarks) - reader(target, landmarks)).pow(2).mean(-1)
    assert torch.allclose(lipread_loss(reader, generated, target, landmarks, supervised), features[:, 3:6].mean())
    with pytest.raises(ValueError, match="complete 5-frame window"):
        lipread_loss(reader, target[:, :4], target[:, :4], landmarks[:, :4], torch.ones(4, dtype=torch.bool))


def test_reader_is_frozen_and_passes_gradients_to_the_frames():
    reader = small_reader().train()
    assert not reader.encoder.training and not any(p.requires_grad for p in reader.parameters())
    target, landmarks = segment()
    generated = perturb_mouth(target, 4).requires_grad_(True)
    lipread_loss(reader, generated, target, landmarks, torch.arange(8) >= 2).backward()
    assert generated.grad.abs().sum() > 0
    assert all(p.grad is None for p in reader.parameters())


def test_saved_reader_round_trips(tmp_path):
    reader = small_reader()
    reader.save(tmp_path / "lipreader", {"note": "test"})
    loaded = LipReader.from_folder(tmp_path / "lipreader")
    target, landmarks = segment()
    assert loaded.name == reader.name and loaded.crop == reader.crop
    assert torch.equal(loaded(target, landmarks), reader(target, landmarks))
    with pytest.raises(FileNotFoundError, match="starcaster train-lipreader"):
        LipReader.from_folder(tmp_path / "missing")
