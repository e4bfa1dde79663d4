"""Per-frame audio features (mini stand-in and the wav2vec2 path) and identity embeddings."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.preprocess import audio_features, identity, weights
from benchmarks.preprocess.faces import FaceAnalyzer

from .conftest import SR, astronaut_face, moving, tom_hanks_face


def test_logmel_mfcc_is_frame_aligned_with_the_video():
    extractor = audio_features.LogMelMFCC(dim=40, n_mfcc=13, sample_rate=SR, fps=25)
    audio = np.zeros(2 * SR, np.float32)
    t = np.arange(SR // 5) / SR
    audio[20 * 640: 25 * 640] = 0.5 * np.sin(2 * np.pi * 440 * t)  # a tone exactly in video frames 20..24
    feats = extractor(audio, 50)
    assert feats.shape == (50, 1, 40) and feats.dtype == np.float32
    energy = feats[:, 0, :27].mean(axis=1)  # log-mel part
    loud = np.flatnonzero(energy > energy.min() + 20)
    assert loud.min() in (19, 20) and loud.max() in (24, 25)


def test_logmel_mfcc_pads_to_the_requested_length():
    extractor = audio_features.LogMelMFCC(dim=24, n_mfcc=8)
    assert extractor(np.random.default_rng(0).standard_normal(SR).astype(np.float32) * 0.1, 30).shape == (30, 1, 24)


@pytest.fixture(scope="module")
def tiny_wav2vec2(tmp_path_factory):
    """A randomly initialised wav2vec2: the base architecture's CNN strides at 32 channels, 2 small layers (no real weights)."""
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    folder = tmp_path_factory.mktemp("wav2vec2-random")
    config = Wav2Vec2Config(conv_dim=(32,) * 7, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                            num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)
    Wav2Vec2Model(config).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(sampling_rate=SR, do_normalize=True).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("n_frames", [25, 37])
def test_wav2vec2_gives_every_layer_at_the_video_rate(tiny_wav2vec2, n_frames):
    extractor = audio_features.build({"backend": "wav2vec2", "wav2vec2": {"weights": str(tiny_wav2vec2)}}, "unused", SR, 25)
    audio = np.random.default_rng(0).standard_normal(n_frames * 640).astype(np.float32) * 0.1
    feats = extractor(audio, n_frames)
    assert feats.shape == (n_frames, 2, 32)
    assert not np.allclose(feats[:, 0], feats[:, 1])  # distinct hidden states, not one repeated
    assert extractor.weights[tiny_wav2vec2.name] == weights.sha256(tiny_wav2vec2)


def test_wav2vec2_missing_folder_names_path_and_source(tmp_path):
    with pytest.raises(weights.MissingWeights, match=rf"{tmp_path}/w2v.*facebook/wav2vec2-base-960h"):
        audio_features.build({"backend": "wav2vec2", "wav2vec2": {"weights": "w2v"}}, str(tmp_path), SR, 25)


def test_arcface_missing_model_names_path_and_source(tmp_path):
    with pytest.raises(weights.MissingWeights, match=rf"{tmp_path}/antelopev2.*insightface.*antelopev2"):
        identity.build({"backend": "arcface_onnx", "arcface_onnx": {"weights": "antelopev2"}}, str(tmp_path))


def test_dlib_identity_separates_people_and_is_unit_norm():
    analyzer, encoder = FaceAnalyzer(), identity.build({"backend": "dlib_resnet"}, "unused")

    def embed(image):
        (box,) = analyzer.detect(image)
        return encoder(image, analyzer.landmarks(image, box))

    a1, a2 = (embed(f) for f in moving(astronaut_face(), 8, amplitude=4)[[0, 7]])
    b = embed(tom_hanks_face())
    assert a1.shape == (128,) and np.linalg.norm(a1) == pytest.approx(1.0, abs=1e-5)
    # dlib's descriptors are compared by Euclidean distance, 0.6 being its same-person threshold;
    # on unit-normalised vectors the same ordering must hold
    assert np.linalg.norm(a1 - a2) < 0.5 * np.linalg.norm(a1 - b)


@pytest.fixture(scope="module")
def small_arcface(tmp_path_factory):
    """A small random recogniser with ArcFace's interface (1x3x112x112 -> 512-d), exported to ONNX in an
    antelopev2-like folder: the paper path end to end without the real weights."""
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 7, stride=4), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(8 * 27 * 27, 512)).eval()
    folder = tmp_path_factory.mktemp("weights") / "antelopev2"
    folder.mkdir()
    torch.onnx.export(net, (torch.zeros(1, 3, 112, 112),), str(folder / "glintr100.onnx"), dynamo=False,
                      input_names=["input.1"])
    encoder = identity.build({"backend": "arcface_onnx", "arcface_onnx": {"weights": "antelopev2"}}, str(folder.parent))
    return net, encoder


def test_arcface_embeds_the_aligned_rgb_crop_as_insightface_feeds_it(small_arcface):
    """The five points of dlib's landmarks, insightface's 112x112 alignment, RGB, (x - 127.5) / 127.5."""
    import torch
    from insightface.utils.face_align import norm_crop

    net, encoder = small_arcface
    face = astronaut_face()
    (box,) = FaceAnalyzer().detect(face)
    landmarks = FaceAnalyzer().landmarks(face, box)
    crop = norm_crop(face, identity.five_points(landmarks).astype(np.float32), image_size=112)
    with torch.no_grad():
        expected = net(torch.from_numpy((crop.astype(np.float32) - 127.5) / 127.5).permute(2, 0, 1)[None])[0].numpy()
    embedding = encoder(face, landmarks)
    assert embedding.shape == (512,) and encoder.name == "arcface_onnx"
    np.testing.assert_allclose(embedding, expected / np.linalg.norm(expected), atol=1e-5)
    # swapped colour channels would be another input entirely
    assert np.abs(encoder(np.ascontiguousarray(face[..., ::-1]), landmarks) - embedding).max() > 1e-2


def test_csim_arcface_encoder_is_preparations(small_arcface):
    """CSIM's ``encoder: arcface`` embeds a frame exactly as preparation's ``arcface_onnx`` does."""
    from metrics.face_track import Face
    from metrics.identity import ArcFaceEncoder, cosine

    _, encoder = small_arcface
    face = astronaut_face()
    (box,) = FaceAnalyzer().detect(face)
    landmarks = FaceAnalyzer().landmarks(face, box)
    metric = ArcFaceEncoder(encoder.path)
    assert metric.name == "arcface:glintr100.onnx"
    assert cosine(metric(face, Face(np.asarray(box, float), landmarks)), encoder(face, landmarks)) == pytest.approx(1, abs=1e-6)


def test_arcface_follows_the_face_not_the_frame(small_arcface):
    _, encoder = small_arcface
    face = astronaut_face()
    (box,) = FaceAnalyzer().detect(face)
    landmarks = FaceAnalyzer().landmarks(face, box)
    shifted = np.zeros_like(face)
    shifted[7:, 11:] = face[:-7, :-11]
    np.testing.assert_allclose(encoder(shifted, landmarks + [11, 7]), encoder(face, landmarks), atol=1e-4)


def test_five_points_follow_insightface_order():
    lm = np.zeros((68, 2))
    lm[36:42], lm[42:48], lm[30], lm[48], lm[54] = [10, 20], [30, 20], [20, 30], [12, 40], [28, 40]
    np.testing.assert_allclose(identity.five_points(lm), [[10, 20], [30, 20], [20, 30], [12, 40], [28, 40]])
