import json
from pathlib import Path

import pytest

from benchmarks import report

from .benchmarks.report_tree import summary_result, write_result

ROOT = Path(__file__).resolve().parents[1]


def test_report_puts_ours_beside_the_paper_and_separates_profiles(tmp_path):
    results, runs, out = tmp_path / "results", tmp_path / "runs", tmp_path / "reports"
    write_result(results, "th1kh", "starcaster", summary_result({"fid": 30.0, "fvd": 200.0, "lse_c": 5.0, "lse_d": 9.0, "pose_std": 4.0}))
    write_result(results, "hallo3", "starcaster", summary_result({"fid": 20.0}, profile="mini"))
    (runs / "th1kh" / "hallo3").mkdir(parents=True)
    unavailable = {"available": False, "reason": "program not found: hallo3.repo unset"}
    (runs / "th1kh" / "hallo3" / "summary.json").write_text(json.dumps(unavailable))
    report.write_report(results, runs, out)
    cells = json.loads((out / "results.json").read_text())
    fid = next(c for c in cells if c["table"] == "table1" and c["method"] == "starcaster" and c["benchmark"] == "th1kh"
               and c["metric"] == "fid" and c["profile"] == "ci")
    assert fid["value"] == 30.0 and fid["paper"] == 24.89 and fid["delta"] == pytest.approx(30.0 - 24.89)
    # ci and mini results never share a table
    assert {c["profile"] for c in cells if c["table"] == "table1"} == {"ci", "mini"}
    md = (out / "README.md").read_text()
    assert md.count("## Table 1") == 2
    assert "program not found: hallo3.repo unset" in md
    assert "Deviations register" in md and "<table>" in (out / "index.html").read_text()


def test_report_names_random_features_and_why_methods_did_not_run(tmp_path, monkeypatch):
    from benchmarks import params

    monkeypatch.chdir(tmp_path)  # no trained model folders here, whatever the checkout holds
    results, out = tmp_path / "results", tmp_path / "reports"
    write_result(results, "th1kh", "ground_truth", summary_result({"fid": 1.5e-16}, variants={
        "fid": {"features": "random features (seeded init)"},
        "lse": {"checkpoint": "MiniTalk-trained SyncNet (not the published syncnet_v2)"}}))
    write_result(results, "th1kh", "starcaster", summary_result({"fid": 2.0e-12}, variants={
        "fid": {"features": "random features (seeded init)"},
        "lse": {"checkpoint": "MiniTalk-trained SyncNet (not the published syncnet_v2)"}}))
    label = "random initial weights: not a trained STARCaster"
    write_result(tmp_path / "runs", "th1kh", "starcaster/summary", {"available": True, "program": {"weights_label": label}})
    mini = params.render("mini", ROOT / "params")
    report.write_report(results, tmp_path / "runs", out, mini)
    md = (out / "README.md").read_text()
    assert "**Random features**" in md and ": fid" in md
    assert "**MiniTalk-trained networks**" in md and "not comparable with the paper): lse" in md
    assert next(line for line in md.splitlines() if line.startswith("| starcaster |")).endswith(f"| {label} |")
    assert "1.5e-16" in md  # tiny values keep their digits instead of printing as 0.000
    assert "not available: program not installed: set baselines.echomimic.repo" in md
    assert "starcaster_teacher_forcing" in md and "train --stage 2 --variant teacher_forcing" in md


def test_a_benchmark_the_profile_does_not_score_is_named_in_its_tables(tmp_path, monkeypatch):
    from benchmarks import params

    monkeypatch.chdir(tmp_path)
    results, out = tmp_path / "results", tmp_path / "reports"
    write_result(results, "th1kh", "starcaster", summary_result({"fid": 30.0}))
    ci = params.render("ci", ROOT / "params")
    assert "hallo3" not in ci["evaluation"]["benchmarks"]
    report.write_report(results, tmp_path / "runs", out, ci)
    md = (out / "README.md").read_text()
    table1 = md.split("## Table 1", 1)[1].split("\n## ", 1)[0]
    assert "Not scored in this profile (params `evaluation.benchmarks`): hallo3" in table1
    assert "Not scored in this profile" not in md.split("## Table 2", 1)[1].split("\n## ", 1)[0]  # nersemble is scored
    assert "not scored in this profile" in (out / "clips" / "hallo3.md").read_text()
    assert "evaluation.benchmarks</code>): hallo3" in (out / "index.html").read_text()
    mini = params.render("mini", ROOT / "params")
    report.write_report(results, tmp_path / "runs", out, mini)
    assert "Not scored in this profile" not in (out / "README.md").read_text()
