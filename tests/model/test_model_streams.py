"""Decoupled identity/audio/camera cross-attention, LoRA placement and per-stage trainable sets."""
import pytest
import torch
from diffusers import MotionAdapter

from model.attention import MultiSourceCrossAttnProcessor, ReferenceReaderProcessor
from model.starcaster import set_trainable, trainable_parameter_names
from tests.model.conftest import fresh_model, inputs

T = torch.tensor([[600, 600, 600]])


@torch.no_grad()
def predict(model, x, **overrides):
    args = {**x, **overrides}
    return model(args["sample"], T, args["identity_tokens"], args["audio_windows"], args["camera_labels"])


@pytest.mark.parametrize("stream", ["audio", "camera"])
@torch.no_grad()
def test_streams_leave_identity_output_until_trained_or_when_zero_scaled(mini_config, stream):
    model = fresh_model(mini_config)
    x = inputs(mini_config)
    identity_only = predict(model, x, audio_windows=None, camera_labels=None)
    only_this = {"camera_labels": None} if stream == "audio" else {"audio_windows": None}
    assert torch.allclose(predict(model, x, **only_this), identity_only, atol=1e-6)  # fresh: V starts at zero
    for processor in model.stream_processors:
        processor.to_v[stream].weight.normal_(0, 0.5)
        processor.to_k[stream].weight.normal_(0, 0.5)
    changed = predict(model, x, **only_this)
    assert (changed - identity_only).abs().max() > 1e-3
    model.set_stream_scale(stream, 0.0)
    assert torch.allclose(predict(model, x, **only_this), identity_only, atol=1e-6)
    model.set_stream_scale(stream, 2.0)
    assert (predict(model, x, **only_this) - changed).abs().max() > 1e-4


def test_processors_only_on_spatial_attention(model):
    processors = model.unet.attn_processors
    motion = {n: p for n, p in processors.items() if "motion_modules" in n}
    spatial = {n: p for n, p in processors.items() if "motion_modules" not in n}
    assert motion and spatial
    assert not any(isinstance(p, (MultiSourceCrossAttnProcessor, ReferenceReaderProcessor)) for p in motion.values())
    for name, processor in spatial.items():
        expected = ReferenceReaderProcessor if ".attn1." in name else MultiSourceCrossAttnProcessor
        assert isinstance(processor, expected), name


def test_lora_only_on_spatial_self_attention_qkv(model):
    wrapped = {n.rsplit(".lora_A", 1)[0] for n, _ in model.named_parameters() if ".lora_A." in n}
    spatial_attn1 = {n for n, _ in model.unet.named_modules() if n.endswith("attn1") and "motion_modules" not in n}
    assert wrapped == {f"unet.{a}.{proj}" for a in spatial_attn1 for proj in ("to_q", "to_k", "to_v")}
    lora_a = dict(model.named_parameters())[next(iter(sorted(wrapped))) + ".lora_A.default.weight"]
    assert lora_a.shape[0] == model.config.lora_rank


def test_trainable_sets_per_stage(mini_config):
    model = fresh_model(mini_config)
    params = dict(model.named_parameters())
    n_cross = sum(1 for n, _ in model.unet.named_modules() if n.endswith("attn2") and "motion_modules" not in n)
    n_self = sum(1 for n, _ in model.unet.named_modules() if n.endswith("attn1") and "motion_modules" not in n)
    temporal = sum(p.numel() for p in MotionAdapter(**mini_config.motion).parameters())
    stage = {s: set(trainable_parameter_names(model, s)) for s in (1, 2, 3)}

    def of(names, word):
        return {n for n in names if word in n}

    # stage 1: temporal blocks (exactly a motion adapter's worth), audio K/V in every cross-attention, audio MLP
    assert sum(params[n].numel() for n in of(stage[1], "motion_modules")) == temporal
    assert len(of(stage[1], "processor.to_k.audio")) == len(of(stage[1], "processor.to_v.audio")) == n_cross
    assert of(stage[1], "audio_proj") == {n for n in params if n.startswith("audio_proj.")}
    assert not of(stage[1], "lora_") and not of(stage[1], "camera")
    # stage 2: + LoRA A and B on q, k, v of every spatial self-attention
    assert stage[2] - stage[1] == {n for n in params if "lora_" in n}
    assert len(stage[2] - stage[1]) == 2 * 3 * n_self
    # stage 3: camera replaces audio
    assert stage[3] == (stage[2] - of(stage[2], "audio")) | {n for n in params if "camera" in n}
    assert len(of(stage[3], "processor.to_k.camera")) == n_cross
    for s in (1, 2, 3):
        assert not of(stage[s], "reference_unet")
        trainable = set_trainable(model, s)
        assert {id(p) for p in trainable} == {id(params[n]) for n in stage[s]}
        assert {n for n, p in params.items() if p.requires_grad} == stage[s]
    with pytest.raises(ValueError, match="stage"):
        trainable_parameter_names(model, 4)
