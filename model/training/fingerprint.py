"""One hash of what a training run computes from; checkpoints of another run are never resumed.

DVC reruns a training stage when its params, data, initial model or code change, while the stage's
checkpoints persist (``persist: true``, so that a killed run resumes). Resuming them after such a change
would continue the old run -- or, when it had reached ``max_steps``, only re-export its weights.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from benchmarks import code_deps
from benchmarks.hashing import sha256_file

# bookkeeping that does not change what is computed
IGNORED_SETTINGS = ("checkpoint_every", "keep_checkpoints", "num_workers", "max_seconds", "probe_every")


def code_hash() -> str:
    """sha256 of every source a training run executes (benchmarks/code_deps.py)."""
    return code_deps.digest("model.training.cli")


def run_fingerprint(settings: dict, sources: Iterable[str | Path]) -> str:
    """Settings (resolved stage params), the contents of the files and folders read, and the model code."""
    kept = {k: v for k, v in settings.items() if k not in IGNORED_SETTINGS}
    digest = hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode())
    digest.update(code_hash().encode())
    for path in sorted({Path(p) for p in sources}):
        digest.update(f"{path.as_posix()}={sha256_file(path) if path.exists() else 'missing'};".encode())
    return digest.hexdigest()
