"""Stage 2, autoregressive self-forcing: rollout without gradient, loss on the last segment, teacher forcing."""
import pytest
import torch

from model.factory import build_pipeline
from model.starcaster import trainable_parameter_names
from model.training.data import SegmentDataset
from model.training.self_forcing import Stage2

from .conftest import CONTEXT, N, write_clip

SEGMENTS, STEPS = 2, 2
LAST = CONTEXT + (SEGMENTS - 1) * N  # first frame of the last segment


@pytest.fixture(scope="module")
def long_clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("prepared2")
    return [write_clip(root / "hdtf" / f"clip{i}", frames=SEGMENTS * N + CONTEXT + i, seed=10 + i) for i in range(2)]


def make_stage2(config, work, teacher_forcing=False, steps=STEPS):
    pipe = build_pipeline(config, work / "components", seed=0)
    return Stage2(pipe, N, CONTEXT, SEGMENTS, steps, 1.0, teacher_forcing, 0.0, 0.0, 0.0)


def fixed_batch(stage, clips, config, size=2):
    dataset = SegmentDataset(clips, stage.sequence_frames, config.audio_radius, 0)
    items = [dataset[(i, i)] for i in range(size)]
    return {k: torch.stack([item[k] for item in items]) for k in items[0]}


def randomise(params, seed=1):
    """Fresh, the zero-initialised temporal outputs, stream values and LoRA B block most paths: randomise
    the trainable values so that every one of them matters."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in params:
            p.copy_(torch.randn(p.shape, generator=generator) * 0.05)


def seeded_loss(stage, batch, seed=0):
    torch.manual_seed(seed)
    return stage.losses(stage.pipe.model, batch, 0)["diffusion"]


def overfit_losses(stage, optimizer, batch, steps=8):
    """The loss at each of ``steps`` optimizer steps on one batch with the same noise, timesteps and rollout noise."""
    losses = []
    for _ in range(steps):
        loss = seeded_loss(stage, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def record_calls(model):
    """(grad enabled, sample, timesteps) of every forward of the model, in order."""
    calls = []

    def hook(module, args):
        calls.append((torch.is_grad_enabled(), args[0].detach().clone(), args[1]))

    return calls, model.register_forward_pre_hook(hook)


def test_trains_exactly_the_stage2_parameters(long_clips, mini_config, tmp_path):
    stage = make_stage2(mini_config, tmp_path)
    model = stage.pipe.model
    params = stage.prepare_model()
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    # paper Sec. 3.4: stage 1's temporal blocks and audio weights, and "also" the self-attention LoRA
    assert names == trainable_parameter_names(model, 2)
    assert any("lora_" in n for n in names)
    assert all("lora_" in n or "motion_modules" in n or "audio" in n for n in names)
    assert all("attn1" in n and "motion_modules" not in n for n in names if "lora_" in n)
    assert not any(p.requires_grad for p in model.reference_unet.parameters())
    assert all(p.scales == {"audio": 1.0, "camera": 0.0} for p in model.stream_processors)

    randomise(params)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.AdamW(params, lr=1e-3)
    seeded_loss(stage, fixed_batch(stage, long_clips, mini_config)).backward()
    optimizer.step()
    assert {n for n, p in model.named_parameters() if not torch.equal(p, before[n])} == set(names)


def test_earlier_segments_are_generated_without_gradient(long_clips, mini_config, tmp_path):
    stage = make_stage2(mini_config, tmp_path)
    randomise(stage.prepare_model())
    batch = fixed_batch(stage, long_clips, mini_config)
    calls, handle = record_calls(stage.pipe.model)
    loss = seeded_loss(stage, batch)
    handle.remove()
    # the sampler's steps for each earlier segment, then the one trained forward
    assert [grad for grad, _, _ in calls] == [False] * (SEGMENTS - 1) * STEPS + [True]
    assert loss.requires_grad
    _, window, timesteps = calls[-1]
    assert window.shape[2] == CONTEXT + N and (timesteps[:, :CONTEXT] == 0).all()
    # the trained window's context is the generated segment's last frames, not the ground truth
    latents = stage.pipe.encode_images(batch["frames"].flatten(0, 1)).unflatten(0, (2, -1)).transpose(1, 2)
    assert not torch.allclose(window[:, :, :CONTEXT], latents[:, :, LAST - CONTEXT:LAST], atol=1e-3)
    assert stage.pipe.model.bank.features, "the reference UNet must have written the bank for the trained forward"


def test_loss_sees_only_the_last_segment(long_clips, mini_config, tmp_path):
    stage = make_stage2(mini_config, tmp_path)
    randomise(stage.prepare_model())
    batch = fixed_batch(stage, long_clips, mini_config)
    base = seeded_loss(stage, batch)

    earlier = {**batch, "frames": batch["frames"].clone()}
    earlier["frames"][:, CONTEXT:LAST] = torch.rand_like(earlier["frames"][:, CONTEXT:LAST])
    assert torch.equal(seeded_loss(stage, earlier), base)

    last = {**batch, "frames": batch["frames"].clone()}
    last["frames"][:, LAST:] = torch.rand_like(last["frames"][:, LAST:])
    assert not torch.allclose(seeded_loss(stage, last), base)

    # the rollout starts from the first n ground-truth frames (weakly, through the generated segment)
    first = {**batch, "frames": batch["frames"].clone()}
    first["frames"][:, :CONTEXT] = torch.rand_like(first["frames"][:, :CONTEXT])
    assert not torch.equal(seeded_loss(stage, first), base)


def test_teacher_forcing_trains_on_the_ground_truth_context(long_clips, mini_config, tmp_path):
    stage = make_stage2(mini_config, tmp_path, teacher_forcing=True)
    randomise(stage.prepare_model())
    batch = fixed_batch(stage, long_clips, mini_config)
    calls, handle = record_calls(stage.pipe.model)
    base = seeded_loss(stage, batch)
    handle.remove()
    assert [grad for grad, _, _ in calls] == [True]  # nothing generated
    latents = stage.pipe.encode_images(batch["frames"].flatten(0, 1)).unflatten(0, (2, -1)).transpose(1, 2)
    assert torch.equal(calls[0][1][:, :, :CONTEXT], latents[:, :, LAST - CONTEXT:LAST])

    context = {**batch, "frames": batch["frames"].clone()}
    context["frames"][:, LAST - CONTEXT:LAST] = torch.rand_like(context["frames"][:, LAST - CONTEXT:LAST])
    assert not torch.allclose(seeded_loss(stage, context), base)


def test_loss_falls_when_overfitting_a_fixed_batch(long_clips, mini_config, tmp_path):
    stage = make_stage2(mini_config, tmp_path, steps=1)
    params = stage.prepare_model()
    optimizer = torch.optim.AdamW(params, lr=1e-3)  # 10x the paper's, to see it in a few steps
    batch = fixed_batch(stage, long_clips[:1], mini_config, size=1)
    losses = overfit_losses(stage, optimizer, batch)
    assert losses[-1] < 0.97 * losses[0]
    assert sum(b < a for a, b in zip(losses, losses[1:])) >= 6


@pytest.mark.parametrize("kwargs, message", [
    ({"context_frames": N + 1}, "context frames"),
    ({"segments": 0}, "at least one segment"),
])
def test_bad_settings_are_refused(mini_config, tmp_path, kwargs, message):
    pipe = build_pipeline(mini_config, tmp_path / "components", seed=0)
    settings = {"segment_frames": N, "context_frames": CONTEXT, "segments": SEGMENTS, "sampling_steps": STEPS,
                "guidance_scale": 1.0, "teacher_forcing": False, "identity_dropout": 0.0, "audio_dropout": 0.0,
                "reference_dropout": 0.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        Stage2.from_settings(pipe, settings)


# The rollout's forwards run between nothing and the trained forward: gradient checkpointing recomputes the
# trained forward's blocks in backward and must see its per-frame timesteps and reference bank, not the rollout's.
def test_gradient_checkpointing_gives_the_same_gradients(long_clips, mini_config, tmp_path):
    stage = make_stage2(mini_config, tmp_path, steps=1)
    params = stage.prepare_model()
    randomise(params)
    batch = fixed_batch(stage, long_clips, mini_config)
    grads = []
    for checkpointing in (False, True):
        if checkpointing:
            stage.pipe.model.unet.enable_gradient_checkpointing()
        for p in params:
            p.grad = None
        seeded_loss(stage, batch).backward()
        grads.append([p.grad.clone() for p in params])
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(*grads))
