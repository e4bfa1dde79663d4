"""Each wrapper against a fake of its program: documented arguments in, the program's own output layout
out, and a normalised 25 fps video of the benchmark size and the audio's length with the audio muxed."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from .baseline_fakes import GENERATED_VALUE, OTHER_VALUE
from .conftest import SECONDS, SIZE, install_fake

from baselines import registry
from benchmarks import media
from benchmarks.generate import generate

PANELS = {"aniportrait": [1030, 2, 1542, 514], "goha": [1024, 0, 1536, 512], "portrait4d": [512, 0, 1024, 512]}
METHODS = ["anitalker", "echomimic", "vexpress", "aniportrait", "hallo3", "float", "goha", "portrait4d",
           "real3dportrait"]


@pytest.mark.parametrize("method", METHODS)
def test_wrapper_runs_fake_program_and_normalises(method, bench, tmp_path):
    params = install_fake(bench(["clip0"]), method, tmp_path / f"{method} clone")
    summary = generate(params, "bench", method, tmp_path / "runs")

    sidecar = json.loads((tmp_path / "runs" / "bench" / method / "clip0.json").read_text())
    assert summary["available"] and sidecar["status"] == "ok", sidecar.get("error")
    out = tmp_path / "runs" / "bench" / method / "clip0.mp4"
    info = media.probe(out)
    assert (info.width, info.height) == SIZE
    assert info.fps == 25 and info.n_frames == round(25 * SECONDS)
    assert info.has_audio and abs(len(media.read_audio(out)) / 16000 - SECONDS) < 0.1
    # Only the generated panel survives the crop (the fakes paint other panels darker).
    video = media.read_video(out).astype(float)
    assert abs(video.mean() - GENERATED_VALUE) < 8, video.mean()
    assert sidecar["command"] and all(isinstance(a, str) for cmd in sidecar["command"] for a in cmd)
    assert sidecar["command"][-1][0] in ("bash", registry.get(method, params).interpreter()[0])
    assert sidecar["video_sha256"] and sidecar["wall_time_s"] > 0
    assert sidecar["normalisation"]["panel"] == PANELS.get(method)
    assert not (tmp_path / "runs" / "bench" / method / ".work" / "clip0").exists()


def test_goha_15fps_frames_are_retimed_not_resampled(bench, tmp_path):
    """One GOHA frame per driving frame: resampling 15 -> 25 fps would stretch the clip by 5/3."""
    params = install_fake(bench(["clip0"]), "goha", tmp_path / "goha")
    generate(params, "bench", "goha", tmp_path / "runs")
    norm = json.loads((tmp_path / "runs" / "bench" / "goha" / "clip0.json").read_text())["normalisation"]
    assert norm["raw_fps"] == pytest.approx(15)
    assert norm["frames_at_25fps"] == round(25 * SECONDS) and norm["frames_held"] == norm["frames_trimmed"] == 0


def test_vexpress_clip_dependent_rate_is_resampled_and_its_seed_recorded(bench, tmp_path):
    params = install_fake(bench(["clip0"], seconds=1.46), "vexpress", tmp_path / "vexpress")
    generate(params, "bench", "vexpress", tmp_path / "runs")
    sidecar = json.loads((tmp_path / "runs" / "bench" / "vexpress" / "clip0.json").read_text())
    norm = sidecar["normalisation"]
    duration = round(25 * 1.46) / 25  # the audio handed to the program covers the clip's 36 frames
    assert norm["raw_fps"] == pytest.approx(24 / duration, abs=1e-2)  # 24 frames over the audio, as the program writes
    assert norm["frames_at_25fps"] == round(25 * duration) and norm["frames_held"] == 0
    assert sidecar["seed"] == 42 and sidecar["command"][-1][-2:] == ["--seed", "42"]


def test_vexpress_audio_shorter_than_its_first_window_fails_the_clip(bench, tmp_path):
    params = install_fake(bench(["clip0"], seconds=0.6), "vexpress", tmp_path / "vexpress")
    summary = generate(params, "bench", "vexpress", tmp_path / "runs")
    sidecar = json.loads((tmp_path / "runs" / "bench" / "vexpress" / "clip0.json").read_text())
    assert summary["clips"][0]["status"] == "error" and sidecar["exit_status"] == 3 and "IndexError" in sidecar["error"]


def test_echomimic_picks_the_muxed_output_of_this_run(bench, tmp_path):
    params = install_fake(bench(["clip0"]), "echomimic", tmp_path / "echo")
    generate(params, "bench", "echomimic", tmp_path / "runs")
    norm = json.loads((tmp_path / "runs" / "bench" / "echomimic" / "clip0.json").read_text())["normalisation"]
    assert norm["raw_output"].endswith("_withaudio.mp4") and "/output/" in norm["raw_output"]
    assert norm["raw_size"] == [512, 512]


def test_novel_view_camera_reaches_video_driven_programs(bench, tmp_path):
    """The driving folder's labels are the target camera, written after the program's preprocessing."""
    from baselines.inputs import ClipInputs
    from benchmarks.records import read_manifest

    params = install_fake(bench(["clip0"]), "portrait4d", tmp_path / "p4d")
    wrapper = registry.get("portrait4d", params)
    record = read_manifest(tmp_path / "manifests" / "bench.jsonl")[0]
    clip = ClipInputs(record, tmp_path / "data")
    work = tmp_path / "work"
    wrapper.generate(clip, tmp_path / "out.mp4", work)
    labels = json.loads((work / "driving" / "dataset.json").read_text())["labels"]
    assert len(labels) == round(25 * SECONDS)
    np.testing.assert_allclose(labels[0][1], record.camera.label25(), atol=1e-6)
    assert not np.allclose(labels[0][1], record.reference_camera.label25())


def test_published_options_missing_gives_clip_error(bench, tmp_path):
    params = install_fake(bench(["clip0"]), "float", tmp_path / "float")
    del params["baselines"]["float"]["options"]["seed"]
    summary = generate(params, "bench", "float", tmp_path / "runs")
    assert summary["clips"][0]["status"] == "error" and "options.seed" in summary["clips"][0]["error"]


def test_other_panels_would_darken_an_uncropped_grid():
    """Guards the crop check above: a whole AniPortrait grid is far from the generated value."""
    grid = np.full((516, 1544), OTHER_VALUE, float)
    grid[2:514, 1030:1542] = GENERATED_VALUE
    assert abs(grid.mean() - GENERATED_VALUE) > 50


@pytest.mark.parametrize("method", METHODS)
def test_wrapper_runs_from_relative_runs_and_dataset_root(method, bench, tmp_path, monkeypatch):
    """`starcaster generate` from the repository root: `--runs runs` and a dataset root relative to it, while the
    program runs in its own clone, where a relative path would name another file."""
    params = install_fake(bench(["clip0"]), method, tmp_path / f"{method} clone")
    monkeypatch.chdir(tmp_path)
    params["datasets"]["bench"]["root"] = "data"
    summary = generate(params, "bench", method, Path("runs"))
    sidecar = json.loads((tmp_path / "runs" / "bench" / method / "clip0.json").read_text())
    assert summary["available"] and sidecar["status"] == "ok", sidecar.get("error")
    assert media.probe(tmp_path / "runs" / "bench" / method / "clip0.mp4").n_frames == round(25 * SECONDS)
    work_args = [a for cmd in sidecar["command"] for a in cmd if ".work" in a]
    assert work_args and all(Path(a.split("=")[-1]).is_absolute() for a in work_args), work_args


def test_sidecars_name_paths_inside_the_working_directory_relative_to_it(bench, tmp_path, monkeypatch):
    params = bench(["clip0"])
    monkeypatch.chdir(tmp_path)
    params["datasets"]["bench"]["root"] = "data"
    generate(params, "bench", "ground_truth", Path("runs"))
    sidecar = json.loads((tmp_path / "runs" / "bench" / "ground_truth" / "clip0.json").read_text())
    assert sidecar["status"] == "ok" and sidecar["normalisation"]["raw_output"] == "data/videos/clip0.mp4"


@pytest.mark.parametrize("method, seed_args", [("float", ["--seed", "15", "--fix_noise_seed"]),
                                               ("real3dportrait", ["--seed", "0"])])
def test_the_seed_reaches_the_program_and_two_runs_agree(method, seed_args, bench, tmp_path):
    """The fakes draw unseeded noise unless the program's own seeding is switched on (FLOAT: --fix_noise_seed;
    Real3DPortrait: --seed), so two runs agree only when the wrapper seeds the way the program does."""
    params = install_fake(bench(["clip0"]), method, tmp_path / f"{method} clone")
    videos = []
    for run in ("a", "b"):
        generate(params, "bench", method, tmp_path / run)
        sidecar = json.loads((tmp_path / run / "bench" / method / "clip0.json").read_text())
        assert sidecar["status"] == "ok", sidecar["error"]
        command = sidecar["command"][-1]
        assert all(arg in command for arg in seed_args) and sidecar["seed"] == int(seed_args[1])
        videos.append(sidecar["video_sha256"])
    assert videos[0] == videos[1]


def test_real3dportrait_holds_the_source_pose_instead_of_the_bundled_driving_video(bench, tmp_path):
    params = install_fake(bench(["clip0"]), "real3dportrait", tmp_path / "clone")
    generate(params, "bench", "real3dportrait", tmp_path / "runs")
    command = json.loads((tmp_path / "runs" / "bench" / "real3dportrait" / "clip0.json").read_text())["command"][-1]
    assert command[command.index("--drv_pose") + 1] == "static"
