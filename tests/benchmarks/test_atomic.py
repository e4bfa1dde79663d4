"""Atomic writes: a killed writer's temporaries go with the next write of the same output; nobody else's do."""
from __future__ import annotations

import json

from benchmarks import atomic
from tests.killing import leave_temporary


def test_a_killed_writers_temporaries_are_removed_by_the_next_write_of_the_output(tmp_path):
    target, folder = tmp_path / "result.json", tmp_path / "clip"
    left = leave_temporary(target) + leave_temporary(folder, folder=True)
    assert not target.exists() and not folder.exists()  # nothing half-written under the real names
    atomic.write_json(target, {"a": 1})
    with atomic.atomic_dir(folder) as tmp:
        (tmp / "frames").write_text("whole")
    assert not any(p.exists() for p in left)
    assert json.loads(target.read_text()) == {"a": 1} and (folder / "frames").read_text() == "whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip", "result.json"]


def test_a_live_writers_and_other_outputs_temporaries_are_left_alone(tmp_path):
    target = tmp_path / "c0"
    atomic.write_text(tmp_path / "earlier", "")  # this process swept the folder already: what follows is per output
    other_output = leave_temporary(tmp_path / "c0.mp4")  # `.c0.mp4.<host>-<pid>.*` also matches `.c0.*`
    other_host = tmp_path / ".c0.elsewhere-1.abc"  # a writer on another machine sharing the folder
    other_host.write_bytes(b"theirs")
    with atomic.atomic_path(target) as live:
        live.write_bytes(b"mine")
        assert atomic.remove_leftovers(target) == []
        assert live.exists() and other_host.exists() and all(p.exists() for p in other_output)
    assert target.read_bytes() == b"mine"
    assert atomic.remove_leftovers(tmp_path / "c0.mp4") == other_output
