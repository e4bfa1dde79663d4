"""``starcaster doctor``: everything the active profile will read, checked at once, without running a model.

Datasets (the roots the profile's benchmarks and training stages read; ``--scan`` also runs each adapter's scan),
the metric networks' weights (present, hash, loadable as the metric loads them), preparation's and the model's
weights, the baseline programs (their preflight), the devices the profile asks for, the multi-GPU launch configs
against the GPUs visible and the free disk space. One
table: item, status, the params key that points at it, where to get it. Exit 1 when anything required is missing;
the baselines are optional (a program that is not installed is reported "not available", never dropped).
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

OK = "ok"


@dataclass(frozen=True)
class Item:
    item: str
    status: str  # "ok", "ok: ...", "built by the pipeline", or what is wrong
    key: str  # the params key that points at it
    source: str = ""  # where to get it
    required: bool = True

    @property
    def failed(self) -> bool:
        return self.required and not (self.status.startswith(OK) or self.status == BUILT)


BUILT = "built by the pipeline"

# model/factory.py PAPER_FOLDERS -> where each folder comes from (tests/test_doctor.py holds the keys equal)
MODEL_SOURCES = {
    "unet": "huggingface.co/FoivosPar/Arc2Face (arc2face/)",
    "encoder": "huggingface.co/FoivosPar/Arc2Face (encoder/)",
    "motion_adapter": "huggingface.co/guoyww/animatediff-motion-adapter-v1-5-2",
    "vae": "huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5 (vae/)",
    "tokenizer": "huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5 (tokenizer/)",
}


def dataset_names(params: dict) -> list[str]:
    """The datasets the profile reads: the scored benchmarks, the training sets of every stage, the lip reader's and
    SyncNet's clips, the multi-view renders of the camera stage."""
    train = params["train"]
    names = list(params["evaluation"]["benchmarks"])
    runs = [train[f"stage{s}"] for s in range(3)] + list((train.get("variants") or {}).values())
    for section in runs + [train["lipreader"]]:
        names += section.get("benchmarks") or []
    names += train["lipreader"].get("held_out") or []
    names += params["metrics"]["lse"]["train"]["datasets"]
    names.append("multiview")
    return list(dict.fromkeys(names))


def _obtain(name: str) -> str:
    from benchmarks.datasets import hallo3, multiview, nersemble, talking, th1kh

    return {"th1kh": th1kh.OBTAIN, "hallo3": hallo3.OBTAIN, "nersemble": nersemble.OBTAIN,
            "multiview": multiview.OBTAIN, **talking.SOURCES}[name]


def datasets(params: dict, scan: bool = False) -> list[Item]:
    from benchmarks.datasets.base import DatasetError, root_in_params
    from benchmarks.datasets.minitalk import readers
    from benchmarks.manifests import scan as scan_benchmark

    from_minitalk = readers(params)  # the roots MiniTalk's stage writes
    items = []
    for name in dataset_names(params):
        root, key = root_in_params(params["datasets"], name)
        path = Path(root)
        built = key in from_minitalk
        if not path.is_dir():
            status = BUILT if built else f"missing: {path} not found"
        elif not scan:
            status = OK
        else:
            try:
                result = scan_benchmark(name, params["datasets"], params["manifests"]["seed"])
                status = f"ok: {len(result.records)} usable clips" if result.records else "no usable clip"
                if result.problems:
                    status += f", {len(result.problems)} unusable (first: {result.problems[0]})"
            except DatasetError as exc:
                status = f"wrong layout: {exc}"
        items.append(Item(f"dataset {name}", status, key, "MiniTalk (`starcaster minitalk`)" if built else _obtain(name)))
    return items


def metric_networks(params: dict) -> list[tuple[str, str]]:
    """(network, params key) for every weights file the scored metrics load: those with ``init: file``, DECA for the
    paper's Pose Std, ArcFace for its CSIM."""
    from metrics.evaluate import benchmark_metrics
    from metrics.fvd import VARIANTS

    cfg = params["metrics"]
    scored = {m for b in params["evaluation"]["benchmarks"] for m in benchmark_metrics(cfg, b)}
    wanted = {
        "fid": ("fid_inception", cfg["fid"]["init"] == "file", "metrics.fid.init"),
        "fvd": (VARIANTS[cfg["fvd"]["variant"]], cfg["fvd"]["init"] == "file", "metrics.fvd.init"),
        "lpips": ("lpips_alexnet", cfg["lpips"]["init"] == "file", "metrics.lpips.init"),
        "lse": ("syncnet_v2", cfg["lse"]["init"] == "file", "metrics.lse.init"),
        "pose_std": ("deca", cfg["pose_std"]["backend"] == "deca", "metrics.pose_std.backend"),
        "csim": ("arcface", cfg["csim"]["encoder"] == "arcface", "metrics.csim.encoder"),
    }
    return [(network, key) for metric, (network, needed, key) in wanted.items() if metric in scored and needed]


def metric_weights(params: dict) -> list[Item]:
    from metrics.weights import WEIGHTS, how_to_obtain, load_as_metric, locate

    weights_dir = params["metrics"]["weights_dir"]
    items = []
    for network, key in metric_networks(params):
        spec = WEIGHTS[network]
        try:
            path, digest = locate(network, weights_dir)
            load_as_metric(spec, path)
            status = f"ok: sha256 {digest[:12]}"
        except FileNotFoundError:
            status = f"missing: {Path(weights_dir) / spec.filename} not found"
        except ValueError as exc:
            status = f"damaged: {exc}"
        items.append(Item(f"metric weights {network}", status, f"{key}, metrics.weights_dir", how_to_obtain(spec)))
    return items


def preparation_weights(params: dict) -> list[Item]:
    from benchmarks.preprocess.audio_features import Wav2Vec2Features
    from benchmarks.preprocess.filters import GroundingDinoHandFilter
    from benchmarks.preprocess.identity import ArcFaceONNX
    from benchmarks.preprocess.weights import resolve

    prepare = params["prepare"]
    wanted = []
    hand = prepare["hand_filter"]
    if hand["backend"] == "grounding_dino":
        wanted.append(("hand filter (Grounding DINO)", hand["grounding_dino"]["weights"], "prepare.hand_filter",
                       GroundingDinoHandFilter.source, hand["required"]))
    if prepare["audio_features"]["backend"] == "wav2vec2":
        wanted.append(("audio features (wav2vec2)", prepare["audio_features"]["wav2vec2"]["weights"],
                       "prepare.audio_features.wav2vec2.weights", Wav2Vec2Features.source, True))
    if prepare["identity"]["backend"] == "arcface_onnx":
        wanted.append(("identity encoder (ArcFace ONNX)", prepare["identity"]["arcface_onnx"]["weights"],
                       "prepare.identity.arcface_onnx.weights", ArcFaceONNX.source, True))
    items = []
    for what, name, key, source, required in wanted:
        path = resolve(name, prepare["weights_dir"])
        status = OK if path.exists() else f"missing: {path} not found" + ("" if required else " (the filter is off)")
        items.append(Item(what, status, f"{key}, prepare.weights_dir", source, required))
    return items


def model_weights(params: dict) -> list[Item]:
    train = params["train"]
    items = []
    if train["weights_dir"] is not None:
        from model.factory import PAPER_FOLDERS

        for part, folder in PAPER_FOLDERS.items():
            path = Path(train["weights_dir"]) / folder
            status = OK if (path / "config.json").is_file() or (part == "tokenizer" and path.is_dir()) else \
                f"missing: {path} not found" if not path.is_dir() else f"incomplete: no config.json in {path}"
            items.append(Item(f"model weights {part}", status, "train.weights_dir", MODEL_SOURCES[part]))
    lipreader = train["lipreader"]
    if lipreader["encoder"] == "auto_avsr":
        from model.lipreading import PAPER_SOURCE

        path = Path(lipreader["file"] or "")
        status = OK if lipreader["file"] and path.is_file() else f"missing: {lipreader['file']} not found"
        items.append(Item("lip reader (Auto-AVSR VSR)", status, "train.lipreader.file", PAPER_SOURCE))
    return items


def baselines(params: dict) -> list[Item]:
    from baselines import registry
    from baselines.check import preflight

    items = []
    for name in registry.WRAPPERS:
        wrapper = registry.get(name, params)
        if wrapper.config.repo is None:
            status = "not installed (reported \"not available\")"
        else:
            problems = preflight(wrapper)
            status = OK if not problems else f"{len(problems)} problem(s): " + "; ".join(problems)
        items.append(Item(f"baseline {name}", status, f"baselines.{name}", wrapper.url, required=False))
    return items


def devices(params: dict) -> list[Item]:
    wanted = {"metrics.device": params["metrics"]["device"], "baselines.starcaster.device":
              params["baselines"]["starcaster"]["device"]}
    items = []
    for key, device in wanted.items():
        if not device.startswith("cuda"):
            items.append(Item(f"device {device}", OK, key))
            continue
        import torch

        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = int(device.split(":")[1]) if ":" in device else 0
        status = f"ok: {torch.cuda.get_device_name(index)}" if index < count else \
            f"missing: {count} CUDA device(s) visible"
        items.append(Item(f"device {device}", status, key, "a CUDA GPU with PyTorch's CUDA build, or set the key to cpu"))
    return items


def accelerate_configs(params: dict) -> list[Item]:
    """The multi-GPU launch configs (configs/accelerate/) against the GPUs visible, where the profile uses GPUs."""
    if not any(str(d).startswith("cuda") for d in (params["metrics"]["device"], params["baselines"]["starcaster"]["device"])):
        return []
    import torch
    import yaml

    visible = torch.cuda.device_count() if torch.cuda.is_available() else 0
    items = []
    for path in sorted(Path("configs/accelerate").glob("*.yaml")):
        try:
            wanted = int(yaml.safe_load(path.read_text(encoding="utf-8"))["num_processes"])
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
            items.append(Item(f"accelerate config {path}", f"unreadable: {exc}", "-", required=False))
            continue
        status = f"ok: {wanted} processes, {visible} GPU(s) visible" if wanted <= visible else \
            f"needs {wanted} GPUs, {visible} visible"
        items.append(Item(f"accelerate config {path}", status, "-",
                          "`accelerate launch --config_file PATH -m benchmarks.cli train --stage S`", required=False))
    return items


def disk(params: dict) -> list[Item]:
    """Free space against what the run writes (benchmarks/disk_estimate.py): a file system it would overfill fails."""
    from benchmarks.disk_estimate import estimate, shortfalls

    parts = estimate(params, dataset_names(params))
    known = sum(p.bytes for p in parts if p.bytes is not None)
    unknown = [p.what for p in parts if p.bytes is None]
    free = shutil.disk_usage(Path.cwd()).free
    written = f"the run writes ~{_size(known)}" + (f" and more ({len(unknown)} parts unknown until their datasets "
                                                  "are in place)" if unknown else "")
    largest = ", ".join(f"{p.what} {_size(p.bytes)}" for p in sorted(
        (p for p in parts if p.bytes is not None), key=lambda p: -p.bytes)[:3])
    short = shortfalls(parts)
    status = f"ok: {_size(free)} free in {Path.cwd()}; {written}" if not short else "; ".join(
        f"needs ~{_size(need)} in {folder}, {_size(have)} free" for folder, need, have in short)
    return [Item("disk space", status, "prepare.out, train.*.out, prepare.resolution",
                 f"largest: {largest}" if largest else "", required=bool(short))]


def _size(n: float) -> str:
    return f"{n / 2**40:.1f} TiB" if n >= 2**40 else f"{n / 2**30:.1f} GiB"


CHECKS = (datasets, metric_weights, preparation_weights, model_weights, baselines, devices, accelerate_configs, disk)


def examine(params: dict, scan: bool = False) -> list[Item]:
    items = []
    for check in CHECKS:
        items += check(params, scan) if check is datasets else check(params)
    return items


def table(items: list[Item]) -> str:
    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    rows = ["| item | status | params key | where to get it |", "|---|---|---|---|"]
    for it in items:
        status = it.status if not it.failed else f"**{it.status}**"
        rows.append(f"| {cell(it.item)} | {cell(status)} | {cell(it.key)} | {cell(it.source)} |")
    return "\n".join(rows)


def add_arguments(parser) -> None:
    parser.add_argument("--ready", metavar="FILE", default=None,
                        help="write FILE ({profile, ready: true}, the DVC stage's output) when nothing required fails")
    parser.add_argument("--params", default="params.yaml", help="params file (default: the active profile)")
    parser.add_argument("--profile", default=None, help="check this profile of params/ instead of --params")
    parser.add_argument("--scan", action="store_true",
                        help="also scan each dataset with its adapter (probes every video: minutes on the full sets)")


def run(args) -> int:
    from benchmarks import params as params_mod

    params = params_mod.render(args.profile) if args.profile else params_mod.load(args.params)
    items = examine(params, args.scan)
    print(table(items))
    failed = [it for it in items if it.failed]
    where = f"profile {params['profile']!r} in {os.getcwd()}"
    if failed:
        print(f"\nstarcaster doctor: {len(failed)} required item(s) missing or damaged for the {where}; "
              "the table says where to get each and which params key points at it")
        return 1
    print(f"\nstarcaster doctor: everything the {where} reads is in place")
    if args.ready:
        from benchmarks import atomic

        atomic.write_json(args.ready, {"profile": params["profile"], "ready": True})
    return 0
