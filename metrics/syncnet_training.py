"""`starcaster train-syncnet`: train syncnet_python's SyncNet on MiniTalk's training clips.

SyncNet's weights (``syncnet_v2.model``) cannot be downloaded here, so the ``mini``/``ci`` LSE scores
come from a SyncNet trained on MiniTalk's training sets (vfhq, celebvhq, hdtf manifests). The network
is the real architecture (``SyncNetModel.S``, 1024-d) and sees exactly what the LSE metric feeds it:
``metrics.lse.face_crops_bgr`` of the decoded frames (224x224 BGR, 0..255) and ``metrics.lse.mfcc``
windows (13x20, 4 columns per frame).

Recipe (a few CPU minutes; docs/metrics.md, "SyncNet trained on MiniTalk"):

- **Frozen lower layers.** Both branches' conv blocks up to their last max-pool (``netcnnlip[:18]``,
  ``netcnnaud[:18]``) keep their seeded initialisation; only their BatchNorm statistics are set from
  MiniTalk windows (one train-mode pass). Their outputs are computed once per window.
- **Upper layers fitted in closed form** by regularised canonical correlation analysis (CCA) between
  the frozen lip and audio features of the same windows -- the classic linear audio-visual sync model
  (Slaney & Covell 2000, FaceSync) -- on their frame-to-frame changes, so that slow head-pose and
  voice drifts, which are particular to each training clip, carry no weight. The last conv, BatchNorm
  and the two fully connected layers of each branch are set so that the embedding is the ``components``
  canonical variates and the padding offset below (the other dimensions zero): ReLU(u) - ReLU(-u) = u
  passes the variates through.
  Gradient training from these 9 clips did not generalise (docs/metrics.md gives the measurements).
- **Padding placed like unrelated audio.** ``calc_pdist`` pads the audio embeddings with zero vectors at
  the clip's ends. The canonical variates are centred, so zero would be the centre of both branches:
  nearer to a lip window than its own audio, which pulled offsets to +-15 and let a shift that drops
  in-sync pairs raise LSE-C. Both branches get one more dimension at the same constant c (lip-audio
  distances unchanged), c^2 = the audio variates' mean squared norm on the training windows, so that
  a padded pair is on average as far as an unrelated lip/audio pair.

Output: the state dict of the whole network as safetensors at ``metrics.lse.checkpoint`` and a JSON
sidecar beside it (``<checkpoint>.json``) naming the network, the manifests' sha256, settings, the
canonical correlations, the padding offset and the time taken; both written atomically.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from metrics import lse

if TYPE_CHECKING:
    import torch

ARCHITECTURE = "SyncNet (syncnet_python SyncNetModel.S, 1024-d)"
FROZEN = 18  # netcnnlip[:FROZEN] / netcnnaud[:FROZEN]: every conv block up to the branch's last max-pool


def network_label(roots: list[str]) -> str:
    """What every LSE result built on the checkpoint is: in ``mini``/``ci`` the roots are MiniTalk's folders."""
    return (f"{ARCHITECTURE} trained by starcaster train-syncnet on {', '.join(roots)} (layers below the last conv "
            f"of each branch frozen at their seeded initialisation); not syncnet_v2")


@dataclass(frozen=True)
class TrainSettings:
    lip_stride: int  # lip windows at every lip_stride-th start
    components: int  # canonical variates kept: the embedding's fitted dimensions
    pcs: int  # principal components of each branch's features entering the CCA
    shrinkage: float  # added to each principal variance, relative to their mean (ridge CCA)
    calibration_windows: int  # per clip, for the frozen layers' BatchNorm statistics
    seed: int
    threads: int
    max_clips: int | None = None

    @classmethod
    def from_params(cls, cfg: dict) -> TrainSettings:
        return cls(**{k: cfg[k] for k in cls.__dataclass_fields__ if k in cfg})


@dataclass
class SyncClip:
    clip_id: str
    crops: np.ndarray  # (T,224,224,3) uint8 BGR, the LSE metric's input
    cepstra: np.ndarray  # (13, N) MFCC
    n_windows: int  # valid 5-frame window starts, audio windows alike


@dataclass
class TrunkFeatures:
    """A clip's windows through the frozen layers, flattened."""

    clip_id: str
    starts: np.ndarray  # (L,) every lip_stride-th window start
    lip: torch.Tensor  # (L, 256*1*6*6) netcnnlip[:FROZEN]
    aud: torch.Tensor  # (L, 256*5*4) netcnnaud[:FROZEN]


def load_clip(video: str | Path, clip_id: str, fps: float = 25.0) -> SyncClip:
    from benchmarks import media

    frames = media.read_video(video, fps=fps)
    audio = media.read_audio(video, sample_rate=lse.SAMPLE_RATE)
    n = lse.n_windows(len(frames), len(audio))
    if n < 2:
        raise ValueError(f"{video}: too short to train SyncNet ({len(frames)} frames)")
    return SyncClip(clip_id, lse.face_crops_bgr(frames), lse.mfcc(audio), n)


def _video(clip: SyncClip, starts):
    """The metric's lip input at window ``starts``: (B,3,5,224,224) float, BGR 0..255."""
    import torch

    video = np.stack([clip.crops[s : s + lse.WINDOW] for s in starts])
    return torch.from_numpy(video).float().permute(0, 4, 1, 2, 3)


def _audio(clip: SyncClip, starts):
    """The metric's audio input at window ``starts``: (B,1,13,20) MFCC."""
    import torch

    return torch.from_numpy(np.stack([clip.cepstra[None, :, 4 * s : 4 * s + 20] for s in starts])).float()


def calibrate_batchnorm(trunk, batch) -> None:
    """Set a frozen trunk's BatchNorm statistics to those of ``batch`` (one train-mode pass, cumulative average)."""
    import torch

    norms = [m for m in trunk.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None
    trunk.train()
    with torch.no_grad():
        trunk(batch)
    for bn in norms:
        bn.momentum = 0.1
    trunk.eval()


def trunk_features(net, clip: SyncClip, lip_stride: int) -> TrunkFeatures:
    import torch

    starts = np.arange(0, clip.n_windows, lip_stride)
    with torch.no_grad():
        batches = [starts[i : i + lse.BATCH] for i in range(0, len(starts), lse.BATCH)]
        lip = torch.cat([net.netcnnlip[:FROZEN](_video(clip, b)).flatten(1) for b in batches])
        aud = torch.cat([net.netcnnaud[:FROZEN](_audio(clip, b)).flatten(1) for b in batches])
    return TrunkFeatures(clip.clip_id, starts, lip, aud)


def prepare(clips: list[SyncClip], settings: TrainSettings, log=print):
    """The seeded network with its frozen layers' BatchNorm statistics from ``clips``, and every clip's frozen features."""
    import torch

    from metrics.syncnet import build_syncnet
    from metrics.weights import Resolved

    net = build_syncnet(Resolved(None, f"random-init:{settings.seed}", settings.seed))
    starts = [np.linspace(0, c.n_windows - 1, settings.calibration_windows).round().astype(int) for c in clips]
    calibrate_batchnorm(net.netcnnlip[:FROZEN], torch.cat([_video(c, s) for c, s in zip(clips, starts)]))
    calibrate_batchnorm(net.netcnnaud[:FROZEN], torch.cat([_audio(c, s) for c, s in zip(clips, starts)]))
    features = []
    for clip in clips:
        features.append(trunk_features(net, clip, settings.lip_stride))
        log(f"frozen features of {clip.clip_id}: {len(features[-1].starts)} windows")
    return net, features


def frame_changes(features: list[TrunkFeatures]) -> tuple[np.ndarray, np.ndarray]:
    """Differences of consecutive cached windows within each clip, lip and audio, stacked (float64)."""
    lip = np.concatenate([np.diff(f.lip.double().numpy(), axis=0) for f in features])
    aud = np.concatenate([np.diff(f.aud.double().numpy(), axis=0) for f in features])
    return lip, aud


def _whitening(x: np.ndarray, pcs: int, shrinkage: float) -> np.ndarray:
    """(D, pcs): the top principal axes of ``x``, scaled by 1/sqrt(variance + shrinkage * mean variance)."""
    _, s, vt = np.linalg.svd(x - x.mean(0), full_matrices=False)
    var = s[:pcs] ** 2 / len(x)
    return vt[:pcs].T / np.sqrt(var + shrinkage * var.mean())


def canonical_projections(lip: np.ndarray, aud: np.ndarray, settings: TrainSettings) -> tuple:
    """Regularised CCA of the paired rows of ``lip`` (N,Dl) and ``aud`` (N,Da): projections (Dl,k), (Da,k)
    and the k canonical correlations of the regularised problem, largest first."""
    pcs = min(settings.pcs, len(lip) - 1)
    if settings.components > pcs:
        raise ValueError(f"{settings.components} components need more than {len(lip)} window pairs")
    wl, wa = _whitening(lip, pcs, settings.shrinkage), _whitening(aud, pcs, settings.shrinkage)
    u, rho, vt = np.linalg.svd(((lip - lip.mean(0)) @ wl).T @ ((aud - aud.mean(0)) @ wa) / len(lip))
    k = settings.components
    return wl @ u[:, :k], wa @ vt[:k].T, rho[:k]


def _identity_norm(norm) -> None:
    """Eval-mode BatchNorm that returns its input: (x - 0) / sqrt((1 - eps) + eps) * 1 + 0."""
    norm.weight.fill_(1.0)
    norm.bias.zero_()
    norm.running_mean.zero_()
    norm.running_var.fill_(1.0 - norm.eps)


@dataclass(frozen=True)
class Fit:
    rho: np.ndarray  # canonical correlations of the regularised problem, largest first
    padding_offset: float  # c: the constant embedding dimension shared by both branches


def padding_offset(aud: np.ndarray, centre: np.ndarray, projection: np.ndarray) -> float:
    """c with c^2 = mean |projection.T (aud - centre)|^2 over the training windows ``aud``. For centred lip and
    audio variates l, a of unrelated windows E|l - a|^2 = E|l|^2 + E|a|^2, while a lip window's squared
    distance to the zero padding is |l|^2 + c^2: equal on average."""
    return float(np.sqrt((((aud - centre) @ projection) ** 2).sum(1).mean()))


def set_projection(head, fc, projection: np.ndarray, centre: np.ndarray, offset: float = 0.0) -> None:
    """Set a branch's upper layers so that, in eval mode, ``fc(head(x))`` is ``projection.T @ (x - centre)``
    in its first k dimensions, ``offset`` in dimension k and 0 in the others, for the flattened frozen features ``x``.
    ``head`` = (conv, BatchNorm, ReLU) with a kernel covering its input, ``fc`` = (Linear, BatchNorm1d, ReLU,
    Linear): the conv emits u and -u, each Linear turns [ReLU(u), ReLU(-u)] back into u (and -u)."""
    import torch

    conv, norm, _ = head
    linear1, norm1, _, linear2 = fc
    k = projection.shape[1]
    weight = torch.from_numpy(projection.T.copy()).float().view(k, *conv.weight.shape[1:])
    bias = torch.from_numpy(-projection.T @ centre).float()
    signed = torch.cat([torch.eye(k), -torch.eye(k)], dim=1)  # [ReLU(u), ReLU(-u)] -> u
    with torch.no_grad():
        for layer in (conv, linear1, linear2):
            layer.weight.zero_()
            layer.bias.zero_()
        conv.weight[:k], conv.weight[k : 2 * k] = weight, -weight
        conv.bias[:k], conv.bias[k : 2 * k] = bias, -bias
        linear1.weight[:k, : 2 * k], linear1.weight[k : 2 * k, : 2 * k] = signed, -signed
        linear2.weight[:k, : 2 * k] = signed
        linear2.bias[k] = offset
        _identity_norm(norm)
        _identity_norm(norm1)


def fit(net, features: list[TrunkFeatures], settings: TrainSettings):
    """Set the upper layers from the CCA of ``features``; returns the network (eval mode) and its ``Fit``."""
    lip, aud = frame_changes(features)
    lip_projection, aud_projection, rho = canonical_projections(lip, aud, settings)
    windows = {branch: np.concatenate([getattr(f, branch).double().numpy() for f in features]) for branch in ("lip", "aud")}
    centre = {branch: x.mean(0) for branch, x in windows.items()}
    offset = padding_offset(windows["aud"], centre["aud"], aud_projection)
    set_projection(net.netcnnlip[FROZEN:], net.netfclip, lip_projection, centre["lip"], offset)
    set_projection(net.netcnnaud[FROZEN:], net.netfcaud, aud_projection, centre["aud"], offset)
    return net.eval(), Fit(rho, offset)


def train(clips: list[SyncClip], settings: TrainSettings, log=print):
    """The fitted network (eval mode) and its ``Fit``."""
    import torch

    torch.set_num_threads(settings.threads)
    torch.use_deterministic_algorithms(True)
    net, features = prepare(clips, settings, log)
    net, fitted = fit(net, features, settings)
    log(f"canonical correlations: {', '.join(f'{r:.3f}' for r in fitted.rho)}; padding offset {fitted.padding_offset:.3f}")
    return net, fitted


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
    start = time.perf_counter()
    clips, hashes, roots = training_clips(p["datasets"], p["manifests"]["dir"], list(train_cfg["datasets"]), settings, log)
    net, fitted = train(clips, settings, log)
    seconds = time.perf_counter() - start
    return save(net, out, network_label(roots), {
        "schema": 1,
        "profile": p["profile"],
        "datasets": list(train_cfg["datasets"]),
        "manifests_sha256": hashes,
        "clips": [c.clip_id for c in clips],
        "settings": asdict(settings),
        "frozen": f"netcnnlip[:{FROZEN}], netcnnaud[:{FROZEN}] at the seeded initialisation, BatchNorm statistics from the clips",
        "fit": "regularised CCA of the frozen lip and audio features' frame-to-frame changes; embedding = the canonical "
               "variates and one dimension at padding_offset in both branches",
        "canonical_correlations": [round(float(r), 5) for r in fitted.rho],
        "padding_offset": round(fitted.padding_offset, 5),
        "train_seconds": round(seconds, 1),  # decoding included
        "input": "metrics.lse.face_crops_bgr (224x224 BGR 0..255, 5 frames) + metrics.lse.mfcc (13x20)",
    })


def add_arguments(parser) -> None:
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--out", default=None, help="default: params metrics.lse.checkpoint")


UNUSED_MARKER = "models/syncnet/unused.json"  # inside the train-syncnet stage's output folder (dvc.yaml)


def run(args) -> int:
    from benchmarks import params

    p = params.load(args.params)
    lse = p["metrics"]["lse"]
    if lse["init"] != "checkpoint":  # e.g. paper: the published syncnet_v2 weights; the DVC stage still needs its output
        from benchmarks import atomic

        atomic.write_json(Path(UNUSED_MARKER), {"trained": False, "reason": f"metrics.lse.init is {lse['init']!r}: "
                                                "LSE uses its own weights, not a MiniTalk-trained SyncNet"})
        print(f"metrics.lse.init is {lse['init']!r}: nothing to train; wrote {UNUSED_MARKER}")
        return 0
    out = args.out or lse["checkpoint"]
    if not out:
        raise ValueError("metrics.lse.checkpoint is not set: it names the file train-syncnet writes")
    sidecar = train_and_save(p, out)
    print(f"trained SyncNet on {len(sidecar['clips'])} clips in {sidecar['train_seconds']} s, "
          f"first canonical correlation {sidecar['canonical_correlations'][0]:.3f}; wrote {out}")
    return 0
