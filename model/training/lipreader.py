"""``starcaster train-lipreader``: the frozen lip reader of the lip-reading loss, written to ``train.lipreader.out``.

``encoder: auto_avsr`` (paper): the VSR front-end of paper [49] is imported from ``file`` (strict key check).
``encoder: minitalk`` (mini, ci): those weights cannot be obtained here, so a narrow variant of the same
architecture (``width``) is trained on MiniTalk. Its target is the per-frame mouth opening MiniTalk rendered
(``ground_truth/**.json`` ``mouth_open``: the jaw follows the speech, the one articulatory variable MiniTalk
knows), regressed by a linear head from the same mouth crops the loss takes (the prepared training clips'
frames cut with their landmarks); the head is dropped, the loss compares the encoder's features. Held out:
the evaluation benchmarks' prepared clips (sentences never seen in training; the identities are MiniTalk's
same nine) -- R^2 and Pearson r of the predicted opening against a trivial baseline, the training mean.
The result is labelled "MiniTalk-trained lip encoder (not Auto-AVSR)" in its sidecar and weights.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from model.lipreading import PAPER_SOURCE, LipReader, LipReadingEncoder, MouthCrop
from model.training.data import contiguous_starts, find_clips
from model.training.losses import complete_windows

log = logging.getLogger(__name__)

MINI_NAME = "MiniTalk-trained lip encoder (not Auto-AVSR)"


@dataclass(frozen=True)
class LipreaderSettings:
    """The ``train.lipreader`` params section (docs/training.md)."""

    encoder: str  # minitalk | auto_avsr
    out: str
    crop_size: int
    mouth_scale: float
    file: str | None = None  # auto_avsr: the VSR checkpoint
    width: int = 16
    benchmarks: tuple[str, ...] = ("vfhq", "celebvhq", "hdtf")
    held_out: tuple[str, ...] = ("th1kh", "hallo3")
    window: int = 16
    batch_size: int = 8
    steps: int = 300
    lr: float = 1e-3
    seed: int = 0
    threads: int = 2

    @classmethod
    def from_params(cls, section: dict) -> LipreaderSettings:
        return cls(**{k: v for k, v in section.items() if k in cls.__dataclass_fields__})

    @property
    def crop(self) -> MouthCrop:
        return MouthCrop(self.crop_size, self.mouth_scale)


@dataclass
class MouthClip:
    name: str
    crops: torch.Tensor  # (K, S, S) normalised grayscale mouth crops
    opening: torch.Tensor  # (K,) the rendered mouth opening of each kept frame
    starts: list[int]  # rows that start ``window`` contiguous kept frames


def truth_file(folder: Path, datasets: dict, minitalk_out: str | Path) -> Path:
    """MiniTalk's ground truth of the prepared clip in ``folder``: ``{out}/ground_truth/{dataset root
    relative to out}/{source video without suffix}.json`` (benchmarks/datasets/minitalk.py writes it there)."""
    from benchmarks.datasets.base import root_in_params

    index = json.loads((folder / "index.json").read_text())
    root, param = root_in_params(datasets, index["dataset"])
    out = Path(minitalk_out).resolve()
    try:
        rel = Path(root).resolve().relative_to(out)
    except ValueError:
        raise ValueError(f"{param} = {root} is not inside minitalk.out {minitalk_out}: no MiniTalk truth") from None
    return Path(minitalk_out) / "ground_truth" / rel / Path(index["source"]["video"]).with_suffix(".json")


@torch.no_grad()
def load_mouth_clip(folder: Path, truth: Path, crop: MouthCrop, window: int) -> MouthClip:
    index = json.loads((folder / "index.json").read_text())
    frames = torch.from_numpy(np.load(folder / "frames.npy")).permute(0, 3, 1, 2).float() / 255
    landmarks = torch.from_numpy(np.load(folder / "landmarks.npy").astype(np.float32))
    opening = np.asarray(json.loads(truth.read_text())["mouth_open"], dtype=np.float32)[index["kept_frames"]]
    return MouthClip(folder.name, crop(frames[None], landmarks[None])[0], torch.from_numpy(opening),
                     contiguous_starts(index["kept_frames"], window))


def load_mouth_clips(prepared_dir, datasets: dict, minitalk_out, benchmarks, crop: MouthCrop,
                     window: int) -> list[MouthClip]:
    folders = find_clips(prepared_dir, list(benchmarks))
    return [load_mouth_clip(f, truth_file(f, datasets, minitalk_out), crop, window) for f in folders]


class OpeningRegressor(torch.nn.Module):
    """The encoder and the linear head that reads the mouth opening from its per-frame features."""

    def __init__(self, width: int):
        super().__init__()
        self.encoder = LipReadingEncoder(width)
        self.head = torch.nn.Linear(self.encoder.feature_dim, 1)

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(crops))[..., 0]


def train(clips: list[MouthClip], settings: LipreaderSettings) -> tuple[OpeningRegressor, dict]:
    """The regressor (eval mode) trained on windows of ``clips``, and the target's z-score statistics."""
    torch.manual_seed(settings.seed)
    windows = [(c, s) for c in clips for s in c.starts]
    if not windows:
        raise ValueError(f"no window of {settings.window} contiguous frames in {len(clips)} training clips")
    opening = torch.cat([c.opening for c in clips])
    stats = {"mean": opening.mean().item(), "std": opening.std().item()}
    model = OpeningRegressor(settings.width).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr)
    rng = np.random.default_rng(settings.seed)
    inner = complete_windows(settings.window)
    for step in range(settings.steps):
        picks = [windows[i] for i in rng.integers(len(windows), size=settings.batch_size)]
        crops = torch.stack([c.crops[s:s + settings.window] for c, s in picks])
        target = (torch.stack([c.opening[s:s + settings.window] for c, s in picks]) - stats["mean"]) / stats["std"]
        loss = (model(crops) - target)[:, inner].pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 50 == 0 or step == settings.steps - 1:
            log.info("step %d  loss %.4f", step, loss.item())
    return model.eval(), stats


@torch.no_grad()
def evaluate(model: OpeningRegressor, clips: list[MouthClip], stats: dict) -> dict:
    """Mouth opening predicted over each whole clip, scored on frames with complete windows: R^2 and
    Pearson r against the truth, beside the trivial baseline that always predicts the training mean."""
    predicted, truth = [], []
    for clip in clips:
        inner = complete_windows(len(clip.crops))
        predicted.append((model(clip.crops[None])[0] * stats["std"] + stats["mean"])[inner])
        truth.append(clip.opening[inner])
    predicted, truth = torch.cat(predicted).double(), torch.cat(truth).double()
    variance = (truth - truth.mean()).pow(2).mean()
    mse = (predicted - truth).pow(2).mean()
    baseline = (truth - stats["mean"]).pow(2).mean()
    return {"frames": len(truth), "mse": mse.item(), "r2": (1 - mse / variance).item(),
            "pearson": torch.corrcoef(torch.stack([predicted, truth]))[0, 1].item(),
            "baseline_mse": baseline.item(), "baseline_r2": (1 - baseline / variance).item()}


def add_arguments(parser) -> None:
    parser.add_argument("--params", default="params.yaml", help="params file with train.lipreader")


def run(args) -> int:
    from benchmarks.hashing import sha256_file
    from benchmarks.params import load

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    params = load(args.params)
    settings = LipreaderSettings.from_params(params["train"]["lipreader"])
    torch.set_num_threads(settings.threads)
    torch.use_deterministic_algorithms(True)
    try:
        if settings.encoder == "auto_avsr":
            encoder = LipReadingEncoder.from_file(settings.file)
            LipReader(encoder, settings.crop, f"VSR front-end of Ma et al. 2022 [49] ({Path(settings.file).name})").save(
                settings.out, {"source": PAPER_SOURCE, "file": settings.file, "file_sha256": sha256_file(settings.file)})
            return 0
        if settings.encoder != "minitalk":
            log.error("train.lipreader.encoder is %r: auto_avsr or minitalk", settings.encoder)
            return 2
        source = (params["train"]["prepared_dir"], params["datasets"], params["minitalk"]["out"])
        training = load_mouth_clips(*source, settings.benchmarks, settings.crop, settings.window)
        held_out = load_mouth_clips(*source, settings.held_out, settings.crop, settings.window)
    except (FileNotFoundError, ValueError) as err:
        log.error("%s", err)
        return 2
    began = time.perf_counter()
    model, stats = train(training, settings)
    seconds = time.perf_counter() - began
    scores = {"train": evaluate(model, training, stats), "held_out": evaluate(model, held_out, stats)}
    log.info("held-out mouth opening: R^2 %.3f (training-mean baseline %.3f), Pearson r %.3f",
             scores["held_out"]["r2"], scores["held_out"]["baseline_r2"], scores["held_out"]["pearson"])
    LipReader(model.encoder, settings.crop, MINI_NAME).save(settings.out, {
        "architecture": f"VSR front-end (Conv3d + ResNet-18 trunk) at width {settings.width}, paper width 64",
        "target": "MiniTalk's rendered per-frame mouth opening (z-scored), linear head (not saved)",
        "training_clips": {c.name: len(c.crops) for c in training},
        "held_out_clips": {c.name: len(c.crops) for c in held_out},
        "settings": {k: v for k, v in vars(settings).items() if k not in ("encoder", "out", "file")},
        "target_stats": stats, "scores": scores, "train_seconds": round(seconds, 1),
    })
    return 0
