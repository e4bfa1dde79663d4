"""Reference UNet: features reach the denoiser, the unconditional mask hides them, batched CFG = two passes."""
import torch

from tests.model.conftest import LATENT, fresh_model, inputs

T = torch.tensor([[0, 0, 600]])


@torch.no_grad()
def test_reference_features_change_output_and_mask_hides_them(mini_config):
    model = fresh_model(mini_config)
    x = inputs(mini_config)
    args = (x["sample"], T, x["identity_tokens"], x["audio_windows"], x["camera_labels"])
    no_reference = model(*args)
    reference = torch.randn(1, 2, mini_config.latent_channels, LATENT, LATENT)
    model.write_reference(reference, x["identity_tokens"])
    assert len(model.bank.features) == sum(1 for n in model.unet.attn_processors if ".attn1." in n and "motion" not in n)
    with_reference = model(*args)
    assert (with_reference - no_reference).abs().max() > 1e-3
    hidden = model(*args, reference_mask=torch.tensor([False]))
    assert torch.allclose(hidden, no_reference, atol=1e-5)
    model.write_reference(reference * 2, x["identity_tokens"])
    assert (model(*args) - with_reference).abs().max() > 1e-4


@torch.no_grad()
def test_batched_guidance_equals_two_separate_passes(mini_config):
    model = fresh_model(mini_config)
    for processor in model.stream_processors:  # active audio and camera streams
        for layer in (*processor.to_v.values(), *processor.to_k.values()):
            layer.weight.normal_(0, 0.3)
    x = inputs(mini_config)
    id_cond, id_uncond = x["identity_tokens"], torch.randn_like(x["identity_tokens"])
    audio, cams, reference = x["audio_windows"], x["camera_labels"], torch.randn(1, 3, mini_config.latent_channels, LATENT, LATENT)

    model.write_reference(reference, id_cond)
    cond = model(x["sample"], T, id_cond, audio, cams)
    model.bank.clear()
    uncond = model(x["sample"], T, id_uncond, torch.zeros_like(audio), cams)

    model.write_reference(reference, id_cond)
    model.bank.tile(2)
    batched = model(x["sample"].repeat(2, 1, 1, 1, 1), T.repeat(2, 1), torch.cat([id_cond, id_uncond]),
                    torch.cat([audio, torch.zeros_like(audio)]), cams.repeat(2, 1, 1), torch.tensor([True, False]))
    assert torch.allclose(batched[:1], cond, atol=1e-5)
    assert torch.allclose(batched[1:], uncond, atol=1e-5)
