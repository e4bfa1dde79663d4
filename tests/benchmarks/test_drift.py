"""check-drift's comparison rules and command on hand-made metric results (the real evaluation: test_drift_gate.py)."""
import json
from pathlib import Path

import yaml

from benchmarks import cli, drift, params
from .report_tree import summary_result, write_result

ROOT = Path(__file__).resolve().parents[2]
TOL = {"default": {"abs": 1e-6, "rel": 1e-4}, "fvd": {"abs": 0.5, "rel": 0.0}, "fid": {"rel": 1e-3}}


def test_unchanged_metrics_pass_and_perturbed_ones_fail(tmp_path):
    write_result(tmp_path, "th1kh", "ground_truth", summary_result({"fid": 0.5, "fvd": 10.0, "lse_c": 3.0}))
    ref = drift.summaries(tmp_path)
    assert drift.compare(ref, drift.summaries(tmp_path), TOL) == []
    write_result(tmp_path, "th1kh", "ground_truth", summary_result({"fid": 0.5, "fvd": 10.4, "lse_c": 3.001}))
    drifts = drift.compare(ref, drift.summaries(tmp_path), TOL)
    assert [d.metric for d in drifts] == ["lse_c"]  # fvd within its absolute tolerance, lse_c not
    assert "reference 3 -> current 3.001" in drifts[0].line()


def test_relative_only_tolerance_sees_tiny_values_move(tmp_path):
    write_result(tmp_path, "th1kh", "m", summary_result({"fid": 1.5e-16}))
    ref = drift.summaries(tmp_path)
    write_result(tmp_path, "th1kh", "m", summary_result({"fid": 1.5e-16 * 1.0005}))
    assert drift.compare(ref, drift.summaries(tmp_path), TOL) == []
    write_result(tmp_path, "th1kh", "m", summary_result({"fid": 1.5e-16 * 1.01}))
    (d,) = drift.compare(ref, drift.summaries(tmp_path), TOL)
    assert d.metric == "fid" and "rel +0.01" in d.line()
    # the same move under an absolute tolerance is invisible
    assert drift.compare(ref, drift.summaries(tmp_path), {"default": {"abs": 1e-4, "rel": 1e-3}}) == []


def test_vanished_metric_error_or_variant_change_is_drift(tmp_path):
    write_result(tmp_path, "th1kh", "m", summary_result({"fid": 0.5, "lse_c": 3.0}))
    ref = drift.summaries(tmp_path)
    write_result(tmp_path, "th1kh", "m", summary_result({"fid": None}, variants={"fid": "clean-fid"}))
    metrics = {d.metric for d in drift.compare(ref, drift.summaries(tmp_path), TOL)}
    assert metrics == {"(variants)", "fid", "lse_c"}
    (tmp_path / "th1kh" / "m.json").unlink()
    assert [d.metric for d in drift.compare(ref, drift.summaries(tmp_path), TOL)] == ["(result file)"]


def test_infinite_psnr_is_a_value_not_an_error(tmp_path):
    write_result(tmp_path, "th1kh", "m", summary_result({"psnr": "inf"}))
    ref = drift.summaries(tmp_path)
    assert ref["th1kh/m"]["values"]["psnr"] == float("inf")
    assert drift.compare(ref, drift.summaries(tmp_path), TOL) == []
    write_result(tmp_path, "th1kh", "m", summary_result({"psnr": 48.0}))
    assert [d.metric for d in drift.compare(ref, drift.summaries(tmp_path), TOL)] == ["psnr"]


def test_other_profile_is_drift(tmp_path):
    write_result(tmp_path, "th1kh", "m", summary_result({"psnr": 30.0}, profile="mini"))
    ref = drift.summaries(tmp_path)
    write_result(tmp_path, "th1kh", "m", summary_result({"psnr": 30.0}, profile="ci"))
    assert [d.metric for d in drift.compare(ref, drift.summaries(tmp_path), TOL)] == ["(profile)"]


def test_command_blesses_passes_and_fails_with_a_readable_diff(tmp_path, capsys):
    p = params.render("ci", ROOT / "params")
    p["metrics"]["out_dir"] = str(tmp_path / "metrics")
    p["drift"]["reference_dir"] = str(tmp_path / "reference")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    check = ["check-drift", "--params", str(tmp_path / "params.yaml")]
    assert cli.main(check) == 2  # no results yet
    write_result(tmp_path / "metrics", "th1kh", "m", summary_result({"psnr": 30.0, "fid": 2e-16}))
    assert cli.main(check) == 2 and "--bless" in capsys.readouterr().out  # no reference yet
    assert cli.main(check + ["--bless"]) == 0
    assert json.loads((tmp_path / "reference" / "ci.json").read_text())["th1kh/m"]["values"]["psnr"] == 30.0
    assert cli.main(check) == 0
    write_result(tmp_path / "metrics", "th1kh", "m", summary_result({"psnr": 30.0 * 1.001, "fid": 2e-16 * 1.01}))
    capsys.readouterr()
    assert cli.main(check) == 1
    out = capsys.readouterr().out
    assert "th1kh/m: psnr: reference 30 -> current 30.03" in out and "th1kh/m: fid: reference 2e-16" in out
