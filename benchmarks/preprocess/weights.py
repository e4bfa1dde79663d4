"""Locating local weights, naming where to get them when missing, and hashing them for the record."""
from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

from benchmarks.hashing import sha256_file


class MissingWeights(FileNotFoundError):
    """A weights file or folder that the active profile needs is absent."""


def require(path: str | os.PathLike, what: str, source: str) -> Path:
    path = Path(path)
    if not path.exists():
        raise MissingWeights(f"{what} not found at {path}: obtain it from {source} and place it there")
    return path


def resolve(name: str | os.PathLike, weights_dir: str | os.PathLike) -> Path:
    """A weights path from params: absolute, or relative to ``prepare.weights_dir``."""
    path = Path(name)
    return path if path.is_absolute() else Path(weights_dir) / path


def dlib_model(name: str, models_dir: str | os.PathLike | None = None) -> Path:
    """A dlib model file; by default from face_recognition_models' folder (its helper needs pkg_resources)."""
    if models_dir is None:
        spec = importlib.util.find_spec("face_recognition_models")
        if spec is None or not spec.submodule_search_locations:
            raise MissingWeights("face_recognition_models is not installed: pip install face-recognition-models")
        models_dir = Path(list(spec.submodule_search_locations)[0]) / "models"
    return require(Path(models_dir) / name, f"dlib model {name}", "pip install face-recognition-models")


# Weights files are hashed once per process (preparation records them for every clip).
sha256 = lru_cache(maxsize=None)(sha256_file)
