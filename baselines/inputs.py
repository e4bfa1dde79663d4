"""What a method is given for one clip: the reference frame, the driving audio, the driving video and
the target geometry (frame size, frame count, camera), all read from the clip record."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks import atomic, media
from benchmarks.records import ClipRecord

FPS = 25
SAMPLE_RATE = 16000


class ClipError(RuntimeError):
    """One clip could not be generated; the run records the message and goes on with the next clip."""

    def __init__(self, message: str, exit_status: int | None = None):
        super().__init__(message)
        self.exit_status = exit_status


def shown(path: str | os.PathLike) -> str:
    """``path`` as a sidecar records it: relative to the working directory when inside it, so that a run's records do
    not name the folder its clone happens to live in."""
    path = Path(path)
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class ClipInputs:
    record: ClipRecord
    root: Path
    frame_size: dict | None = None  # params metrics.frame_size: the output sizes the protocol scores (None: any)

    @property
    def clip_id(self) -> str:
        return self.record.clip_id

    @property
    def target_video(self) -> Path:
        """The ground-truth video: its size is the benchmark resolution."""
        return self.record.resolve(self.root, "video")

    @property
    def driving_video(self) -> Path:
        """The motion source of video-driven methods: the reference view where there is one."""
        return self.record.resolve(self.root, "reference_video" if self.record.reference_video else "video")

    @functools.cached_property
    def target_info(self) -> media.VideoInfo:
        return media.probe(self.target_video)

    @property
    def size(self) -> tuple[int, int]:
        return self.target_info.width, self.target_info.height

    @functools.cached_property
    def audio(self) -> np.ndarray | None:
        """16 kHz mono driving audio (the clip's audio file, else the video's track); None when it has none."""
        path = self.record.resolve(self.root, "audio") if self.record.audio else self.target_video
        if not self.record.audio and not self.target_info.has_audio:
            return None
        audio = media.read_audio(path, SAMPLE_RATE)
        if not self.record.audio:  # AAC pads its last packet: the muxed track lasts as long as the video
            audio = audio[: round(self.target_info.duration * SAMPLE_RATE)]
        if len(audio) < SAMPLE_RATE // FPS:
            raise ClipError(f"{path}: audio shorter than one frame")
        return audio

    def require_audio(self) -> np.ndarray:
        if self.audio is None:
            raise ClipError(f"clip {self.clip_id} has no audio to drive an audio-driven method")
        return self.audio

    @property
    def n_frames(self) -> int:
        """Frames at 25 fps: the audio's duration, or the ground truth's when the clip is silent."""
        if self.audio is not None:
            return max(1, round(FPS * len(self.audio) / SAMPLE_RATE))
        return max(1, round(FPS * self.target_info.duration))

    def reference_image(self) -> np.ndarray:
        """Frame ``reference_frame`` of the reference view (or of the clip itself)."""
        path = self.driving_video
        index = self.record.reference_frame
        seen = 0
        for batch in media.iter_video(path):
            if index < seen + len(batch):
                return batch[index - seen]
            seen += len(batch)
        raise ClipError(f"{path}: reference frame {index} beyond the last frame ({seen} frames)")

    def driving_frames(self) -> np.ndarray:
        """The driving video at 25 fps, cut or held to ``n_frames``."""
        frames = media.read_video(self.driving_video, fps=FPS)[: self.n_frames]
        if len(frames) < self.n_frames:
            frames = np.concatenate([frames, np.repeat(frames[-1:], self.n_frames - len(frames), axis=0)])
        return frames


def write_image(path: str | os.PathLike, image: np.ndarray) -> Path:
    """PNG (or JPEG, by suffix) via OpenCV, written atomically."""
    import cv2

    path = Path(path)
    with atomic.atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR)):
            raise ClipError(f"{path}: cannot write image")
    return path
