"""What every dataset adapter shares: the scan result, layout errors, the root check and probing.

An adapter's ``scan(root, ...)`` returns a :class:`Scan`: the clip records it could build and one
problem line per clip it could not (missing file, unreadable video, no audio). Problems are
per-clip and never stop a scan; a broken layout (missing root, malformed index file, bad camera
file) raises :class:`DatasetError` naming the path.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import media, names
from benchmarks.records import ClipRecord


class DatasetError(ValueError):
    """A dataset root that is missing or not in the layout its adapter reads."""


@dataclass
class Scan:
    records: list[ClipRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_json_fields(path: Path, what: str, *keys: str) -> list:
    """The named top-level fields of a JSON file; a missing or malformed file is a DatasetError naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [data[key] for key in keys]
    except FileNotFoundError:
        raise DatasetError(f"{path} not found") from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: not a {what} ({exc!r})") from None


def root_in_params(datasets: dict, name: str) -> tuple[str, str]:
    """The root of dataset ``name`` in params' ``datasets`` section and the param that holds it
    (``datasets.<name>.root``, or ``datasets.talking.<name>`` for the talking-video training sets)."""
    if name in datasets:
        entry, param = datasets[name], f"datasets.{name}.root"
    elif name in datasets.get("talking", {}):
        entry, param = datasets["talking"][name], f"datasets.talking.{name}"
    else:
        raise KeyError(f"no datasets.{name} (or datasets.talking.{name}) in params")
    return (entry["root"] if isinstance(entry, dict) else entry), param


def dataset_root(root: str | os.PathLike, obtain: str, param: str) -> Path:
    """``root`` as a Path; if it is missing, an error saying how to ``obtain`` the data and which param to set."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(
            f"dataset root {root} not found: {obtain} and point {param} at it "
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


def list_videos(folder: Path, pattern: str = "*.mp4") -> list[Path]:
    """Sorted videos matching ``pattern`` under ``folder``, without hidden files (e.g. unfinished atomic writes)."""
    return sorted(p for p in folder.glob(pattern) if p.is_file() and not p.name.startswith("."))


def relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def talking_clip(root: Path, path: Path, scan: Scan, *, clip_id: str, dataset: str, split: str, identity: str,
                 source: dict | None = None) -> ClipRecord | None:
    """The record of a single-view video whose audio is muxed in, or None with a problem in ``scan``."""
    video = relative(path, root)
    info = probe(root, video, scan)
    if info is None:
        return None
    if not info.has_audio:
        scan.problems.append(f"{path}: no audio track")
        return None
    try:
        names.check(clip_id, "clip id")
    except names.BadName as exc:
        scan.problems.append(f"{path}: {exc}")
        return None
    return ClipRecord(
        clip_id=clip_id,
        dataset=dataset,
        split=split,
        video=video,
        audio=None,
        fps=info.fps,
        n_frames=info.n_frames,
        identity=identity,
        source={"video": video, **(source or {})},
    )
