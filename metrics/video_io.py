"""Decode each clip's videos once (benchmarks.media) and hand the same frames to every metric."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.records import ClipRecord
from metrics.registry import ClipInputs


def check_frames(frames: np.ndarray, what: str) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError(f"{what}: expected (T,H,W,3) frames, got shape {frames.shape}")
    if frames.dtype != np.uint8:
        if not np.isfinite(frames).all():
            raise ValueError(f"{what}: frames contain NaN or inf")
        raise ValueError(f"{what}: frames must be uint8, got {frames.dtype}")
    return frames


def load_clip(record: ClipRecord, root: str | Path, generated: str | Path, fps: float, sample_rate: int,
              max_frames: int | None = None, frame_size: dict | None = None) -> ClipInputs:
    """Generated and ground-truth frames at ``fps``, audio at ``sample_rate`` and the identity source frame
    (``reference_frame`` of the reference view's video, NeRSemble, else of the ground truth); raises
    ValueError with the reason. ``max_frames`` (the protocol's scored window): only the first frames and
    their audio are scored, for every method alike; the generated video must cover that window. ``frame_size``
    (params ``metrics.frame_size``): the generated size the ground truth may be brought to."""
    from benchmarks import frame_size as sizes
    from benchmarks import media

    gt_path = record.resolve(root, "video")
    gen = check_frames(media.read_video(generated, fps=fps, max_frames=max_frames), f"generated video {generated}")
    ref = check_frames(media.read_video(gt_path, fps=fps, max_frames=max_frames), f"ground-truth video {gt_path}")
    if max_frames is None:
        if len(gen) != len(ref):
            raise ValueError(f"generated video has {len(gen)} frames, ground truth {len(ref)} (at {fps} fps)")
    else:
        if len(gen) < len(ref):
            raise ValueError(f"generated video has {len(gen)} frames, the scored window {len(ref)} (at {fps} fps)")
        gen = gen[:len(ref)]
    if gen.shape[1:] != ref.shape[1:]:
        problem = sizes.problem((gen.shape[2], gen.shape[1]), (ref.shape[2], ref.shape[1]), frame_size)
        if problem:
            raise ValueError(f"generated video {problem}")
        ref = resize(ref, gen.shape[2], gen.shape[1])
    source_video = ref if record.reference_video is None else check_frames(
        media.read_video(record.resolve(root, "reference_video"), fps=fps), "reference video"
    )
    if not 0 <= record.reference_frame < len(source_video):
        raise ValueError(f"reference_frame {record.reference_frame} outside the {len(source_video)} reference frames")
    audio_path = record.resolve(root, "audio") if record.audio else gt_path
    try:
        audio = media.read_audio(audio_path, sample_rate=sample_rate)
    except media.MediaError:
        audio = None  # only audio metrics need it; they report its absence per clip
    if audio is not None and max_frames is not None:
        audio = audio[: round(len(ref) * sample_rate / fps)]
    source = source_video[record.reference_frame]
    return ClipInputs(record.clip_id, gen, ref, audio, source,
                      {"fps": fps, "sample_rate": sample_rate, "max_frames": max_frames})


def resize(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """Ground truth brought to the generated size (area interpolation), so paired metrics compare like with like."""
    import cv2

    return np.stack([cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in frames])
