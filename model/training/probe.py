"""The probe loss: a stage's loss on fixed segments at fixed timesteps and noise, logged during training.

A step's logged loss is one batch at one random timestep per segment, and the x0 error grows many times
over from t = 0 to t = 999: at the small batches a short run trains with, that spread hides any trend. The
probe evaluates the stage's own ``losses`` on the same ``segments`` items each time, with the global RNG
seeded alike (the same timesteps, noise and self-forcing rollouts), condition dropout off, and every term
the stage ends with (the lip-reading term from step 0 when it switches on later). It runs inside
``torch.random.fork_rng``, so the training's own random stream -- and with it exact resume -- is untouched.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch
from torch.utils.data import default_collate

DROPOUTS = ("identity_dropout", "audio_dropout", "reference_dropout")


def probe_items(dataset, segments: int) -> list[dict[str, torch.Tensor]]:
    """``segments`` items spread evenly over the dataset (fewer if it holds fewer), each a batch of one;
    an item's own random choices (reference, identity frame) are seeded by its index."""
    indices = sorted({int(i) for i in np.linspace(0, len(dataset) - 1, segments).round()}) if segments > 0 else []
    return [default_collate([dataset[(i, i)]]) for i in indices]


def is_due(step: int, every: int | None, max_steps: int) -> bool:
    """Before the first step, every ``every`` optimizer steps, and after the last."""
    return step == 0 or step == max_steps or bool(every) and step % every == 0


@torch.no_grad()
def probe_losses(stage, model, items: list[dict[str, torch.Tensor]], seed: int, final_step: int,
                 device: torch.device) -> dict[str, float]:
    """The mean of each of the stage's terms and of their sum (``loss``) over ``items``, at ``final_step``'s
    terms; ``model`` as the training step calls it."""
    quiet = dataclasses.replace(stage, **{name: 0.0 for name in DROPOUTS if hasattr(stage, name)})
    totals: dict[str, float] = {}
    was_training = model.training
    model.eval()
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        for item in items:
            terms = quiet.losses(model, {k: v.to(device) for k, v in item.items()}, final_step)
            for name, value in {"loss": sum(terms.values()), **terms}.items():
                totals[name] = totals.get(name, 0.0) + value.item() / len(items)
    model.train(was_training)
    return totals
