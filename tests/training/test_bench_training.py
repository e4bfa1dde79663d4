"""scripts/bench_training.py: the synthetic batch it times carries a mouth where the lip-reading crop looks, the
lip encoder matches the profile's architecture, and a --lipread step really computes the lip-reading term."""
import json
import sys

import pytest
import torch

from benchmarks.params import render
from tests.scripts import load_script


@pytest.fixture(scope="module")
def script():
    return load_script("bench_training")


@pytest.mark.parametrize("profile, width, crop", [("paper", 64, 88), ("mini", 8, 44)])
def test_the_lip_encoder_has_the_profiles_architecture(script, profile, width, crop):
    reader = script.random_lip_reader(render(profile)["train"]["lipreader"])
    assert (reader.encoder.width, reader.crop.size) == (width, crop)
    assert "random" in reader.name


def test_the_mouth_crop_sees_the_synthetic_mouth(script):
    size = 128
    landmarks = script.mouth_landmarks(2, 6, size)
    reader = script.random_lip_reader(render("mini")["train"]["lipreader"])
    centre, side = reader.crop.boxes(landmarks)
    torch.testing.assert_close(centre, torch.tensor([size / 2, 0.7 * size]).expand(2, 6, 2), atol=1e-4, rtol=0)
    assert torch.all((side > 0.3 * size) & (side < size))  # 2 x the mouth's 0.24 * size width, inside the frame
    frames = torch.zeros(2, 6, 3, size, size)
    frames[..., int(0.6 * size):int(0.8 * size), int(0.35 * size):int(0.65 * size)] = 1.0  # a bright mouth
    crops = reader.crop(frames, landmarks)
    assert crops.shape == (2, 6, 44, 44)
    assert crops[..., 18:26, 18:26].mean() > crops[..., :3, :3].mean() + 1  # bright centre, darker border


def test_a_lipread_step_computes_both_terms(script, tmp_path, monkeypatch):
    out = tmp_path / "bench.json"
    monkeypatch.setattr(sys, "argv", ["bench_training", "--profile", "mini", "--lipread", "--steps", "1",
                                      "--out", str(out)])
    script.main()
    result = json.loads(out.read_text())
    assert set(result["last_terms"]) == {"diffusion", "lipread"}
    assert result["frames"] == 18 and len(result["step_s"]) == 1
    assert result["note"] == "random weights: speed and memory only"
