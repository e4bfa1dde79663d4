"""Built-in references, import of outside outputs, and normalisation edge cases."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from baselines.inputs import ClipError
from baselines.normalise import Panel, Source, normalise
from benchmarks import media
from benchmarks.generate import generate

from .conftest import REPO, SIZE, frames, tone


def clip_value(frame) -> float:
    return float(np.asarray(frame, float).mean())


def test_ground_truth_reproduces_the_clip(bench, tmp_path):
    generate(bench(["c0"]), "bench", "ground_truth", tmp_path / "runs")
    out = media.read_video(tmp_path / "runs" / "bench" / "ground_truth" / "c0.mp4")
    truth = frames(25)
    assert out.shape == truth.shape
    assert np.abs(out.astype(float) - truth).mean() < 2  # frame k is still frame k after re-encoding


def test_static_reference_holds_the_reference_frame_of_the_reference_view(bench, tmp_path):
    generate(bench(["c0"]), "bench", "static_reference", tmp_path / "runs")
    path = tmp_path / "runs" / "bench" / "static_reference" / "c0.mp4"
    out = media.read_video(path).astype(float)
    assert out.shape == (25, SIZE[1], SIZE[0], 3) and media.probe(path).has_audio
    assert np.abs(out - out[0]).max() <= 2  # no motion
    assert abs(clip_value(out[0]) - (20 + 6 * 2 + 3)) < 3  # reference_frame=2 of the reference view (offset 3)


def test_import_normalises_outside_videos_and_reports_missing_ones(bench, tmp_path):
    params = bench(["c0", "c1"])
    folder = tmp_path / "outside"
    media.write_video(folder / "c0.mp4", frames(36, size=(128, 96)), 30)  # 1.2 s at 30 fps, no audio
    summary = generate(params, "bench", "paper_method", tmp_path / "runs", import_from=str(folder))
    status = {c["clip_id"]: c for c in summary["clips"]}
    assert status["c0"]["status"] == "ok" and status["c1"]["status"] == "error"
    assert "no c1." in status["c1"]["error"]
    info = media.probe(tmp_path / "runs" / "bench" / "paper_method" / "c0.mp4")
    assert (info.width, info.height, info.fps, info.n_frames, info.has_audio) == (*SIZE, 25, 25, True)
    meta = json.loads((tmp_path / "runs" / "bench" / "paper_method" / "c0.json").read_text())
    assert meta["normalisation"]["frames_trimmed"] == 5 and len(meta["normalisation"]["imported_sha256"]) == 64


def test_an_import_the_protocol_cannot_score_is_an_error_naming_both_sizes(bench, tmp_path):
    params = bench(["c0", "c1", "c2"])
    folder = tmp_path / "outside"
    media.write_video(folder / "c0.mp4", frames(25, size=(256, 32)), 25)  # aspect 8 against 4:3
    media.write_video(folder / "c1.mp4", frames(25, size=(24, 18)), 25)  # a side under min_side (32)
    media.write_video(folder / "c2.mp4", frames(25, size=(96, 96)), 25)  # square against 4:3: within 0.5
    summary = generate(params, "bench", "paper_method", tmp_path / "runs", import_from=str(folder))
    status = {c["clip_id"]: c for c in summary["clips"]}
    assert status["c0"]["status"] == "error" and "256x32 frames against the ground truth's 64x48" in status["c0"]["error"]
    assert "aspect ratio 8.000 against 1.333" in status["c0"]["error"]
    assert status["c1"]["status"] == "error" and "24x18 frames" in status["c1"]["error"]
    assert "min_side (32 px)" in status["c1"]["error"]
    assert status["c2"]["status"] == "ok"
    assert not (tmp_path / "runs" / "bench" / "paper_method" / "c0.mp4").exists()


def test_short_output_is_an_error_not_a_padded_video(tmp_path):
    media.write_video(tmp_path / "short.mp4", frames(10), 25)
    with pytest.raises(ClipError, match="covers 10 of 25"):
        normalise(Source(tmp_path / "short.mp4"), tmp_path / "out.mp4", size=SIZE, n_frames=25, audio=tone())
    assert not (tmp_path / "out.mp4").exists()


def test_small_shortfall_holds_the_last_frame(tmp_path):
    media.write_video(tmp_path / "v.mp4", frames(24), 25)
    stats = normalise(Source(tmp_path / "v.mp4"), tmp_path / "out.mp4", size=SIZE, n_frames=25, audio=tone())
    out = media.read_video(tmp_path / "out.mp4").astype(float)
    assert stats["frames_held"] == 1 and len(out) == 25 and np.abs(out[24] - out[23]).max() <= 2


def test_wrong_grid_size_is_refused(tmp_path):
    media.write_video(tmp_path / "v.mp4", frames(25, size=(512, 512)), 25)
    with pytest.raises(ClipError, match="expected the 1544x516 panel grid"):
        normalise(Source(tmp_path / "v.mp4"), tmp_path / "out.mp4", size=SIZE, n_frames=25, audio=None,
                  panel=Panel(1030, 2, 1542, 514, grid=(1544, 516)))


def test_frame_folder_at_another_rate_is_resampled_by_index(tmp_path):
    from baselines.inputs import write_image

    source = frames(50, step=4)
    for k, image in enumerate(source):  # 50 frames at 50 fps = 1 s
        write_image(tmp_path / "frames" / f"{k:04d}.jpg", image)
    stats = normalise(Source(tmp_path / "frames", fps=50), tmp_path / "out.mp4", size=SIZE, n_frames=25, audio=None)
    out = media.read_video(tmp_path / "out.mp4")
    assert stats["frames_at_25fps"] == 25
    assert abs(clip_value(out[10]) - clip_value(source[20])) < 2  # every second source frame


def test_corrupt_output_is_a_clip_error(tmp_path):
    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    with pytest.raises(ClipError, match="cannot open"):
        normalise(Source(tmp_path / "bad.mp4"), tmp_path / "out.mp4", size=SIZE, n_frames=25, audio=None)


MINI = REPO / "benchmarks" / "manifests" / "mini"


@pytest.mark.skipif(not (REPO / "data" / "minitalk").is_dir() or not MINI.is_dir(),
                    reason="MiniTalk (data/minitalk) and its committed manifests are not built")
@pytest.mark.parametrize("method", ["ground_truth", "static_reference"])
def test_references_on_minitalk(method, tmp_path, monkeypatch):
    from benchmarks import params as params_mod
    from benchmarks.records import read_manifest

    monkeypatch.chdir(REPO)  # params paths are relative to the repository root
    params = params_mod.render("mini", Path("params"))
    for bench_name in ("th1kh", "nersemble"):
        manifest = Path(params["manifests"]["dir"]) / f"{bench_name}.jsonl"
        if not manifest.is_file():
            continue
        records = read_manifest(manifest)[:2]
        params["manifests"]["dir"] = str(tmp_path / "m")
        os.makedirs(tmp_path / "m", exist_ok=True)
        (tmp_path / "m" / f"{bench_name}.jsonl").write_text(
            "".join(json.dumps(r.to_dict()) + "\n" for r in records))
        summary = generate(params, bench_name, method, tmp_path / "runs")
        assert all(c["status"] == "ok" for c in summary["clips"]), summary["clips"]
        for record in records:
            info = media.probe(tmp_path / "runs" / bench_name / method / f"{record.clip_id}.mp4")
            truth = media.probe(record.resolve(params["datasets"][bench_name]["root"]))
            assert info.fps == 25 and (info.width, info.height) == (truth.width, truth.height)
            assert abs(info.n_frames - 25 * truth.duration) <= 1
        params = params_mod.render("mini", Path("params"))
