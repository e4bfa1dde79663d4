"""Identity token injection, tokenizer check, audio windows, camera validation, latent map."""
import pytest
import torch
from transformers import CLIPTokenizer

from model.autoencoder import SpaceToDepthAutoencoder
from model.config import ID_PLACEHOLDER
from model.encoders import AudioProjection, audio_windows, check_identity_tokenizer, validate_camera_labels


def test_identity_is_injected_at_the_placeholder_and_l2_normalised(pipe, mini_config):
    encoder = pipe.identity_encoder
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(1, mini_config.identity_dim, generator=g), torch.randn(1, mini_config.identity_dim, generator=g)
    tokens_a = encoder(a)
    assert tokens_a.shape == (1, 77, mini_config.cross_attention_dim)
    assert torch.allclose(encoder(3.0 * a), tokens_a, atol=1e-5)  # scale-free like ArcFace similarity
    tokens_b = encoder(b)
    position = (encoder.prompt_ids[0] == encoder.placeholder_id).nonzero().item()
    # causal text encoder: tokens before the placeholder cannot see the identity
    assert torch.allclose(tokens_a[:, :position], tokens_b[:, :position], atol=1e-6)
    assert (tokens_a[:, position:] - tokens_b[:, position:]).abs().max() > 1e-3
    assert not torch.allclose(encoder.empty(1), tokens_a)
    with pytest.raises(ValueError, match="identity vectors"):
        encoder(torch.randn(1, mini_config.cross_attention_dim + 1))
    with pytest.raises(ValueError, match="non-zero"):
        encoder(torch.zeros(1, mini_config.identity_dim))


def test_tokenizer_check_catches_an_empty_vocabulary(pipe):
    check_identity_tokenizer(pipe.identity_encoder.tokenizer)
    assert len(pipe.identity_encoder.tokenizer.tokenize(ID_PLACEHOLDER)) == 1
    with pytest.raises(ValueError, match="cannot encode"):
        check_identity_tokenizer(CLIPTokenizer())  # what an offline from_pretrained(<hub id>) can return


def test_audio_windows_centre_and_edges():
    features = torch.arange(6.0).reshape(1, 6, 1, 1).expand(1, 6, 1, 2)
    windows = audio_windows(features, 0, 6, radius=2)
    assert windows.shape == (1, 6, 5, 2)
    assert windows[0, :, 2, 0].tolist() == [0, 1, 2, 3, 4, 5]
    assert windows[0, 0, :, 0].tolist() == [0, 0, 0, 1, 2]
    assert windows[0, 5, :, 0].tolist() == [3, 4, 5, 5, 5]
    with pytest.raises(ValueError, match="cover 6 frames"):
        audio_windows(features, 3, 4, radius=2)


def test_audio_projection_rejects_wrong_feature_size():
    projection = AudioProjection(in_dim=8, radius=2, hidden=16, tokens=3, out_dim=4)
    assert projection(torch.randn(2, 5, 5, 8)).shape == (10, 3, 4)
    with pytest.raises(ValueError, match="features=8"):
        projection(torch.randn(2, 5, 5, 7))


def test_camera_validation():
    good = torch.cat([torch.eye(4).flatten(), torch.eye(3).flatten()])[None]
    validate_camera_labels(good)
    with pytest.raises(ValueError, match="25 values"):
        validate_camera_labels(good[:, :24])
    bad_k = good.clone()
    bad_k[0, 16:] = 0
    with pytest.raises(ValueError, match="singular intrinsics"):
        validate_camera_labels(bad_k)


def test_space_to_depth_autoencoder_is_lossless():
    vae = SpaceToDepthAutoencoder(factor=8)
    images = torch.rand(2, 3, 64, 64) * 2 - 1
    latents = vae.encode(images).latent_dist.sample()
    assert latents.shape == (2, 192, 8, 8)
    assert torch.equal(vae.decode(latents).sample, images)
