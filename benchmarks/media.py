"""Video and audio IO shared by MiniTalk, preparation, baselines and metrics (PyAV underneath).

Frames are RGB uint8 arrays (T, H, W, 3); audio is float32 mono in [-1, 1]. Every failure to read
media raises ``MediaError`` with the path and the reason, so callers can turn it into a per-clip
error. Writers are atomic and byte-deterministic for identical inputs (single-threaded x264 below its
AVX-512 code, no wall-clock metadata), which MiniTalk's reproducibility relies on.
"""
from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from benchmarks import atomic


class MediaError(ValueError):
    """A video or audio file that cannot be used, with the reason."""


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    n_frames: int
    duration: float
    has_audio: bool
    variable_fps: bool


def _open(path: str | os.PathLike):
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: empty file")
    try:
        return av.open(str(path))
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: cannot open ({exc})") from exc


def _video_stream(container, path):
    if not container.streams.video:
        raise MediaError(f"{path}: no video stream")
    return container.streams.video[0]


def probe(path: str | os.PathLike) -> VideoInfo:
    """Size, frame rate and frame count from the packet timestamps (demuxing only, no decoding)."""
    with _open(path) as container:
        stream = _video_stream(container, path)
        try:
            pts = [p.pts for p in container.demux(stream) if p.pts is not None and p.size > 0]
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: corrupt stream ({exc})") from exc
        if not pts:
            raise MediaError(f"{path}: no video frames")
        times = np.sort(np.asarray(pts, dtype=np.float64)) * float(stream.time_base)
        steps = np.diff(times)
        step = float(np.median(steps)) if len(steps) else 1.0 / float(stream.average_rate or 25)
        fps = float(stream.average_rate) if stream.average_rate else 1.0 / step
        variable = bool(len(steps) > 1 and np.max(np.abs(steps - step)) > 0.25 * step)
        return VideoInfo(
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=fps,
            n_frames=len(times),
            duration=float(times[-1] - times[0] + step),
            has_audio=bool(container.streams.audio),
            variable_fps=variable,
        )


def _decoded(path) -> Iterator[tuple[float, np.ndarray]]:
    with _open(path) as container:
        stream = _video_stream(container, path)
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                image = frame.to_ndarray(format="rgb24")
                if not np.isfinite(image).all():
                    raise MediaError(f"{path}: non-finite pixel values")
                yield float(frame.pts * stream.time_base), image
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: corrupt or truncated video ({exc})") from exc


def _resampled(frames: Iterator[tuple[float, np.ndarray]], fps: float | None) -> Iterator[np.ndarray]:
    """Constant-rate output by nearest timestamp (ffmpeg's fps filter with round=near).

    Output frame k sits at t0 + k/fps; frames are emitted while that time lies within the source's
    span (its last timestamp plus half a source frame period), so a 30 fps second gives 25 frames.
    """
    if fps is None:
        for _, image in frames:
            yield image
        return
    period = 1.0 / fps
    prev: tuple[float, np.ndarray] | None = None
    t0 = None
    k = 0
    src_step = None
    for ts, image in frames:
        if t0 is None:
            t0 = ts
        if prev is not None:
            src_step = ts - prev[0]
            while t0 + k * period <= ts:
                target = t0 + k * period
                yield prev[1] if target - prev[0] < ts - target else image
                k += 1
        prev = (ts, image)
    if prev is None:
        return
    end = prev[0] + 0.5 * (src_step if src_step else period)
    while t0 + k * period < end - 1e-9:
        yield prev[1]
        k += 1


def iter_video(path: str | os.PathLike, fps: float | None = None, batch: int = 64,
               max_frames: int | None = None) -> Iterator[np.ndarray]:
    """Frames in batches of at most ``batch`` (memory stays bounded whatever the video length); decoding
    stops after ``max_frames`` output frames when given."""
    buf: list[np.ndarray] = []
    for image in itertools.islice(_resampled(_decoded(path), fps), max_frames):
        buf.append(image)
        if len(buf) == batch:
            yield np.stack(buf)
            buf = []
    if buf:
        yield np.stack(buf)


def read_video(path: str | os.PathLike, fps: float | None = None, max_frames: int | None = None) -> np.ndarray:
    """All frames (the first ``max_frames`` when given) as (T, H, W, 3) uint8 RGB, resampled to ``fps`` when given."""
    batches = list(iter_video(path, fps, max_frames=max_frames))
    if not batches:
        raise MediaError(f"{path}: no decodable video frames")
    return np.concatenate(batches)


def read_audio(path: str | os.PathLike, sample_rate: int = 16000) -> np.ndarray:
    """Mono float32 audio at ``sample_rate`` from an audio file or a video's audio track."""
    with _open(path) as container:
        if not container.streams.audio:
            raise MediaError(f"{path}: no audio track")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks = []
        try:
            for frame in container.decode(stream):
                chunks.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(frame))
            chunks.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(None))
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: corrupt audio ({exc})") from exc
    if not chunks:
        raise MediaError(f"{path}: empty audio track")
    audio = np.concatenate(chunks).astype(np.float32)
    if not np.isfinite(audio).all():
        raise MediaError(f"{path}: non-finite audio samples")
    return audio


@functools.cache
def x264_options(crf: int) -> dict[str, str]:
    """libx264's options. Where the CPU has AVX-512, x264 is held to its AVX2 code: with AVX-512 the bundled
    x264 (core 165, PyAV 18.1) encoded the same frames to different bitstreams from run to run, even twice in
    one process (1-2 of a MiniTalk build's 18 videos, on a Xeon with AVX-512); held to AVX2, never in the same
    trials. x264's SIMD levels are meant to be bit-exact with its C code, so this costs speed only."""
    options = {"crf": str(crf), "preset": "medium", "threads": "1", "flags": "+bitexact"}
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file() and " avx512f" in cpuinfo.read_text():
        options["x264-params"] = "asm=AVX2"
    return options


def _rate(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001)


def write_video(
    path: str | os.PathLike,
    frames: Iterable[np.ndarray] | np.ndarray,
    fps: float,
    audio: np.ndarray | None = None,
    sample_rate: int = 16000,
    crf: int = 18,
) -> None:
    """H.264 mp4 (yuv420p; yuv444p when a side is odd) with optional AAC mono audio, written atomically."""
    with atomic.atomic_path(path, suffix=".mp4") as tmp:
        # bitexact drops the encoder version strings, so identical inputs give identical bytes.
        with av.open(str(tmp), mode="w", format="mp4", container_options={"fflags": "+bitexact"}) as container:
            vstream = None
            astream = None
            if audio is not None:
                audio = np.asarray(audio, dtype=np.float32).reshape(-1)
            n = 0
            for image in frames:
                image = np.ascontiguousarray(image, dtype=np.uint8)
                if image.ndim != 3 or image.shape[2] != 3:
                    raise MediaError(f"{path}: frames must be HxWx3 uint8, got {image.shape}")
                if vstream is None:
                    h, w = image.shape[:2]
                    vstream = container.add_stream("libx264", rate=_rate(fps))
                    vstream.width, vstream.height = w, h
                    vstream.pix_fmt = "yuv444p" if (w % 2 or h % 2) else "yuv420p"
                    vstream.thread_count = 1
                    vstream.options = dict(x264_options(crf))
                    if audio is not None:
                        astream = container.add_stream("aac", rate=sample_rate, layout="mono")
                        astream.options = {"flags": "+bitexact"}
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts = n
                n += 1
                for packet in vstream.encode(frame):
                    container.mux(packet)
            if vstream is None:
                raise MediaError(f"{path}: no frames to write")
            for packet in vstream.encode():
                container.mux(packet)
            if astream is not None:
                size = astream.codec_context.frame_size or 1024
                for start in range(0, len(audio), size):
                    chunk = audio[start:start + size]
                    aframe = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
                    aframe.sample_rate = sample_rate
                    aframe.pts = start
                    for packet in astream.encode(aframe):
                        container.mux(packet)
                for packet in astream.encode():
                    container.mux(packet)


def write_audio(path: str | os.PathLike, audio: np.ndarray, sample_rate: int) -> None:
    """16-bit PCM wav, written atomically."""
    import soundfile

    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    with atomic.atomic_path(path, suffix=".wav") as tmp:
        soundfile.write(str(tmp), np.clip(audio, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")
