"""Turn a method's raw output into the generated-video contract: the generated panel only, 25 fps,
the benchmark resolution, as many frames as the driving audio lasts, the driving audio muxed in.

Frames stream through (bounded memory whatever the clip length).
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from baselines.inputs import FPS, SAMPLE_RATE, ClipError, shown
from benchmarks import frame_size as sizes
from benchmarks import media

# A method whose output covers less than this share of the audio gets an error, not a padded video.
MIN_COVERAGE = 0.9
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class Panel:
    """The generated panel of a grid output: pixel box [x0, x1) x [y0, y1) in a ``grid`` (w, h) frame."""

    x0: int
    y0: int
    x1: int
    y1: int
    grid: tuple[int, int]

    def crop(self, frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        if (w, h) != self.grid:
            raise ClipError(f"output frames are {w}x{h}, expected the {self.grid[0]}x{self.grid[1]} panel grid")
        return frame[self.y0:self.y1, self.x0:self.x1]


@dataclass(frozen=True)
class Source:
    """Raw output: a video file or a folder of image frames.

    ``fps=None`` resamples a video by its own timestamps (a folder is then taken as 25 fps); a number
    states the true rate of frames that correspond one-to-one to the driving frames, whatever rate the
    container claims (GOHA writes 15).
    """

    path: Path
    fps: float | None = None


def _frames(source: Source) -> Iterator[np.ndarray]:
    if source.path.is_dir():
        yield from _folder_frames(source.path)
    else:
        for batch in media.iter_video(source.path, fps=None if source.fps else FPS):
            yield from batch


def _folder_frames(folder: Path) -> Iterator[np.ndarray]:
    import cv2

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ClipError(f"{folder}: no image frames")
    for path in files:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise ClipError(f"{path}: unreadable image frame")
        yield cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _retimed(frames: Iterable[np.ndarray], fps: float | None) -> Iterator[np.ndarray]:
    """Frames at ``fps`` to 25 fps by nearest index (frame folders and retimed videos)."""
    if fps is None or fps == FPS:
        yield from frames
        return
    step = fps / FPS
    k = 0
    for i, frame in enumerate(frames):
        while round(k * step) == i:
            yield frame
            k += 1


def _resized(frames: Iterable[np.ndarray], size: tuple[int, int]) -> Iterator[np.ndarray]:
    import cv2

    for frame in frames:
        if (frame.shape[1], frame.shape[0]) == size:
            yield frame
        else:
            shrink = frame.shape[1] > size[0]
            yield cv2.resize(frame, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def _scorable(frames: Iterable[np.ndarray], size: tuple[int, int], rule: dict | None) -> Iterator[np.ndarray]:
    for i, frame in enumerate(frames):
        if i == 0:
            problem = sizes.problem((frame.shape[1], frame.shape[0]), size, rule)
            if problem:
                raise ClipError(f"the method's output is {problem}")
        yield frame


class _Fitted:
    """Exactly ``n`` frames: trims the excess, holds the last frame over a short shortfall."""

    def __init__(self, frames: Iterable[np.ndarray], n: int):
        self.frames, self.n = frames, n
        self.source_frames = 0
        self.first_shape: tuple[int, ...] | None = None

    def __iter__(self) -> Iterator[np.ndarray]:
        last = None
        for frame in self.frames:
            self.source_frames += 1
            if self.source_frames <= self.n:
                last = frame
                yield frame
        if last is None:
            raise ClipError("the method's output holds no frames")
        if self.source_frames < MIN_COVERAGE * self.n:
            raise ClipError(f"the method's output covers {self.source_frames} of {self.n} frames at 25 fps")
        for _ in range(self.n - self.source_frames):
            yield last


def normalise(
    source: Source,
    out: str | os.PathLike,
    *,
    size: tuple[int, int],
    n_frames: int,
    audio: np.ndarray | None,
    panel: Panel | None = None,
    frame_size: dict | None = None,
) -> dict:
    """Write ``out`` (25 fps, ``size``, ``n_frames``, ``audio`` muxed) and return what was done to the output.
    A (panel of the) output ``frame_size`` (params metrics.frame_size) does not allow bringing to ``size`` is a
    ClipError naming both sizes."""
    shapes: list[tuple[int, int]] = []

    def noted(frames):
        for frame in frames:
            if not shapes:
                shapes.append((frame.shape[1], frame.shape[0]))
            yield frame

    frames = noted(_frames(source))
    if panel is not None:
        frames = (panel.crop(f) for f in frames)
    frames = _scorable(frames, size, frame_size)
    fitted = _Fitted(_resized(_retimed(frames, source.fps), size), n_frames)
    try:
        media.write_video(out, fitted, FPS, audio=audio, sample_rate=SAMPLE_RATE)
    except media.MediaError as exc:
        raise ClipError(f"cannot normalise {source.path}: {exc}") from exc
    return {
        "raw_output": shown(source.path),
        "raw_size": list(shapes[0]) if shapes else None,
        "raw_fps": (source.fps or FPS) if source.path.is_dir() else media.probe(source.path).fps,
        "panel": None if panel is None else [panel.x0, panel.y0, panel.x1, panel.y1],
        "frames_at_25fps": fitted.source_frames,
        "frames_written": n_frames,
        "frames_held": max(0, n_frames - fitted.source_frames),
        "frames_trimmed": max(0, fitted.source_frames - n_frames),
        "size": list(size),
    }
