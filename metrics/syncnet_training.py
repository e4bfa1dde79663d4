"""`starcaster train-syncnet`: train syncnet_python's SyncNet on MiniTalk's training clips.

SyncNet's weights (``syncnet_v2.model``) cannot be downloaded here, so the ``mini`` LSE scores come
from a SyncNet trained on MiniTalk's training sets (vfhq, celebvhq, hdtf manifests), as Chung &
Zisserman (2016) trained theirs: a 5-frame lip window paired with its own 0.2 s of MFCC is a positive,
the same lip window with the audio shifted by 1..``max_shift`` frames a negative, and the contrastive
loss on the Euclidean embedding distance, ``d^2`` for positives and ``max(margin - d, 0)^2`` for
negatives. Each lip window meets ``negatives`` shifted audio windows (the audio branch is far cheaper
than the lip branch); positive and negative terms are averaged separately so the negatives do not
drown the one positive.

The network is the real architecture (``SyncNetModel.S``, 1024-d) and sees exactly what the LSE metric
feeds it: ``metrics.lse.face_crops_bgr`` of the decoded frames (224x224 BGR, 0..255) and
``metrics.lse.mfcc`` windows (13x20, 4 columns per frame).

Output: the state dict as safetensors at ``metrics.lse.checkpoint`` and a JSON sidecar beside it
(``<checkpoint>.json``) naming the network, the manifests' sha256, steps, losses and time; both written atomically.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from metrics import lse

ARCHITECTURE = "SyncNet (syncnet_python SyncNetModel.S, 1024-d)"


def network_label(roots: list[str]) -> str:
    """What every LSE result built on the checkpoint is: in ``mini``/``ci`` the roots are MiniTalk's folders."""
    return f"{ARCHITECTURE} trained by starcaster train-syncnet on {', '.join(roots)}; not syncnet_v2"


@dataclass(frozen=True)
class TrainSettings:
    steps: int
    batch: int
    negatives: int
    lr: float
    margin: float
    max_shift: int
    seed: int
    threads: int
    max_clips: int | None = None

    @classmethod
    def from_params(cls, cfg: dict) -> "TrainSettings":
        return cls(**{k: cfg[k] for k in cls.__dataclass_fields__ if k in cfg})


@dataclass
class SyncClip:
    clip_id: str
    crops: np.ndarray  # (T,224,224,3) uint8 BGR, the LSE metric's input
    cepstra: np.ndarray  # (13, N) MFCC
    n_windows: int  # valid 5-frame window starts, audio windows alike


def load_clip(video: str | Path, clip_id: str, fps: float = 25.0) -> SyncClip:
    from benchmarks import media

    frames = media.read_video(video, fps=fps)
    audio = media.read_audio(video, sample_rate=lse.SAMPLE_RATE)
    n = lse.n_windows(len(frames), len(audio))
    if n < 2:
        raise ValueError(f"{video}: too short to train SyncNet ({len(frames)} frames)")
    return SyncClip(clip_id, lse.face_crops_bgr(frames), lse.mfcc(audio), n)


def sample_batch(clips: list[SyncClip], batch: int, negatives: int, max_shift: int, rng: np.random.Generator):
    """``batch`` lip windows as (clip, start) and, per window, the audio window starts: its own first,
    then ``negatives`` distinct starts shifted by 1..``max_shift`` frames (either way) inside the clip."""
    picks, audio_starts = [], []
    for _ in range(batch):
        clip = clips[int(rng.integers(len(clips)))]
        start = int(rng.integers(clip.n_windows))
        shifted = [j for j in range(start - max_shift, start + max_shift + 1) if j != start and 0 <= j < clip.n_windows]
        picks.append((clip, start))
        audio_starts.append([start, *rng.choice(shifted, negatives, replace=False)])
    return picks, np.array(audio_starts)


def contrastive_loss(lip, aud, margin: float):
    """SyncNet's contrastive loss; ``lip`` (B,D), ``aud`` (B,1+K,D) with the positive first.
    Mean positive term + mean negative term."""
    import torch

    dist = torch.linalg.vector_norm(aud - lip[:, None, :], dim=-1)
    return dist[:, 0].pow(2).mean() + torch.clamp(margin - dist[:, 1:], min=0).pow(2).mean()


def _tensors(picks, audio_starts):
    import torch

    video = np.stack([clip.crops[s : s + lse.WINDOW] for clip, s in picks])  # (B,5,224,224,3)
    audio = np.stack([[clip.cepstra[:, 4 * j : 4 * j + 20] for j in row] for (clip, _), row in zip(picks, audio_starts)])
    return torch.from_numpy(video).float().permute(0, 4, 1, 2, 3), torch.from_numpy(audio).float()  # audio (B,1+K,13,20)


def train(clips: list[SyncClip], settings: TrainSettings, log=print):
    """The trained network (eval mode) and the per-step losses."""
    import torch

    from metrics.syncnet import build_syncnet
    from metrics.weights import Resolved

    if settings.negatives > min(settings.max_shift, *(c.n_windows - 1 for c in clips)):
        raise ValueError(f"{settings.negatives} negatives need max_shift and every clip's windows - 1 at least as large")
    torch.set_num_threads(settings.threads)
    torch.use_deterministic_algorithms(True)
    net = build_syncnet(Resolved(None, f"random-init:{settings.seed}", settings.seed)).train()
    optimiser = torch.optim.Adam(net.parameters(), lr=settings.lr)
    rng = np.random.default_rng(settings.seed)
    losses = []
    for step in range(settings.steps):
        video, audio = _tensors(*sample_batch(clips, settings.batch, settings.negatives, settings.max_shift, rng))
        b, s = audio.shape[:2]
        lip = net.forward_lip(video)
        aud = net.forward_aud(audio.reshape(b * s, 1, *audio.shape[2:])).reshape(b, s, -1)
        loss = contrastive_loss(lip, aud, settings.margin)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
        if step % 10 == 0 or step == settings.steps - 1:
            log(f"step {step:4d}  loss {losses[-1]:.4f}")
    return net.eval(), losses


def sidecar_path(checkpoint: str | Path) -> Path:
    """``<checkpoint>.json``: a name DVC can template from the checkpoint param."""
    return Path(f"{checkpoint}.json")


def save(net, path: str | Path, label: str, sidecar: dict) -> dict:
    """The state dict (safetensors) and its JSON sidecar (``sidecar_path``), each written atomically."""
    from safetensors.torch import save_file

    from benchmarks import atomic
    from benchmarks.hashing import sha256_file

    path = Path(path)
    state = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
    with atomic.atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata={"network": label})
    sidecar = dict(sidecar, network=label, weights_sha256=sha256_file(path))
    atomic.write_json(sidecar_path(path), sidecar)
    return sidecar


def training_clips(datasets: dict, manifests_dir: str | Path, names: list[str], settings: TrainSettings, log=print):
    """The clips of the training manifests, the manifests' sha256 and the dataset roots (params ``datasets``);
    clips that cannot be read are reported and left out."""
    from benchmarks.datasets.base import root_in_params
    from benchmarks.hashing import sha256_file
    from benchmarks.media import MediaError
    from benchmarks.records import read_manifest

    records, hashes, roots = [], {}, []
    for name in names:
        manifest = Path(manifests_dir) / f"{name}.jsonl"
        hashes[str(manifest)] = sha256_file(manifest)
        root = root_in_params(datasets, name)[0]
        roots.append(str(root))
        records += [(root, r) for r in read_manifest(manifest)]
    records.sort(key=lambda item: (item[1].dataset, item[1].clip_id))
    if settings.max_clips is not None and len(records) > settings.max_clips:
        keep = np.random.default_rng(settings.seed).choice(len(records), settings.max_clips, replace=False)
        records = [records[i] for i in sorted(keep)]
    clips = []
    for root, record in records:
        try:
            clips.append(load_clip(record.resolve(root, "video"), record.clip_id, record.fps))
        except (MediaError, ValueError) as exc:
            log(f"skipped {record.clip_id}: {exc}")
    if not clips:
        raise ValueError(f"no usable training clip in the manifests {', '.join(hashes)}")
    return clips, hashes, roots


def train_and_save(p: dict, out: str | Path, log=print) -> dict:
    """Train with params ``p`` (``metrics.lse.train``), write the checkpoint to ``out``; returns the sidecar."""
    train_cfg = p["metrics"]["lse"]["train"]
    settings = TrainSettings.from_params(train_cfg)
    clips, hashes, roots = training_clips(p["datasets"], p["manifests"]["dir"], list(train_cfg["datasets"]), settings, log)
    start = time.perf_counter()
    net, losses = train(clips, settings, log)
    seconds = time.perf_counter() - start
    tail = losses[-10:]
    return save(net, out, network_label(roots), {
        "schema": 1,
        "profile": p["profile"],
        "datasets": list(train_cfg["datasets"]),
        "manifests_sha256": hashes,
        "clips": [c.clip_id for c in clips],
        "settings": asdict(settings),
        "loss": "contrastive (Chung & Zisserman 2016); negatives: the lip window with audio shifted 1..max_shift frames",
        "final_loss": float(np.mean(tail)),
        "losses": [round(v, 5) for v in losses],
        "train_seconds": round(seconds, 1),
        "input": "metrics.lse.face_crops_bgr (224x224 BGR 0..255, 5 frames) + metrics.lse.mfcc (13x20)",
    })


def add_arguments(parser) -> None:
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--out", default=None, help="default: params metrics.lse.checkpoint")


def run(args) -> int:
    from benchmarks import params

    p = params.load(args.params)
    out = args.out or p["metrics"]["lse"]["checkpoint"]
    if not out:
        raise ValueError("metrics.lse.checkpoint is not set: it names the file train-syncnet writes")
    sidecar = train_and_save(p, out)
    print(f"trained SyncNet on {len(sidecar['clips'])} clips in {sidecar['train_seconds']} s, "
          f"final loss {sidecar['final_loss']:.4f}; wrote {out}")
    return 0
