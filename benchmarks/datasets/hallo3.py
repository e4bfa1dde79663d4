"""Hallo3 training data (fudan-generative-ai/hallo3_training_data): ``videos/*.mp4`` with muxed
audio and optional ``caption/{stem}.txt``. It has no person labels: each video is its own identity."""
from __future__ import annotations

import os

from benchmarks.datasets.base import DatasetError, Scan, dataset_root, list_videos, relative, talking_clip

OBTAIN = "download the Hallo3 data from https://huggingface.co/datasets/fudan-generative-ai/hallo3_training_data (videos.tgz)"


def scan(root: str | os.PathLike) -> Scan:
    root = dataset_root(root, OBTAIN, "datasets.hallo3.root")
    videos = list_videos(root / "videos")
    if not videos:
        raise DatasetError(f"{root / 'videos'}: no *.mp4 files (expected the Hallo3 layout videos/0001.mp4)")
    result = Scan()
    for path in videos:
        caption = root / "caption" / f"{path.stem}.txt"
        record = talking_clip(
            root, path, result, clip_id=path.stem, dataset="hallo3", split="eval", identity=path.stem,
            source={"caption": relative(caption, root) if caption.is_file() else None},
        )
        if record is not None:
            result.records.append(record)
    return result
