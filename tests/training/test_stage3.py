"""Stage 3, temporal-to-spatial adaptation: raw multi-view trajectories with per-frame cameras, camera
stream on, audio off, the paper's stage-3 parameters."""
import dataclasses
import json

import numpy as np
import pytest
import torch

from benchmarks import media
from benchmarks.datasets import multiview
from benchmarks.synth.views import sweep
from model.factory import build_pipeline
from model.starcaster import trainable_parameter_names
from model.training.camera_adaptation import Stage3
from model.training.multiview_data import FaceIdentity, MultiviewDataset

from .conftest import CONTEXT, SIZE, N
from .test_stage2 import overfit_losses, randomise, record_calls, seeded_loss

SEGMENTS, LENGTH, FRAMES = 2, 2 * N + CONTEXT, 12
K = [[150.0, 0.0, 48.0], [0.0, 150.0, 48.0], [0.0, 0.0, 1.0]]


def write_trajectory(root, head, k, seed, cameras=FRAMES):
    rng = np.random.default_rng(seed)
    folder = root / head / f"traj_{k:02d}"
    folder.mkdir(parents=True)
    media.write_video(folder / "video.mp4", rng.integers(0, 256, (FRAMES, 96, 96, 3), dtype=np.uint8), 25.0)
    poses = sweep(rng, cameras, 25.0, 140, 70, 2.7)
    (folder / "cameras.json").write_text(json.dumps(
        {"fps": 25.0, "image_size": [96, 96], "frames": [{"world_2_cam": p.tolist(), "K": K} for p in poses]}))


@pytest.fixture(scope="module")
def trajectories(tmp_path_factory):
    root = tmp_path_factory.mktemp("multiview")
    write_trajectory(root, "head_a", 0, 0)
    write_trajectory(root, "head_a", 1, 1)
    write_trajectory(root, "head_b", 0, 2)
    records = multiview.scan(root).records
    return root, records


def identity_stub(frames):
    """Stands in for the face tools: a unit vector from the frames' mean colour."""
    vector = np.resize(frames.reshape(-1, 3).mean(0), 128).astype(np.float32)
    return vector / np.linalg.norm(vector)


def make_stage3(config, work):
    pipe = build_pipeline(config, work / "components", seed=0)
    return Stage3(pipe, N, CONTEXT, SEGMENTS, 1, 1.0, False, 0.0, 0.0, 0.0)


def batch_of(dataset, size=2):
    items = [dataset[(i * 3, i)] for i in range(size)]
    return {k: torch.stack([item[k] for item in items]) for k in items[0]}


def test_items_are_resized_frames_with_their_own_cameras(trajectories):
    root, records = trajectories
    dataset = MultiviewDataset(records, root, LENGTH, SIZE, identity_stub)
    assert dataset.skipped == {} and len(dataset) == 3 * (FRAMES - LENGTH + 1)
    trajectory, start = dataset.segments[4]
    item = dataset[(4, 7)]
    assert item["frames"].shape == (LENGTH, 3, SIZE, SIZE) and item["reference"].shape == (3, SIZE, SIZE)
    assert 0 <= item["frames"].min() and item["frames"].max() <= 1
    cameras = multiview.read_trajectory_cameras(root / records[trajectory].source["cameras"])
    expected = np.stack([c.label25() for c in cameras[start:start + LENGTH]])
    assert np.allclose(item["cameras"].numpy(), expected, atol=1e-6)  # K normalised: resizing keeps the label
    # one identity per head, shared by its trajectories
    heads = [t.identity for t in dataset.trajectories]
    assert torch.equal(heads[0], heads[1]) and not torch.equal(heads[0], heads[2])


def test_bad_trajectories_are_skipped_with_the_reason(trajectories):
    root, records = trajectories
    calls = []

    def identity(frames):
        calls.append(len(frames))
        if len(calls) == 2:  # the second head
            raise ValueError("none of 12 frames holds exactly one face")
        return identity_stub(frames)

    stale = dataclasses.replace(records[1], n_frames=FRAMES + 1)  # a manifest out of step with cameras.json
    dataset = MultiviewDataset([records[0], stale, records[2]], root, LENGTH, SIZE, identity)
    assert calls == [FRAMES, FRAMES]  # one identity per head
    assert dataset.skipped == {"head_a_traj_01": f"{FRAMES} cameras for {FRAMES + 1} frames",
                               "head_b_traj_00": "none of 12 frames holds exactly one face"}
    assert len(dataset) == FRAMES - LENGTH + 1
    with pytest.raises(ValueError, match="no usable"):
        MultiviewDataset(records, root, FRAMES + 1, SIZE, identity_stub)


def test_face_identity_refuses_frames_without_a_face():
    prepare = {"detector": {"backend": "dlib_hog", "upsample": 0, "retry_upsample": 0},
               "identity": {"backend": "dlib_resnet"}, "weights_dir": "weights"}
    with pytest.raises(ValueError, match="none of 2 frames"):
        FaceIdentity(prepare)(np.zeros((2, 96, 96, 3), dtype=np.uint8))


def test_trains_exactly_the_stage3_parameters(trajectories, mini_config, tmp_path):
    root, records = trajectories
    stage = make_stage3(mini_config, tmp_path)
    model = stage.pipe.model
    params = stage.prepare_model()
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    # paper Sec. 3.4: the stage-2 weights "with camera attention layers replacing the audio-specific ones"
    assert names == trainable_parameter_names(model, 3)
    assert any(n.startswith("camera_proj.") for n in names) and any(".to_k.camera." in n for n in names)
    assert any(".to_v.camera." in n for n in names) and any("lora_" in n for n in names)
    assert not any("audio" in n for n in names)
    assert all("lora_" in n or "motion_modules" in n or "camera" in n for n in names)
    assert all(p.scales == {"audio": 0.0, "camera": 1.0} for p in model.stream_processors)

    randomise(params)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.AdamW(params, lr=1e-3)
    seeded_loss(stage, batch_of(MultiviewDataset(records, root, LENGTH, SIZE, identity_stub))).backward()
    optimizer.step()
    assert {n for n, p in model.named_parameters() if not torch.equal(p, before[n])} == set(names)


def test_cameras_condition_every_forward_and_audio_is_off(trajectories, mini_config, tmp_path):
    root, records = trajectories
    stage = make_stage3(mini_config, tmp_path)
    randomise(stage.prepare_model())
    batch = batch_of(MultiviewDataset(records, root, LENGTH, SIZE, identity_stub))
    calls, handle = record_calls(stage.pipe.model)
    base = seeded_loss(stage, batch)
    handle.remove()
    assert [grad for grad, _, _ in calls] == [False, True]  # one generated segment, then the trained one

    moved = {**batch, "cameras": batch["cameras"].flip(1)}
    assert not torch.equal(seeded_loss(stage, moved), base)

    # with the audio stream at scale 0 the model ignores audio features altogether
    model, window = stage.pipe.model, CONTEXT + N
    sample = torch.randn(2, mini_config.latent_channels, window, SIZE // 8, SIZE // 8)
    identity = stage.pipe.identity_encoder(batch["identity"])
    audio = torch.randn(2, window, 2 * mini_config.audio_radius + 1, mini_config.audio_layers * mini_config.audio_dim)
    with torch.no_grad():
        outputs = [model(sample, torch.full((2, window), 500), identity, a, batch["cameras"][:, :window])
                   for a in (None, audio, 10 * torch.randn_like(audio))]
    assert torch.equal(outputs[0], outputs[1]) and torch.equal(outputs[0], outputs[2])


def test_loss_falls_when_overfitting_a_fixed_batch(trajectories, mini_config, tmp_path):
    root, records = trajectories
    stage = make_stage3(mini_config, tmp_path)
    optimizer = torch.optim.AdamW(stage.prepare_model(), lr=1e-3)
    batch = batch_of(MultiviewDataset(records, root, LENGTH, SIZE, identity_stub), size=1)
    losses = overfit_losses(stage, optimizer, batch)
    assert losses[-1] < 0.97 * losses[0]
    assert sum(b < a for a, b in zip(losses, losses[1:])) >= 6
