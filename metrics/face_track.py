"""One face track per video, shared by every metric that needs faces.

The largest face's box and 68 landmarks are found once per frame (dlib, ``metrics.face``), lazily
and only for the frames some metric asks for, and memoised on the clip (``ClipInputs.memo``): Pose
Std and CSIM on the same clip detect each frame once. A frame without a detectable face is recorded
as ``None``; metrics skip such frames and count them (:func:`usable_faces`).

LSE could crop from the same track: ``face_track(clip).boxes(range(len(clip.generated)))`` gives one
(x0, y0, x1, y1) row per frame, NaN where no face was found.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from metrics.face import largest_face

SIDES = ("generated", "reference", "source")


@dataclass(frozen=True)
class Face:
    box: np.ndarray  # (4,) x0, y0, x1, y1 in frame pixels
    landmarks: np.ndarray  # (68, 2) dlib's 68-point layout, frame pixels


class FaceTrack:
    """Faces of a (T,H,W,3) RGB video, detected on first request and kept."""

    def __init__(self, frames: np.ndarray) -> None:
        self.frames = frames
        self._faces: dict[int, Face | None] = {}

    def __len__(self) -> int:
        return len(self.frames)

    def face(self, index: int) -> Face | None:
        if index not in self._faces:
            found = largest_face(self.frames[index])
            self._faces[index] = None if found is None else Face(*found)
        return self._faces[index]

    def faces(self, indices: Iterable[int]) -> list[Face | None]:
        return [self.face(i) for i in indices]

    def boxes(self, indices: Iterable[int]) -> np.ndarray:
        """(n, 4) boxes of the given frames, NaN rows where no face was found."""
        faces = self.faces(indices)
        return np.array([np.full(4, np.nan) if f is None else f.box for f in faces]).reshape(-1, 4)


def face_track(clip, side: str = "generated") -> FaceTrack:
    """The clip's memoised track of its ``generated`` or ``reference`` video, or of its ``source`` portrait (one frame)."""
    if side not in SIDES:
        raise ValueError(f"face track side must be one of {SIDES}, got {side!r}")
    key = ("face_track", side)
    if key not in clip.memo:
        frames = getattr(clip, side)
        clip.memo[key] = FaceTrack(frames[None] if side == "source" else frames)
    return clip.memo[key]


def usable_faces(track: FaceTrack, indices: Sequence[int], min_fraction: float) -> tuple[list[int], list[Face], dict]:
    """(frame indices with a face, their faces, counts) over ``indices``.

    Counts: ``frames_without_face`` and ``face_fraction``; ValueError with the reason when the
    fraction of frames with a face is below ``min_fraction``.
    """
    faces = track.faces(indices)
    kept = [(i, f) for i, f in zip(indices, faces) if f is not None]
    fraction = len(kept) / len(indices) if len(indices) else 0.0
    if fraction < min_fraction:
        raise ValueError(f"a face in {len(kept)} of {len(indices)} frames ({fraction:.2f} < min_face_fraction {min_fraction})")
    counts = {"frames_without_face": len(indices) - len(kept), "face_fraction": fraction}
    return [i for i, _ in kept], [f for _, f in kept], counts
