"""MiniTalk's files follow docs/data-layouts.md and its ground truth has the documented shapes."""
from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from benchmarks import media
from benchmarks.datasets import minitalk
from benchmarks.records import Camera
from benchmarks.synth import views

pytestmark = pytest.mark.slow  # the session's tiny build takes ~30 s on 2 busy cores


def _is_rotation(R) -> bool:
    R = np.asarray(R)
    return np.allclose(R @ R.T, np.eye(3), atol=1e-6) and np.isclose(np.linalg.det(R), 1.0, atol=1e-6)


def _truth(root: Path, video: Path) -> dict:
    return json.loads((root / "ground_truth" / video.relative_to(root).with_suffix(".json")).read_text())


def test_th1kh_tubes_name_existing_clips(tiny):
    root, summary = tiny
    data_list = root / "th1kh" / "data_list"
    tubes = (data_list / "val_video_tubes.txt").read_text().splitlines()
    ids = (data_list / "val_video_ids.txt").read_text().splitlines()
    assert len(tubes) == len(ids) == 2  # clips g = 0, 3 of 6
    for line, vid in zip(tubes, ids):
        name, H, W, S, E, L, T, R, B = line.split(",")
        assert name == vid
        H, W, S, E, L, T, R, B = map(int, (H, W, S, E, L, T, R, B))
        clip = root / "th1kh" / "val" / "cropped_clips" / f"{name}_S{S}_E{E}_L{L}_T{T}_R{R}_B{B}.mp4"
        info = media.probe(clip)
        assert (info.width, info.height, info.n_frames, info.fps) == (R - L, B - T, E - S + 1, 25.0)  # S..E inclusive
        assert info.has_audio and 0 <= L < R <= W and 0 <= T < B <= H


def test_hallo3_videos_have_audio_and_captions(tiny):
    root, _ = tiny
    videos = sorted((root / "hallo3" / "videos").glob("*.mp4"))
    assert [v.name for v in videos] == ["0001.mp4", "0002.mp4"]
    for v in videos:
        caption = (root / "hallo3" / "caption" / f"{v.stem}.txt").read_text()
        assert _truth(root, v)["sentence"] in caption
        assert media.probe(v).has_audio
        assert len(media.read_audio(v)) >= 2.0 * 16000


def test_training_folders_and_identities(tiny):
    root, summary = tiny
    files = 0
    for name in minitalk.TRAIN_SETS:
        folder = root / "talking" / name
        rows = list(csv.DictReader((folder / "identities.csv").open()))
        assert sorted(r["file"] for r in rows) == sorted(p.name for p in folder.glob("*.mp4"))
        for r in rows:
            assert _truth(root, folder / r["file"])["identity"] == r["identity"]
        files += len(rows)
    assert files == 2


def test_split_holds_out_evaluation_sentences(tiny):
    root, summary = tiny
    evaluation, training = minitalk.read_sentences()
    for dataset, rels in summary["split"].items():
        if dataset == "rule":
            continue
        pool = evaluation if dataset in ("th1kh", "hallo3", "nersemble") else training
        for rel in rels:
            assert _truth(root, root / f"{rel}.mp4")["sentence"] in pool


def test_nersemble_camera_params_v2(tiny):
    root, _ = tiny
    params = json.loads((root / "nersemble" / "001" / "calibration" / "camera_params.json").read_text())
    assert set(params["world_2_cam"]) == set(views.NERSEMBLE_SERIALS)
    K = np.asarray(params["intrinsics"])
    assert K.shape == (3, 3) and np.allclose(K[:2, 2], [1604, 1100])
    seq = root / "nersemble" / "001" / "sequences" / minitalk.NERSEMBLE_SEQUENCE
    audio, sr = soundfile.read(seq / "audio" / "audio_recording.wav")
    assert sr == 16000 and len(audio) == 16000
    for serial, E in params["world_2_cam"].items():
        E = np.asarray(E)
        assert E.shape == (4, 4) and _is_rotation(E[:3, :3]) and np.allclose(E[3], [0, 0, 0, 1])
        video = seq / "images" / f"cam_{serial}.mp4"
        info = media.probe(video)
        assert (info.width, info.height, info.n_frames) == (320, 220, 25)
        cam = Camera.from_arrays(serial, K, E, (3208, 2200)).scaled(info.width, info.height)
        truth = _truth(root, video)
        assert np.allclose(cam.K, truth["camera"]["K"]) and truth["camera"]["serial"] == serial
        lm = np.asarray(truth["landmarks"])
        assert lm.shape == (25, 68, 2) and (lm >= 0).all() and (lm[..., 0] < 320).all() and (lm[..., 1] < 220).all()


def test_multiview_trajectory_cameras(tiny):
    root, _ = tiny
    [traj] = list((root / "multiview").glob("*/traj_00"))
    cams = json.loads((traj / "cameras.json").read_text())
    info = media.probe(traj / "video.mp4")
    assert cams["fps"] == info.fps and cams["image_size"] == [info.width, info.height]
    assert len(cams["frames"]) == info.n_frames == 25
    centres = []
    for f in cams["frames"]:
        E = np.asarray(f["world_2_cam"])
        assert _is_rotation(E[:3, :3]) and np.asarray(f["K"]).shape == (3, 3)
        centres.append(np.linalg.inv(E)[:3, 3])
    centres = np.asarray(centres)
    assert np.allclose(np.linalg.norm(centres, axis=1), 2.7)  # params: distance
    azimuth = np.degrees(np.arctan2(centres[:, 0], -centres[:, 2]))
    assert np.all(np.abs(azimuth) <= 70 + 1e-6) and np.ptp(azimuth) > 10  # it sweeps within +-140/2


def test_ground_truth_shapes(tiny):
    root, summary = tiny
    videos = [root / p for p in summary["files"] if p.endswith(".mp4")]
    assert len(videos) == 6 + 16 + 1
    for video in videos:
        truth = _truth(root, video)
        info = media.probe(video)
        T = info.n_frames
        assert truth["n_frames"] == T and truth["fps"] == info.fps
        assert np.asarray(truth["mouth_open"]).shape == (T,)
        assert np.asarray(truth["head_rotation"]).shape == (T, 3)
        assert np.asarray(truth["landmarks"]).shape == (T, 68, 2)
        assert np.abs(truth["head_rotation"]).max() < np.radians(10)
        assert np.ptp(truth["mouth_open"]) > 0.1  # the mouth moves


def test_summary_lists_every_file_with_its_hash(tiny):
    root, summary = tiny
    on_disk = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert sorted([*summary["files"], "minitalk.json"]) == on_disk
    for rel, digest in summary["files"].items():
        assert hashlib.sha256((root / rel).read_bytes()).hexdigest() == digest
    assert summary["synthesiser"] in ("espeak-ng", "formant") and summary["seed"] == 0
    assert len(summary["identities"]) == len(set(summary["identities"])) == 2
