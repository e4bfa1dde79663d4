"""Per-frame audio features at the video frame rate, shape (T, layers, dim), from a registry.

``wav2vec2`` (paper): all 12 transformer hidden states of wav2vec2-base, with the CNN features
interpolated to the video frame rate before the transformer, as Hallo does -> (T, 12, 768).
``logmel_mfcc`` (mini): a weight-free substitute with the same interface: log-mel energies and
MFCCs on 25 Hz hops -> (T, 1, dim). It carries no learned speech representation; it is a stand-in
so the mini profile runs without downloaded weights, and every prepared clip names its extractor.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.preprocess import weights


@dataclass
class LogMelMFCC:
    dim: int = 64
    n_mfcc: int = 20
    sample_rate: int = 16000
    fps: float = 25.0
    name: str = "logmel_mfcc"
    weights: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < self.n_mfcc < self.dim:
            raise ValueError(f"logmel_mfcc: need 0 < n_mfcc ({self.n_mfcc}) < dim ({self.dim})")

    def __call__(self, audio: np.ndarray, n_frames: int) -> np.ndarray:
        # python_speech_features, not librosa: librosa.feature's first use costs ~5 s of imports (numba,
        # scipy.signal) in every preparation and generation process; this is the same log-mel + DCT recipe
        from python_speech_features import base
        from scipy.fft import dct

        hop = int(round(self.sample_rate / self.fps))
        # padded by a hop on both sides (librosa's center=True): feature k describes the audio around k/fps,
        # the time of video frame k
        energies, _ = base.fbank(np.pad(audio.astype(np.float64), hop), samplerate=self.sample_rate,
                                 winlen=2 * hop / self.sample_rate, winstep=hop / self.sample_rate,
                                 nfilt=self.dim - self.n_mfcc, nfft=2 * hop, preemph=0.0, winfunc=np.hanning)
        log_mel = 10 * np.log10(np.maximum(energies, 1e-10)).T
        mfcc = dct(log_mel, type=2, axis=0, norm="ortho")[: self.n_mfcc]
        feats = np.concatenate([log_mel, mfcc]).T
        feats = np.pad(feats, ((0, max(0, n_frames - len(feats))), (0, 0)), mode="edge")[:n_frames]
        return feats[:, None, :].astype(np.float32)


@dataclass
class Wav2Vec2Features:
    path: Path
    sample_rate: int = 16000
    name: str = "wav2vec2"

    source = "huggingface.co/facebook/wav2vec2-base-960h (save_pretrained folder)"

    def __post_init__(self) -> None:
        from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2Model

        self.path = weights.require(self.path, "wav2vec2-base weights folder", self.source)
        self._normalise = Wav2Vec2FeatureExtractor.from_pretrained(self.path, local_files_only=True)
        self._model = Wav2Vec2Model.from_pretrained(self.path, local_files_only=True).eval()

    @property
    def weights(self) -> dict[str, str]:
        return {self.path.name: weights.sha256(self.path)}

    def __call__(self, audio: np.ndarray, n_frames: int) -> np.ndarray:
        import torch
        import torch.nn.functional as F

        def to_frame_rate(_module, _inputs, cnn):  # (1, 512, ~50 Hz) -> (1, 512, n_frames)
            return F.interpolate(cnn, size=n_frames, mode="linear", align_corners=True)

        values = self._normalise(audio, sampling_rate=self.sample_rate, return_tensors="pt").input_values
        # a hook rather than re-running the model's pieces by hand: transformers records the hidden
        # states only when the whole model runs
        hook = self._model.feature_extractor.register_forward_hook(to_frame_rate)
        try:
            with torch.no_grad():
                out = self._model(values, output_hidden_states=True)
        finally:
            hook.remove()
        layers = out.hidden_states[-self._model.config.num_hidden_layers:]  # the transformer layers' outputs
        return torch.cat(layers).transpose(0, 1).numpy().astype(np.float32)  # (T, layers, hidden)


AUDIO_FEATURES: dict[str, Callable[..., object]] = {"logmel_mfcc": LogMelMFCC, "wav2vec2": Wav2Vec2Features}


def build(cfg: dict, weights_dir: str, sample_rate: int, fps: float):
    """``cfg``: ``{backend, <backend>: {options}}``; a ``weights`` option is resolved against ``weights_dir``."""
    backend = cfg["backend"]
    if backend not in AUDIO_FEATURES:
        raise ValueError(f"unknown audio feature extractor {backend!r}; choose one of {sorted(AUDIO_FEATURES)}")
    options = dict(cfg.get(backend) or {})
    if backend == "wav2vec2":
        return Wav2Vec2Features(path=weights.resolve(options.pop("weights"), weights_dir), sample_rate=sample_rate, **options)
    return LogMelMFCC(sample_rate=sample_rate, fps=fps, **options)
