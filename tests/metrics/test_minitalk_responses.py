"""The metrics' responses to perturbations with a known answer, on MiniTalk clips rendered here.

A few clips of the mini profile's MiniTalk (same seed, shorter clips) are rendered once per session:
- LSE with a MiniTalk-trained SyncNet (fitted in the session by ``metrics.syncnet_training`` on training
  clips): audio advanced by k frames gives AV offset +k (syncnet_python's sign: positive = the sound
  comes before the lips), delayed by k gives -k, and LSE-C drops;
- Pose Std: a frozen video scores 0; no frame's pose flips; a moving head's rendered rotation std, in the
  metric's own angles (tests/metrics/pose_truth.py), is recovered within 20% (t1_2, t1_4, t1_5; t1_3 known
  to miss, docs/metrics.md);
- CSIM: another identity's frames score clearly lower than the identity's own;
- FID and FVD of the ground truth against itself are ~0 (seeded random features suffice for that).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from benchmarks import media, params
from metrics import lse
from metrics.registry import ClipInputs, get

REPO = Path(__file__).resolve().parents[2]
SECONDS = 3.0
# Builder identity indices (benchmarks/synth/faces.py order); all th1kh clips.
POSE_CLIPS = {"t1_5": (7, 0)}
# Pose Std on 3 s clips, measured / rendered std in the metric's angles: t1_2 1.15, t1_3 1.37, t1_4 1.11,
# t1_5 1.06. On t1_3 pitch reads 2.2x its truth, following the mouth opening (the chin moves with the jaw),
# docs/metrics.md.
HEAD_CLIPS = {"t1_2": (4, 0), "t1_3": (5, 0), "t1_4": (6, 0), "t1_5": (7, 0)}
POSE_MISSES = {"t1_3"}
SWAP_CLIPS = {"astronaut": (0, 0), "grace_hopper": (1, 0)}
CTX = {"seed": 0, "weights_dir": "weights", "device": "cpu"}


@pytest.fixture(scope="session")
def builder(tmp_path_factory):
    from benchmarks.datasets.minitalk import Builder
    from tests.minitalk.conftest import config

    root = tmp_path_factory.mktemp("talk") / "minitalk"
    cfg, datasets = config(root, n_identities=8, clip_seconds=SECONDS)
    return Builder(cfg, datasets, root)


def render(builder, clips: dict) -> dict:
    """{identity: (frames, audio, truth)} of MiniTalk evaluation clips rendered with the mini profile's seed."""
    out = {}
    for identity, (i, k) in clips.items():
        _, rel, _ = builder.monocular_clip(i, k)
        video = builder.root / f"{rel}.mp4"
        truth = json.loads((builder.root / "ground_truth" / f"{rel}.json").read_text())
        assert truth["identity"] == identity
        out[identity] = (media.read_video(video, fps=25), media.read_audio(video, lse.SAMPLE_RATE), truth)
    return out


@pytest.fixture(scope="session")
def talk(builder):
    return render(builder, {**POSE_CLIPS, **SWAP_CLIPS})


@pytest.fixture(scope="session")
def heads(builder, talk):
    """The moving heads of HEAD_CLIPS, with their clips' per-frame rotations measured by Pose Std."""
    from metrics.pose import clip_head_rotations

    rendered = render(builder, {k: v for k, v in HEAD_CLIPS.items() if k not in talk})
    clips = {**{k: v for k, v in talk.items() if k in HEAD_CLIPS}, **rendered}
    return {identity: (clip_head_rotations(clip_inputs(frames, None, frames[0])), np.asarray(truth["head_rotation"]))
            for identity, (frames, _, truth) in clips.items()}


def shifted(audio: np.ndarray, frames: int) -> np.ndarray:
    """Audio advanced by ``frames`` video frames (delayed when negative), length kept, silence padded."""
    n = abs(frames) * lse.SAMPLES_PER_FRAME
    pad = np.zeros(n, audio.dtype)
    return np.concatenate([audio[n:], pad]) if frames >= 0 else np.concatenate([pad, audio[: len(audio) - n]])


def clip_inputs(frames, audio, source) -> ClipInputs:
    return ClipInputs("clip", frames, frames, audio, source)


# Clip g = 3 * identity + 2 speaks a training sentence (benchmarks.datasets.minitalk.SPLIT_RULE): the SyncNet
# fitted here never hears the evaluation sentence of the t1_5 clip it is tested on. Eight 3 s clips at every
# window give about as many window pairs as the mini stage's nine 5 s clips at every second window.
SYNCNET_TRAIN_CLIPS = [(i, 2) for i in range(8)]


@pytest.fixture(scope="session")
def minitalk_syncnet(builder):
    """The checkpoint at $STARCASTER_SYNCNET_CHECKPOINT, else one fitted here by the mini recipe
    (``metrics.lse.train``, every window) on eight MiniTalk training clips."""
    from metrics import syncnet_training as st

    configured = os.environ.get("STARCASTER_SYNCNET_CHECKPOINT")
    checkpoint = Path(configured) if configured else builder.root.parent / "syncnet.safetensors"
    if not configured:
        clips = []
        for i, k in SYNCNET_TRAIN_CLIPS:
            _, rel, _ = builder.monocular_clip(i, k)
            clips.append(st.load_clip(builder.root / f"{rel}.mp4", rel))
        cfg = dict(params.render("mini", REPO / "params")["metrics"]["lse"]["train"], lip_stride=1)
        net, _ = st.train(clips, st.TrainSettings.from_params(cfg), log=lambda _: None)
        st.save(net, checkpoint, st.network_label([str(builder.root)]), {})
    return get("lse").build({"init": "checkpoint", "checkpoint": str(checkpoint), "vshift": 15}, CTX)


@pytest.fixture(scope="session")
def lse_shift_scores(talk, minitalk_syncnet):
    """LSE of the t1_5 evaluation clip with its audio advanced (k > 0) or delayed (k < 0) by k frames."""
    frames, audio, _ = talk["t1_5"]
    scores = {k: minitalk_syncnet.score(clip_inputs(frames, shifted(audio, k), frames[0])) for k in (-6, -3, 0, 3, 6)}
    print({k: {m: round(v, 3) for m, v in s.items()} for k, s in scores.items()})
    return scores


@pytest.mark.slow
def test_lse_offset_follows_an_audio_shift(lse_shift_scores):
    for k, s in lse_shift_scores.items():
        assert s["lse_offset"] == k


@pytest.mark.slow
def test_lse_confidence_drops_when_the_audio_is_advanced(lse_shift_scores):
    assert lse_shift_scores[0]["lse_c"] > max(lse_shift_scores[3]["lse_c"], lse_shift_scores[6]["lse_c"])


@pytest.mark.slow
def test_lse_confidence_drops_when_the_audio_is_delayed(lse_shift_scores):
    assert lse_shift_scores[0]["lse_c"] > max(lse_shift_scores[-3]["lse_c"], lse_shift_scores[-6]["lse_c"])


def test_frozen_video_has_zero_pose_std(talk):
    frames = talk["t1_5"][0]
    frozen = np.repeat(frames[:1], 4, axis=0)
    values = get("pose_std").build({"frame_stride": 1}, CTX).score(clip_inputs(frozen, None, frozen[0]))
    assert values["pose_std_deg"] == 0.0
    assert values["pose_face_fraction"] == 1.0


@pytest.mark.parametrize("identity", sorted(HEAD_CLIPS))
def test_no_pose_flips(heads, identity):
    """solvePnP without an initial pose mirrored the head in some frames (~180 degrees off) on t1_2..t1_4."""
    (measured, frames, counts), rendered = heads[identity]
    assert counts["pose_face_fraction"] == 1.0
    # per-frame deviations from each series' median pose: the estimate's (pitch, yaw, roll), the truth's (yaw, pitch, roll)
    error = (measured - np.median(measured, axis=0)) - (rendered[frames][:, [1, 0, 2]] - np.median(rendered, axis=0)[[1, 0, 2]])
    print(f"{identity}: largest per-frame pose error {np.degrees(np.abs(error).max()):.1f} deg")
    assert np.degrees(np.abs(error).max()) < 30


@pytest.mark.parametrize("identity", [
    pytest.param(i, marks=pytest.mark.xfail(strict=True, reason="jaw motion read as pitch")) if i in POSE_MISSES else i
    for i in sorted(HEAD_CLIPS)
])
def test_pose_std_recovers_the_rendered_head_rotation(heads, identity):
    from metrics.pose import pose_std

    from .pose_truth import rest_pose, truth_angles

    (measured, frames, _), rendered = heads[identity]
    # the metric's aggregate of the truth over the same frames, in its angles: the Euler angles of R_h(t) R_rest
    truth = truth_angles(rendered[frames], rest_pose(measured, rendered[frames]))
    ratio = pose_std(measured)["pose_std_deg"] / pose_std(truth)["pose_std_deg"]
    print(f"{identity}: pose std ratio measured / rendered = {ratio:.3f}")
    assert 0.8 <= ratio <= 1.2


def test_pose_truth_reproduces_the_metric_on_exact_poses():
    """Landmarks projected from the metric's own 3D points at R_h(t) R_rest (a rest pose turned like t1_4's):
    the fitted rest pose and the truth's angles are the metric's, while the renderer's own angles read 1.3x off."""
    import cv2
    from scipy.spatial.transform import Rotation

    from benchmarks.synth.trajectories import head_motion
    from metrics.pose import LANDMARK_IDS, MODEL_POINTS, camera_matrix, head_rotation, pose_std

    from .pose_truth import rendered_rotations, rest_pose, truth_angles

    rendered = head_motion(np.random.default_rng(0), 75, 25.0).angles
    rest = Rotation.from_euler("xyz", [7, 43, -10], degrees=True).as_matrix()
    landmarks = np.zeros((len(rendered), 68, 2))
    for frame, rotation in zip(landmarks, rendered_rotations(rendered).as_matrix() @ rest):
        points, _ = cv2.projectPoints(MODEL_POINTS, cv2.Rodrigues(rotation)[0], np.array([0.05, -0.03, 4.0]),
                                      camera_matrix(256, 256), None)
        frame[LANDMARK_IDS] = points[:, 0]
    measured = np.array([head_rotation(lm, 256, 256) for lm in landmarks])
    fitted = rest_pose(measured, rendered)
    np.testing.assert_allclose(fitted, rest, atol=1e-6)
    np.testing.assert_allclose(truth_angles(rendered, fitted), measured, atol=1e-6)
    assert pose_std(measured)["pose_std_rad100"] / 100 / rendered.std(axis=0).mean() > 1.2


def test_swapped_identity_lowers_csim(talk):
    csim = get("csim").build({"encoder": "dlib", "frame_stride": 10}, CTX).score
    own, other = talk["astronaut"][0], talk["grace_hopper"][0]
    same = csim(clip_inputs(own, None, own[0]))["csim"]
    swapped = csim(clip_inputs(other, None, own[0]))["csim"]
    print(f"CSIM same {same:.3f}, swapped {swapped:.3f}")
    assert same > 0.95
    assert same - swapped > 0.05  # dlib descriptors of different people still have cosine ~0.85-0.9


@pytest.mark.parametrize("metric, cfg", [
    pytest.param("fid", {"init": "random", "frame_stride": 4, "ddof": 1}, marks=pytest.mark.slow),  # 2048-d sqrtm
    pytest.param("fvd", {"variant": "disco", "init": "random", "clip_mode": "segments", "ddof": 1}, marks=pytest.mark.slow),
])
def test_ground_truth_against_itself_scores_zero(talk, metric, cfg):
    """~0 against itself, while the same clips frozen on their first frame are far away."""
    from metrics.evaluate import distribution_distance

    prepared = get(metric).build(cfg, CTX)
    videos = [talk[identity][0][:32] for identity in sorted(talk)]
    truth = [prepared.score(v) for v in videos]
    frozen = [prepared.score(np.repeat(v[:1], len(v), axis=0)) for v in videos]
    itself = distribution_distance([{"generated": f, "reference": f} for f in truth], prepared.ddof)
    versus_frozen = distribution_distance([{"generated": g, "reference": f} for g, f in zip(frozen, truth)], prepared.ddof)
    print(f"{metric}: against itself {itself:.3g}, against frozen {versus_frozen:.3g}")
    assert abs(itself) < 1e-3 * versus_frozen
