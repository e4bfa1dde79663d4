"""The metric-code gate end to end: `starcaster check-metric-code` scores the committed fixtures with every metric
against the committed reports/reference/metric_code.json (exact tolerances, every platform) and passes with the
code as it is; with metric implementations perturbed by less than any real change of method would move them, it
fails naming exactly those metrics. Every run scores from scratch (no feature cache)."""
import shutil
from pathlib import Path

import pytest

from benchmarks import cli, drift, metric_code

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mini_params(tmp_path_factory) -> str:
    """The mini profile, whichever one the working copy's params.yaml holds."""
    from benchmarks import params

    folder = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "params", folder / "params")  # the command reads the profiles beside its params file
    params.switch("mini", folder / "params.yaml", folder / "params")
    return str(folder / "params.yaml")


def test_the_fixtures_cover_every_metric_value():
    from benchmarks import params
    from metrics.registry import METRIC_MODULES, REGISTRY, get

    get("psnr")  # imports every metric module
    suite_metrics = {m.name for m in REGISTRY.values() if m.build.__module__ in METRIC_MODULES}  # not the tests' own
    cfg = metric_code.fixture_settings(params.render("ci", ROOT / "params")["metrics"])
    assert set(cfg["enabled"]) == suite_metrics and cfg["cache_dir"] is None and cfg["max_frames"] is None
    assert {cfg[name]["init"] for name in ("lpips", "fid", "fvd", "lse")} == {"random"}
    reference, platform = drift.read_reference(ROOT / metric_code.REFERENCE)
    assert platform["isa"]
    for summary in reference.values():  # every metric scored every clip: no error, no missing value
        assert all(isinstance(v, float) for v in summary["values"].values()), summary["values"]
        assert {"psnr", "ssim", "lpips", "fid", "fvd", "lse_c", "lse_d", "lse_offset", "pose_std_rad100", "csim"} <= set(summary["values"])


@pytest.mark.slow  # two scorings of the fixtures, ~25 s each
def test_gate_passes_unchanged_and_names_perturbed_metrics(mini_params, monkeypatch, capsys):
    check = ["check-metric-code", "--params", mini_params, "--reference", str(ROOT / metric_code.REFERENCE)]
    assert cli.main(check) == 0, capsys.readouterr().out
    assert "match" in capsys.readouterr().out

    import metrics.evaluate
    import metrics.pixel

    psnr, frechet = metrics.pixel.psnr, metrics.evaluate.frechet_distance_low_rank  # few clips: the low-rank form
    monkeypatch.setattr(metrics.pixel, "psnr", lambda *a, **k: psnr(*a, **k) * 1.0001)
    monkeypatch.setattr(metrics.evaluate, "frechet_distance_low_rank", lambda *a, **k: frechet(*a, **k) * 1.01)
    assert cli.main(check) == 1
    out = capsys.readouterr().out
    drifted = {(line.split(": ")[0].strip(), line.split(": ")[1]) for line in out.splitlines() if line.startswith("  fixtures/")}
    assert drifted == {(f"fixtures/{m}", k) for m in ("delayed", "frozen") for k in ("psnr", "fid", "fvd")}, out
    assert "exact" in out and "check-metric-code --bless" in out


def test_bless_reports_what_it_changes(mini_params, tmp_path, monkeypatch, capsys):
    reference = tmp_path / "metric_code.json"
    values = {"fixtures/delayed": {"profile": "metric-code", "variants": {}, "values": {"psnr": 24.0}}}
    drift.write_reference(reference, values, {"cpu": "elsewhere", "isa": ["avx2"]})
    monkeypatch.setattr(metric_code, "score", lambda cfg: {"fixtures/delayed": dict(values["fixtures/delayed"], values={"psnr": 25.0})})
    assert cli.main(["check-metric-code", "--params", mini_params, "--reference", str(reference), "--bless"]) == 0
    out = capsys.readouterr().out
    assert "reference platform: elsewhere" in out and "changes fixtures/delayed: psnr: reference 24 -> current 25" in out
    assert drift.read_reference(reference)[0]["fixtures/delayed"]["values"]["psnr"] == 25.0
