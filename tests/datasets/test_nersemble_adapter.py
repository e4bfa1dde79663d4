"""NeRSemble adapter: both camera_params.json formats, seeded reference/target views, bad calibration."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.datasets import nersemble
from benchmarks.datasets.base import DatasetError

from .layouts import (
    K_3208_EXAMPLE,
    SERIALS_EXAMPLE,
    VIEW_SIZE,
    camera_params_benchmark,
    camera_params_v2,
    look_at_world_2_cam,
    write_json,
    write_nersemble_participant,
)

SERIALS = SERIALS_EXAMPLE
WORLD_2_CAM = {s: look_at_world_2_cam(0.2 * i - 0.5) for i, s in enumerate(SERIALS)}
# Intrinsics of a 3208x2200 image, and the same camera for the benchmark's 1604x1100 images.
K_3208 = K_3208_EXAMPLE
K_1604 = np.array([[3500.0, 0.0, 802.0], [0.0, 3505.0, 550.0], [0.0, 0.0, 1.0]])


@pytest.fixture
def both_formats(tmp_path, clip_bytes):
    v2, bench = tmp_path / "v2", tmp_path / "benchmark"
    write_nersemble_participant(v2, "017", SERIALS, camera_params_v2(WORLD_2_CAM, K_3208), clip_bytes["view"])
    write_nersemble_participant(bench, "017", SERIALS, camera_params_benchmark(WORLD_2_CAM, {s: K_1604 for s in SERIALS}),
                                clip_bytes["view"], alpha=True)
    return v2, bench


def test_both_camera_formats_give_the_same_cameras_rescaled_to_the_frames(both_formats):
    v2, bench = (nersemble.scan(root, seed=0) for root in both_formats)
    assert v2.problems == [] and bench.problems == []
    w, h = VIEW_SIZE
    expected_K = np.array([[7000.0 * w / 3208, 0, 1604.0 * w / 3208], [0, 7010.0 * h / 2200, 1100.0 * h / 2200], [0, 0, 1]])
    assert [r.clip_id for r in v2.records] == [r.clip_id for r in bench.records]
    for a, b in zip(v2.records, bench.records):
        for record in (a, b):
            serial = record.source["serial"]
            np.testing.assert_allclose(record.camera.world_2_cam, WORLD_2_CAM[serial])
            np.testing.assert_allclose(record.camera.K, expected_K)
            assert record.camera.image_size == VIEW_SIZE
            np.testing.assert_allclose(record.reference_camera.world_2_cam, WORLD_2_CAM[record.source["reference_serial"]])
            np.testing.assert_allclose(record.reference_camera.K, expected_K)
    assert {r.source["camera_format"] for r in v2.records} == {"v2"}
    assert {r.source["camera_format"] for r in bench.records} == {"benchmark"}
    assert all(r.source["alpha_map"] is None for r in v2.records)
    assert all((both_formats[1] / r.source["alpha_map"]).is_file() for r in bench.records)


def test_one_reference_and_three_disjoint_target_views_per_participant(both_formats):
    root = both_formats[0]
    records = nersemble.scan(root, seed=0).records
    assert len(records) == 3
    targets = [r.source["serial"] for r in records]
    reference = {r.source["reference_serial"] for r in records}
    assert len(set(targets)) == 3 and len(reference) == 1 and not reference & set(targets)
    ref = reference.pop()
    for r in records:
        assert r.identity == "017" and r.split == "eval"
        assert r.video == f"017/sequences/SEN-01-cramp_small_danger/images/cam_{r.source['serial']}.mp4"
        assert r.reference_video == f"017/sequences/SEN-01-cramp_small_danger/images/cam_{ref}.mp4"
        assert r.audio == "017/sequences/SEN-01-cramp_small_danger/audio/audio_recording.wav"
        assert r.resolve(root, "audio").is_file() and r.resolve(root, "reference_video").is_file()


def test_view_choice_is_seeded():
    serials = [f"2222000{i:02d}" for i in range(16)]
    choices = []
    for seed in range(20):
        reference, targets = nersemble.choose_views(np.random.default_rng([seed, 17]), serials)
        assert (reference, targets) == nersemble.choose_views(np.random.default_rng([seed, 17]), serials)
        assert len(targets) == 3 == len(set(targets)) and reference not in targets
        assert set(targets) <= set(serials) and targets == sorted(targets)
        choices.append((reference, tuple(targets)))
    assert len(set(choices)) > 10  # different seeds choose different views


def test_a_participants_views_do_not_depend_on_the_others(tmp_path, clip_bytes):
    params = camera_params_v2(WORLD_2_CAM, K_3208)
    write_nersemble_participant(tmp_path, "017", SERIALS, params, clip_bytes["view"])
    alone = {r.clip_id for r in nersemble.scan(tmp_path, seed=3).records}
    write_nersemble_participant(tmp_path, "018", SERIALS, params, clip_bytes["view"])
    together = {r.clip_id for r in nersemble.scan(tmp_path, seed=3).records}
    assert alone < together and len(together) == 6


def test_speech_sequence_is_chosen_among_those_with_audio(tmp_path, clip_bytes):
    sequences = ("EXP-1-head", "SEN-01-cramp_small_danger", "SEN-02-same_phrase_thirty_times")
    write_nersemble_participant(tmp_path, "017", SERIALS, camera_params_v2(WORLD_2_CAM, K_3208), clip_bytes["view"],
                                sequences=sequences)
    seen = {nersemble.scan(tmp_path, seed=seed).records[0].source["sequence"] for seed in range(12)}
    assert seen == {"SEN-01-cramp_small_danger", "SEN-02-same_phrase_thirty_times"}


def test_non_finite_camera_matrix_names_the_file_and_serial(tmp_path, clip_bytes):
    world_2_cam = dict(WORLD_2_CAM)
    world_2_cam["222200038"] = WORLD_2_CAM["222200038"].copy()
    world_2_cam["222200038"][0, 3] = np.nan
    params = camera_params_v2(world_2_cam, K_3208)
    write_nersemble_participant(tmp_path, "017", SERIALS, params, clip_bytes["view"])
    calibration = tmp_path / "017" / "calibration" / "camera_params.json"
    with pytest.raises(DatasetError, match=rf"{calibration}: camera 222200038: .*non-finite"):
        nersemble.read_cameras(calibration)
    scan = nersemble.scan(tmp_path, seed=0)
    assert scan.records == [] and "222200038" in scan.problems[0]


def test_benchmark_format_without_intrinsics_for_a_serial_is_an_error(tmp_path):
    K = {s: K_1604 for s in SERIALS[1:]}
    path = write_json(tmp_path / "camera_params.json", camera_params_benchmark(WORLD_2_CAM, K))
    with pytest.raises(DatasetError, match=f"camera {SERIALS[0]} has extrinsics but no intrinsics"):
        nersemble.read_cameras(path)


def test_participant_without_speech_audio_or_enough_views_is_reported(tmp_path, clip_bytes):
    params = camera_params_v2(WORLD_2_CAM, K_3208)
    write_nersemble_participant(tmp_path, "017", SERIALS, params, clip_bytes["view"], sequences=("EXP-1-head",))
    write_nersemble_participant(tmp_path, "018", SERIALS[:3], params, clip_bytes["view"])
    scan = nersemble.scan(tmp_path, seed=0)
    assert scan.records == []
    assert "participant 017: no speech sequence" in scan.problems[0]
    assert "018" in scan.problems[1] and "3 calibrated camera videos, need 4" in scan.problems[1]


def test_missing_root_says_where_to_get_the_dataset(tmp_path):
    with pytest.raises(DatasetError, match=r"not found: download NeRSemble from .*nersemble-data.* datasets\.nersemble\.root"):
        nersemble.scan(tmp_path / "nersemble", seed=0)
