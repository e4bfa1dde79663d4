import torch

from model.starcaster import trainable_parameter_names
from tests.training.conftest import CONTEXT, make_dataset, make_stage


def batch_of(dataset, size=2):
    items = [dataset[(i, i)] for i in range(size)]
    return {k: torch.stack([item[k] for item in items]) for k in items[0]}


def test_trains_exactly_the_stage1_parameters(clips, mini_config, tmp_path):
    stage = make_stage(mini_config, tmp_path)
    model = stage.pipe.model
    params = stage.prepare_model()
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert names == trainable_parameter_names(model, 1)
    assert all(("motion_modules" in n) or ("audio" in n) for n in names)
    assert {id(p) for p in params} == {id(p) for n, p in model.named_parameters() if n in names}
    assert not any(p.requires_grad for p in stage.pipe.identity_encoder.parameters())
    assert all(p.scales == {**p.scales, "audio": 1.0, "camera": 0.0} for p in model.stream_processors)

    # fresh, the zero-initialised temporal outputs and audio values block most gradients: randomise them so
    # that every trainable parameter gets one
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in params:
            p.copy_(torch.randn(p.shape, generator=generator) * 0.05)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.AdamW(params, lr=1e-3)
    stage.losses(model, batch_of(make_dataset(clips, mini_config)), 0)["diffusion"].backward()
    optimizer.step()
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed == set(names)


def test_loss_falls_when_overfitting_a_fixed_batch(clips, mini_config, tmp_path):
    stage = make_stage(mini_config, tmp_path)
    optimizer = torch.optim.AdamW(stage.prepare_model(), lr=1e-3)  # 10x the paper's, to see it in 30 steps
    batch = batch_of(make_dataset(clips[:1], mini_config), size=2)
    losses = []
    for _ in range(30):
        torch.manual_seed(0)  # the same noise and timesteps each step: a fixed regression target
        loss = stage.losses(stage.pipe.model, batch, 0)["diffusion"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.97 * losses[0]
    assert sum(b < a for a, b in zip(losses, losses[1:])) >= 27


def test_context_frames_are_clean_and_unsupervised(clips, mini_config, tmp_path):
    stage = make_stage(mini_config, tmp_path)
    stage.prepare_model()
    seen = {}

    def record(sample, timesteps, *args):
        seen.update(sample=sample, timesteps=timesteps)
        return torch.zeros_like(sample)

    batch = batch_of(make_dataset(clips, mini_config))
    stage.losses(record, batch, 0)
    latents = stage.pipe.encode_images(batch["frames"].flatten(0, 1)).unflatten(0, (2, -1)).transpose(1, 2)
    assert torch.equal(seen["sample"][:, :, :CONTEXT], latents[:, :, :CONTEXT])
    assert (seen["timesteps"][:, :CONTEXT] == 0).all()
    assert (seen["timesteps"][:, CONTEXT:] == seen["timesteps"][:, -1:]).all()
    assert not torch.equal(seen["sample"][:, :, CONTEXT:], latents[:, :, CONTEXT:])


# Checkpointing passes temb positionally and recomputes the blocks in backward: the per-frame timestep
# hook of model/unet.py must handle both, or gradients are silently wrong.
def test_gradient_checkpointing_gives_the_same_gradients(clips, mini_config, tmp_path):
    stage = make_stage(mini_config, tmp_path)
    params = stage.prepare_model()
    batch = batch_of(make_dataset(clips, mini_config))
    grads = []
    for checkpointing in (False, True):
        if checkpointing:
            stage.pipe.model.unet.enable_gradient_checkpointing()
        stage.pipe.model.train()
        torch.manual_seed(0)
        for p in params:
            p.grad = None
        stage.losses(stage.pipe.model, batch, 0)["diffusion"].backward()
        grads.append(torch.cat([p.grad.flatten() for p in params]))
    assert grads[0].abs().sum() > 0
    assert torch.allclose(grads[0], grads[1], atol=1e-6, rtol=1e-4)
