"""The generation runner: per-clip errors, safe arguments, reuse of complete outputs, unavailable methods."""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pytest

from baselines import registry
from benchmarks import cli, media
from benchmarks.generate import generate
from tests.killing import leave_temporary

from .conftest import frames, install_fake, tone


def sidecar(tmp_path, method, clip_id):
    return json.loads((tmp_path / "runs" / "bench" / method / f"{clip_id}.json").read_text())


def test_crash_timeout_and_missing_output_are_per_clip_errors(bench, tmp_path):
    params = install_fake(bench(["a_ok", "b_crash", "c_hang", "d_empty", "e_ok"]), "float", tmp_path / "float")
    params["baselines"]["float"]["timeout_s"] = 3
    started = time.monotonic()
    summary = generate(params, "bench", "float", tmp_path / "runs")
    assert time.monotonic() - started < 40  # the hanging program was stopped at its timeout

    status = {c["clip_id"]: c for c in summary["clips"]}
    assert [status[c]["status"] for c in ("a_ok", "b_crash", "c_hang", "d_empty", "e_ok")] == \
        ["ok", "error", "error", "error", "ok"]
    assert "exit status 1" in status["b_crash"]["error"] and "crashing as asked" in status["b_crash"]["error"]
    assert "timed out after 3 s" in status["c_hang"]["error"]
    assert "wrote no" in status["d_empty"]["error"]
    crash = sidecar(tmp_path, "float", "b_crash")
    assert crash["exit_status"] == 1 and crash["command"][0][1] == "generate.py"
    assert not (tmp_path / "runs" / "bench" / "float" / "b_crash.mp4").exists()
    assert (tmp_path / "runs" / "bench" / "float" / "e_ok.mp4").is_file()


@pytest.mark.parametrize("method", ["anitalker", "echomimic", "hallo3", "float"])
def test_hostile_file_names_reach_the_program_as_plain_arguments(method, bench, tmp_path):
    """Shell and glob metacharacters in clip ids and paths: passed as plain arguments, found in the output names."""
    clip_id = "we ird 'q\" ; $(touch PWNED) `touch PWNED2` [1]*?"
    params = install_fake(bench([clip_id]), method, tmp_path / "clone; $(touch PWNED3)")
    runs = tmp_path / "runs with space; $(touch PWNED4)"
    summary = generate(params, "bench", method, runs)
    assert summary["clips"][0]["status"] == "ok", summary["clips"][0]["error"]
    assert not list(tmp_path.rglob("PWNED*"))
    meta = json.loads((runs / "bench" / method / f"{clip_id}.json").read_text())
    assert any(a.endswith(f"{clip_id}.png") or a.endswith("input.txt") or a.endswith("config.yaml")
               for a in meta["command"][0])
    assert not list(Path(tempfile.gettempdir()).glob("starcaster-float-*"))  # FLOAT's shell-safe folder is gone
    assert media.probe(runs / "bench" / method / f"{clip_id}.mp4").n_frames == 25


def test_complete_clips_are_reused_and_broken_ones_redone(bench, tmp_path):
    params = bench(["c0", "c1"])
    generate(params, "bench", "static_reference", tmp_path / "runs")
    out = tmp_path / "runs" / "bench" / "static_reference"
    first = {c: (out / f"{c}.mp4").stat().st_mtime_ns for c in ("c0", "c1")}
    (out / "c1.mp4").write_bytes(b"truncated")
    summary = generate(params, "bench", "static_reference", tmp_path / "runs")
    reused = {c["clip_id"]: c.get("reused", False) for c in summary["clips"]}
    assert reused == {"c0": True, "c1": False}
    assert (out / "c0.mp4").stat().st_mtime_ns == first["c0"]
    assert media.probe(out / "c1.mp4").n_frames == 25


def _reused(summary) -> dict:
    return {c["clip_id"]: c.get("reused", False) for c in summary["clips"]}


def test_an_import_is_redone_when_its_source_or_the_ground_truth_changed(bench, tmp_path):
    params = bench(["c0", "c1"])
    folder = tmp_path / "outside"
    for clip_id in ("c0", "c1"):
        media.write_video(folder / f"{clip_id}.mp4", frames(25), 25)
    generate(params, "bench", "paper_method", tmp_path / "runs", import_from=str(folder))
    assert _reused(generate(params, "bench", "paper_method", tmp_path / "runs", import_from=str(folder))) == \
        {"c0": True, "c1": True}
    other = tmp_path / "elsewhere"  # the same names, other videos
    media.write_video(other / "c0.mp4", frames(25, offset=40), 25)
    media.write_video(other / "c1.mp4", frames(25), 25)
    summary = generate(params, "bench", "paper_method", tmp_path / "runs", import_from=str(other))
    assert _reused(summary) == {"c0": False, "c1": True}
    out = tmp_path / "runs" / "bench" / "paper_method"
    assert abs(float(media.read_video(out / "c0.mp4")[0].mean()) - frames(1, offset=40)[0].mean()) < 3
    root = Path(params["datasets"]["bench"]["root"])
    media.write_video(root / "videos" / "c1.mp4", frames(25, offset=9), 25, audio=tone())  # the ground truth changed
    assert _reused(generate(params, "bench", "paper_method", tmp_path / "runs", import_from=str(other))) == \
        {"c0": True, "c1": False}


def test_a_program_run_with_other_options_is_redone(bench, tmp_path):
    params = install_fake(bench(["c0"]), "float", tmp_path / "float")
    generate(params, "bench", "float", tmp_path / "runs")
    assert _reused(generate(params, "bench", "float", tmp_path / "runs")) == {"c0": True}
    params["baselines"]["float"]["options"]["a_cfg_scale"] = 3
    summary = generate(params, "bench", "float", tmp_path / "runs")
    assert _reused(summary) == {"c0": False} and summary["clips"][0]["status"] == "ok"
    (tmp_path / "float" / "checkpoints" / "float.pth").write_bytes(b"other weights")
    assert _reused(generate(params, "bench", "float", tmp_path / "runs")) == {"c0": False}


def test_a_killed_runs_temporary_files_are_never_clips_and_are_removed(bench, tmp_path):
    params = bench(["c0"])
    out = tmp_path / "runs" / "bench" / "static_reference"
    leftovers = leave_temporary(out / "c0.mp4") + leave_temporary(out / "c0.json") + [out / ".work" / "c0" / "step0.log"]
    leftovers[-1].parent.mkdir(parents=True)
    leftovers[-1].write_bytes(b"half")
    summary = generate(params, "bench", "static_reference", tmp_path / "runs")
    assert [c["clip_id"] for c in summary["clips"]] == ["c0"] and summary["clips"][0]["status"] == "ok"
    assert not any(path.exists() for path in leftovers)


# STARCaster's reasons (a missing model folder) are tested in test_starcaster_method.py
@pytest.mark.parametrize("method, reason", [("anitalker", "program not installed")])
def test_unavailable_method_is_recorded_for_every_clip(bench, tmp_path, method, reason):
    summary = generate(bench(["c0", "c1"]), "bench", method, tmp_path / "runs")
    written = json.loads((tmp_path / "runs" / "bench" / method / "summary.json").read_text())
    assert written == summary and not summary["available"] and reason in summary["reason"]
    assert [c["status"] for c in summary["clips"]] == ["not available"] * 2


def test_missing_checkpoint_names_the_path(bench, tmp_path):
    params = install_fake(bench(["c0"]), "goha", tmp_path / "goha")
    (tmp_path / "goha" / "src" / "logs" / "s3" / "checkpoint825000.ckpt").unlink()
    reason = registry.get("goha", params).availability()
    assert "checkpoint825000.ckpt not found" in reason and "NVlabs/GOHA" in reason


def test_unknown_method_and_settings_are_rejected(bench):
    params = bench(["c0"])
    with pytest.raises(KeyError, match="unknown method"):
        registry.get("nope", params)
    params["baselines"]["float"]["checkpiont"] = {}
    with pytest.raises(ValueError, match="checkpiont"):
        registry.get("float", params)


def test_cli_generate(bench, tmp_path, monkeypatch, capsys):
    import yaml

    params = bench(["c0"])
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.setitem(cli.COMMANDS, "generate", ("benchmarks.generate", "generate"))
    code = cli.main(["generate", "--benchmark", "bench", "--method", "ground_truth",
                     "--params", str(tmp_path / "params.yaml"), "--runs", str(tmp_path / "runs")])
    assert code == 0 and "1 ok" in capsys.readouterr().out
    assert sidecar(tmp_path, "ground_truth", "c0")["status"] == "ok"


def test_sidecar_records_program_commit_options_and_checkpoint_hash(bench, tmp_path):
    import hashlib
    import subprocess

    repo = tmp_path / "float"
    params = install_fake(bench(["c0"]), "float", repo)
    git = ["git", "-C", str(repo), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "fake"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()

    generate(params, "bench", "float", tmp_path / "runs")
    meta = sidecar(tmp_path, "float", "c0")
    assert meta["program"]["commit"] == head and meta["seed"] == 15
    assert meta["program"]["options"]["a_cfg_scale"] == 2
    ckpt = meta["program"]["checkpoints"]["ckpt"]
    assert ckpt["sha256"] == hashlib.sha256((repo / "checkpoints" / "float.pth").read_bytes()).hexdigest()
    wav2vec = "checkpoints/wav2vec2-base-960h/config.json"
    assert meta["program"]["weights"][wav2vec] == hashlib.sha256((repo / wav2vec).read_bytes()).hexdigest()
    assert meta["program"]["pinned_commit"] is None and meta["program"]["seeding"].startswith("--seed with --fix_noise")


def test_a_killed_generate_resumes_where_it_stopped(bench, tmp_path):
    """SIGKILL to the whole process group while the program works on the second clip: the next run reuses the
    first clip, redoes the second and writes the summary."""
    import os
    import signal
    import subprocess
    import sys

    import yaml

    params = install_fake(bench(["a_ok", "b_hang", "c_ok"]), "float", tmp_path / "float")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    argv = [sys.executable, "-m", "benchmarks.cli", "generate", "--benchmark", "bench", "--method", "float",
            "--params", str(tmp_path / "params.yaml"), "--runs", str(tmp_path / "runs")]
    out = tmp_path / "runs" / "bench" / "float"
    proc = subprocess.Popen(argv, cwd=Path(__file__).resolve().parents[2], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (out / ".work" / "b_hang" / "commands.json").is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert sidecar(tmp_path, "float", "a_ok")["status"] == "ok" and not (out / "summary.json").exists()
    first = (out / "a_ok.mp4").stat().st_mtime_ns
    params["baselines"]["float"]["timeout_s"] = 2
    summary = generate(params, "bench", "float", tmp_path / "runs")
    status = {c["clip_id"]: (c["status"], c.get("reused", False)) for c in summary["clips"]}
    assert status == {"a_ok": ("ok", True), "b_hang": ("error", False), "c_ok": ("ok", False)}
    assert (out / "a_ok.mp4").stat().st_mtime_ns == first and (out / "summary.json").is_file()
