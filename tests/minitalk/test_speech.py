"""Speech synthesis: both synthesisers, length fitting and the loudness-driven mouth envelope."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.datasets import minitalk
from benchmarks.synth import speech

SR, FPS = 16000, 25


def _voice():
    return speech.Voice("en-us", "f3", 160, 50)


def _syllable_rhythm(audio):
    """Share of the envelope's modulation energy at 2-8 Hz (speech's syllable rate)."""
    env = speech.mouth_envelope(audio, SR, FPS, len(audio) * FPS // SR)
    spec = np.abs(np.fft.rfft(env - env.mean())) ** 2
    freqs = np.fft.rfftfreq(len(env), 1 / FPS)
    return spec[(freqs >= 2) & (freqs <= 8)].sum() / spec[freqs > 0].sum()


@pytest.mark.parametrize("use_espeak", [
    False,
    pytest.param(True, marks=pytest.mark.skipif(not speech.espeak_available(), reason="espeak-ng not installed")),
])
def test_speech_is_deterministic_and_rhythmic(use_espeak):
    text = "The birch canoe slid on the smooth planks."
    a = speech.synthesize(text, _voice(), SR, use_espeak)
    b = speech.synthesize(text, _voice(), SR, use_espeak)
    assert a.dtype == np.float32 and np.array_equal(a, b)
    assert 1.0 < len(a) / SR < 5.0 and np.isclose(np.abs(a).max(), 0.9)
    assert _syllable_rhythm(a) > 0.3
    other = speech.synthesize("Two blue fish swam in the tank.", _voice(), SR, use_espeak)
    assert len(other) != len(a) or not np.array_equal(other, a)


def test_fallback_voice_parameters_change_the_sound():
    text = "Read verse out loud for pleasure."
    low = speech.synthesize(text, speech.Voice("en-us", "m1", 140, 20), SR, False)
    high = speech.synthesize(text, speech.Voice("en-us", "m1", 180, 80), SR, False)
    assert len(high) < len(low)  # faster speech is shorter


def test_fit_length_pads_and_trims():
    x = np.ones(SR, np.float32)
    padded = speech.fit_length(x, 2 * SR, SR)
    assert len(padded) == 2 * SR and padded[: int(0.2 * SR)].max() == 0 and padded[-1] == 0
    trimmed = speech.fit_length(x, SR // 2, SR)
    assert len(trimmed) == SR // 2 and trimmed[-1] < 0.05  # faded out, not cut


def test_envelope_follows_loudness():
    t = np.arange(2 * SR) / SR
    gated = (np.sin(2 * np.pi * 300 * t) * (np.sin(2 * np.pi * 2 * t) > 0)).astype(np.float32)
    env = speech.mouth_envelope(gated, SR, FPS, 50)
    assert env.shape == (50,) and env.min() >= 0 and env.max() <= 1
    on = np.sin(2 * np.pi * 2 * (np.arange(50) + 0.5) / FPS) > 0.5
    off = np.sin(2 * np.pi * 2 * (np.arange(50) + 0.5) / FPS) < -0.5
    assert env[on].mean() > 0.8 and env[off].mean() < 0.2
    assert np.all(speech.mouth_envelope(np.zeros(SR, np.float32), SR, FPS, 25) == 0)


def test_sentence_pools_are_disjoint():
    evaluation, training = minitalk.read_sentences()
    assert len(evaluation) >= 10 and len(training) >= 20
    assert not set(evaluation) & set(training)
