"""Data-parallel training as the 8-GPU config runs it, here with two CPU processes (torchrun, gloo): the ranks
share the sample stream, every rank's RNG state is checkpointed, and a resumed run ends bit-identical."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from benchmarks import params as profile_params
from model.training import checkpoint
from tests.training.test_cli import params_file

STEPS, EVERY = 4, 2
REPO = Path(__file__).resolve().parents[2]


def launch(params: str) -> None:
    """torchrun --standalone: a free port per launch (the fixed default 29500 can still be held by the launch
    before); a failed launch shows the processes' last output."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           "-m", "benchmarks.cli", "train", "--stage", "1", "--params", params], env=env, cwd=REPO,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        pytest.fail(f"torchrun exited with {done.returncode}:\n{done.stderr[-4000:]}")


@pytest.mark.slow  # two launches of two processes: ~1 min on 2 cores
def test_two_processes_share_the_stream_checkpoint_every_rank_and_resume_exactly(clips, tmp_path):
    params = Path(params_file(tmp_path, clips[0].parent.parent, max_steps=STEPS))
    # `starcaster train` checks its params against the schema: the mini profile with this test's train values over it
    settings = profile_params.render("mini", REPO / "params")
    settings["train"] = profile_params.deep_merge(settings["train"], yaml.safe_load(params.read_text())["train"])
    settings["train"].update(checkpoint_every=EVERY, keep_checkpoints=2, probe_segments=0, probe_every=None)
    settings["train"]["stage3"].pop("benchmarks")  # stage 3 reads datasets.multiview
    # the test's own run: random initial weights, its folder (the profile's stage values would win over them)
    settings["train"]["stage1"].update(init_from=None, out=str(tmp_path / "run"))
    params.write_text(yaml.safe_dump(settings))
    launch(str(params))

    run = tmp_path / "run"
    last = run / "checkpoints" / checkpoint.folder_name(STEPS)
    state = json.loads((last / "state.json").read_text())
    assert state["samples_seen"] == STEPS * 2  # batch 1 on each of 2 processes
    assert sorted(p.name for p in last.glob("rng-rank*.pt")) == ["rng-rank0.pt", "rng-rank1.pt"]
    straight = load_file(last / "trainable.safetensors")
    halfway = load_file(run / "checkpoints" / checkpoint.folder_name(EVERY) / "trainable.safetensors")
    assert not all(torch.equal(straight[k], halfway[k]) for k in straight)
    exported = load_file(run / "model" / "model" / "diffusion_pytorch_model.safetensors")

    shutil.rmtree(last)  # killed after step 2: the next launch resumes there
    launch(str(params))
    resumed = load_file(last / "trainable.safetensors")
    assert straight.keys() == resumed.keys() and all(torch.equal(straight[k], resumed[k]) for k in straight)
    again = load_file(run / "model" / "model" / "diffusion_pytorch_model.safetensors")
    assert all(torch.equal(exported[k], again[k]) for k in exported)
