"""The micro project: a working folder as a user's, in which commands run as they do for them."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from benchmarks import params as params_mod
from tests.benchmarks import report_tree
from tests.killing import REPO, run_cli


def _micro_params() -> dict:
    p = params_mod.render("mini", REPO / "params")
    p["minitalk"] = params_mod.deep_merge(p["minitalk"], {
        "n_identities": 9, "clips_per_identity": 1, "clip_seconds": 1.0, "workers": 1,
        "multiview": {"n_identities": 1, "seconds": 0.4},
        "trajectories": {"n_identities": 1, "per_identity": 1, "seconds": 0.4}})
    p["manifests"]["n_clips"] = {"hallo3": 1, "nersemble": 1, "th1kh": 1}
    p["train"]["lipreader"].update(steps=3, benchmarks=["vfhq"], held_out=["th1kh"])
    p["metrics"]["out_dir"] = "results"
    return p


def _weights_sources(folder: Path) -> None:
    """A SyncNet state dict and a 512-d recogniser graph: files `weights import` accepts by content."""
    from tests.metrics.test_weights import _small_recogniser, _syncnet_state

    folder.mkdir()
    _syncnet_state(folder)
    _small_recogniser(folder / "w600k_r50.onnx", 512)


@pytest.fixture(scope="session")
def micro_project(tmp_path_factory) -> Path:
    """The mini profile shrunk to a MiniTalk of nine 1-second clips, with its manifests, the prepared vfhq and
    th1kh clips, a synthetic results tree (results/, runs/, models/) and two weights files to import (downloads/).
    Tests copy it before changing anything."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(REPO / "params", root / "params")
    (root / "params.yaml").write_text(yaml.safe_dump(_micro_params()))
    steps = [["minitalk"], *(["manifest", "--benchmark", b] for b in ("vfhq", "celebvhq", "hdtf", "th1kh")),
             *(["prepare", "--benchmark", b] for b in ("vfhq", "th1kh"))]
    for argv in steps:
        done = run_cli(argv, root, kill_at=0)
        assert done.returncode == 0, (argv, done.stderr)
    report_tree.build(root)
    _weights_sources(root / "downloads")
    return root
