"""Reproducibility, the espeak-ng-free fallback and atomic replacement, on micro builds (10-frame clips)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import media
from benchmarks.datasets import minitalk

from .conftest import MICRO, config


@pytest.mark.slow  # three builds, ~30 s on 2 busy cores
def test_same_seed_same_bytes_any_workers_other_seed_other_bytes(micro_build):
    _, first = micro_build("seed0a", seed=0, workers=1)
    _, again = micro_build("seed0b", seed=0, workers=2)
    _, other = micro_build("seed1", seed=1)
    assert first["files"] == again["files"]
    assert set(other["files"]) == set(first["files"])  # same layout ...
    videos = [p for p in first["files"] if p.endswith(".mp4") or p.endswith(".wav")]
    assert all(other["files"][p] != first["files"][p] for p in videos)  # ... different content


def test_fallback_without_espeak(micro_build, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng (nor ffmpeg) on PATH
    root, summary = micro_build("fallback", seed=0, synthesiser="auto", clip_seconds=2.0)
    assert summary["synthesiser"] == "formant"
    [clip] = summary["split"]["th1kh"]
    audio = media.read_audio(root / f"{clip}.mp4")
    assert np.abs(audio).max() > 0.3
    truth = json.loads((root / "ground_truth" / f"{clip}.json").read_text())
    assert truth["synthesiser"] == "formant" and np.ptp(truth["mouth_open"]) > 0.1


def test_asking_for_missing_espeak_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="espeak-ng"):
        minitalk.build(*config(tmp_path / "out", **MICRO, synthesiser="espeak-ng"))
    assert not (tmp_path / "out").exists()


def test_failed_build_keeps_the_previous_one(micro_build, tmp_path):
    root, summary = micro_build("previous", seed=0)
    cfg, datasets = config(root, **MICRO)
    datasets["hallo3"]["root"] = str(tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="not inside minitalk.out"):
        minitalk.build(cfg, datasets)
    assert json.loads((root / "minitalk.json").read_text()) == summary
    assert [p.name for p in root.parent.iterdir()] == ["minitalk"]  # no temp folders left behind
