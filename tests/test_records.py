import json

import numpy as np
import pytest

from benchmarks.records import Camera, ClipRecord, read_manifest, write_manifest


def _camera(serial="222200042", yaw=0.3):
    c, s = np.cos(yaw), np.sin(yaw)
    E = np.eye(4)
    E[:3, :3] = [[c, 0, s], [0, 1, 0], [-s, 0, c]]
    E[:3, 3] = [0.0, 0.0, 1.0]
    K = [[7000.0, 0, 1604.0], [0, 7000.0, 1100.0], [0, 0, 1]]
    return Camera.from_arrays(serial, K, E, (3208, 2200))


def test_manifest_roundtrip_with_cameras(tmp_path):
    cam = _camera()
    recs = [
        ClipRecord("a", "nersemble", "eval", "001/x.mp4", None, 25.0, 50, "001", camera=cam,
                   reference_video="001/y.mp4", reference_camera=_camera("222200044", -0.2),
                   source={"file": "x.mp4", "frames": [0, 49]}),
        ClipRecord("b", "hallo3", "eval", "videos/0001.mp4", None, 25.0, 125, "0001"),
    ]
    path = tmp_path / "m.jsonl"
    write_manifest(path, recs)
    assert read_manifest(path) == recs
    assert all(json.loads(line)["schema"] == 1 for line in path.read_text().splitlines())


def test_label25_and_scaling():
    cam = _camera()
    label = cam.label25()
    assert label.shape == (25,)
    np.testing.assert_allclose(label[:16].reshape(4, 4) @ np.asarray(cam.world_2_cam), np.eye(4), atol=1e-6)
    small = cam.scaled(320, 220)
    K = np.asarray(small.K)
    assert K[0, 2] == pytest.approx(1604 * 320 / 3208) and K[1, 2] == pytest.approx(1100 * 220 / 2200)
    # the normalised intrinsics do not depend on the frame size
    np.testing.assert_allclose(small.label25(), label, rtol=1e-5)


def test_bad_records_are_refused(tmp_path):
    with pytest.raises(ValueError, match="singular"):
        Camera.from_arrays("x", np.eye(3), np.zeros((4, 4)), (10, 10))
    with pytest.raises(ValueError, match="non-finite"):
        Camera.from_arrays("x", np.full((3, 3), np.nan), np.eye(4), (10, 10))
    with pytest.raises(ValueError, match="clip id"):
        ClipRecord("../evil", "hallo3", "eval", "v.mp4", None, 25.0, 1, "i")
    rec = ClipRecord("a", "hallo3", "eval", "v.mp4", None, 25.0, 1, "i")
    with pytest.raises(ValueError, match="duplicate"):
        write_manifest(tmp_path / "d.jsonl", [rec, rec])
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({**rec.to_dict(), "colour": "red"}) + "\n")
    with pytest.raises(ValueError, match=r"bad.jsonl:1: unknown clip record fields"):
        read_manifest(bad)


@pytest.mark.parametrize("clip_id, reason", [
    ("..", "starts with '.'"), (".", "starts with '.'"), (".work", "starts with '.'"), ("a/b", "separator"),
    ("a\\b", "separator"), ("a\x00b", "control character"), ("a\nb", "control character"), ("", "non-empty"),
    ("summary", "summary.json"), ("x" * 201, "longer than 200 bytes"),
])
def test_clip_ids_that_would_name_another_file_are_refused(clip_id, reason):
    """`..` would make generate remove runs/<B>/<M>/ itself; `summary` would overwrite the run's summary.json."""
    with pytest.raises(ValueError, match=reason):
        ClipRecord(clip_id, "hallo3", "eval", "v.mp4", None, 25.0, 1, "i")


@pytest.mark.parametrize("field, value", [("video", "/etc/passwd"), ("audio", "../../secret.wav"),
                                          ("reference_video", "a/../../b.mp4")])
def test_paths_outside_the_dataset_root_are_refused(field, value):
    fields = {"video": "v.mp4", "audio": None, "reference_video": None, field: value}
    with pytest.raises(ValueError, match="not a path inside the dataset root"):
        ClipRecord("a", "hallo3", "eval", fps=25.0, n_frames=1, identity="i", **fields)


def test_duplicate_clip_ids_in_a_manifest_are_refused_with_their_lines(tmp_path):
    a, b = (ClipRecord(c, "hallo3", "eval", "v.mp4", None, 25.0, 1, "i").to_dict() for c in ("a", "b"))
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (a, b, a, b, a)))
    with pytest.raises(ValueError, match=r"duplicate clip ids: 'a' on lines 1, 3, 5; 'b' on lines 2, 4"):
        read_manifest(path)


def test_odd_but_usable_names_are_kept():
    for clip_id in ("we ird 'q\" ; $(x) [1]*?", "001_SEN-01_222200040", "é-名前", "a..b"):
        assert ClipRecord(clip_id, "hallo3", "eval", "v.mp4", None, 25.0, 1, "i").clip_id == clip_id
