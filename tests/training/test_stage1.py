import pytest
import torch

from model.starcaster import trainable_parameter_names
from model.training.losses import diffusion_target
from model.training.stage import Stage1
from tests.training.conftest import CONTEXT, make_dataset, make_stage
from tests.training.test_lipreading import small_reader


def batch_of(dataset, size=2):
    items = [dataset[(i, i)] for i in range(size)]
    return {k: torch.stack([item[k] for item in items]) for k in items[0]}


def randomise(params):
    """Fresh, the zero-initialised temporal outputs and audio values block most gradients: randomise them so
    that every trainable parameter gets one."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in params:
            p.copy_(torch.randn(p.shape, generator=generator) * 0.05)


def lip_stage(config, work, start=3):
    return Stage1(make_stage(config, work).pipe, CONTEXT, 0.0, 0.0, small_reader(), start)


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

    randomise(params)
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


def test_lipread_term_is_off_before_its_step_and_on_after(clips, mini_config, tmp_path):
    stage = lip_stage(mini_config, tmp_path, start=3)
    stage.prepare_model()
    batch = batch_of(make_dataset(clips, mini_config))
    terms = {}
    for step in (0, 2, 3, 50):
        torch.manual_seed(0)
        terms[step] = stage.losses(stage.pipe.model, batch, step)
    assert set(terms[0]) == set(terms[2]) == {"diffusion"}
    assert set(terms[3]) == set(terms[50]) == {"diffusion", "lipread"}
    assert terms[3]["lipread"] > 0 and torch.isfinite(terms[3]["lipread"])
    assert terms[3]["diffusion"] == terms[0]["diffusion"]  # the lip term adds, it does not alter
    ablation = Stage1(stage.pipe, CONTEXT, 0.0, 0.0)  # lipread_start_step None: the no-lip-reading ablation
    assert set(ablation.losses(stage.pipe.model, batch, 10**6)) == {"diffusion"}
    weighted = Stage1(stage.pipe, CONTEXT, 0.0, 0.0, stage.lip_reader, 3, lipread_weight=0.5)
    torch.manual_seed(0)
    assert torch.allclose(weighted.losses(stage.pipe.model, batch, 3)["lipread"], 0.5 * terms[3]["lipread"])
    with pytest.raises(ValueError, match="no lip reader"):
        Stage1(stage.pipe, CONTEXT, 0.0, 0.0, None, 3)


@pytest.mark.parametrize("prediction_type", ["epsilon", "sample"])
def test_predicted_x0_is_decoded_with_the_scheduler_alphas(clips, mini_config, tmp_path, prediction_type):
    stage = lip_stage(mini_config, tmp_path)
    stage.noise_scheduler.register_to_config(prediction_type=prediction_type)
    frames = batch_of(make_dataset(clips, mini_config))["frames"]
    latents = stage.pipe.encode_images(frames.flatten(0, 1)).unflatten(0, frames.shape[:2]).transpose(1, 2)
    noise, t = torch.randn_like(latents), torch.tensor([10, 900])
    noisy = stage.noise_scheduler.add_noise(latents, noise, t)
    true = diffusion_target(prediction_type, latents, noise)
    assert torch.allclose(stage.decode_x0(noisy, true, t), frames, atol=1e-4)  # the true target gives the frames back
    assert not torch.allclose(stage.decode_x0(noisy, torch.zeros_like(noise), t), frames, atol=1e-2)


def test_gradients_reach_the_trainable_parameters_through_the_lip_term(clips, mini_config, tmp_path, monkeypatch):
    stage = lip_stage(mini_config, tmp_path)
    params = stage.prepare_model()
    randomise(params)
    # a low noise level: at high t the implied x0 leaves [0, 1] and its clamp passes no gradient
    monkeypatch.setattr(torch, "randint", lambda low, high, size, device=None: torch.full(size, 50, device=device))
    stage.losses(stage.pipe.model, batch_of(make_dataset(clips, mini_config)), 3)["lipread"].backward()
    model = stage.pipe.model
    reached = {n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
    assert reached == set(trainable_parameter_names(model, 1))
    assert all(p.grad is None for p in stage.lip_reader.parameters())


def test_from_settings_loads_the_lip_reader_only_when_the_loss_is_on(mini_config, tmp_path):
    pipe = make_stage(mini_config, tmp_path).pipe
    settings = {"context_frames": CONTEXT, "identity_dropout": 0.0, "audio_dropout": 0.0, "lipread_weight": 1.0,
                "lipread_start_step": 5, "lipreader": {"out": str(tmp_path / "lipreader")}}
    with pytest.raises(FileNotFoundError, match="starcaster train-lipreader"):
        Stage1.from_settings(pipe, settings)
    assert Stage1.from_settings(pipe, {**settings, "lipread_start_step": None}).lip_reader is None
    small_reader().save(tmp_path / "lipreader", {})
    stage = Stage1.from_settings(pipe, settings)
    assert stage.lip_reader.name == small_reader().name and stage.lipread_start_step == 5


def test_sd_vae_decoding_of_x0_matches_the_sampler_and_checkpointing(mini_config, tmp_path):
    """The paper path: x0 through the SD1.5 VAE decoder (random weights, 64 px), with and without checkpointing."""
    from diffusers import AutoencoderKL

    from model.config import get_config

    stage = lip_stage(mini_config, tmp_path)
    stage.noise_scheduler.register_to_config(prediction_type=get_config("paper").prediction_type)
    torch.manual_seed(0)
    stage.pipe.vae = AutoencoderKL(**{**get_config("paper").vae, "block_out_channels": (32, 32, 64, 64),
                                      "norm_num_groups": 32}).requires_grad_(False)
    noisy, t = torch.randn(1, 4, 2, 8, 8), torch.tensor([300])
    prediction = torch.randn(1, 4, 2, 8, 8)
    alpha = stage.noise_scheduler.alphas_cumprod[300]
    expected = stage.pipe.decode_latents((noisy - (1 - alpha).sqrt() * prediction) / alpha.sqrt())
    grads = []
    for checkpointing in (False, True):
        if checkpointing:
            stage.gradient_checkpointing = True
            stage.prepare_model()
            assert stage.pipe.vae.decoder.gradient_checkpointing
        eps = prediction.clone().requires_grad_(True)
        decoded = stage.decode_x0(noisy, eps, t)
        assert torch.allclose(decoded, expected, atol=1e-5)
        decoded.pow(2).sum().backward()
        grads.append(eps.grad)
    assert grads[0].abs().sum() > 0 and torch.allclose(grads[0], grads[1], atol=1e-6, rtol=1e-4)
