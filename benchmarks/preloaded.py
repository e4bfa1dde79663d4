"""Third-party models built once by the warm server (benchmarks/warm.py) and handed to its forks.

``preloaded(constructor, *files)`` is ``constructor(*files)`` everywhere else; in a fork of the server it returns the
object the server built with the same constructor from the same, unchanged files (path, modification time and size
agree), without building it again.
"""
from __future__ import annotations

import os

MODELS: dict[tuple, object] = {}  # filled by the server (warm._preload_models), copied into each fork


def key(constructor, files) -> tuple:
    stamps = []
    for file in files:
        stat = os.stat(file)
        stamps.append((os.path.abspath(file), stat.st_mtime_ns, stat.st_size))
    return constructor, tuple(stamps)


def preloaded(constructor, *files: str):
    found = MODELS.get(key(constructor, files))
    return found if found is not None else constructor(*files)
