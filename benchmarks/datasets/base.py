"""What every dataset adapter shares: the scan result, layout errors, the root check and probing.

An adapter's ``scan(root, ...)`` returns a :class:`Scan`: the clip records it could build and one
problem line per clip it could not (missing file, unreadable video, no audio). Problems are
per-clip and never stop a scan; a broken layout (missing root, malformed index file, bad camera
file) raises :class:`DatasetError` naming the path.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import media
from benchmarks.records import ClipRecord


class DatasetError(ValueError):
    """A dataset root that is missing or not in the layout its adapter reads."""


@dataclass
class Scan:
    records: list[ClipRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def dataset_root(root: str | os.PathLike, title: str, url: str, param: str) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(
            f"dataset root {root} not found: download {title} from {url} and point {param} at it "
            "(for the mini and ci profiles, `starcaster minitalk` writes it)"
        )
    return root


def probe(root: Path, rel: str, scan: Scan) -> media.VideoInfo | None:
    """Probe ``root/rel``; an unreadable or empty video becomes a problem of ``scan`` and None."""
    path = root / rel
    if not path.is_file():
        scan.problems.append(f"{path}: video file missing")
        return None
    try:
        info = media.probe(path)
    except media.MediaError as exc:
        scan.problems.append(f"{path}: unreadable video: {exc}")
        return None
    if info.n_frames <= 0 or info.fps <= 0:
        scan.problems.append(f"{path}: video has no frames")
        return None
    return info


def relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
