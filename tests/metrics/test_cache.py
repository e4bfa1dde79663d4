"""The feature cache verifies itself: every kind of damaged entry is discarded with a warning naming it and computed
again; a cache that cannot be written is read where it can be and computing goes on without it."""
import logging
import shutil

import numpy as np
import pytest

from benchmarks import atomic
from metrics import cache as cache_module
from metrics.cache import CHECKSUM, FeatureCache

PARTS = {"metric": "m", "variant": {"a": 1}, "weights": {"n": "abc"}, "inputs": "h"}
FEATURES = np.arange(6.0).reshape(2, 3)


class Counting:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"features": FEATURES.copy()}


def entry(tmp_path, parts=PARTS):
    return tmp_path / f"{FeatureCache.key(parts)}.npz"


def filled(tmp_path) -> FeatureCache:
    cache = FeatureCache(tmp_path)
    cache.get_or_compute(PARTS, Counting())
    assert entry(tmp_path).is_file()
    return cache


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def empty(path):
    path.write_bytes(b"")


def edit(path):
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["features"] = arrays["features"] + 1  # a changed value under the old checksum
    np.savez(path, **arrays)


def without_checksum(path):
    np.savez(path, features=FEATURES)


def flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [truncate, empty, edit, without_checksum, flip_a_byte])
def test_a_damaged_entry_is_discarded_by_name_and_computed_again(tmp_path, caplog, damage):
    filled(tmp_path)
    damage(entry(tmp_path))
    compute = Counting()
    with caplog.at_level(logging.WARNING, logger="metrics.cache"):
        got = FeatureCache(tmp_path).get_or_compute(PARTS, compute)
    assert compute.calls == 1
    np.testing.assert_array_equal(got["features"], FEATURES)
    assert str(entry(tmp_path)) in caplog.text and "discarded" in caplog.text
    again = Counting()
    np.testing.assert_array_equal(FeatureCache(tmp_path).get_or_compute(PARTS, again)["features"], FEATURES)
    assert again.calls == 0  # the entry was written anew, whole


def test_an_entry_under_another_entrys_name_is_discarded(tmp_path, caplog):
    filled(tmp_path)
    other = dict(PARTS, inputs="another clip")
    shutil.copy(entry(tmp_path), entry(tmp_path, other))
    compute = Counting()
    with caplog.at_level(logging.WARNING, logger="metrics.cache"):
        FeatureCache(tmp_path).get_or_compute(other, compute)
    assert compute.calls == 1 and "checksum" in caplog.text


def test_a_sound_entry_is_read_with_its_arrays_only(tmp_path):
    filled(tmp_path)
    compute = Counting()
    got = FeatureCache(tmp_path).get_or_compute(PARTS, compute)
    assert compute.calls == 0 and list(got) == ["features"] and CHECKSUM not in got
    np.testing.assert_array_equal(got["features"], FEATURES)


def test_a_cache_that_cannot_be_written_computes_without_it(tmp_path, monkeypatch, caplog):
    filled(tmp_path)

    def read_only(*args, **kwargs):
        raise PermissionError(30, "Read-only file system")

    monkeypatch.setattr(atomic, "atomic_path", read_only)
    cache = FeatureCache(tmp_path)
    compute = Counting()
    with caplog.at_level(logging.WARNING, logger="metrics.cache"):
        cache.get_or_compute(PARTS, compute)  # read
        for inputs in ("x", "y"):
            np.testing.assert_array_equal(cache.get_or_compute(dict(PARTS, inputs=inputs), compute)["features"], FEATURES)
    assert compute.calls == 2
    assert caplog.text.count("cannot be written") == 1 and "Read-only file system" in caplog.text


def test_a_cache_folder_that_cannot_be_made_computes_without_it(tmp_path, caplog):
    (tmp_path / "file").write_text("")
    compute = Counting()
    with caplog.at_level(logging.WARNING, logger="metrics.cache"):
        FeatureCache(tmp_path / "file" / "cache").get_or_compute(PARTS, compute)
    assert compute.calls == 1 and "cannot be written" in caplog.text


def test_the_checksum_covers_name_dtype_shape_and_key():
    checksum = cache_module.checksum
    base = checksum("k", {"a": np.zeros((2, 3))})
    assert base == checksum("k", {"a": np.zeros((2, 3))})
    assert len({base, checksum("j", {"a": np.zeros((2, 3))}), checksum("k", {"b": np.zeros((2, 3))}),
                checksum("k", {"a": np.zeros((3, 2))}), checksum("k", {"a": np.zeros((2, 3), np.float32)})}) == 5
