"""The `starcaster prepare` stage: manifest in, prepared-clip folders and prep_report.json out; bad clips
are reported and the run goes on; the paper profile stops on missing data or weights."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from benchmarks import cli
from benchmarks import params as params_mod
from benchmarks.preprocess import filters, weights
from benchmarks.records import write_manifest
from tests.killing import leave_temporary

from .conftest import SR, astronaut_face, moving, record_for, speech_like, write_clip


@pytest.fixture()
def project(tmp_path, monkeypatch, mini_params):
    """A project folder with a two-clip hallo3 dataset (one good, one silent), its manifest and params."""
    root = tmp_path / "data" / "hallo3"
    good = write_clip(root / "videos" / "0001.mp4", moving(astronaut_face(), 30), 25, speech_like(1.2))
    silent = write_clip(root / "videos" / "0002.mp4", moving(astronaut_face(), 30), 25, np.zeros(int(1.2 * SR), np.float32))
    write_manifest(tmp_path / "manifests" / "hallo3.jsonl",
                   [record_for(p, root, n_frames=30) for p in (good, silent)])
    params = copy.deepcopy(mini_params)
    params["datasets"]["hallo3"] = {"root": str(root)}
    params["manifests"]["dir"] = str(tmp_path / "manifests")
    params["prepare"]["out"] = str(tmp_path / "prepared")
    params["prepare"]["weights_dir"] = str(tmp_path / "weights")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)
    return tmp_path, params


def test_stage_writes_clips_and_report_and_survives_a_bad_clip(project):
    tmp_path, _ = project
    assert cli.main(["prepare", "--benchmark", "hallo3"]) == 0
    report = json.loads((tmp_path / "prepared" / "hallo3" / "prep_report.json").read_text())
    by_id = {c["clip_id"]: c for c in report["clips"]}
    assert by_id["0001"]["status"] == "ok" and by_id["0001"]["n_kept"] == 30
    assert by_id["0002"]["status"] == "error" and "silent audio" in by_id["0002"]["reason"]
    assert report["n_ok"] == 1 and report["n_error"] == 1 and report["profile"] == "mini"
    assert report["hand_filter"].startswith("off: no weights at") and "grounding-dino" in report["hand_filter"]

    clip = tmp_path / "prepared" / "hallo3" / "0001"
    assert not (tmp_path / "prepared" / "hallo3" / "0002").exists()
    assert sorted(p.name for p in clip.iterdir()) == sorted(
        ["frames.npy", "audio.wav", "audio_features.npy", "landmarks.npy", "crop_boxes.npy", "identity.npy",
         "identity_frames.npy", "index.json"])
    index = json.loads((clip / "index.json").read_text())
    frames, feats = np.load(clip / "frames.npy"), np.load(clip / "audio_features.npy")
    lms, boxes, ident = np.load(clip / "landmarks.npy"), np.load(clip / "crop_boxes.npy"), np.load(clip / "identity.npy")
    assert frames.shape == (30, 128, 128, 3) and frames.dtype == np.uint8
    assert feats.shape == (30, 1, 64) and lms.shape == (30, 68, 2) and boxes.shape == (30, 4, 2)
    assert ((lms > 0) & (lms < 128)).all()
    assert ident.shape == (128,) and np.linalg.norm(ident) == pytest.approx(1.0, abs=1e-5)
    # 8 frames spread over the clip, each its own embedding of the same face
    per_frame = np.load(clip / "identity_frames.npy")
    rows, gaps = index["identity_rows"], np.diff(index["identity_rows"])
    assert len(rows) == 8 and rows[0] == 0 and rows[-1] == 29 and gaps.max() - gaps.min() <= 1
    assert per_frame.shape == (8, 128)
    assert np.allclose(np.linalg.norm(per_frame, axis=1), 1, atol=1e-5)
    assert len({row.tobytes() for row in per_frame}) > 1 and (per_frame @ ident).min() > 0.9
    assert index["extractors"]["audio_features"]["name"] == "logmel_mfcc"
    assert index["extractors"]["identity"]["name"] == "dlib_resnet"
    assert index["extractors"]["identity"]["weights"]["dlib_face_recognition_resnet_model_v1.dat"] == weights.sha256(
        weights.dlib_model("dlib_face_recognition_resnet_model_v1.dat"))
    assert index["kept_frames"] == list(range(30))
    assert not [p for p in (tmp_path / "prepared" / "hallo3").iterdir() if p.name.startswith(".")]  # no temp leftovers


def test_missing_manifest_or_dataset_stops_with_the_path(project, capsys):
    tmp_path, params = project
    assert cli.main(["prepare", "--benchmark", "th1kh"]) == 2
    assert "manifests/th1kh.jsonl" in capsys.readouterr().err
    params["datasets"]["hallo3"] = {"root": str(tmp_path / "nowhere")}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert cli.main(["prepare", "--benchmark", "hallo3"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "nowhere") in err and "fudan-generative-ai/hallo3_training_data" in err


def test_paper_profile_stops_on_missing_weights(project, capsys):
    """The paper profile's prepare section (weights_dir kept in tmp) with no weights present."""
    tmp_path, params = project
    paper_prepare = params_mod.load(Path(__file__).resolve().parents[2] / "params" / "paper.yaml")["prepare"]
    paper = params_mod.deep_merge(params, {"prepare": paper_prepare})
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(paper))
    assert cli.main(["prepare", "--benchmark", "hallo3"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "weights" / "grounding-dino-tiny") in err and "IDEA-Research/grounding-dino-tiny" in err
    paper["prepare"]["hand_filter"]["required"] = False
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(paper))
    assert cli.main(["prepare", "--benchmark", "hallo3"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "weights" / "wav2vec2-base-960h") in err and "facebook/wav2vec2-base-960h" in err
    assert not (tmp_path / "prepared").exists()


def test_hand_filter_status_and_requirement(tmp_path):
    cfg = {"backend": "grounding_dino", "required": False, "grounding_dino": {"weights": "gd"}}
    hand, status = filters.build_hand_filter(cfg, str(tmp_path))
    assert hand is None and status.startswith(f"off: no weights at {tmp_path / 'gd'}")
    with pytest.raises(weights.MissingWeights, match="grounding-dino"):
        filters.build_hand_filter({**cfg, "required": True}, str(tmp_path))
    off = (None, "off: disabled in params (prepare.hand_filter.backend: none)")
    assert filters.build_hand_filter({"backend": "none"}, str(tmp_path)) == off


def test_overlap_fraction():
    face = np.array([10, 10, 30, 30.0])
    assert filters.overlap_fraction(face, np.empty((0, 4))) == 0.0
    assert filters.overlap_fraction(face, np.array([[20, 10, 40, 30.0], [0, 0, 5, 5]])) == pytest.approx(0.5)
    assert filters.overlap_fraction(face, np.array([[0, 0, 100, 100.0]])) == pytest.approx(1.0)


def test_a_killed_runs_half_written_clip_folders_are_removed_by_the_next(project):
    """A kill inside an atomic folder write leaves ``.<clip_id>.<host>-<pid>.<random>/``; the next run removes it,
    also for a clip that then fails (which writes no folder)."""
    tmp_path, _ = project
    out = tmp_path / "prepared" / "hallo3"
    leftovers = leave_temporary(out / "0001", folder=True) + leave_temporary(out / "0002", folder=True)
    assert cli.main(["prepare", "--benchmark", "hallo3"]) == 0
    assert not any(p.exists() for p in leftovers)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    assert (out / "0001" / "index.json").is_file()
