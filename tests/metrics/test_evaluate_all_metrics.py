"""Every registered metric through the engine on real face clips (seeded random networks, as in mini)."""
import cv2
import numpy as np
import pytest
from skimage import data

from benchmarks import media
from benchmarks.records import ClipRecord
from metrics import evaluate as ev
from metrics.cache import FeatureCache

FPS, SR, N, SIZE = 25, 16000, 20, 128


def face_clip(seed):
    face = cv2.resize(data.astronaut()[31:211, 130:310], (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    out = []
    for i in range(N):
        m = cv2.getRotationMatrix2D((SIZE / 2, SIZE / 2), 4 * np.sin(i / 3 + seed), 1.0)
        out.append(cv2.warpAffine(face, m, (SIZE, SIZE), borderMode=cv2.BORDER_REFLECT))
    return np.stack(out)


@pytest.mark.slow  # ~1 min: I3D, SyncNet, AlexNet and dlib on CPU
def test_all_metrics_with_a_faceless_clip(tmp_path):
    audio = (0.2 * np.sin(np.arange(N * 640) / 9)).astype(np.float32)
    clips = {"a": face_clip(0), "b": face_clip(1), "noface": np.full((N, SIZE, SIZE, 3), 120, np.uint8)}
    records = []
    for clip_id, frames in clips.items():
        media.write_video(tmp_path / "gt" / f"{clip_id}.mp4", frames, FPS, audio=audio, sample_rate=SR)
        media.write_video(tmp_path / "gen" / f"{clip_id}.mp4", np.roll(frames, 1, axis=0), FPS)
        records.append(ClipRecord(clip_id, "th1kh", "eval", f"gt/{clip_id}.mp4", None, FPS, N, clip_id))
    cfg = {
        "enabled": ["psnr", "ssim", "lpips", "fvd", "lse", "pose_std", "csim"],
        "fps": FPS, "sample_rate": SR,
        "psnr": {"data_range": 255}, "ssim": {"data_range": 255, "variant": "wang"},
        "lpips": {"net": "alex", "init": "random"},
        "fvd": {"variant": "disco", "init": "random", "clip_mode": "first", "ddof": 1},
        "lse": {"init": "random", "vshift": 15},
        "pose_std": {}, "csim": {"encoder": "dlib", "frame_stride": 5},
        "bootstrap": {"n_resamples": 100, "seed": 0, "distribution_resamples": {"fvd": 5}},
    }
    ctx = {"profile": "mini", "seed": 0, "weights_dir": str(tmp_path / "weights")}
    result = ev.evaluate(records, tmp_path, tmp_path / "gen", cfg, ctx, FeatureCache(tmp_path / "cache"), progress=False)
    by_id = {c["clip_id"]: c for c in result["per_clip"]}
    assert by_id["a"]["error"] is None, by_id["a"]["error"]
    assert set(by_id["a"]["values"]) == set(cfg["enabled"])
    assert "pose_std: a face in 0 of 20 frames" in by_id["noface"]["error"]
    assert "psnr" in by_id["noface"]["values"] and "lse" in by_id["noface"]["values"]
    for key in ("psnr", "ssim", "lpips", "fvd", "lse_d", "lse_c", "lse_offset", "pose_std_deg", "csim"):
        assert result["summary"][key]["value"] is not None, key
    assert result["summary"]["pose_std_deg"]["n"] == 2
    assert result["weights"]["syncnet"] == "random-init:0"
    assert result["metric_variants"]["fvd"]["features"].startswith("random features")
    assert 0.9 < result["summary"]["csim"]["value"] <= 1.0
