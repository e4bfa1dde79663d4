"""STARCaster as a generation method: every mode on tiny clips (64 px, 10 frames, 1 sampling step) with a
randomised mini model exported like a training stage (a pipeline folder, summary.json beside)."""
from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from baselines import registry
from baselines.starcaster import RANDOM_WEIGHTS_LABEL
from benchmarks import media
from benchmarks import params as params_mod
from benchmarks.generate import generate
from benchmarks.hashing import sha256_file
from benchmarks.records import ClipRecord, read_manifest, write_manifest
from model.config import get_config
from model.factory import build_pipeline
from model.pipeline import export_pipeline

from ..model.conftest import fresh_model, randomise
from .conftest import REPO, camera, tone

RESOLUTION = 64
SECONDS = 0.4  # 10 frames: one segment
FACE_SIZE = 128  # the reference view holds a face dlib finds


def face_frames(n: int) -> np.ndarray:
    import cv2
    import skimage.data

    face = cv2.resize(skimage.data.astronaut()[0:256, 96:352], (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_AREA)
    return np.stack([np.clip(face.astype(int) + k, 0, 255).astype(np.uint8) for k in range(n)])


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A randomised mini model exported as stage 2: every path non-zero and large enough (std 0.2) that the
    reference, audio and camera visibly change the frames."""
    root = tmp_path_factory.mktemp("models")
    model = fresh_model(get_config("mini"))
    randomise(model, std=0.2)
    export_pipeline(build_pipeline(get_config("mini"), root / "components", model=model, seed=3), root / "stage2" / "model")
    (root / "stage2" / "summary.json").write_text(json.dumps({
        "stage": 2, "variant": None, "model_preset": "mini", "step": 0, "init_from": None,
        "initial_weights": "random (no pretrained weights: not a trained STARCaster)"}))
    return root / "stage2" / "model"


def make_params(tmp: Path, model: Path, clip_ids=("c0",)) -> dict:
    """Clips of an audio benchmark ``talk`` (prepared in tmp) and of a multi-view benchmark ``views``."""
    params = copy.deepcopy(params_mod.render("mini", REPO / "params"))
    params["manifests"]["dir"] = str(tmp / "manifests")
    params["prepare"].update(out=str(tmp / "prepared"), resolution=RESOLUTION)
    params["baselines"]["starcaster"].update(model=str(model), id_model=str(model), novel_view_model=str(model),
                                             novel_view_benchmarks=["views"], steps=1)
    rng = np.random.default_rng(0)
    n = round(25 * SECONDS)
    for bench in ("talk", "views"):
        root = tmp / bench
        params["datasets"][bench] = {"root": str(root)}
        records = []
        for k, clip_id in enumerate(clip_ids):
            media.write_video(root / f"{clip_id}.mp4", face_frames(n), 25, audio=tone(SECONDS) * (k + 1))
            if bench == "views":
                media.write_video(root / f"{clip_id}_ref.mp4", face_frames(n), 25)
                records.append(ClipRecord(clip_id, "nersemble", "eval", f"{clip_id}.mp4", None, 25.0, n, "p0",
                                          camera=scaled(camera("b", 0.5)), reference_video=f"{clip_id}_ref.mp4",
                                          reference_camera=scaled(camera("a", 0.0))))
                continue
            records.append(ClipRecord(clip_id, "th1kh", "eval", f"{clip_id}.mp4", None, 25.0, n, "p0"))
            folder = tmp / "prepared" / bench / clip_id
            folder.mkdir(parents=True)
            np.save(folder / "frames.npy", rng.integers(0, 256, (n, RESOLUTION, RESOLUTION, 3), dtype=np.uint8))
            identity = rng.normal(size=128).astype(np.float32)
            np.save(folder / "identity.npy", identity / np.linalg.norm(identity))
            (folder / "index.json").write_text(json.dumps({"resolution": RESOLUTION, "reference_frame": 1}))
        write_manifest(tmp / "manifests" / f"{bench}.jsonl", records)
    return params


def scaled(cam):
    return cam.scaled(FACE_SIZE, FACE_SIZE)


@pytest.fixture
def params(tmp_path, exported):
    return make_params(tmp_path, exported)


def run(params, bench, method, runs: Path) -> dict:
    summary = generate(params, bench, method, runs)
    assert {c["status"] for c in summary["clips"]} == {"ok"}, summary
    return summary


def video(runs: Path, bench: str, method: str, clip_id: str = "c0") -> Path:
    return runs / bench / method / f"{clip_id}.mp4"


@pytest.mark.parametrize("bench, method, mode", [("talk", "starcaster", "portrait"), ("talk", "starcaster_id", "id"),
                                                 ("views", "starcaster", "novel_view")])
def test_each_mode_writes_one_labelled_video_per_clip(exported, tmp_path, bench, method, mode):
    params = make_params(tmp_path, exported, ("c0", "c1"))
    run(params, bench, method, tmp_path / "runs")
    for clip_id in ("c0", "c1"):
        path = video(tmp_path / "runs", bench, method, clip_id)
        info = media.probe(path)
        assert (info.width, info.height, info.fps, info.n_frames, info.has_audio) == (RESOLUTION, RESOLUTION, 25, 10, True)
        audio = media.read_audio(path, 16000)
        assert abs(len(audio) / 16000 - SECONDS) < 0.05
        meta = json.loads((path.parent / f"{clip_id}.json").read_text())
        assert meta["normalisation"]["mode"] == mode
        assert meta["program"]["weights_label"] == RANDOM_WEIGHTS_LABEL
        assert meta["program"]["files_sha256"]["model/diffusion_pytorch_model.safetensors"] == \
            sha256_file(Path(params["baselines"]["starcaster"]["model"]) / "model" / "diffusion_pytorch_model.safetensors")
    frames = media.read_video(video(tmp_path / "runs", bench, method))
    assert frames.std() > 1  # generated content, not a blank frame


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(params, tmp_path):
    run(params, "talk", "starcaster", tmp_path / "a")
    run(params, "talk", "starcaster", tmp_path / "b")
    params["baselines"]["starcaster"]["seed"] = 1
    run(params, "talk", "starcaster", tmp_path / "c")
    first = sha256_file(video(tmp_path / "a", "talk", "starcaster"))
    assert first == sha256_file(video(tmp_path / "b", "talk", "starcaster"))
    assert first != sha256_file(video(tmp_path / "c", "talk", "starcaster"))


def test_id_mode_never_reads_the_reference_frame(params, tmp_path):
    run(params, "talk", "starcaster_id", tmp_path / "a")
    run(params, "talk", "starcaster", tmp_path / "a")
    frames_npy = Path(params["prepare"]["out"]) / "talk" / "c0" / "frames.npy"
    frames = np.load(frames_npy)
    frames[1] = 255 - frames[1]  # the reference row
    np.save(frames_npy, frames)
    media.write_video(Path(params["datasets"]["talk"]["root"]) / "c0.mp4", 255 - face_frames(10), 25, audio=tone(SECONDS))
    run(params, "talk", "starcaster_id", tmp_path / "b")
    run(params, "talk", "starcaster", tmp_path / "b")
    assert sha256_file(video(tmp_path / "a", "talk", "starcaster_id")) == sha256_file(video(tmp_path / "b", "talk", "starcaster_id"))
    assert sha256_file(video(tmp_path / "a", "talk", "starcaster")) != sha256_file(video(tmp_path / "b", "talk", "starcaster"))


def test_novel_view_follows_the_target_camera(params, tmp_path):
    run(params, "views", "starcaster", tmp_path / "a")
    manifest = Path(params["manifests"]["dir"]) / "views.jsonl"
    records = read_manifest(manifest)
    turned = [dataclasses.replace(r, camera=scaled(camera("c", -0.6))) if r.clip_id == "c0" else r for r in records]
    write_manifest(manifest, turned)
    run(params, "views", "starcaster", tmp_path / "b")
    a, b = (media.read_video(video(tmp_path / d, "views", "starcaster")).astype(float) for d in "ab")
    assert np.abs(a - b).mean() > 1


def test_max_frames_generates_the_first_frames_with_their_audio(params, tmp_path):
    params["baselines"]["starcaster"]["max_frames"] = 6
    run(params, "talk", "starcaster", tmp_path / "runs")
    path = video(tmp_path / "runs", "talk", "starcaster")
    assert media.probe(path).n_frames == 6 and abs(len(media.read_audio(path, 16000)) / 16000 - 0.24) < 0.05
    meta = json.loads(path.with_suffix(".json").read_text())["normalisation"]
    assert (meta["frames_written"], meta["frames_in_clip"], meta["max_frames"]) == (6, 10, 6)


def test_missing_model_folder_names_the_training_stage(params, tmp_path):
    params["train"]["stage2"]["out"] = str(tmp_path / "nowhere" / "stage2")
    params["baselines"]["starcaster"]["model"] = str(tmp_path / "nowhere" / "stage2" / "model")
    summary = generate(params, "talk", "starcaster", tmp_path / "runs")
    assert {c["status"] for c in summary["clips"]} == {"not available"}
    assert "not found" in summary["reason"] and "starcaster train --stage 2" in summary["reason"]
    teacher = params["train"]["variants"]["teacher_forcing"]["out"]
    params["baselines"]["starcaster"]["ablations"]["starcaster_teacher_forcing"] = f"{tmp_path}/{teacher}/model"
    params["train"]["variants"]["teacher_forcing"]["out"] = f"{tmp_path}/{teacher}"
    reason = registry.get("starcaster_teacher_forcing", params, "talk").availability()
    assert "starcaster train --stage 2 --variant teacher_forcing" in reason


def test_modes_that_the_paper_does_not_evaluate_are_reported(params):
    assert "ID-driven mode is not run on views" in registry.get("starcaster_id", params, "views").availability()
    assert "ablations" in registry.get("starcaster_no_lipreading", params, "views").availability()
    with pytest.raises(KeyError, match="unknown method"):
        registry.get("starcaster_nope", params)


def test_audio_features_that_do_not_fit_the_model_are_a_clip_error(params, tmp_path):
    params["prepare"]["audio_features"]["logmel_mfcc"]["dim"] = 32
    summary = generate(params, "talk", "starcaster", tmp_path / "runs")
    assert all(c["status"] == "error" and "do not fit the model" in c["error"] for c in summary["clips"])



def test_novel_view_identity_comes_from_the_reference_view_else_the_prepared_target(params, tmp_path):
    from baselines.inputs import ClipError, ClipInputs

    method = registry.get("starcaster", params, "views")
    root = Path(params["datasets"]["views"]["root"])
    clip = ClipInputs(read_manifest(Path(params["manifests"]["dir"]) / "views.jsonl")[0], root)
    found = method.conditions(clip)
    assert found["identity_source"] == "reference view" and found["identity"].shape == (128,)
    assert found["reference"].shape == (RESOLUTION, RESOLUTION, 3)
    media.write_video(root / "c0_ref.mp4", np.full((10, FACE_SIZE, FACE_SIZE, 3), 90, np.uint8), 25)
    clip = ClipInputs(clip.record, root)
    with pytest.raises(ClipError, match="not prepared"):
        method.conditions(clip)
    folder = Path(params["prepare"]["out"]) / "views" / "c0"
    folder.mkdir(parents=True)
    np.save(folder / "identity.npy", found["identity"] * -1)
    (folder / "index.json").write_text(json.dumps({"resolution": RESOLUTION, "reference_frame": 0}))
    fallback = method.conditions(clip)
    assert fallback["identity_source"].startswith("prepared target view")
    np.testing.assert_array_equal(fallback["identity"], -found["identity"])


def test_the_sampler_is_the_exported_folder_whatever_the_active_params(exported, tmp_path):
    """The identity encoder comes from the folder (exported with seed 3), not from the active params' train.seed
    (0); an export of the network alone is a reason, not a crash."""
    import shutil

    import torch

    from model.pipeline import load_pipeline

    params = make_params(tmp_path, exported)
    assert params["train"]["seed"] == 0
    method = registry.get("starcaster", params, "talk")
    assert method.availability() is None
    encoder = method.pipeline.identity_encoder.text_encoder.get_input_embeddings().weight
    assert torch.equal(encoder, load_pipeline(exported).text_encoder.get_input_embeddings().weight)
    seed0 = build_pipeline(get_config("mini"), tmp_path / "components", seed=0)
    assert not torch.equal(encoder, seed0.text_encoder.get_input_embeddings().weight)
    old = tmp_path / "old" / "model"
    shutil.copytree(exported / "model", old)
    shutil.copy(exported.parent / "summary.json", old.parent / "summary.json")
    reason = registry.get("starcaster", make_params(tmp_path / "p", old), "talk").availability()
    assert "holds the network alone" in reason and "run its training stage again" in reason
