"""What a profile's run writes to disk, estimated before it runs; ``starcaster doctor`` weighs it against free space.

Prepared clips dominate: ``prepare`` stores every kept frame decoded (uint8 at ``prepare.resolution``) with its
audio features, so one hour of video becomes ~71 GB at 512 px. Seconds of video come from the datasets in place:
the videos under each training set's root (used whole) or the clips a benchmark's manifest samples
(``manifests.n_clips``), times the mean length of a few sampled files. Generated videos are every method on every
scored benchmark (an upper bound) at an H.264 CRF 18 rate; training writes ``keep_checkpoints`` accelerate states
(every weight in fp32 and AdamW's two moments of the trainable ones) and a final model per training run.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SAMPLED_FILES = 3
# H.264 at CRF 18 (benchmarks/media.py write_video) on talking heads: MiniTalk's 256 px clips measure 0.17 bits per
# pixel per frame; real faces with backgrounds take more, so the estimate is rounded up
ENCODED_BITS_PER_PIXEL = 0.25
LANDMARKS, CROP_CORNERS = 68, 4
WAV2VEC2_BASE_FEATURES = 12 * 768  # all 12 hidden states of wav2vec2-base (benchmarks/preprocess/audio_features.py)
VIEWS_PER_IDENTITY = 3  # NeRSemble: three target views per identity (benchmarks/datasets/nersemble.py)


@dataclass(frozen=True)
class Part:
    what: str
    bytes: float | None  # None: not known until the data it depends on is in place
    basis: str
    folder: str  # where it is written


def _count(n: int) -> str:
    return f"{n / 1e9:.2f}B" if n >= 1e8 else f"{n / 1e6:.1f}M"


def prepared_bytes_per_frame(params: dict) -> int:
    """frames.npy, audio_features.npy, landmarks.npy, crop_boxes.npy and the 16-bit audio of one frame."""
    prepare = params["prepare"]
    features = prepare["audio_features"]
    per_frame_features = WAV2VEC2_BASE_FEATURES if features["backend"] == "wav2vec2" else features["logmel_mfcc"]["dim"]
    audio_samples = prepare["sample_rate"] / prepare["fps"]
    return int(prepare["resolution"] ** 2 * 3 + 4 * per_frame_features + 4 * 2 * (LANDMARKS + CROP_CORNERS)
               + 2 * audio_samples)


def _videos(root: Path) -> list[Path]:
    return sorted(root.rglob("*.mp4")) if root.is_dir() else []


def _mean_seconds(videos: list[Path]) -> float | None:
    from benchmarks.media import MediaError, probe

    lengths = []
    for video in videos[:: max(1, len(videos) // SAMPLED_FILES)][:SAMPLED_FILES]:
        try:
            info = probe(video)
        except (MediaError, OSError):
            continue
        lengths.append(info.n_frames / info.fps)
    return sum(lengths) / len(lengths) if lengths else None


def _seconds(params: dict, name: str) -> tuple[float | None, int | None]:
    """Seconds of video the run reads from dataset ``name`` and the clip count behind them."""
    from benchmarks.datasets.base import root_in_params

    videos = _videos(Path(root_in_params(params["datasets"], name)[0]))
    mean = _mean_seconds(videos)
    sampled = (params["manifests"].get("n_clips") or {}).get(name)
    clips = len(videos) if sampled is None else sampled * (VIEWS_PER_IDENTITY if name == "nersemble" else 1)
    return (None, clips) if mean is None else (mean * clips, clips)


def prepared(params: dict, datasets: list[str]) -> list[Part]:
    """``datasets``: the names the profile reads (doctor.dataset_names)."""
    per_second = prepared_bytes_per_frame(params) * params["prepare"]["fps"]
    parts = []
    for name in datasets:
        if name == "multiview":  # read as rendered, never prepared
            continue
        seconds, clips = _seconds(params, name)
        basis = f"{clips} clips" if seconds is None else f"{clips} clips, {seconds / 3600:.1f} h"
        parts.append(Part(f"prepared {name}", None if seconds is None else seconds * per_second,
                          f"{basis} at {per_second / 1e6:.1f} MB/s" if seconds is not None else
                          f"unknown until {name} is in place", params["prepare"]["out"]))
    return parts


def generated(params: dict) -> list[Part]:
    from baselines.registry import names

    methods = len(names(params))
    side = params["prepare"]["resolution"]
    per_second = ENCODED_BITS_PER_PIXEL / 8 * side * side * params["metrics"]["fps"]
    parts = []
    for name in params["evaluation"]["benchmarks"]:
        seconds, clips = _seconds(params, name)
        parts.append(Part(f"generated {name}", None if seconds is None else seconds * methods * per_second,
                          f"{methods} methods x {clips} clips at {side} px" if seconds is not None else
                          f"unknown until {name} is in place", "runs"))
    return parts


def checkpoints(params: dict) -> list[Part]:
    """Per training run: its kept accelerate states and its final model, counted on the meta device."""
    import torch

    from benchmarks.params_schema import training_runs
    from model.config import get_config
    from model.starcaster import STARCasterModel, set_trainable

    train = params["train"]
    with torch.device("meta"):
        model = STARCasterModel(**get_config(train["model_preset"]).model_kwargs())
    total = sum(p.numel() for p in model.parameters())
    parts = []
    for (stage, variant), layers in training_runs(train).items():
        run = {k: v for _, layer in layers for k, v in layer.items()}
        if not run.get("max_steps"):
            continue
        set_trainable(model, stage)
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        state = 4 * total + 8 * trainable
        parts.append(Part(f"training stage {stage}" + (f" ({variant})" if variant else ""), train["keep_checkpoints"] * state + 4 * total,
                          f"{train['keep_checkpoints']} checkpoints of {_count(total)} weights "
                          f"({_count(trainable)} trained) and the final model", run["out"]))
    return parts


def estimate(params: dict, datasets: list[str]) -> list[Part]:
    return prepared(params, datasets) + generated(params) + checkpoints(params)


def _existing(folder: str) -> Path:
    path = Path(folder).absolute()
    while not path.exists():
        path = path.parent
    return path


def shortfalls(parts: list[Part]) -> list[tuple[str, float, float]]:
    """(folder, bytes estimated, bytes free) for each file system the known parts would overfill."""
    import shutil

    wanted, folders = {}, {}
    for part in parts:
        if part.bytes is not None:
            device = _existing(part.folder).stat().st_dev
            wanted[device] = wanted.get(device, 0.0) + part.bytes
            folders.setdefault(device, part.folder)
    short = []
    for device, need in wanted.items():
        free = shutil.disk_usage(_existing(folders[device])).free
        if need > free:
            short.append((folders[device], need, free))
    return short
