"""Training checkpoints: ``{root}/step-XXXXXXXX/``, each written atomically (a folder appears whole or not at all).

Contents: ``trainable.safetensors`` (the stage's trainable parameters only), ``optimizer.pt``,
``scheduler.pt``, ``rng-rank{r}.pt`` (python, numpy, torch and CUDA generator states of every process)
and ``state.json`` (step, data position, run metadata). Written by hand rather than with
``Accelerator.save_state``: that saves the whole model (in the paper preset ~2.3 B parameters, most of
them frozen) and reloads RNG states with a full pickle load; here every ``torch.load`` is weights_only.
"""
from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from benchmarks import atomic

PREFIX = "step-"


def folder_name(step: int) -> str:
    return f"{PREFIX}{step:08d}"


def rng_state() -> dict:
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return {
        "python": [version, list(internal), gauss_next],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: dict) -> None:
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if state["cuda"]:
        torch.cuda.set_rng_state_all(state["cuda"])


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().contiguous().cpu() for name, p in model.named_parameters() if p.requires_grad}


def save(root: Path, step: int, accelerator, model, optimizer, scheduler, state: dict) -> Path:
    """Every process contributes its RNG state; the main process writes the folder."""
    root = Path(root)
    staging = root / f".{folder_name(step)}.rng"
    with atomic.atomic_path(staging / f"rng-rank{accelerator.process_index}.pt") as tmp:
        torch.save(rng_state(), tmp)
    accelerator.wait_for_everyone()
    final = root / folder_name(step)
    if accelerator.is_main_process:
        with atomic.atomic_dir(final) as tmp:
            save_file(trainable_state(accelerator.unwrap_model(model)), tmp / "trainable.safetensors")
            torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
            torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
            for path in staging.glob("rng-rank*.pt"):
                shutil.move(path, tmp / path.name)
            (tmp / "state.json").write_text(json.dumps({**state, "step": step}, indent=2, sort_keys=True) + "\n")
        shutil.rmtree(staging)
    accelerator.wait_for_everyone()
    return final


def latest(root: Path) -> Path | None:
    """The newest complete checkpoint (partial writes are hidden dot-folders, never picked)."""
    folders = sorted(Path(root).glob(f"{PREFIX}*")) if Path(root).is_dir() else []
    return folders[-1] if folders else None


def state(folder: Path) -> dict:
    """A checkpoint's state.json (step, samples seen, stage, seed, run fingerprint)."""
    return json.loads((Path(folder) / "state.json").read_text())


def load(folder: Path, accelerator, model, optimizer, scheduler) -> dict:
    """Restore weights, optimizer, scheduler and this process's RNG state; returns state.json."""
    folder = Path(folder)
    weights = load_file(folder / "trainable.safetensors")
    target = accelerator.unwrap_model(model)
    expected = {name for name, p in target.named_parameters() if p.requires_grad}
    if set(weights) != expected:
        raise ValueError(f"checkpoint {folder} holds other trainable parameters than this stage: "
                         f"{sorted(set(weights) ^ expected)[:5]} ...")
    target.load_state_dict(weights, strict=False)
    optimizer.load_state_dict(torch.load(folder / "optimizer.pt", weights_only=True))
    scheduler.load_state_dict(torch.load(folder / "scheduler.pt", weights_only=True))
    set_rng_state(torch.load(folder / f"rng-rank{accelerator.process_index}.pt", weights_only=True))
    return state(folder)


def prune(root: Path, keep: int) -> None:
    for folder in sorted(Path(root).glob(f"{PREFIX}*"))[:-keep]:
        shutil.rmtree(folder)
