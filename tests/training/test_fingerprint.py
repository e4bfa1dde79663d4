"""The run fingerprint that decides whether persisted checkpoints may be resumed."""
from model.training.fingerprint import run_fingerprint


def test_fingerprint_follows_settings_and_data_but_not_bookkeeping(tmp_path):
    clip = tmp_path / "prepared" / "clip0"
    clip.mkdir(parents=True)
    (clip / "frames.npy").write_bytes(b"abc")
    settings = {"lr": 1e-4, "max_steps": 20, "checkpoint_every": 10, "benchmarks": ["vfhq"]}
    base = run_fingerprint(settings, [clip])
    assert run_fingerprint(dict(settings), [clip, clip]) == base
    assert run_fingerprint({**settings, "checkpoint_every": 1, "keep_checkpoints": 5}, [clip]) == base
    assert run_fingerprint({**settings, "lr": 2e-4}, [clip]) != base
    assert run_fingerprint({**settings, "max_steps": 40}, [clip]) != base
    (clip / "frames.npy").write_bytes(b"abd")
    changed = run_fingerprint(settings, [clip])
    assert changed != base
    assert run_fingerprint(settings, [clip, tmp_path / "missing"]) != changed
