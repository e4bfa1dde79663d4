"""Checkpoint folders (safetensors + config) round-trip; paper preset size on the meta device; missing weights."""
import json

import pytest
import torch

from benchmarks.preprocess.weights import MissingWeights
from model.autoencoder import build_autoencoder
from model.config import get_config
from model.encoders import load_identity_encoder
from model.factory import PAPER_FOLDERS, build_model
from model.starcaster import STARCasterModel, parameter_groups
from tests.model.conftest import fresh_model, inputs, randomise


@torch.no_grad()
def test_save_load_gives_identical_outputs(mini_config, tmp_path):
    model = fresh_model(mini_config)
    randomise(model, std=0.05)  # every path non-trivial, LoRA and streams included
    model.save_pretrained(tmp_path / "ckpt")
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["config.json", "diffusion_pytorch_model.safetensors"]
    assert json.loads((tmp_path / "ckpt" / "config.json").read_text())["lora_rank"] == mini_config.lora_rank
    loaded = STARCasterModel.from_pretrained(tmp_path / "ckpt").eval()
    x = inputs(mini_config)
    args = (x["sample"], torch.tensor([[0, 0, 600]]), x["identity_tokens"], x["audio_windows"], x["camera_labels"])
    reference = torch.randn(1, 1, mini_config.latent_channels, 8, 8)
    outputs = []
    for m in (model, loaded):
        m.write_reference(reference, x["identity_tokens"])
        outputs.append(m(*args))
    assert torch.allclose(outputs[0], outputs[1], atol=1e-6)
    assert (outputs[0] - fresh_model(mini_config)(*args)).abs().max() > 1e-3  # the weights did matter


def test_paper_preset_size_on_meta_device():
    config = get_config("paper")
    with torch.device("meta"):
        model = STARCasterModel(**config.model_kwargs())
    groups = parameter_groups(model)
    denoiser = sum(v for k, v in groups.items() if k != "reference_unet")
    assert abs(denoiser - 1.4e9) / 1.4e9 < 0.10, groups  # paper Supp. B: 0.9B UNet + 0.5B temporal
    assert abs(groups["image_unet"] - 0.86e9) / 0.86e9 < 0.02  # SD1.5 UNet: 859.5M
    assert groups["reference_unet"] == groups["image_unet"]
    assert model.unet.config.motion_max_seq_length >= config.segment_frames + config.context_frames


def test_paper_weights_missing_name_the_file(tmp_path):
    config = get_config("paper")
    with pytest.raises(MissingWeights, match=str(tmp_path / PAPER_FOLDERS["unet"])):
        build_model(config, tmp_path)
    (tmp_path / "encoder").mkdir()
    (tmp_path / "encoder" / "config.json").write_text("{}")
    with pytest.raises(MissingWeights, match="model.safetensors"):
        load_identity_encoder(tmp_path / "encoder", tmp_path / "tokenizer")
    with pytest.raises(MissingWeights, match="vae"):
        build_autoencoder(config, tmp_path / "vae")


@torch.no_grad()
def test_pretrained_components_load_into_both_unets(mini_config, tmp_path):
    from diffusers import MotionAdapter, UNet2DConditionModel

    torch.manual_seed(5)
    image, adapter = UNet2DConditionModel(**mini_config.unet), MotionAdapter(**mini_config.motion)
    randomise(image, seed=6)
    randomise(adapter, seed=7)
    image.save_pretrained(tmp_path / "unet")
    adapter.save_pretrained(tmp_path / "adapter")
    model = STARCasterModel.from_arc2face(mini_config.model_kwargs(), tmp_path / "unet", tmp_path / "adapter")
    assert all(torch.equal(a, b) for a, b in zip(model.reference_unet.state_dict().values(), image.state_dict().values()))
    params = dict(model.unet.named_parameters())
    assert torch.equal(params["conv_in.weight"], image.conv_in.weight)
    assert torch.equal(params["down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.base_layer.weight"],
                       image.down_blocks[0].attentions[0].transformer_blocks[0].attn1.to_q.weight)
    # a trained adapter keeps its temporal output projection (only a fresh one is zeroed)
    assert torch.equal(params["down_blocks.0.motion_modules.0.proj_out.weight"],
                       adapter.down_blocks[0].motion_modules[0].proj_out.weight)
    assert torch.equal(params["down_blocks.0.motion_modules.0.norm.weight"],
                       adapter.down_blocks[0].motion_modules[0].norm.weight)
