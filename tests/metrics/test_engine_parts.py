import numpy as np
import pytest

from metrics.cache import FeatureCache
from metrics.registry import get, register
from metrics.video_io import check_frames


def test_cache_round_trip_and_key_sensitivity(tmp_path):
    cache = FeatureCache(tmp_path)
    calls = []

    def compute():
        calls.append(1)
        return {"features": np.arange(6.0).reshape(2, 3)}

    parts = {"metric": "m", "variant": {"a": 1}, "weights": {"n": "abc"}, "inputs": "h"}
    first = cache.get_or_compute(parts, compute)
    second = cache.get_or_compute(dict(parts), compute)
    np.testing.assert_array_equal(first["features"], second["features"])
    assert len(calls) == 1
    cache.get_or_compute(dict(parts, weights={"n": "other"}), compute)
    assert len(calls) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_file_hash_is_content_hash(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"same")
    b.write_bytes(b"same")
    assert FeatureCache(None).file_hash(a) == FeatureCache(None).file_hash(b)


def test_registry():
    assert get("fid").kind == "distribution" and get("psnr").kind == "per_clip"
    with pytest.raises(KeyError, match="unknown metric"):
        get("nope")
    with pytest.raises(ValueError, match="twice"):
        register("psnr")(lambda cfg, ctx: None)


@pytest.mark.parametrize(
    "frames, reason",
    [
        (np.zeros((0, 8, 8, 3), np.uint8), "expected"),
        (np.zeros((2, 8, 8), np.uint8), "expected"),
        (np.full((2, 8, 8, 3), np.nan), "NaN"),
        (np.zeros((2, 8, 8, 3), np.float32), "uint8"),
    ],
)
def test_bad_frames(frames, reason):
    with pytest.raises(ValueError, match=reason):
        check_frames(frames, "clip")
