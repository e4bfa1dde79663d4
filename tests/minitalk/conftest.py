"""A tiny MiniTalk built once per session (2 identities, 2 s clips) plus a micro-build factory."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from benchmarks import params
from benchmarks.datasets import minitalk

PARAMS_DIR = Path(__file__).resolve().parents[2] / "params"


def config(out: Path, **overrides) -> tuple[dict, dict]:
    """The mini profile's minitalk/datasets sections, shrunk by ``overrides`` and rooted in ``out``."""
    p = params.render("mini", PARAMS_DIR)
    cfg = params.deep_merge(p["minitalk"], overrides)
    cfg["out"] = str(out)
    default_out = p["minitalk"]["out"]
    datasets = copy.deepcopy(p["datasets"])
    for key in ("th1kh", "hallo3", "nersemble", "multiview"):
        datasets[key]["root"] = datasets[key]["root"].replace(default_out, str(out), 1)
    for key in datasets["talking"]:
        datasets["talking"][key] = datasets["talking"][key].replace(default_out, str(out), 1)
    return cfg, datasets


TINY = dict(n_identities=2, clips_per_identity=3, clip_seconds=2.0,
            multiview={"n_identities": 1, "seconds": 1.0},
            trajectories={"n_identities": 1, "per_identity": 1, "seconds": 1.0})
MICRO = dict(n_identities=1, clips_per_identity=1, clip_seconds=0.4,
             multiview={"n_identities": 1, "seconds": 0.4},
             trajectories={"n_identities": 1, "per_identity": 1, "seconds": 0.4})


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    """(root, minitalk.json) of a MiniTalk with 6 clips of 50 frames, 16 NeRSemble views and 1 trajectory."""
    out = tmp_path_factory.mktemp("tiny") / "minitalk"
    minitalk.build(*config(out, seed=0, **TINY))
    return out, json.loads((out / "minitalk.json").read_text())


@pytest.fixture(scope="session")
def micro_build(tmp_path_factory):
    """Build a micro MiniTalk (1 identity, 10-frame clips) into a fresh folder; returns (root, minitalk.json)."""

    def build(name: str, **overrides) -> tuple[Path, dict]:
        out = tmp_path_factory.mktemp(name) / "minitalk"
        summary = minitalk.build(*config(out, **params.deep_merge(MICRO, overrides)))
        return out, summary

    return build
