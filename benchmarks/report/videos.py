"""Side-by-side videos (ground truth | STARCaster | baselines) and their poster strips.

For a few clips per benchmark, every method with a video in ``runs/<benchmark>/<method>/`` gets a
labelled panel scaled to one height; the first seconds are kept (with the ground truth's audio) so
the committed files stay small. mp4s use the byte-deterministic writer of ``benchmarks.media``; the
poster is the middle frame as a PNG.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from benchmarks import atomic, media

REFERENCE = "ground_truth"
LABEL_HEIGHT = 14


def method_order(methods: list[str]) -> list[str]:
    """Ground truth first, then STARCaster's variants, then every other method, each alphabetical."""
    return sorted(methods, key=lambda m: (m != REFERENCE, not m.startswith("starcaster"), m))


def method_videos(bench_dir: Path) -> dict[str, dict[str, Path]]:
    """method -> clip id -> video, for every method folder holding videos."""
    out = {}
    for method_dir in sorted(p for p in Path(bench_dir).iterdir() if p.is_dir()):
        videos = {p.stem: p for p in sorted(method_dir.glob("*.mp4"))}
        if videos:
            out[method_dir.name] = videos
    return out


def pick_clips(videos: dict[str, dict[str, Path]], n_clips: int) -> list[str]:
    """The ground-truth clips that the most methods have, ties broken by clip id."""
    if REFERENCE not in videos:
        return []
    coverage = {clip: sum(clip in v for v in videos.values()) for clip in videos[REFERENCE]}
    return sorted(coverage, key=lambda c: (-coverage[c], c))[:n_clips]


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def _label(text: str, width: int) -> np.ndarray:
    band = Image.new("RGB", (width, LABEL_HEIGHT), (24, 24, 24))
    ImageDraw.Draw(band).text((3, 1), text, fill=(240, 240, 240), font=ImageFont.load_default(size=11))
    return np.asarray(band)


def _panel_frames(path: Path, label: str, height: int, n_frames: int, fps: float) -> np.ndarray:
    """(n_frames, LABEL_HEIGHT + height, W, 3): the video's first frames, scaled, last frame held."""
    frames = next(media.iter_video(path, fps=fps, batch=n_frames), None)
    if frames is None:
        raise media.MediaError(f"{path}: no decodable video frames")
    h, w = frames.shape[1:3]
    width = _even(w * height / h)
    scaled = np.stack([np.asarray(Image.fromarray(f).resize((width, height), Image.BILINEAR)) for f in frames])
    if len(scaled) < n_frames:
        scaled = np.concatenate([scaled, np.repeat(scaled[-1:], n_frames - len(scaled), axis=0)])
    band = np.broadcast_to(_label(label, width), (n_frames, LABEL_HEIGHT, width, 3))
    return np.concatenate([band, scaled], axis=1)


def write_clip(videos: dict[str, dict[str, Path]], clip: str, video_path: Path, poster_path: Path,
               height: int, seconds: float, fps: float, sample_rate: int = 16000) -> dict:
    """Write one side-by-side mp4 and its poster PNG; returns the methods in panel order and, by
    method, the reason of every video that could not be read (left out of the strip)."""
    n_frames = int(round(seconds * fps))
    panels, unreadable = {}, {}
    for method in (m for m in method_order(list(videos)) if clip in videos[m]):
        try:
            panels[method] = _panel_frames(videos[method][clip], method, height, n_frames, fps)
        except media.MediaError as err:
            unreadable[method] = str(err)
    if not panels:
        return {"methods": [], "unreadable": unreadable}
    strip = np.concatenate(list(panels.values()), axis=2)
    audio = None
    if REFERENCE in panels and media.probe(videos[REFERENCE][clip]).has_audio:
        audio = media.read_audio(videos[REFERENCE][clip], sample_rate)[: int(round(seconds * sample_rate))]
    media.write_video(video_path, strip, fps, audio=audio, sample_rate=sample_rate, crf=30)
    buf = io.BytesIO()
    # A 256-colour palette keeps the committed poster under half the size of a full-colour PNG.
    Image.fromarray(strip[len(strip) // 2]).quantize(256).save(buf, format="PNG", optimize=True)
    atomic.write_bytes(poster_path, buf.getvalue())
    return {"methods": list(panels), "unreadable": unreadable}


def caption(record: dict) -> str:
    text = f"{record['benchmark']} / {record['clip_id']}: {' | '.join(record['methods'])}"
    if record["unreadable"]:
        text += " (left out, unreadable: " + "; ".join(f"{m}: {r}" for m, r in record["unreadable"].items()) + ")"
    return text


def write_videos(runs_dir: Path, out_dir: Path, n_clips: int, height: int = 96, seconds: float = 2.0,
                 fps: float = 25.0) -> list[dict]:
    """Side-by-side videos for ``n_clips`` clips of every benchmark under ``runs_dir``; paths relative to ``out_dir``."""
    records = []
    for bench_dir in sorted(p for p in Path(runs_dir).glob("*") if p.is_dir()):
        videos = method_videos(bench_dir)
        for clip in pick_clips(videos, n_clips):
            rel = Path(bench_dir.name)
            written = write_clip(videos, clip, out_dir / bench_dir.name / f"{clip}.mp4",
                                 out_dir / bench_dir.name / f"{clip}.png", height, seconds, fps)
            if written["methods"]:
                records.append({"benchmark": bench_dir.name, "clip_id": clip, **written,
                                "video": (rel / f"{clip}.mp4").as_posix(), "poster": (rel / f"{clip}.png").as_posix()})
    return records
