"""The training loop on ``accelerate``: any stage of ``cli.STAGES``, gradient accumulation, bf16 on GPU,
gradient checkpointing, AdamW, checkpoints every K optimizer steps with exact resume, dvclive logging."""
from __future__ import annotations

import dataclasses
import logging
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from model.training import checkpoint, probe
from model.training.data import SegmentSampler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """The ``train:`` params section (docs/training.md), with the stage's own values merged in."""

    out: str
    max_steps: int  # optimizer steps
    checkpoint_every: int
    keep_checkpoints: int = 2
    seed: int = 0
    batch_size: int = 1  # per process
    gradient_accumulation_steps: int = 1
    lr: float = 1e-4
    weight_decay: float = 1e-2
    lr_scheduler: str = "constant"  # a diffusers.optimization scheduler name
    lr_warmup_steps: int = 0
    max_grad_norm: float = 1.0
    mixed_precision: str = "bf16"  # used on GPU only; CPU trains in fp32 (no)
    gradient_checkpointing: bool = False
    num_workers: int = 0
    max_seconds: float | None = None  # wall-clock budget (a cluster's time limit): stop early, checkpointed
    probe_segments: int = 0  # fixed segments of the probe loss (model/training/probe.py); 0 = no probe
    probe_every: int | None = None  # optimizer steps between probes; None = before the first and after the last

    @classmethod
    def from_params(cls, section: dict) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in section.items() if k in names})


def make_accelerator(config: TrainConfig):
    from accelerate import Accelerator

    precision = config.mixed_precision if torch.cuda.is_available() else "no"
    return Accelerator(gradient_accumulation_steps=config.gradient_accumulation_steps, mixed_precision=precision,
                       cpu=not torch.cuda.is_available())


def log_step(live, step: int, values: dict[str, float]) -> None:
    live.step = step
    for name, value in values.items():
        live.log_metric(f"train/{name}", value)
    live.next_step()


def log_probe(live, step: int, values: dict[str, float]) -> None:
    live.step = step
    for name, value in values.items():
        live.log_metric(f"probe/{name}", value)


def forget_after(live_dir: Path, step: int) -> None:
    """Drop the rows of every dvclive series logged after ``step``: a killed run logged steps past its last
    checkpoint, and the resumed run logs them again."""
    from benchmarks import atomic

    for table in sorted((live_dir / "plots" / "metrics").glob("**/*.tsv")):
        header, *rows = table.read_text().splitlines(keepends=True)
        atomic.write_text(table, "".join([header, *(r for r in rows if int(r.split("\t", 1)[0]) <= step)]))


def out_of_time(accelerator, deadline: float | None) -> bool:
    """Whether the time budget is spent, on the main process's clock, so that every process stops at one step."""
    from accelerate.utils import broadcast

    if deadline is None:
        return False
    return bool(broadcast(torch.tensor([time.monotonic() > deadline], device=accelerator.device)).item())


def train(stage, dataset, config: TrainConfig, fingerprint: str = "") -> dict:
    """Train ``stage`` (any class of ``cli.STAGES``) on ``dataset`` (items keyed by (index, stream position):
    ``data.SegmentDataset``, ``multiview_data.MultiviewDataset``) up to ``config.max_steps``, resuming from
    the newest checkpoint under ``{out}/checkpoints`` if it was written by a run of the same ``fingerprint``
    (``fingerprint.run_fingerprint``); another run's checkpoints and loss log are removed and training starts
    afresh. With ``config.max_seconds`` it stops at the first step ending past that budget (a later run of the
    same fingerprint resumes there). The main process logs the probe loss (``probe.py``) of ``config.probe_segments``
    items before the first step, every ``config.probe_every`` steps and after the last. Returns the final step, last
    losses, the last probe, whether time ran out and, on a GPU, the peak memory allocated."""
    from diffusers.optimization import get_scheduler
    from dvclive import Live

    out = Path(config.out)
    accelerator = make_accelerator(config)
    torch.manual_seed(config.seed)
    params = stage.prepare_model()
    model = stage.pipe.model
    if config.gradient_checkpointing:
        model.unet.enable_gradient_checkpointing()
    if model.device != accelerator.device:  # a same-device .to() only logs a diffusers dtype warning
        stage.pipe.to(accelerator.device)
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    scheduler = get_scheduler(config.lr_scheduler, optimizer, num_warmup_steps=config.lr_warmup_steps,
                              num_training_steps=config.max_steps)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)

    step = 0
    resume_from = checkpoint.latest(out / "checkpoints")
    if resume_from is not None and checkpoint.state(resume_from).get("fingerprint") != fingerprint:
        log.warning("%s was written by a run with other settings, data, initial model or code: starting afresh",
                    resume_from)
        if accelerator.is_main_process:
            shutil.rmtree(out / "checkpoints")
            shutil.rmtree(out / "dvclive", ignore_errors=True)
        accelerator.wait_for_everyone()
        resume_from = None
    if resume_from is not None:
        step = checkpoint.load(resume_from, accelerator, model, optimizer, scheduler)["step"]
        log.info("resumed from %s", resume_from)
        if accelerator.is_main_process:
            forget_after(out / "dvclive", step)
    samples_per_step = config.batch_size * config.gradient_accumulation_steps * accelerator.num_processes
    sampler = SegmentSampler(len(dataset), config.seed, start=step * samples_per_step,
                             rank=accelerator.process_index, world_size=accelerator.num_processes)
    # own generator: creating the iterator would otherwise draw a worker seed from the global RNG, which the
    # resumed run has just restored
    batches = iter(DataLoader(dataset, batch_size=config.batch_size, sampler=sampler, num_workers=config.num_workers,
                              generator=torch.Generator().manual_seed(config.seed)))

    live = Live(str(out / "dvclive"), resume=resume_from is not None, save_dvc_exp=False, dvcyaml=None) \
        if accelerator.is_main_process else None
    probe_items = probe.probe_items(dataset, config.probe_segments) if accelerator.is_main_process else []
    last_probe: dict[str, float] = {}

    def run_probe(at: int) -> None:
        nonlocal last_probe
        if probe_items and probe.is_due(at, config.probe_every, config.max_steps):
            last_probe = probe.probe_losses(stage, accelerator.unwrap_model(model), probe_items, config.seed,
                                            config.max_steps, accelerator.device)
            log_probe(live, at, last_probe)

    losses: dict[str, float] = {}
    deadline = None if config.max_seconds is None else time.monotonic() + config.max_seconds
    timed_out = False
    model.train()
    if step == 0:
        run_probe(0)
    while step < config.max_steps and not timed_out:
        totals: dict[str, float] = {}
        for _ in range(config.gradient_accumulation_steps):
            batch = {k: v.to(accelerator.device) for k, v in next(batches).items()}
            with accelerator.accumulate(model):
                terms = stage.losses(model, batch, step)
                loss = sum(terms.values())
                if not math.isfinite(loss.item()):
                    raise FloatingPointError(f"non-finite loss {terms} at step {step}")
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(params, config.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            for name, value in {"loss": loss, **terms}.items():
                totals[name] = totals.get(name, 0.0) + value.item() / config.gradient_accumulation_steps
        step += 1
        losses = {name: accelerator.reduce(torch.tensor(v, device=accelerator.device), "mean").item()
                  for name, v in totals.items()}
        if live is not None:
            log_step(live, step, {**losses, "lr": scheduler.get_last_lr()[0]})
        run_probe(step)
        timed_out = out_of_time(accelerator, deadline)
        if step % config.checkpoint_every == 0 or step == config.max_steps or timed_out:
            checkpoint.save(out / "checkpoints", step, accelerator, model, optimizer, scheduler,
                            {"samples_seen": step * samples_per_step, "stage": stage.number, "seed": config.seed,
                             "fingerprint": fingerprint})
            if accelerator.is_main_process:
                checkpoint.prune(out / "checkpoints", config.keep_checkpoints)
    if live is not None:
        live.end()
    accelerator.wait_for_everyone()
    if timed_out:
        log.warning("time budget of %s s spent at step %d of %d", config.max_seconds, step, config.max_steps)
    result = {"step": step, "losses": losses, "probe": last_probe, "out_of_time": timed_out}
    if accelerator.device.type == "cuda":
        result["peak_gpu_memory_gib"] = torch.cuda.max_memory_allocated(accelerator.device) / 2 ** 30
    return result
