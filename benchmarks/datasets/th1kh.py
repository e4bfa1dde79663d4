"""TalkingHead-1KH: one clip record per tube of ``data_list/{split}_video_tubes.txt``.

A tube line is ``video_name,H,W,S,E,L,T,R,B`` (tcwang0509/TalkingHead-1KH, videos_crop.py):
``video_name`` names a 1-minute chunk ``{youtube_id}_{NNNN}`` of ``{split}/1min_clips/``, frames
S..E inclusive, crop box L,T,R,B in pixels of an H x W reference frame. The official cropping
script writes ``{split}/cropped_clips/{video_name}_S{S}_E{E}_L{L}_T{T}_R{R}_B{B}.mp4``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from benchmarks.datasets.base import DatasetError, Scan, dataset_root, probe
from benchmarks.records import ClipRecord

OBTAIN = ("download TalkingHead-1KH from https://github.com/tcwang0509/TalkingHead-1KH "
          "(videos_download_and_crop.sh val; audio via the TalkingHead-1KH-audio scripts)")
CHUNK_SUFFIX = re.compile(r"_\d{4}$")  # videos_split.sh names 1-minute chunks {id}_%04d


@dataclass(frozen=True)
class Tube:
    video_name: str
    H: int
    W: int
    S: int
    E: int
    L: int
    T: int
    R: int
    B: int

    @property
    def clip_name(self) -> str:
        return f"{self.video_name}_S{self.S}_E{self.E}_L{self.L}_T{self.T}_R{self.R}_B{self.B}"

    @property
    def identity(self) -> str:
        """The YouTube video the chunk was cut from: TH-1KH has no person labels."""
        return CHUNK_SUFFIX.sub("", self.video_name)


def parse_tube(line: str) -> Tube:
    fields = line.strip().split(",")
    if len(fields) != 9:
        raise ValueError(f"expected 9 comma-separated fields video_name,H,W,S,E,L,T,R,B, got {len(fields)}")
    name, numbers = fields[0], fields[1:]
    if not name:
        raise ValueError("empty video_name")
    try:
        H, W, S, E, L, T, R, B = (int(v) for v in numbers)
    except ValueError:
        raise ValueError(f"non-integer field in {numbers}") from None
    if H <= 0 or W <= 0 or S < 0 or E < S or R <= L or B <= T:
        raise ValueError(f"inconsistent tube H={H} W={W} S={S} E={E} box=({L},{T},{R},{B})")
    return Tube(name, H, W, S, E, L, T, R, B)


def read_tubes(path: Path) -> list[Tube]:
    if not path.is_file():
        raise DatasetError(f"{path} not found: unzip the TH-1KH data_list.zip into the dataset root")
    tubes = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                tubes.append(parse_tube(line))
            except ValueError as exc:
                raise DatasetError(f"{path}:{lineno}: malformed tube line {line.strip()!r}: {exc}") from None
    return tubes


def scan(root: str | os.PathLike, split: str = "val") -> Scan:
    root = dataset_root(root, OBTAIN, "datasets.th1kh.root")
    result = Scan()
    seen = set()
    for tube in read_tubes(root / "data_list" / f"{split}_video_tubes.txt"):
        if tube.clip_name in seen:
            result.problems.append(f"tube {tube.clip_name}: listed twice, kept once")
            continue
        seen.add(tube.clip_name)
        video = f"{split}/cropped_clips/{tube.clip_name}.mp4"
        info = probe(root, video, result)
        if info is None:
            continue
        audio = f"{split}/audio/{tube.clip_name}.wav"
        if not (root / audio).is_file():
            if not info.has_audio:
                result.problems.append(f"{root / video}: no audio track and no {audio}")
                continue
            audio = None
        result.records.append(
            ClipRecord(
                clip_id=tube.clip_name,
                dataset="th1kh",
                split="eval",
                video=video,
                audio=audio,
                fps=info.fps,
                n_frames=info.n_frames,
                identity=tube.identity,
                source={
                    "video": f"{split}/1min_clips/{tube.video_name}.mp4",
                    "frames": [tube.S, tube.E],  # inclusive
                    "crop_ltrb": [tube.L, tube.T, tube.R, tube.B],
                    "crop_reference_size": [tube.W, tube.H],
                },
            )
        )
    return result
