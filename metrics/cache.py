"""On-disk feature cache keyed by sha256 of everything that affects the features.

Key parts: the content hash of each input file, the metric name and variant, the weights'
hashes and the metric code's hash; entries are ``.npz`` files written atomically, so an interrupted run
leaves no half entry. Each entry holds a checksum of its key and arrays: an entry that cannot be read, is damaged,
was edited or renamed is discarded with a warning naming it and computed again. A cache that cannot be written
(read-only, full) is read where it can be and computing goes on without it.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks import atomic, code_deps
from metrics.weights import sha256_file

log = logging.getLogger(__name__)
CHECKSUM = "__checksum__"  # the entry's own array holding checksum(key, arrays)

@functools.cache
def code_version() -> str:
    """sha256 of every source evaluation runs (benchmarks/code_deps.py): features computed by other code, a metric's,
    the decoder's or the face tooling's, are never reused."""
    return code_deps.digest("metrics.evaluate")


class FeatureCache:
    def __init__(self, root: str | os.PathLike | None) -> None:
        self.root = Path(root) if root else None
        self._file_hashes: dict[Path, str] = {}
        self.writable = True  # False after a failed write: the warning is given once

    def file_hash(self, path: str | os.PathLike) -> str:
        path = Path(path).resolve()
        if path not in self._file_hashes:
            self._file_hashes[path] = sha256_file(path)
        return self._file_hashes[path]

    @staticmethod
    def key(parts: dict) -> str:
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()

    def get_or_compute(self, parts: dict, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        if self.root is None:
            return compute()
        key = self.key(parts)
        path = self.root / f"{key}.npz"
        if path.exists():
            cached = self._read(path, key)
            if cached is not None:
                return cached
        result = compute()
        self._write(path, key, {k: np.asarray(v) for k, v in result.items()})
        return result

    def _read(self, path: Path, key: str) -> dict[str, np.ndarray] | None:
        """The entry's arrays, or None (the entry discarded) when it is unreadable or fails its checksum."""
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            return self._discard(path, f"unreadable: {type(exc).__name__}: {exc}")
        stored = arrays.pop(CHECKSUM, None)
        if stored is None:
            return self._discard(path, "it holds no checksum")
        if str(stored) != checksum(key, arrays):
            return self._discard(path, "its checksum does not match its content or name")
        return arrays

    @staticmethod
    def _discard(path: Path, reason: str) -> None:
        log.warning("feature cache entry %s discarded (%s): computing it again", path, reason)
        try:
            path.unlink()
        except OSError:
            pass  # a read-only cache: the recomputed value is used without replacing the entry
        return None

    def _write(self, path: Path, key: str, arrays: dict[str, np.ndarray]) -> None:
        try:
            with atomic.atomic_path(path, suffix=".npz") as tmp:
                np.savez(tmp, **arrays, **{CHECKSUM: np.array(checksum(key, arrays))})
        except OSError as exc:
            if self.writable:
                log.warning("feature cache %s cannot be written (%s): computing without it", self.root, exc)
            self.writable = False


def checksum(key: str, arrays: dict[str, np.ndarray]) -> str:
    """sha256 of the entry's key and every array's name, dtype, shape and bytes."""
    digest = hashlib.sha256(key.encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(json.dumps([name, array.dtype.str, array.shape]).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()
