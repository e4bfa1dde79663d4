"""scripts/bench_metrics_reference.py on one tiny synthetic clip: engine and reference tools agree within the
parity tests' tolerances. FID is left out: its two 2048-d Frechet distances take a minute (test_fid.py's
slow test checks the same pytorch-fid parity)."""

import numpy as np
import pytest

from benchmarks import media
from benchmarks.records import ClipRecord
from tests import scripts

from .test_evaluate_all_metrics import FPS, SR, face_clip

# A difference passes within either (abs, rel). From the parity tests: scikit-image identical (test_pixel.py);
# lpips rtol 1e-5 (test_perceptual.py); syncnet_python evaluate rel 1e-5, abs 1e-6 (test_lse.py); I3D features:
# float32 rounding of the resize and batching. Pose and identity follow recipes that differ from the engine's
# on purpose (docs/metrics.md, "Engine vs reference tools"): the Pose Std recovery tolerance (20%) and a CSIM
# margin far below the own/other identity gap (0.98 vs 0.88).
TOLERANCES = {
    "psnr": (0, 0), "ssim": (0, 0), "lpips": (0, 1e-5),
    "lse_d": (0, 1e-5), "lse_c": (1e-6, 1e-5), "lse_offset": (0, 0),
    "features": (1e-5, 1e-4),
    "pose_std_rad100": (0, 0.2), "pose_std_deg": (0, 0.2),
    "csim": (0.01, 0),
}


def load_script():
    return scripts.load_script("bench_metrics_reference")


@pytest.fixture(scope="module")
def bench():
    return load_script()


def test_difference_handles_infinities_and_zero(bench):
    assert bench.difference(float("inf"), float("inf")) == (0.0, 0.0)
    assert bench.difference(1.5, 1.0) == (0.5, 0.5)
    assert bench.difference(1e-9, 0.0)[1] == float("inf")


@pytest.mark.parametrize("enabled", [
    ["psnr", "ssim", "lpips", "lse", "pose_std", "csim"],
    pytest.param(["fvd"], marks=pytest.mark.slow),  # I3D on CPU
])
def test_engine_matches_reference_tools_on_a_synthetic_clip(bench, tmp_path, enabled):
    n = 16  # FVD's minimum
    frames = face_clip(0)[:n]
    audio = (0.2 * np.sin(np.arange(n * 640) / 9)).astype(np.float32)
    media.write_video(tmp_path / "gt" / "a.mp4", frames, FPS)
    media.write_audio(tmp_path / "gt" / "a.wav", audio, SR)  # PCM: both sides read the same int16 samples
    media.write_video(tmp_path / "gen" / "a.mp4", np.roll(frames, 1, axis=0), FPS)
    records = [ClipRecord("a", "th1kh", "eval", "gt/a.mp4", "gt/a.wav", FPS, n, "a")]
    cfg = {
        "enabled": enabled, "fps": FPS, "sample_rate": SR,
        "psnr": {"data_range": 255}, "ssim": {"data_range": 255, "variant": "skimage"},
        "lpips": {"net": "alex", "init": "random"},
        "fvd": {"variant": "disco", "init": "random", "clip_mode": "first", "ddof": 1},
        "lse": {"init": "random", "vshift": 15},
        "pose_std": {}, "csim": {"encoder": "dlib", "frame_stride": 5},
        "bootstrap": {"n_resamples": 10, "seed": 0, "distribution_resamples": {}},
    }
    ctx = {"profile": "test", "seed": 0, "weights_dir": str(tmp_path / "weights"), "device": "cpu"}
    report = bench.compare(records, tmp_path, tmp_path / "gen", cfg, ctx, warm=False)

    rows = {row["metric"]: row for row in report["rows"]}
    assert list(rows) == ["decode", *enabled, "total"]
    assert rows["total"]["engine_s"] > 0 and rows["total"]["reference_s"] > 0
    for name in enabled:
        row = rows[name]
        if name != "fvd":  # one clip: one I3D feature per side, no distance; the features are compared
            assert row["clips_scored"] == {"engine": 1, "reference": 1}, name
        assert row["diff"], name
        for key, diff in row["diff"].items():
            abs_tol, rel_tol = TOLERANCES[key]
            assert diff["max_abs_diff"] <= abs_tol or diff["max_rel_diff"] <= rel_tol, (name, key, diff)
