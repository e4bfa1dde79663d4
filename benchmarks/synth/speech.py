"""Speech for MiniTalk: espeak-ng when installed, else a deterministic formant synthesiser.

The fallback is a classic source-filter (Klatt-style cascade) synthesiser written with numpy/scipy
because no pip-installable TTS works offline without downloaded weights: a glottal pulse train at a
declining pitch, shaped per letter by three formant resonators (vowels) or by filtered noise
(consonants), with word gaps. It is not intelligible English, but it has speech's syllabic energy
rhythm (3-6 Hz), which is what the mouth animation and the audio-visual sync metrics need.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

ESPEAK = "espeak-ng"
ESPEAK_VARIANTS = ("m1", "m2", "m3", "m4", "m7", "f1", "f2", "f3", "f4", "f5")
ESPEAK_LANGUAGES = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp")

# (F1, F2, F3) in Hz of the vowel letters, from Peterson & Barney's averages.
VOWEL_FORMANTS = {
    "a": (730, 1090, 2440), "e": (530, 1840, 2480), "i": (390, 1990, 2550),
    "o": (570, 840, 2410), "u": (440, 1020, 2240), "y": (390, 1990, 2550),
}
VOICED_CONSONANTS = set("bdgjlmnrvwz")


@dataclass(frozen=True)
class Voice:
    language: str
    variant: str
    words_per_minute: int
    pitch: int  # espeak-ng's 0..99 scale; the fallback maps it to 90..250 Hz

    @classmethod
    def sample(cls, rng: np.random.Generator) -> Voice:
        return cls(
            language=str(rng.choice(ESPEAK_LANGUAGES)),
            variant=str(rng.choice(ESPEAK_VARIANTS)),
            words_per_minute=int(rng.integers(140, 181)),
            pitch=int(rng.integers(25, 76)),
        )


def espeak_available() -> bool:
    return shutil.which(ESPEAK) is not None


def describe(use_espeak: bool) -> str:
    """What made the speech, with espeak-ng's version (its output may change between versions)."""
    if not use_espeak:
        return "formant (numpy fallback, benchmarks/synth/speech.py)"
    done = subprocess.run([ESPEAK, "--version"], check=True, capture_output=True, text=True, timeout=30)
    return done.stdout.strip()


def synthesize(text: str, voice: Voice, sample_rate: int, use_espeak: bool) -> np.ndarray:
    """Mono float32 speech at ``sample_rate``, peak-normalised to 0.9."""
    audio = _espeak(text, voice, sample_rate) if use_espeak else _formant(text, voice, sample_rate)
    peak = float(np.max(np.abs(audio))) or 1.0
    return (0.9 * audio / peak).astype(np.float32)


def _espeak(text: str, voice: Voice, sample_rate: int) -> np.ndarray:
    import soundfile

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        cmd = [ESPEAK, "-v", f"{voice.language}+{voice.variant}", "-s", str(voice.words_per_minute),
               "-p", str(voice.pitch), "-w", str(wav), "--", text]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        audio, rate = soundfile.read(str(wav), dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    g = np.gcd(int(rate), int(sample_rate))
    return signal.resample_poly(audio, sample_rate // g, int(rate) // g).astype(np.float32)


def _resonator(x: np.ndarray, freq: float, bandwidth: float, sample_rate: int) -> np.ndarray:
    r = np.exp(-np.pi * bandwidth / sample_rate)
    a = [1.0, -2 * r * np.cos(2 * np.pi * freq / sample_rate), r * r]
    return signal.lfilter([sum(a)], a, x)


def _formant(text: str, voice: Voice, sample_rate: int) -> np.ndarray:
    """One segment per letter: vowels voiced through formants, consonants as short noise or hum."""
    rng = np.random.default_rng(sum(map(ord, text)) + 1000 * voice.pitch + voice.words_per_minute)
    letter_s = 60.0 / voice.words_per_minute / 5.0  # ~5 letters per word
    f0_start = 90.0 + 1.6 * voice.pitch
    pieces = []
    words = [w for w in "".join(c.lower() if c.isalpha() else " " for c in text).split()]
    total = sum(len(w) for w in words) or 1
    done = 0
    for word in words:
        for letter in word:
            n = int(sample_rate * letter_s * (1.4 if letter in VOWEL_FORMANTS else 0.7))
            t = np.arange(n) / sample_rate
            f0 = f0_start * (1.0 - 0.25 * done / total) * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))
            pulses = (np.diff(np.floor(np.cumsum(f0) / sample_rate), prepend=0) > 0).astype(np.float64)
            source = signal.lfilter([1.0], [1.0, -0.95], pulses)
            if letter in VOWEL_FORMANTS:
                x = source
                for f, bw in zip(VOWEL_FORMANTS[letter], (80, 100, 150)):
                    x = _resonator(x, f * rng.uniform(0.95, 1.05), bw, sample_rate)
                gain = 1.0
            elif letter in VOICED_CONSONANTS:
                x, gain = _resonator(source, 300, 150, sample_rate), 0.25
            else:
                x, gain = _resonator(rng.standard_normal(n), 3500 + 1500 * rng.random(), 2000, sample_rate), 0.1
            x = x / (np.max(np.abs(x)) or 1.0)
            pieces.append(gain * x * np.hanning(n))
            done += 1
        pieces.append(np.zeros(int(sample_rate * rng.uniform(0.06, 0.14))))
    return np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(sample_rate, np.float32)


def fit_length(audio: np.ndarray, n_samples: int, sample_rate: int, lead_s: float = 0.2) -> np.ndarray:
    """Lead silence, then the speech, trimmed (with a 50 ms fade) or zero-padded to ``n_samples``."""
    out = np.zeros(n_samples, np.float32)
    lead = min(int(lead_s * sample_rate), n_samples)
    body = audio[: n_samples - lead].copy()
    if len(audio) > n_samples - lead:
        fade = min(len(body), int(0.05 * sample_rate))
        body[len(body) - fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
    out[lead:lead + len(body)] = body
    return out


def mouth_envelope(audio: np.ndarray, sample_rate: int, fps: float, n_frames: int) -> np.ndarray:
    """Per-video-frame mouth opening in [0, 1] from the speech loudness (dB RMS over each frame period).

    30 dB below the loudest frame maps to a closed mouth, 2 dB below to a fully open one, so syllables
    open and close it. A short smoothing keeps the jaw from jumping faster than a real one. (Framed RMS
    in numpy: librosa.feature.rms gives the same numbers but its import alone takes seconds.)
    """
    hop = int(round(sample_rate / fps))
    x = np.pad(np.asarray(audio, np.float64), (0, max(0, n_frames * hop - len(audio))))[: n_frames * hop]
    rms = np.sqrt(np.mean(x.reshape(n_frames, hop) ** 2, axis=1))
    db = 20 * np.log10(np.maximum(rms, 1e-8) / (rms.max() or 1.0))
    opening = np.clip((db + 30.0) / 28.0, 0.0, 1.0)
    opening = np.convolve(np.pad(opening, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
    return opening.astype(np.float64)
