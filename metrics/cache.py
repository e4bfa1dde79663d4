"""On-disk feature cache keyed by sha256 of everything that affects the features.

Key parts: the content hash of each input file, the metric name and variant, the weights'
hashes and the metric code's hash; entries are ``.npz`` files written atomically, so an interrupted run
leaves no half entry.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Callable

import numpy as np

from benchmarks import atomic
from metrics.weights import sha256_file


@functools.lru_cache(maxsize=None)
def code_version() -> str:
    """sha256 of the metrics package's sources and the decoder: a changed metric never reuses old features."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")) + [Path(atomic.__file__).with_name("media.py")]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


class FeatureCache:
    def __init__(self, root: str | os.PathLike | None) -> None:
        self.root = Path(root) if root else None
        self._file_hashes: dict[Path, str] = {}

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
        path = self.root / f"{self.key(parts)}.npz"
        if path.exists():
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        result = compute()
        with atomic.atomic_path(path, suffix=".npz") as tmp:
            np.savez(tmp, **{k: np.asarray(v) for k, v in result.items()})
        return result
