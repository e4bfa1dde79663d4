"""Every command that writes, killed before its first and before its last output appeared, then run again, leaves
exactly what one whole run leaves: the same files, and none of the killed run's temporaries.

The commands with work that resumes (generate, evaluate, prepare, train) are killed mid-work in their own tests
(docs/bad-inputs.md lists them); here each command runs as a process in the micro project (tests/conftest.py).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.killing import KILLED, replaces, run_cli

# command -> what it writes (relative to the project)
CASES = {
    "profile": (["profile", "mini"], "params.yaml"),
    "minitalk": (["minitalk"], "data/minitalk"),
    "manifest": (["manifest", "--benchmark", "th1kh"], "benchmarks/manifests/mini/th1kh.jsonl"),
    "train-syncnet": (["train-syncnet"], "models/syncnet"),
    "train-lipreader": (["train-lipreader"], "models/lipreader"),
    "weights import": (["weights", "import", "downloads"], "weights"),
    "report": (["report"], "reports"),
    "doctor": (["doctor", "--ready", "data/doctor.json"], "data/doctor.json"),
    "code-digests": (["code-digests"], "data/code"),
    "check-drift --bless": (["check-drift", "--bless", "--reference", "reference.json"], "reference.json"),
}
SLOW = {"minitalk", "report"}
DURATIONS = ("train_seconds",)  # the only values two whole runs may differ in


def _written(project: Path, output: str) -> dict:
    """What a run left at ``output``: each file's bytes, JSON parsed without durations."""
    path = project / output
    found = {}
    for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
        if not file.is_file():
            continue
        content = file.read_bytes()
        if file.suffix == ".json":
            content = json.loads(content)
            if isinstance(content, dict):
                content = {k: v for k, v in content.items() if k not in DURATIONS}
        found[file.relative_to(project).as_posix()] = content
    return found


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob(".*") if ".replaces" not in p.name)


@pytest.mark.parametrize("command", [pytest.param(c, marks=pytest.mark.slow) if c in SLOW else c for c in CASES])
def test_a_killed_run_then_a_whole_one_leave_what_one_whole_run_leaves(micro_project, tmp_path, command):
    argv, output = CASES[command]
    straight = shutil.copytree(micro_project, tmp_path / "straight")
    n = replaces(argv, straight)
    expected = _written(straight, output)
    assert expected, f"{command} wrote nothing at {output}"
    for kill_at in sorted({1, n}):
        killed = shutil.copytree(micro_project, tmp_path / f"killed_at_{kill_at}")
        before = _temporaries(killed)
        done = run_cli(argv, killed, kill_at)
        assert done.returncode == KILLED, done.stderr
        assert _temporaries(killed) != before  # killed in the middle of a write
        again = run_cli(argv, killed, kill_at=0)
        assert again.returncode == 0, again.stderr
        assert _written(killed, output) == expected, f"{command} killed at output {kill_at} of {n}, then rerun"
        assert _temporaries(killed) == before, f"{command} killed at output {kill_at} of {n} left temporaries"
