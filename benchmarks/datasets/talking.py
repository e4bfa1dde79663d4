"""Talking-video training sets (VFHQ, CelebV-HQ, HDTF): folders of videos with audio, one clip per file.

Identity is the file stem unless an ``identities.csv`` (``file,identity``, file relative to the root)
sits at the root.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

from benchmarks.datasets.base import DatasetError, Scan, dataset_root, list_videos, relative, talking_clip

SOURCES = {
    "vfhq": "download VFHQ from https://liangbinxie.github.io/projects/vfhq/",
    "celebvhq": "download CelebV-HQ from https://github.com/CelebV-HQ/CelebV-HQ",
    "hdtf": "download HDTF from https://github.com/MRzzm/HDTF",
}


def read_identities(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"file", "identity"} <= set(reader.fieldnames):
            raise DatasetError(f"{path}: expected a header with columns file,identity, got {reader.fieldnames}")
        identities = {}
        for lineno, row in enumerate(reader, 2):
            if not row["file"] or not row["identity"]:
                raise DatasetError(f"{path}:{lineno}: empty file or identity")
            identities[Path(row["file"]).as_posix()] = row["identity"]
    return identities


def scan(root: str | os.PathLike, dataset: str) -> Scan:
    if dataset not in SOURCES:
        raise ValueError(f"unknown talking-video dataset {dataset!r}; choose one of {', '.join(SOURCES)}")
    root = dataset_root(root, SOURCES[dataset], f"datasets.talking.{dataset}")
    videos = list_videos(root, "**/*.mp4")
    if not videos:
        raise DatasetError(f"{root}: no *.mp4 files under it")
    identities = read_identities(root / "identities.csv")
    result = Scan()
    for path in videos:
        rel = relative(path, root)
        record = talking_clip(
            root, path, result, clip_id=rel.removesuffix(".mp4").replace("/", "__"), dataset=dataset, split="train",
            identity=identities.get(rel, path.stem),
        )
        if record is not None:
            result.records.append(record)
    return result
