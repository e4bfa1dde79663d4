"""``starcaster doctor``: on an empty paper profile every item is listed with its source and the exit is non-zero;
with everything in place it exits 0; a damaged weights file and a wrong dataset layout are each named."""
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from benchmarks import cli, disk_estimate, doctor, params, params_schema

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def paper(tmp_path, monkeypatch):
    """The paper profile run from an empty folder, on the CPU (the devices are checked separately), on a disk with
    room for its checkpoints (the disk is checked separately)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(2**50, 0, 2**50))
    p = params.render("paper", ROOT / "params")
    p["metrics"]["device"] = p["baselines"]["starcaster"]["device"] = "cpu"
    return p


def rows(p: dict, scan: bool = False) -> dict[str, doctor.Item]:
    return {it.item: it for it in doctor.examine(p, scan)}


def run(p: dict, tmp_path: Path, capsys) -> tuple[int, str]:
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(p))
    code = cli.main(["doctor", "--params", str(tmp_path / "p.yaml")])
    return code, capsys.readouterr().out


def test_an_empty_paper_profile_lists_everything_missing_at_once_with_its_source(paper, tmp_path, capsys):
    found = rows(paper)
    missing = {name for name, it in found.items() if it.failed}
    assert missing == {
        *(f"dataset {d}" for d in ("th1kh", "hallo3", "nersemble", "vfhq", "celebvhq", "hdtf", "multiview")),
        *(f"metric weights {n}" for n in ("fid_inception", "i3d_pretrained_400", "lpips_alexnet", "syncnet_v2",
                                          "deca", "arcface")),
        "hand filter (Grounding DINO)", "audio features (wav2vec2)", "identity encoder (ArcFace ONNX)",
        *(f"model weights {part}" for part in ("unet", "encoder", "motion_adapter", "vae", "tokenizer")),
        "lip reader (Auto-AVSR VSR)",
    }
    assert all(found[name].source and found[name].key for name in missing)
    assert "TalkingHead-1KH" in found["dataset th1kh"].source and found["dataset th1kh"].key == "datasets.th1kh.root"
    assert "weights fetch syncnet_v2" in found["metric weights syncnet_v2"].source
    assert all(not it.required for name, it in found.items() if name.startswith("baseline "))
    code, out = run(paper, tmp_path, capsys)
    assert code == 1 and f"{len(missing)} required item(s) missing" in out
    assert out.count("\n| ") == len(found) + 1  # the header and one row per item


def _syncnet(path: Path) -> None:
    import torch

    from metrics.syncnet import build_syncnet
    from metrics.weights import Resolved

    torch.save(build_syncnet(Resolved(None, "random", 0)).state_dict(), path)


def _arcface(path: Path) -> None:
    import torch

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 8, stride=8), torch.nn.Flatten(), torch.nn.Linear(4 * 14 * 14, 512))
    torch.onnx.export(net.eval(), (torch.zeros(1, 3, 112, 112),), str(path), dynamo=False, input_names=["input.1"])


@pytest.fixture
def complete(paper, tmp_path):
    """Every file and folder the paper profile reads, tiny; the networks whose published hash no small file can
    match (FID's Inception, LPIPS's AlexNet) and the two large ones (I3D, DECA) left at their seeded stand-ins."""
    from benchmarks.datasets.base import root_in_params
    from model.factory import PAPER_FOLDERS

    for name in doctor.dataset_names(paper):
        Path(root_in_params(paper["datasets"], name)[0]).mkdir(parents=True)
    paper["metrics"].update(fid={**paper["metrics"]["fid"], "init": "random"},
                            fvd={**paper["metrics"]["fvd"], "init": "random"},
                            lpips={**paper["metrics"]["lpips"], "init": "random"},
                            pose_std={**paper["metrics"]["pose_std"], "backend": "landmarks"})
    weights = Path(paper["metrics"]["weights_dir"])
    weights.mkdir()
    _syncnet(weights / "syncnet_v2.model")
    _arcface(weights / "w600k_r50.onnx")
    prepare = paper["prepare"]
    for name in (prepare["hand_filter"]["grounding_dino"]["weights"], prepare["audio_features"]["wav2vec2"]["weights"],
                 prepare["identity"]["arcface_onnx"]["weights"]):
        (Path(prepare["weights_dir"]) / name).mkdir(parents=True, exist_ok=True)
    for folder in PAPER_FOLDERS.values():
        (Path(paper["train"]["weights_dir"]) / folder).mkdir(parents=True, exist_ok=True)
        (Path(paper["train"]["weights_dir"]) / folder / "config.json").write_text("{}")
    Path(paper["train"]["lipreader"]["file"]).parent.mkdir(parents=True, exist_ok=True)
    Path(paper["train"]["lipreader"]["file"]).write_bytes(b"vsr")
    return paper


def test_with_everything_in_place_it_exits_0(complete, tmp_path, capsys):
    assert not [it for it in doctor.examine(complete) if it.failed]
    code, out = run(complete, tmp_path, capsys)
    assert code == 0 and "everything the profile 'paper'" in out
    assert "| metric weights syncnet_v2 | ok: sha256 " in out and "| metric weights arcface | ok: sha256 " in out


def test_a_damaged_weights_file_is_named(complete, tmp_path, capsys):
    (Path(complete["metrics"]["weights_dir"]) / "syncnet_v2.model").write_bytes(b"<html>quota exceeded</html>")
    item = rows(complete)["metric weights syncnet_v2"]
    assert item.failed and item.status.startswith("damaged:") and "syncnet_v2.model is not a syncnet_v2 file" in item.status
    assert run(complete, tmp_path, capsys)[0] == 1


def test_a_wrong_dataset_layout_is_named_by_the_scan(complete):
    item = rows(complete, scan=True)["dataset th1kh"]
    assert item.failed and item.status.startswith("wrong layout:") and "val_video_tubes.txt" in item.status


def test_a_profile_asking_for_a_gpu_on_a_machine_without_one(complete):
    import torch

    complete["metrics"]["device"] = "cuda:3"
    item = rows(complete)["device cuda:3"]
    assert item.failed == (torch.cuda.device_count() < 4) and item.key == "metrics.device"


def test_the_model_folders_named_are_the_factorys():
    from model.factory import PAPER_FOLDERS

    assert set(doctor.MODEL_SOURCES) == set(PAPER_FOLDERS)


def test_every_params_key_the_paper_guide_names_exists():
    import re

    from baselines.registry import WRAPPERS

    paper = params.render("paper", ROOT / "params")
    text = (ROOT / "docs" / "paper-profile.md").read_text()
    files = ("json", "yaml", "md", "py", "txt")  # `minitalk.json` names a file, not a key
    keys = [k for k in re.findall(r"`([a-z0-9_]+(?:\.[a-z0-9_<>]+)+)`", text)
            if k.split(".")[0] in paper and k.rpartition(".")[2] not in files]
    assert len(keys) > 30
    def in_profile(key: str) -> bool:
        node = paper
        for part in key.split("."):
            if not (isinstance(node, dict) and part in node):
                return False
            node = node[part]
        return True

    def in_schema(key: str) -> bool:  # optional keys the profiles leave out (conda_env, checkpoints)
        *path, last = key.split(".")
        return last in params_schema._keys_at(params_schema.Params, tuple(path))

    for key in keys:
        for concrete in ([key.replace("<name>", name) for name in WRAPPERS] if "<name>" in key else [key]):
            assert in_profile(concrete) or in_schema(concrete), f"{concrete} (docs/paper-profile.md) is not a params key"


def test_the_launch_configs_are_checked_against_the_gpus_where_the_profile_uses_gpus(complete, monkeypatch):
    import torch

    monkeypatch.chdir(ROOT)
    assert not [name for name in rows(complete) if name.startswith("accelerate config")]  # cpu here
    complete["metrics"]["device"] = "cuda"
    found = {name: it for name, it in rows(complete).items() if name.startswith("accelerate config")}
    assert set(found) == {"accelerate config configs/accelerate/1gpu.yaml", "accelerate config configs/accelerate/8gpu.yaml"}
    eight = found["accelerate config configs/accelerate/8gpu.yaml"]
    assert not eight.required and (eight.status.startswith("ok") == (torch.cuda.device_count() >= 8))


def test_a_run_the_disk_cannot_hold_fails_naming_the_folder_and_both_sizes(complete, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(2**40, 2**40 - 2**30, 2**30))
    item = rows(complete)["disk space"]
    assert item.failed and item.key.startswith("prepare.out")
    assert "needs ~" in item.status and "GiB in models/stage" in item.status and "1.0 GiB free" in item.status
    assert "largest: training stage" in item.source


def test_the_prepared_bytes_per_frame_are_what_prepare_writes(micro_project):
    p = yaml.safe_load((micro_project / "params.yaml").read_text())
    for clip in (micro_project / p["prepare"]["out"]).glob("*/*/"):
        frames = np.load(clip / "frames.npy", mmap_mode="r").shape[0]
        per_frame = sum(f.stat().st_size for f in clip.iterdir() if f.suffix in (".npy", ".wav")) / frames
        assert abs(per_frame - disk_estimate.prepared_bytes_per_frame(p)) < 0.05 * per_frame, clip


def test_the_seconds_read_come_from_the_datasets_in_place(micro_project, monkeypatch):
    monkeypatch.chdir(micro_project)
    p = yaml.safe_load(Path("params.yaml").read_text())
    parts = {part.what: part for part in disk_estimate.estimate(p, doctor.dataset_names(p))}
    per_second = disk_estimate.prepared_bytes_per_frame(p) * p["prepare"]["fps"]
    vfhq = len(list(Path(p["datasets"]["talking"]["vfhq"]).rglob("*.mp4")))  # a training set: used whole
    assert parts["prepared vfhq"].bytes == pytest.approx(vfhq * 1.0 * per_second, rel=0.05)
    assert parts["prepared th1kh"].bytes == pytest.approx(p["manifests"]["n_clips"]["th1kh"] * per_second, rel=0.05)
    assert parts["prepared nersemble"].basis.startswith(f"{3 * p['manifests']['n_clips']['nersemble']} clips")
