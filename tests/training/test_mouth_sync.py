"""scripts/bench_mouth_sync.py: the instrument of issue 5's "the mouth follows the audio" check reads
MiniTalk's rendered mouth opening back from the video, and scores a still mouth as unmeasurable."""
import json

import numpy as np
import pytest

from tests.scripts import load_script


def _script():
    return load_script("bench_mouth_sync")


@pytest.fixture(scope="module")
def rendered_clip(tmp_path_factory):
    from benchmarks.datasets.minitalk import Builder
    from tests.minitalk.conftest import config

    root = tmp_path_factory.mktemp("talk") / "minitalk"
    cfg, datasets = config(root, n_identities=8, clip_seconds=3.0)
    builder = Builder(cfg, datasets, root)
    _, rel, _ = builder.monocular_clip(7, 0)  # th1kh t1_5, as the metric tests use
    truth = json.loads((root / "ground_truth" / f"{rel}.json").read_text())
    return root / f"{rel}.mp4", np.asarray(truth["mouth_open"])


def test_the_rendered_mouth_opening_is_read_back_from_the_video(rendered_clip):
    bench = _script()
    video, rendered = rendered_clip
    measured, descriptor = bench.measure(video, None)
    assert np.linalg.norm(descriptor) == pytest.approx(1.0)
    sync = bench.clip_sync(measured, rendered[:len(measured)])
    print(sync)
    assert sync["frames_with_face"] == len(rendered)
    assert sync["pearson_r"] > 0.9
    # the same frames against another stretch of the speech: no agreement
    assert abs(bench.clip_sync(measured[:-30], rendered[30:])["pearson_r"]) < 0.5


def test_a_still_or_faceless_mouth_has_no_correlation():
    bench = _script()
    rendered = np.linspace(0, 1, 40)
    still = np.full(40, 0.2)
    still[0] = 0.19  # a still image's first key frame reads a little differently
    assert bench.clip_sync(still, rendered)["pearson_r"] is None
    assert bench.clip_sync(np.full(40, np.nan), rendered) == {"frames": 40, "frames_with_face": 0, "amplitude": None,
                                                              "pearson_r": None}


def test_identity_faithfulness_finds_each_clip_nearest_its_own_identity():
    bench = _script()
    rng = np.random.default_rng(0)
    unit = lambda v: v / np.linalg.norm(v)  # noqa: E731
    people = {name: unit(rng.normal(size=128)) for name in ("a", "b", "c")}
    identities = {"th1kh/1": "a", "th1kh/2": "b", "hallo3/3": "c", "hallo3/4": "a"}
    truth = {clip: unit(people[who] + 0.1 * unit(rng.normal(size=128))) for clip, who in identities.items()}
    faithful = {clip: unit(people[who] + 0.3 * unit(rng.normal(size=128))) for clip, who in identities.items()}
    result = bench.identity_faithfulness(faithful, truth, identities)
    assert result["identified"] == result["clips_scored"] == 4 and result["chance"] == pytest.approx(1 / 3)
    assert result["mean_csim_own"] > 0.8 > 0.2 > result["mean_csim_others"]
    swapped = {clip: faithful[other] for clip, other in zip(identities, ["th1kh/2", "hallo3/3", "th1kh/1", "th1kh/2"])}
    result = bench.identity_faithfulness({**swapped, "hallo3/4": None}, truth, identities)
    assert result["identified"] == 0 and result["clips_scored"] == 3
    assert result["mean_csim_own"] < result["mean_csim_others"] + 0.2
    assert result["clips"]["hallo3/4"] == {"csim_own": None, "csim_others": None, "identified": None}


def test_gpu_training_chains_stage1_on_the_trained_prior_within_its_budgets(tmp_path):
    from benchmarks.params import load
    from model.training.cli import stage_settings
    from tests.scripts import SCRIPTS

    training = load_script("mouth_sync_training")
    train = training.training_params(load(SCRIPTS.parent / "params.yaml"), tmp_path, {0: 30.0, 1: 20.0})["train"]
    prior, stage1 = stage_settings(train, 0), stage_settings(train, 1)
    assert stage1["init_from"] == str(tmp_path / "stage0" / "model") and prior["out"] == str(tmp_path / "stage0")
    assert (prior["max_seconds"], stage1["max_seconds"]) == (30.0, 20.0)
    assert prior["max_steps"] == stage1["max_steps"] == training.ENDLESS
    assert prior["batch_size"] == training.OVERRIDES["stage0"]["batch_size"]
    assert stage1["lipread_start_step"] == training.OVERRIDES["stage1"]["lipread_start_step"]
    # one run per seed (scripts/mouth_sync_gpu.sh): the seed reaches both stages, the rest is unchanged
    seeded = training.training_params(load(SCRIPTS.parent / "params.yaml"), tmp_path, {0: 30.0, 1: 20.0}, seed=2)["train"]
    assert stage_settings(seeded, 0)["seed"] == stage_settings(seeded, 1)["seed"] == 2 != prior["seed"]
    assert {k: v for k, v in seeded.items() if k != "seed"} == {k: v for k, v in train.items() if k != "seed"}
