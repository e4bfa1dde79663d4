"""The paper profile's first `dvc repro` on a fresh clone without data: the doctor's table is the first failure and
no MiniTalk is built (the profile reads none of it)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import params
from benchmarks.datasets import minitalk
from tests.pipeline.files import ROOT


@pytest.mark.slow  # a copy of the repository and a real `dvc repro`: ~15 s
def test_dvc_repro_under_paper_stops_at_the_doctors_table_and_builds_no_minitalk(tmp_path):
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, tracked.decode().split("\0")):
        if (ROOT / rel).is_file():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, tmp_path / rel)
    params.switch("paper", tmp_path / "params.yaml", ROOT / "params")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    done = subprocess.run(["dvc", "repro"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "failed to reproduce 'doctor'" in out and "| dataset th1kh | **missing:" in out
    assert "required item(s) missing" in out and "Errno 2" not in out
    assert not (tmp_path / "data" / "minitalk" / "th1kh").exists()


def test_a_profile_that_reads_no_minitalk_builds_only_its_note(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    paper = params.render("paper", ROOT / "params")
    assert minitalk.readers(paper) == []
    assert minitalk.readers(params.render("mini", ROOT / "params"))[:2] == ["datasets.th1kh.root", "datasets.hallo3.root"]
    params.switch("paper", tmp_path / "params.yaml", ROOT / "params")
    assert minitalk.run(type("Args", (), {"params": str(tmp_path / "params.yaml")})) == 0
    assert [p.name for p in (tmp_path / "data" / "minitalk").iterdir()] == ["minitalk.json"]
    assert "not built" in capsys.readouterr().out
