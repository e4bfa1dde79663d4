"""The params schema: the profiles fit it, bad values are refused at their key before any work, and its choices are
the registries' (benchmarks/params_schema.py)."""
from pathlib import Path
from typing import get_args

import pytest
import yaml

from benchmarks import cli, params, params_schema

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def mini():
    return params.render("mini", ROOT / "params")


def problems(p: dict) -> list[str]:
    with pytest.raises(params_schema.BadParams) as caught:
        params_schema.check(p)
    return caught.value.problems


@pytest.mark.parametrize("profile", params.PROFILES)
def test_every_profile_fits_the_schema(profile):
    params_schema.check(params.render(profile, ROOT / "params"))


@pytest.mark.parametrize("where, key, value, expected", [
    ("metrics", "max_frame", 40, "metrics.max_frame: unknown key (did you mean 'max_frames'?"),
    ("metrics.fid", "frame_strid", 5, "metrics.fid.frame_strid: unknown key (did you mean 'frame_stride'?"),
    ("metrics", "fps", -25, "metrics.fps: Input should be greater than 0 (got -25)"),
    ("metrics.fid", "frame_stride", 0, "metrics.fid.frame_stride: Input should be greater than or equal to 1 (got 0)"),
    ("metrics", "max_frames", "40", "metrics.max_frames: Input should be a valid integer (got '40')"),
    ("metrics", "enabled", ["fid", "fud"], "metrics.enabled.1: Input should be 'psnr', 'ssim', 'lpips', 'fid', 'fvd'"),
    ("metrics", "enabled", ["fid", "fid"], "metrics.enabled: Value error, listed more than once: fid"),
    ("", "profile", "huge", "profile: Input should be 'mini', 'ci' or 'paper' (got 'huge')"),
    ("train", "lr", "1e-4", "train.lr: Input should be a valid number (got '1e-4')"),  # YAML 1.1 reads 1e-4 as text
    ("train.stage2", "segment_frames", 0, "train.stage2.segment_frames: Input should be greater than or equal to 1"),
    ("train.variants.hdtf", "max_step", 5, "train.variants.hdtf.max_step: unknown key (did you mean 'max_steps'?"),
    ("train", "stage4", {}, "train.stage4: unknown key (the stages are stage0, stage1, stage2, stage3)"),
    ("baselines.float.options", "seeed", 1, "baselines.float.options.seeed: unknown key (did you mean 'seed'?"),
    ("baselines.hallo3.options", "seed", 0, "baselines.hallo3.options.seed: Input should be greater than or equal to 1"),
    ("baselines.anitalker", "commit", "main", "baselines.anitalker.commit: String should match pattern"),
    ("baselines.starcaster", "dtype", "fp8", "baselines.starcaster.dtype: Input should be 'float32', 'bfloat16'"),
    ("cpu", "kernels", "avx512", "cpu.kernels: Input should be 'avx2' (got 'avx512')"),
    ("drift.tolerances.fid", "rel", -1.0, "drift.tolerances.fid.rel: Input should be greater than or equal to 0"),
])
def test_a_bad_value_is_refused_at_its_key_with_what_is_allowed(mini, where, key, value, expected):
    section = mini
    for part in filter(None, where.split(".")):
        section = section[part]
    section[key] = value
    found = problems(mini)
    assert any(line.startswith(expected) for line in found), found


def test_every_problem_is_listed_at_once(mini):
    mini["metrics"]["fps"] = 0
    mini["prepare"]["detector"]["backend"] = "yolo"
    del mini["minitalk"]["seed"]
    mini["train"]["stage1"]["lipread_weight"] = -1.0
    assert sorted(problems(mini)) == [
        "metrics.fps: Input should be greater than 0 (got 0)",
        "minitalk.seed: missing",
        "prepare.detector.backend: Input should be 'dlib_hog' or 'dlib_cnn' (got 'yolo')",
        "train.stage1.lipread_weight: Input should be greater than or equal to 0 (got -1.0)",
    ]


def test_a_benchmark_of_ones_own_needs_only_a_root(mini):
    mini["datasets"]["mine"] = {"root": "data/mine"}
    params_schema.check(mini)
    mini["datasets"]["mine"] = {"rot": "data/mine"}
    assert problems(mini) == ["datasets.mine.root: missing",
                              "datasets.mine.rot: unknown key (did you mean 'root'? allowed: root)"]


def test_the_schemas_choices_are_the_registries():
    from diffusers.optimization import SchedulerType

    from benchmarks.datasets.minitalk import SYNTHESISERS
    from benchmarks.machine import KERNEL_LEVELS
    from benchmarks.manifests import BENCHMARKS
    from benchmarks.preprocess.audio_features import AUDIO_FEATURES
    from benchmarks.preprocess.filters import HAND_FILTERS
    from benchmarks.preprocess.identity import IDENTITY_ENCODERS
    from metrics import fvd, lse, pixel, registry
    from model.config import PRESETS
    from model.training.cli import STAGES

    def choices(model, key):
        return set(_literal(model.model_fields[key].annotation))

    s = params_schema
    registry.get("fid")  # imports every metric module
    suite = [m for m in registry.REGISTRY.values() if m.build.__module__ in registry.METRIC_MODULES]  # not tests'
    assert set(get_args(s.Metric)) == {m.name for m in suite}
    resampled = get_args(s.Bootstrap.model_fields["distribution_resamples"].annotation)[0]
    assert set(get_args(resampled)) == {m.name for m in suite if m.kind == "distribution"}
    assert choices(s.Fvd, "variant") == set(fvd.VARIANTS) and choices(s.Fvd, "clip_mode") == set(fvd.CLIP_MODES)
    assert choices(s.Ssim, "variant") == set(pixel.SSIM_VARIANTS)
    assert choices(s.Lse, "init") == set(lse.NETWORK_LABELS)
    assert choices(s.IdentityEncoder, "backend") == set(IDENTITY_ENCODERS)
    assert choices(s.AudioFeatures, "backend") == set(AUDIO_FEATURES)
    assert choices(s.HandFilter, "backend") == set(HAND_FILTERS)
    assert choices(s.MiniTalk, "synthesiser") == set(SYNTHESISERS)
    assert choices(s.Cpu, "kernels") == set(KERNEL_LEVELS)
    assert choices(s.TrainSettings, "model_preset") == set(PRESETS)
    assert choices(s.TrainSettings, "lr_scheduler") == {t.value for t in SchedulerType}
    assert set(s.STAGE_SETTINGS) == set(STAGES)
    assert set(get_args(s.Benchmark)) | set(get_args(s.TrainingSet)) <= set(BENCHMARKS)


def _literal(annotation) -> list:
    return [v for candidate in params_schema._variants(annotation) for v in get_args(candidate)
            if not isinstance(v, type)]


def _write(tmp_path: Path, p: dict) -> str:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(p))
    return str(path)


def test_a_command_given_bad_params_stops_before_any_work(mini, tmp_path, capsys):
    mini["metrics"]["out_dir"] = str(tmp_path / "metrics")
    mini["metrics"]["max_frame"] = 40
    code = cli.main(["evaluate", "--benchmark", "th1kh", "--method", "ground_truth", "--params", _write(tmp_path, mini)])
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and not (tmp_path / "metrics").exists()
    assert err[0].startswith("starcaster evaluate:") and "does not fit the params schema" in err[0]
    assert err[1].strip().startswith("metrics.max_frame: unknown key (did you mean 'max_frames'?")


def test_params_that_are_not_yaml_are_one_line(tmp_path, capsys):
    path = tmp_path / "params.yaml"
    path.write_text("metrics: {fps: 25\n")
    assert cli.main(["check-drift", "--params", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[1].strip().startswith("not YAML:")


def test_a_profile_that_does_not_fit_is_not_written(tmp_path, monkeypatch, capsys):
    for name in ("mini", "ci", "paper"):
        (tmp_path / "params" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "params" / f"{name}.yaml").write_text((ROOT / "params" / f"{name}.yaml").read_text())
    (tmp_path / "params" / "ci.yaml").write_text("metrics: {fps: -25}\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["profile", "ci"]) == 2
    assert "metrics.fps: Input should be greater than 0" in capsys.readouterr().err
    assert not (tmp_path / "params.yaml").exists()
    assert cli.main(["profile", "paper"]) == 0 and yaml.safe_load((tmp_path / "params.yaml").read_text())["profile"] == "paper"


@pytest.mark.parametrize("profile", params.PROFILES)
def test_the_schema_merges_each_training_run_as_training_does(profile):
    from model.training.cli import stage_settings

    train = params.render(profile, ROOT / "params")["train"]
    for (stage, variant), layers in params_schema.training_runs(train).items():
        assert {k: v for _, layer in layers for k, v in layer.items()} == stage_settings(train, stage, variant)
