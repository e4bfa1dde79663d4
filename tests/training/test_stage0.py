"""Stage 0, the image prior: trains the denoising UNet's spatial weights only, and hands them to the reference UNet."""
import torch

from model.factory import build_pipeline
from model.starcaster import STAGE_GROUPS, trainable_parameter_names
from model.training.data import SegmentDataset
from model.training.image_prior import Stage0
from tests.training.test_stage1 import batch_of


def make_stage0(config, work, identity_dropout=0.0):
    return Stage0(build_pipeline(config, work / "components", seed=0), identity_dropout)


def frames_of(clips, config):
    return SegmentDataset(clips, 1, config.audio_radius)


def test_trains_exactly_the_image_unet(clips, mini_config, tmp_path):
    stage = make_stage0(mini_config, tmp_path)
    model = stage.pipe.model
    params = stage.prepare_model()
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert names == trainable_parameter_names(model, 0)
    other_stages = {n for s in STAGE_GROUPS if s != 0 for n in trainable_parameter_names(model, s)}
    assert all(n.startswith("unet.") for n in names) and not other_stages & set(names)
    # every image-UNet weight, named as in the image model (LoRA-wrapped ones by their base layer)
    assert {n.replace(".base_layer", "") for n in names} == {f"unet.{n}" for n in model.image_unet_state()}
    assert not any(p.requires_grad for p in stage.pipe.identity_encoder.parameters())
    assert all(p.scales == {"audio": 0.0, "camera": 0.0} for p in model.stream_processors)

    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.AdamW(params, lr=1e-3)
    stage.losses(model, batch_of(frames_of(clips, mini_config), size=4), 0)["diffusion"].backward()
    optimizer.step()
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and changed <= set(names)


def test_loss_falls_when_overfitting_a_fixed_batch(clips, mini_config, tmp_path):
    stage = make_stage0(mini_config, tmp_path)
    optimizer = torch.optim.AdamW(stage.prepare_model(), lr=1e-3)
    batch = batch_of(frames_of(clips[:1], mini_config), size=4)
    losses = []
    for _ in range(20):
        torch.manual_seed(0)
        loss = stage.losses(stage.pipe.model, batch, 0)["diffusion"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0]


@torch.no_grad()
def test_exported_prior_is_one_image_model_in_both_unets(clips, mini_config, tmp_path):
    """After training, the reference UNet is the trained image model, and the video UNet on a one-frame window
    (temporal blocks still zero, streams off) computes exactly that image model."""
    stage = make_stage0(mini_config, tmp_path)
    model = stage.pipe.model
    optimizer = torch.optim.AdamW(stage.prepare_model(), lr=1e-2)
    with torch.enable_grad():
        stage.losses(model, batch_of(frames_of(clips, mini_config), size=2), 0)["diffusion"].backward()
    optimizer.step()
    trained = model.image_unet_state()
    assert not all(torch.equal(v, model.reference_unet.state_dict()[k]) for k, v in trained.items())
    stage.before_export()
    reference = model.reference_unet.state_dict()
    assert all(torch.equal(v, reference[k]) for k, v in trained.items())

    sample = torch.randn(2, mini_config.latent_channels, 1, 8, 8)
    identity = stage.pipe.identity_encoder(torch.nn.functional.normalize(torch.randn(2, mini_config.identity_dim), dim=1))
    t = torch.tensor([10, 700])
    video = model(sample, t, identity)[:, :, 0]
    model.bank.clear()
    image = model.reference_unet(sample[:, :, 0], t, identity).sample
    model.bank.clear()
    assert torch.allclose(video, image, atol=1e-5)
