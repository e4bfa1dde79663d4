"""check-drift's comparison rules, tolerance classes and command on hand-made metric results (the real evaluation:
test_metric_code_gate.py)."""
import json
from pathlib import Path

import yaml

from benchmarks import cli, drift, machine, params

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


def _check_ci(tmp_path) -> list[str]:
    """``check-drift`` with the ci params, its results and reference under ``tmp_path``."""
    p = params.render("ci", ROOT / "params")
    p["metrics"]["out_dir"] = str(tmp_path / "metrics")
    p["drift"]["reference_dir"] = str(tmp_path / "reference")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    return ["check-drift", "--params", str(tmp_path / "params.yaml")]


def test_command_blesses_passes_and_fails_with_a_readable_diff(tmp_path, capsys):
    check = _check_ci(tmp_path)
    assert cli.main(check) == 2  # no results yet
    write_result(tmp_path / "metrics", "th1kh", "m", summary_result({"psnr": 30.0, "fid": 2e-16}))
    assert cli.main(check) == 2 and "--bless" in capsys.readouterr().out  # no reference yet
    assert cli.main(check + ["--bless"]) == 0
    blessed = json.loads((tmp_path / "reference" / "ci.json").read_text())
    assert blessed["results"]["th1kh/m"]["values"]["psnr"] == 30.0
    assert blessed["platform"] == machine.fingerprint()
    assert cli.main(check) == 0
    write_result(tmp_path / "metrics", "th1kh", "m", summary_result({"psnr": 30.0 * 1.001, "fid": 2e-16 * 1.01}))
    capsys.readouterr()
    assert cli.main(check) == 1
    out = capsys.readouterr().out
    assert "th1kh/m: psnr: reference 30 -> current 30.03" in out and "th1kh/m: fid: reference 2e-16" in out


PLATFORM_TOL = {"lse_c": {"rel": 0.1}, "lse_offset": {"abs": 1}}
EXACT = {"default": {"abs": 1e-6, "rel": 1e-5}, "lse_offset": {"abs": 0}}


def test_platform_tolerances_apply_only_to_the_named_results_and_metrics(tmp_path):
    for method in ("ground_truth", "starcaster"):
        write_result(tmp_path, "th1kh", method, summary_result({"lse_c": 0.2, "lse_offset": 5.0, "psnr": 20.0}))
    ref = drift.summaries(tmp_path)
    for method in ("ground_truth", "starcaster"):  # every value moved the same way
        write_result(tmp_path, "th1kh", method, summary_result({"lse_c": 0.2 * 1.05, "lse_offset": 6.0, "psnr": 20.001}))
    cur = drift.summaries(tmp_path)
    same_platform = {(d.where, d.metric, d.rule) for d in drift.compare(ref, cur, EXACT)}
    assert same_platform == {(f"th1kh/{m}", k, "exact") for m in ("ground_truth", "starcaster") for k in ("lse_c", "lse_offset", "psnr")}
    other_platform = {(d.where, d.metric) for d in drift.compare(ref, cur, EXACT, PLATFORM_TOL, {"th1kh/starcaster"})}
    # the trained method's LSE moved within the platform spread; its PSNR (not listed) and every reference value did not
    assert other_platform == {("th1kh/ground_truth", "lse_c"), ("th1kh/ground_truth", "lse_offset"),
                              ("th1kh/ground_truth", "psnr"), ("th1kh/starcaster", "psnr")}


def test_lse_offset_moves_by_whole_frames(tmp_path):
    write_result(tmp_path, "th1kh", "starcaster", summary_result({"lse_offset": 6.0}))
    ref = drift.summaries(tmp_path)
    for offset, drifted in ((6.0, False), (5.0, True), (5.5, True)):
        write_result(tmp_path, "th1kh", "starcaster", summary_result({"lse_offset": offset}))
        assert bool(drift.compare(ref, drift.summaries(tmp_path), EXACT)) is drifted
    for offset, drifted in ((5.0, False), (7.0, False), (4.0, True), (8.0, True)):
        write_result(tmp_path, "th1kh", "starcaster", summary_result({"lse_offset": offset}))
        (d, *_) = drift.compare(ref, drift.summaries(tmp_path), EXACT, PLATFORM_TOL, {"th1kh/starcaster"}) or [None]
        assert (d is not None) is drifted
        assert d is None or (d.rule == "platform" and "allowed +-1, platform" in d.line())


def _other_platform(here: dict) -> dict:
    return dict(here, cpu="Intel(R) Xeon(R) (GenuineIntel family 6 model 143)")


def test_command_on_another_platform_prints_both_and_loosens_only_trained_results(tmp_path, capsys):
    check = _check_ci(tmp_path)
    values = {"lse_c": 0.16, "psnr": 30.0}
    for method in ("ground_truth", "starcaster"):
        write_result(tmp_path / "metrics", "th1kh", method, summary_result(values))
    here = machine.fingerprint()
    drift.write_reference(tmp_path / "reference" / "ci.json", drift.summaries(tmp_path / "metrics"), _other_platform(here))
    for method in ("ground_truth", "starcaster"):
        write_result(tmp_path / "metrics", "th1kh", method, summary_result(dict(values, lse_c=0.16 * 0.97)))
    capsys.readouterr()
    assert cli.main(check) == 1
    out = capsys.readouterr().out
    assert "reference platform: Intel(R) Xeon(R)" in out and f"this platform:      {machine.describe(here)}" in out
    assert "differs in cpu: 'Intel(R) Xeon(R)" in out
    assert "th1kh/ground_truth: lse_c" in out and "th1kh/starcaster: lse_c" not in out  # the 3% is within the platform spread
    # blessed on this platform, the same 3% is drift for the trained method too
    drift.write_reference(tmp_path / "reference" / "ci.json", drift.read_reference(tmp_path / "reference" / "ci.json")[0], here)
    assert cli.main(check) == 1
    out = capsys.readouterr().out
    assert "reference platform" not in out and "th1kh/starcaster: lse_c" in out


def test_a_reference_without_its_platform_is_refused(tmp_path, capsys):
    check = _check_ci(tmp_path)
    write_result(tmp_path / "metrics", "th1kh", "m", summary_result({"psnr": 30.0}))
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "ci.json").write_text(json.dumps(drift.summaries(tmp_path / "metrics")))  # the old flat form
    assert cli.main(check) == 2
    assert "re-bless" in capsys.readouterr().out
