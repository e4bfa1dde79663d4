"""Preparing one clip: decode at the profile's rate, check the audio, filter frames, align the face,
extract features, and write the prepared-clip folder atomically. Any bad input raises ``ClipError``
with the reason, which the stage records per clip before going on."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks import atomic, media
from benchmarks.preprocess import align, filters
from benchmarks.records import ClipRecord

INDEX_SCHEMA = 2  # 2: identity_frames.npy


class ClipError(ValueError):
    """A clip that cannot be prepared, with the reason."""


@dataclass(frozen=True)
class Settings:
    resolution: int
    fps: float = 25.0
    sample_rate: int = 16000
    min_audio_rms: float = 1e-3  # below: "silent audio"
    min_audio_fraction: float = 0.5  # audio covering less of the video than this: error; otherwise the video is trimmed
    min_kept_fraction: float = 0.5  # fewer frames with exactly one (unoccluded) face than this: error
    smoothing_sigma: float = 2.0  # frames; temporal smoothing of the crop quad
    identity_frames: int = 8  # kept frames with an identity embedding: training conditions on a random one (paper Sec. 3.2)


@dataclass
class Tools:
    faces: object  # faces.FaceAnalyzer
    audio_features: object  # audio_features.AUDIO_FEATURES entry
    identity: object  # identity.IDENTITY_ENCODERS entry
    hand_filter: object | None = None  # filters.HAND_FILTERS entry, None when off


@dataclass
class Decoded:
    frames: np.ndarray  # (T,H,W,3) at settings.fps
    audio: np.ndarray  # exactly T / fps seconds at settings.sample_rate
    source: dict
    trimmed_to_audio: int  # video frames cut because the audio ends earlier


def decode(record: ClipRecord, root: str | Path, s: Settings) -> Decoded:
    video_path = record.resolve(root)
    try:
        info = media.probe(video_path)
        frames = media.read_video(video_path, fps=s.fps)
    except media.MediaError as exc:
        raise ClipError(f"unreadable video: {exc}") from exc
    audio_path = record.resolve(root, "audio") if record.audio else video_path
    if record.audio is None and not info.has_audio:
        raise ClipError(f"no audio track in {video_path} and no separate audio file in the clip record")
    try:
        audio = media.read_audio(audio_path, s.sample_rate)
    except media.MediaError as exc:
        raise ClipError(f"unreadable audio: {exc}") from exc
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    if rms < s.min_audio_rms:
        raise ClipError(f"silent audio (RMS {rms:.2e} below prepare.min_audio_rms {s.min_audio_rms:g})")

    n_video = len(frames)
    n_audio = int(round(len(audio) * s.fps / s.sample_rate))
    trimmed = 0
    if n_audio < n_video:
        if n_audio < s.min_audio_fraction * n_video:
            raise ClipError(f"audio shorter than video: {len(audio) / s.sample_rate:.2f} s of audio for "
                            f"{n_video / s.fps:.2f} s of video (below prepare.min_audio_fraction {s.min_audio_fraction:g})")
        trimmed = n_video - n_audio
        frames = frames[:n_audio]
    n_samples = int(round(len(frames) * s.sample_rate / s.fps))
    audio = np.pad(audio[:n_samples], (0, max(0, n_samples - len(audio))))
    source = {"video": record.video, "audio": record.audio, "fps": info.fps, "n_frames": info.n_frames,
              "size": [info.width, info.height], "variable_fps": info.variable_fps, "duration": info.duration}
    return Decoded(frames, audio.astype(np.float32), source, trimmed)


def select_frames(frames: np.ndarray, tools: Tools) -> tuple[list[int], np.ndarray, dict[str, list[int]]]:
    """Indices of frames with exactly one face (and no hand over it), their face boxes, and the dropped ones by reason."""
    kept, boxes = [], []
    dropped: dict[str, list[int]] = {}
    for i, frame in enumerate(frames):
        found = tools.faces.detect(frame)
        reason = filters.face_count_reason(len(found))
        if reason is None and tools.hand_filter is not None and tools.hand_filter.occluded(frame, found[0]):
            reason = filters.HAND_OCCLUSION
        if reason is None:
            kept.append(i)
            boxes.append(found[0])
        else:
            dropped.setdefault(reason, []).append(i)
    return kept, np.asarray(boxes).reshape(-1, 4), dropped


def reference_index(record: ClipRecord, kept: list[int], fps: float) -> int:
    """Position in ``kept`` of the kept frame nearest the record's reference frame (given at the source rate)."""
    target = record.reference_frame / record.fps * fps
    return int(np.argmin(np.abs(np.asarray(kept) - target)))


def identity_rows(n_kept: int, count: int) -> list[int]:
    """``count`` kept-frame positions spread evenly over the clip (all of them when it is shorter)."""
    return sorted(set(np.linspace(0, n_kept - 1, min(count, n_kept)).round().astype(int).tolist()))


def prepare_clip(record: ClipRecord, root: str | Path, out_dir: str | Path, tools: Tools, s: Settings,
                 extractors: dict, profile: str) -> dict:
    """Prepare ``record`` into ``out_dir``; returns the counts for the stage report."""
    decoded = decode(record, root, s)
    frames = decoded.frames
    kept, boxes, dropped = select_frames(frames, tools)
    counts = {reason: len(idx) for reason, idx in sorted(dropped.items())}
    if not kept:
        raise ClipError(f"no usable frames: none of {len(frames)} holds exactly one face ({counts})")
    if len(kept) < s.min_kept_fraction * len(frames):
        raise ClipError(f"only {len(kept)} of {len(frames)} frames hold exactly one usable face ({counts}; "
                        f"below prepare.min_kept_fraction {s.min_kept_fraction:g})")

    landmarks = np.stack([tools.faces.landmarks(frames[i], box) for i, box in zip(kept, boxes)])
    quads = align.smoothed_quads(landmarks, s.smoothing_sigma)
    crops, crop_landmarks = [], []
    for i, quad, lm in zip(kept, quads, landmarks):
        crop, matrix = align.warp(frames[i], quad, s.resolution)
        crops.append(crop)
        crop_landmarks.append(align.apply_affine(matrix, lm))
    features = tools.audio_features(decoded.audio, len(frames))[kept]
    ref = reference_index(record, kept, s.fps)
    embedding = tools.identity(frames[kept[ref]], landmarks[ref])
    rows = identity_rows(len(kept), s.identity_frames)
    per_frame = np.stack([embedding if r == ref else tools.identity(frames[kept[r]], landmarks[r]) for r in rows])

    index = {
        "schema": INDEX_SCHEMA,
        "clip_id": record.clip_id,
        "dataset": record.dataset,
        "identity": record.identity,
        "profile": profile,
        "resolution": s.resolution,
        "fps": s.fps,
        "sample_rate": s.sample_rate,
        "n_frames": len(frames),
        "n_kept": len(kept),
        "kept_frames": kept,
        "dropped_frames": dropped,
        "dropped_counts": counts,
        "trimmed_to_audio": decoded.trimmed_to_audio,
        "reference_frame": ref,
        "identity_rows": rows,
        "source": decoded.source,
        "extractors": extractors,
        "arrays": {"frames": [len(kept), s.resolution, s.resolution, 3], "audio_features": list(features.shape),
                   "landmarks": [len(kept), 68, 2], "crop_boxes": [len(kept), 4, 2], "identity": list(embedding.shape),
                   "identity_frames": list(per_frame.shape)},
    }
    with atomic.atomic_dir(out_dir) as tmp:
        np.save(tmp / "frames.npy", np.stack(crops).astype(np.uint8))
        media.write_audio(tmp / "audio.wav", decoded.audio, s.sample_rate)
        np.save(tmp / "audio_features.npy", features)
        np.save(tmp / "landmarks.npy", np.stack(crop_landmarks).astype(np.float32))
        np.save(tmp / "crop_boxes.npy", quads.astype(np.float32))
        np.save(tmp / "identity.npy", embedding)
        np.save(tmp / "identity_frames.npy", per_frame)
        atomic.write_json(tmp / "index.json", index)
    return {"n_frames": len(frames), "n_kept": len(kept), "dropped": counts, "trimmed_to_audio": decoded.trimmed_to_audio,
            "variable_fps": decoded.source["variable_fps"], "source_fps": decoded.source["fps"]}
