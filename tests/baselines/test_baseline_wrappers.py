"""Each wrapper against a fake of its program: documented arguments in, the program's own output layout
out, and a normalised 25 fps video of the benchmark size and the audio's length with the audio muxed."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from baselines import registry
from benchmarks import media
from benchmarks.generate import generate

from .baseline_fakes import GENERATED_VALUE, OTHER_VALUE
from .conftest import SECONDS, SIZE, install_fake

PANELS = {"aniportrait": [1030, 2, 1542, 514], "goha": [1024, 0, 1536, 512], "portrait4d": [512, 0, 1024, 512]}
METHODS = ["anitalker", "echomimic", "vexpress", "aniportrait", "hallo3", "float", "goha", "portrait4d",
           "real3dportrait"]
# AniPortrait's pose model crashes on audio of 5 s or less (audio2vid.py:181-184): its clips are longer
CLIP_SECONDS = {"aniportrait": 5.2}


def seconds(method: str) -> float:
    return CLIP_SECONDS.get(method, SECONDS)


@pytest.mark.parametrize("method", METHODS)
def test_wrapper_runs_fake_program_and_normalises(method, bench, tmp_path):
    params = install_fake(bench(["clip0"], seconds=seconds(method)), method, tmp_path / f"{method} clone")
    summary = generate(params, "bench", method, tmp_path / "runs")

    sidecar = json.loads((tmp_path / "runs" / "bench" / method / "clip0.json").read_text())
    assert summary["available"] and sidecar["status"] == "ok", sidecar.get("error")
    out = tmp_path / "runs" / "bench" / method / "clip0.mp4"
    info = media.probe(out)
    assert (info.width, info.height) == SIZE
    assert info.fps == 25 and info.n_frames == round(25 * seconds(method))
    assert info.has_audio and abs(len(media.read_audio(out)) / 16000 - seconds(method)) < 0.1
    # Only the generated panel survives the crop (the fakes paint other panels darker).
    video = media.read_video(out).astype(float)
    assert abs(video.mean() - GENERATED_VALUE) < 8, video.mean()
    assert sidecar["command"] and all(isinstance(a, str) for cmd in sidecar["command"] for a in cmd)
    assert sidecar["command"][-1][0] == registry.get(method, params).interpreter()[0]
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
    assert summary["clips"][0]["status"] == "error" and sidecar["exit_status"] == 1 and "IndexError" in sidecar["error"]


def test_echomimic_picks_the_muxed_output_of_this_run_and_passes_the_clip_length(bench, tmp_path):
    params = install_fake(bench(["clip0"]), "echomimic", tmp_path / "echo")
    generate(params, "bench", "echomimic", tmp_path / "runs")
    sidecar = json.loads((tmp_path / "runs" / "bench" / "echomimic" / "clip0.json").read_text())
    norm = sidecar["normalisation"]
    assert norm["raw_output"].endswith("_withaudio.mp4") and "/output/" in norm["raw_output"]
    assert norm["raw_size"] == [512, 512]
    command = sidecar["command"][-1]
    assert int(command[command.index("-L") + 1]) > round(25 * SECONDS)  # the program's 1200-frame cap lifted
    assert norm["frames_trimmed"] == 2  # the program makes the audio's frames + 2


def test_goha_renders_the_target_camera_carried_into_each_frames_head_frame(bench, tmp_path):
    """On a novel-view benchmark the driving labels that GOHA renders are the target camera, converted from the
    labels EG3D's preprocessing estimated for the reference view."""
    from baselines import cameras
    from baselines.inputs import ClipInputs
    from benchmarks.records import read_manifest

    params = install_fake(bench(["clip0"]), "goha", tmp_path / "goha")
    params["baselines"]["starcaster"]["novel_view_benchmarks"] = ["bench"]
    wrapper = registry.get("goha", params, "bench")
    record = read_manifest(tmp_path / "manifests" / "bench.jsonl")[0]
    work = tmp_path / "work"
    wrapper.generate(ClipInputs(record, tmp_path / "data"), tmp_path / "out.mp4", work)
    labels = json.loads((work / "driving" / "clip0" / "dataset.json").read_text())["labels"]
    assert len(labels) == round(25 * SECONDS)
    estimated = np.array([1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 2.7, 0, 0, 0, 1, 4.2647, 0, 0.5, 0, 4.2647, 0.5, 0, 0, 1.0])
    world = [np.linalg.inv(np.asarray(c.world_2_cam)) for c in (record.reference_camera, record.camera)]
    np.testing.assert_allclose(labels[0][1], cameras.target_labels(*world, estimated)[0], atol=1e-9)
    assert not np.allclose(labels[0][1], estimated)
    assert np.linalg.norm(np.array(labels[0][1][:16]).reshape(4, 4)[:3, 3]) == pytest.approx(2.7)


@pytest.mark.parametrize("method", ["portrait4d", "real3dportrait", "anitalker"])
def test_programs_without_target_camera_control_are_not_scored_on_novel_views(method, bench, tmp_path):
    params = install_fake(bench(["clip0"]), method, tmp_path / method)
    params["baselines"]["starcaster"]["novel_view_benchmarks"] = ["bench"]
    summary = generate(params, "bench", method, tmp_path / "runs")
    assert not summary["available"] and "no target-camera control" in summary["reason"]
    assert summary["clips"][0]["status"] == "not available"


def test_a_missing_published_option_is_found_by_the_preflight(bench, tmp_path):
    params = install_fake(bench(["clip0"]), "float", tmp_path / "float")
    del params["baselines"]["float"]["options"]["seed"]
    summary = generate(params, "bench", "float", tmp_path / "runs")
    assert summary["clips"][0]["status"] == "not available" and "options.seed is not set" in summary["reason"]


def test_other_panels_would_darken_an_uncropped_grid():
    """Guards the crop check above: a whole AniPortrait grid is far from the generated value."""
    grid = np.full((516, 1544), OTHER_VALUE, float)
    grid[2:514, 1030:1542] = GENERATED_VALUE
    assert abs(grid.mean() - GENERATED_VALUE) > 50


@pytest.mark.parametrize("method", METHODS)
def test_wrapper_runs_from_relative_runs_and_dataset_root(method, bench, tmp_path, monkeypatch):
    """`starcaster generate` from the repository root: `--runs runs` and a dataset root relative to it, while the
    program runs in its own clone, where a relative path would name another file."""
    params = install_fake(bench(["clip0"], seconds=seconds(method)), method, tmp_path / f"{method} clone")
    monkeypatch.chdir(tmp_path)
    params["datasets"]["bench"]["root"] = "data"
    summary = generate(params, "bench", method, Path("runs"))
    sidecar = json.loads((tmp_path / "runs" / "bench" / method / "clip0.json").read_text())
    assert summary["available"] and sidecar["status"] == "ok", sidecar.get("error")
    assert media.probe(tmp_path / "runs" / "bench" / method / "clip0.mp4").n_frames == round(25 * seconds(method))
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
                                               ("real3dportrait", ["--seed", "0"]), ("anitalker", ["--seed", "0"]),
                                               ("echomimic", ["--seed", "420"]), ("vexpress", ["--seed", "42"]),
                                               ("hallo3", ["--seed", "42"])])
def test_the_seed_reaches_the_program_and_two_runs_agree(method, seed_args, bench, tmp_path):
    """The fakes draw unseeded noise unless the program's own seeding is switched on (FLOAT: --fix_noise_seed;
    Real3DPortrait: --seed; EchoMimic: a seed above -1), so two runs agree only when the wrapper seeds the way the
    program does."""
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


def test_aniportrait_seed_is_passed_but_its_pose_identity_is_not_seeded(bench, tmp_path):
    """AniPortrait seeds torch only; its pose model's identity comes from an unseeded `random` (audio2vid.py:102, :172):
    the seed is recorded, and two runs differ, as the wrapper's ``seeding`` says."""
    params = install_fake(bench(["clip0"], seconds=5.2), "aniportrait", tmp_path / "clone")
    hashes = set()
    for run in range(6):  # the fake shades its frames by one of 13 draws: 6 equal runs have odds of 13**-5
        generate(params, "bench", "aniportrait", tmp_path / str(run))
        sidecar = json.loads((tmp_path / str(run) / "bench" / "aniportrait" / "clip0.json").read_text())
        assert sidecar["seed"] == 42 and sidecar["program"]["seeding"].startswith("partial")
        hashes.add(sidecar["video_sha256"])
        if len(hashes) > 1:
            break
    assert len(hashes) > 1


def black_frame_in_reference_view(tmp_path, clip_id: str, index: int = 10) -> None:
    """Frame ``index`` of the clip's reference view black: face detectors find no face there."""
    from .conftest import frames

    path = tmp_path / "data" / "videos" / f"{clip_id}_ref.mp4"
    video = frames(round(25 * SECONDS), offset=3)
    video[index] = 0
    media.write_video(path, video, 25)


# (method, how a bad clip fails in the real program, a fragment of the recorded error, its exit status)
FAILURES = [
    ("anitalker", "crash", "the input cannot be processed", 0),  # demo.py prints and calls exit(0)
    ("echomimic", "crash", "Traceback", 1),
    ("vexpress", "short", "IndexError", 1),  # audio under one 24-frame window
    ("aniportrait", "short", "pose model cannot take this clip's audio: 5 s or less", None),  # refused before the run
    ("hallo3", "crash", "Traceback", 1),
    ("float", "crash", "Traceback", 1),
    ("goha", "noface", "cropped 24 of 25 frames", 0),  # EG3D's os.system chain exits 0
    ("portrait4d", "noface", "kept 10 of 25 driving frames", 0),  # preprocessing stops at the face-less frame, exit 0
    ("real3dportrait", "crash", "the input cannot be processed", 0),  # the ffmpeg mux fails silently
]


@pytest.mark.parametrize("method, how, fragment, status", FAILURES)
def test_each_programs_own_failure_is_a_per_clip_error_and_the_others_go_on(method, how, fragment, status, bench,
                                                                             tmp_path):
    length = {"vexpress": 0.6, "aniportrait": 4.0}[method] if how == "short" else seconds(method)
    bad_id = "b_crash" if how == "crash" else "b_bad"
    params = install_fake(bench(["a_ok", bad_id], seconds=length), method, tmp_path / method)
    if how == "noface":
        black_frame_in_reference_view(tmp_path, bad_id)
    summary = generate(params, "bench", method, tmp_path / "runs")
    status_of = {c["clip_id"]: c for c in summary["clips"]}
    bad = json.loads((tmp_path / "runs" / "bench" / method / f"{bad_id}.json").read_text())
    assert bad["status"] == "error" and fragment in bad["error"] and bad["exit_status"] == status, bad["error"]
    assert not (tmp_path / "runs" / "bench" / method / f"{bad_id}.mp4").exists()
    if how != "short":  # a short clip is short for every clip of that benchmark
        assert status_of["a_ok"]["status"] == "ok", status_of["a_ok"]["error"]


@pytest.mark.parametrize("method, change, fragment", [
    ("float", ("audio=a.aud_path", "audio=None"), "has no audio track: the program's own mux step did not finish"),
    ("anitalker", ("steps // 2, 256, 256", "steps // 2, 128, 128"), "wrote 128x128 frames, not its 256x256"),
])
def test_an_output_is_accepted_by_its_content_not_by_exit_status(method, change, fragment, bench, tmp_path):
    """A program that exits 0 with a silent video (its mux failed) or frames of another size is refused."""
    repo = tmp_path / method
    params = install_fake(bench(["c0"]), method, repo)
    script = repo / {"float": "generate.py", "anitalker": "code/demo.py"}[method]
    script.write_text(script.read_text().replace(*change))
    generate(params, "bench", method, tmp_path / "runs")
    sidecar = json.loads((tmp_path / "runs" / "bench" / method / "c0.json").read_text())
    assert sidecar["status"] == "error" and fragment in sidecar["error"] and sidecar["exit_status"] == 0


def test_real3dportrait_never_reuses_the_previous_runs_cropped_source(bench, tmp_path, monkeypatch):
    """The program crops into one shared file of its clone (real3d_infer.py:195), and a failed crop leaves the
    previous clip's image there: it is gone before the program starts."""
    from baselines import protocol

    params = install_fake(bench(["clip0"]), "real3dportrait", tmp_path / "clone")
    stale = tmp_path / "clone" / "infer_out" / "tmp" / "cropped_src_img.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"the previous clip")
    seen = []
    run_step = protocol.run_step
    monkeypatch.setattr(protocol, "run_step", lambda *a, **k: (seen.append(stale.exists()), run_step(*a, **k)))
    summary = generate(params, "bench", "real3dportrait", tmp_path / "runs")
    assert summary["clips"][0]["status"] == "ok" and seen == [False]


def test_vexpress_runs_under_a_folder_named_like_its_output(bench, tmp_path):
    """V-Express replaces the output's stem everywhere in the path to name its temporary video (utils.py:74-75): a
    runs folder named "output" must not break it."""
    params = install_fake(bench(["clip0"]), "vexpress", tmp_path / "vexpress")
    summary = generate(params, "bench", "vexpress", tmp_path / "output" / "output.mp4 runs")
    assert summary["clips"][0]["status"] == "ok", summary["clips"][0]["error"]


@pytest.mark.parametrize("seconds, crashes", [(2.0, True), (4.99, True), (5.0, True), (9.97, True), (10.0, True),
                                              (15.0, True), (5.01, False), (7.3, False), (10.01, False), (12.5, False)])
def test_aniportrait_pose_model_crashes_where_the_published_chunking_fails(seconds, crashes):
    """The durations re-run through audio2vid.py:176-184's arithmetic in docs/programs/aniportrait.md (6c)."""
    from baselines.aniportrait import pose_model_crash

    assert (pose_model_crash(round(seconds * 16000)) is not None) == crashes
